"""Run an experiment file: its run specs through the runner, with a full manifest."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from sim.params import resolve
from sim.rng import child_seeds
from sim.study.design import check_outputs, design_seed, points, run_specs
from sim.study.experiment import Experiment
from sim.study.manifest import atomic_write
from sim.study.runner import ExecuteReport, execute

DESIGN_FILE = "design.csv"


def default_out(exp: Experiment) -> Path:
    """``results/<experiment name>``."""
    return Path("results") / exp.name


def experiment_fields(exp: Experiment) -> dict:
    """Manifest fields describing the experiment: file text, parameters, seeds."""
    return {
        "kind": "sweep", "experiment": exp.name, "description": exp.description,
        "experiment_file": str(exp.path), "experiment_text": exp.text,
        "preset": exp.preset, "fixed": exp.fixed,
        "base_parameters": resolve(exp.preset, **exp.fixed),
        "swept": [asdict(d) for d in exp.dims], "sampler": exp.sampler,
        "samples": exp.samples, "replicates": exp.replicates, "days": exp.days,
        "daily_every": exp.daily_every, "master_seed": exp.seed,
        "replicate_seeds": child_seeds(exp.seed, exp.replicates),
        "design_seed": design_seed(exp) if exp.sampler != "grid" else None,
        "seed_scheme": "replicate r of every design point runs on replicate_seeds[r] "
                       "(common random numbers)",
    }


def run_experiment(exp: Experiment, out_dir: Path, *, backend: str = "local",
                   scheduler: str | None = None, workers: int | None = None,
                   fresh: bool = False, progress: bool = True) -> ExecuteReport:
    """Run (or resume) every run of ``exp`` into ``out_dir``.

    The design table (one row per point) is written next to the results so that readers
    need not recompute it.
    """
    check_outputs(exp, "report.outputs", exp.report["outputs"])
    specs = run_specs(exp)
    report = execute(specs, out_dir, backend=backend, scheduler=scheduler, workers=workers,
                     fresh=fresh, manifest=experiment_fields(exp), progress=progress)
    table = points(exp)
    atomic_write(Path(out_dir) / DESIGN_FILE,
                 lambda p: table.rename_axis("point").to_csv(p))
    report.written.append(Path(out_dir) / DESIGN_FILE)
    return report
