"""Run an experiment file: its run specs through the runner, with a full manifest."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from sim.network import GENERATOR_PARAMS, district_used, ignored_with_files
from sim.params import PRESETS, resolve
from sim.rng import child_seeds
from sim.study.backends import DEFAULT_WORKER_TIMEOUT
from sim.study.design import check_outputs, design_seed, points, run_specs, worlds
from sim.study.experiment import Experiment
from sim.study.manifest import atomic_write
from sim.study.runner import ExecuteReport, RunSpec, execute

DESIGN_FILE = "design.csv"


def default_out(exp: Experiment) -> Path:
    """``results/<experiment name>``."""
    return Path("results") / exp.name


def given_parameters(exp: Experiment) -> dict[str, Any]:
    """The parameters the experiment sets: its preset's, fixed ones, and swept names."""
    swept = {d.name: "(swept)" for d in exp.dims}
    return {**PRESETS[exp.preset], **exp.fixed, **swept}


def experiment_fields(exp: Experiment) -> dict:
    """Manifest fields describing the experiment: file text, parameters, seeds, district.

    ``district`` is the district of the fixed parameters as actually simulated (counted
    from the files for a loaded network); ``ignored_parameters`` are those a loaded network
    makes irrelevant.
    """
    base = resolve(exp.preset, **exp.fixed)
    loaded = bool(base["network_file"]) and "network_file" not in {d.name for d in exp.dims}
    return {
        "kind": "sweep", "experiment": exp.name, "description": exp.description,
        "experiment_file": str(exp.path), "experiment_text": exp.text,
        "preset": exp.preset, "fixed": exp.fixed,
        "base_parameters": {k: v for k, v in base.items()
                            if not (loaded and k in GENERATOR_PARAMS)},
        "district": district_used(base),
        "ignored_parameters": ignored_with_files(given_parameters(exp)),
        "swept": [asdict(d) for d in exp.dims], "sampler": exp.sampler,
        "samples": exp.samples, "replicates": exp.replicates, "days": exp.days,
        "daily_every": exp.daily_every, "master_seed": exp.seed,
        "replicate_seeds": child_seeds(exp.seed, exp.replicates),
        "design_seed": design_seed(exp) if exp.sampler != "grid" else None,
        "seed_scheme": "replicate r of every design point runs on replicate_seeds[r] "
                       "(common random numbers)",
        "posterior": exp.posterior,
        "worlds": worlds(exp) if exp.posterior else None,
    }


def check_experiment(exp: Experiment) -> list[RunSpec]:
    """Every check short of running: output names, sizes, every design point's model."""
    check_outputs(exp, "report.outputs", exp.report["outputs"])
    return run_specs(exp)


def run_experiment(exp: Experiment, out_dir: Path, *, backend: str = "local",
                   scheduler: str | None = None, workers: int | None = None,
                   fresh: bool = False, progress: bool = True,
                   worker_timeout: float = DEFAULT_WORKER_TIMEOUT,
                   specs: list[RunSpec] | None = None,
                   batch_size: int | None = None) -> ExecuteReport:
    """Run (or resume) every run of ``exp`` into ``out_dir``.

    The design table (one row per point) is written next to the results so that readers
    need not recompute it. ``specs`` are those of :func:`check_experiment`, if at hand;
    ``batch_size`` is the runner's (``sim.study.runner.execute``).
    """
    specs = check_experiment(exp) if specs is None else specs
    report = execute(specs, out_dir, backend=backend, scheduler=scheduler, workers=workers,
                     fresh=fresh, manifest=experiment_fields(exp), progress=progress,
                     worker_timeout=worker_timeout, batch_size=batch_size)
    table = points(exp)
    atomic_write(Path(out_dir) / DESIGN_FILE,
                 lambda p: table.rename_axis("point").to_csv(p))
    report.written.append(Path(out_dir) / DESIGN_FILE)
    return report
