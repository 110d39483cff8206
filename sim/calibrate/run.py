"""Run a calibration: ABC-SMC generation by generation, resumable, then its outputs.

Every generation is one ``ABCSMC.run(max_nr_populations=1)`` on pyABC's SQLite history
(``results/<name>/abc.db``), opened afresh each time: a generation either is stored
completely or not at all, so after a kill (even SIGKILL) the same command continues from
the last stored generation along exactly the code path an uninterrupted run takes, and
with :class:`~sim.calibrate.sampler.BatchSampler` it makes the very generations the
uninterrupted run would have made. Raising ``generations`` in the file and rerunning
continues a finished calibration.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibrate.particle import Plan, evaluate, model_params, scaled_distances
from sim.calibrate.spec import Calibration, parse_calibration
from sim.errors import UserError, require_extra
from sim.files import read_json
from sim.params import resolve
from sim.rng import child_seeds, stream
from sim.study.manifest import atomic_write, manifest, now, write_json
from sim.study.posterior import POSTERIOR_FILE, Posterior, load_posterior, write_posterior
from sim.study.provenance import describe, resume_warning
from sim.study.storage import ResultStore

DB = "abc.db"
PREDICTIVE = "predictive.parquet"
PRIOR = "prior.parquet"
GENERATIONS = "generations.csv"
MANIFEST = "manifest.json"
EXTRA = "calibrate"


class CalibrationStateError(UserError):
    """The output folder holds a calibration of a different file (use --fresh)."""


def require_pyabc() -> None:
    """Raise a one-line error naming the ``calibrate`` extra when pyABC is missing."""
    require_extra(EXTRA, "tis-sim calibrate", "pyabc")


def digest(cal: Calibration) -> str:
    """Hash of everything that decides the generations (not their number, not the report)."""
    keep = {"preset": cal.preset, "fixed": cal.fixed, "priors": [asdict(d) for d in cal.priors],
            "patterns": [asdict(p) for p in cal.patterns], "arms": cal.arms,
            "days": cal.days, "replicates": cal.replicates, "seed": cal.seed,
            "population": cal.population, "quantile": cal.quantile}
    text = json.dumps(keep, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def default_out(cal: Calibration) -> Path:
    """``results/<calibration name>``."""
    return Path("results") / cal.name


@dataclass
class CalibrationRun:
    """What :func:`run_calibration` did and made.

    Attributes:
        out_dir: the output folder.
        generations: generations stored (all sessions).
        stopped: why the ABC stopped ("generations", "min_epsilon").
        seconds: wall time of this session.
        posterior: the final generation as a posterior ensemble.
        predictive: posterior predictive runs (one row per draw), or None.
    """

    out_dir: Path
    generations: int
    stopped: str
    seconds: float
    posterior: Posterior
    predictive: pd.DataFrame | None


def _log(message: str, progress: bool) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def stored_generations(db: Path) -> int:
    """Completed generations in a pyABC database (0 if absent or unreadable)."""
    if not db.is_file():
        return 0
    from pyabc import History

    try:
        history = History(f"sqlite:///{db}", _id=1, create=False)
        return int(history.n_populations)
    except Exception:  # no run stored yet (killed while creating it), or not a database
        return 0


def _abc(cal: Calibration, sampler: Any) -> Any:
    import pyabc

    from sim.calibrate.abc import PatternDistance, PatternModel, ResumableQuantileEpsilon, prior

    plan = Plan.of(cal)
    return pyabc.ABCSMC(PatternModel(plan), prior(cal.priors), PatternDistance(plan),
                        population_size=cal.population, sampler=sampler,
                        eps=ResumableQuantileEpsilon(cal.quantile))


def generations_table(db: Path, cpu: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per stored generation: epsilon, evaluations, acceptance, ESS, seconds.

    ``cpu`` maps generation numbers (as text) to the CPU seconds of their evaluations
    (``cpu_seconds``; NaN where not recorded).
    """
    from pyabc import History

    history = History(f"sqlite:///{db}", _id=1, create=False)
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    ess = []
    for t in pops["t"]:
        _, w = history.get_distribution(m=0, t=int(t))
        ess.append(1.0 / float(np.sum(np.asarray(w) ** 2)))
    return pd.DataFrame({
        "generation": pops["t"].astype(int) + 1, "epsilon": pops["epsilon"],
        "particles": pops["particles"].astype(int), "evaluations": pops["samples"].astype(int),
        "acceptance": pops["particles"] / pops["samples"], "ess": ess,
        "seconds": pops["wall_time"],
        "cpu_seconds": [(cpu or {}).get(str(int(t) + 1), np.nan) for t in pops["t"]]})


def run_abc(cal: Calibration, db: Path, sampler: Any, progress: bool,
            on_generation: Any = None) -> str:
    """Run (or continue) the ABC-SMC generations; returns why it stopped.

    ``on_generation(generation, cpu_seconds)`` is called after each stored generation with
    the CPU time its particle evaluations took (wherever they ran).
    """
    logging.getLogger("ABC").setLevel(logging.WARNING)  # our own progress lines instead
    url = f"sqlite:///{db}"
    runs_per_eval = cal.replicates * (1 + len({p.arm for p in cal.patterns if p.arm}))
    while True:
        done = stored_generations(db)
        if done >= cal.generations:
            return "generations"
        if done:
            table = generations_table(db)
            if table["epsilon"].iloc[-1] <= cal.min_epsilon:
                return "min_epsilon"
        abc = _abc(cal, sampler)
        if done:
            abc.load(url, 1)
        else:
            db.unlink(missing_ok=True)  # a run killed before its first generation
            abc.new(url, {}, meta_info={"calibration": cal.name})
        start, cpu = time.perf_counter(), sampler.cpu_seconds
        abc.run(max_nr_populations=1)
        row = generations_table(db).iloc[-1]
        if on_generation is not None:
            on_generation(int(row["generation"]), sampler.cpu_seconds - cpu)
        _log(f"generation {int(row['generation'])}/{cal.generations}: epsilon "
             f"{row['epsilon']:.4g}, accepted {int(row['particles'])} of "
             f"{int(row['evaluations'])} parameter sets ({row['acceptance']:.1%}; "
             f"{int(row['evaluations']) * runs_per_eval} runs), ESS {row['ess']:.0f}, "
             f"{time.perf_counter() - start:.0f} s", progress)


def export_posterior(cal: Calibration, db: Path) -> Posterior:
    """The last generation as a posterior ensemble (parameters as the model used them)."""
    from pyabc import History

    plan = Plan.of(cal)
    history = History(f"sqlite:///{db}", _id=1, create=False)
    t = int(history.max_t)
    rows, extra = [], []
    for particle in history.get_population(t=t).particles:
        rows.append(model_params(plan, dict(particle.parameter)))
        d = scaled_distances(cal.patterns, {k: float(np.asarray(v)) for k, v in
                                            particle.sum_stat.items()})
        extra.append({**{f"distance_{p.name}": x for p, x in zip(cal.patterns, d, strict=True)},
                      "meta_distance": particle.distance, "meta_generation": t + 1,
                      "weight": particle.weight})
    params, extra = pd.DataFrame(rows), pd.DataFrame(extra)
    w = extra.pop("weight").to_numpy(float)
    return Posterior(params=params, weights=w / w.sum(), extra=extra)


def export_prior(cal: Calibration, db: Path) -> pd.DataFrame:
    """The first generation: a sample of the prior with its pattern values.

    Generation 1 accepts every particle (epsilon = infinity), so its runs are the prior
    predictive distribution.
    """
    from pyabc import History

    plan = Plan.of(cal)
    rows = []
    for particle in History(f"sqlite:///{db}", _id=1, create=False).get_population(t=0).particles:
        values = {f"value_{k}": float(np.asarray(v)) for k, v in particle.sum_stat.items()}
        rows.append({**model_params(plan, dict(particle.parameter)), **values})
    return pd.DataFrame(rows)


def _predict(task: tuple[Plan, dict[str, Any], int]) -> tuple[dict[str, float], float]:
    plan, theta, seed = task
    cpu = time.process_time()
    return evaluate(plan, theta, seed), time.process_time() - cpu


def run_predictive(cal: Calibration, posterior: Posterior, executor: Any) -> pd.DataFrame:
    """Posterior predictive runs: ``cal.predictive`` weighted draws, fresh seeds."""
    k = cal.predictive
    base = stream(cal.seed, "predictive")
    draws = posterior.sample(k, seed=int(base.integers(2**62)))
    seeds = child_seeds(int(base.integers(2**62)), k)
    plan = Plan.of(cal)
    values = executor.map(_predict, [(plan, d, s) for d, s in zip(draws, seeds, strict=True)])
    table = pd.DataFrame(draws)
    for p in cal.patterns:
        table[f"value_{p.name}"] = [v[p.name] for v, _ in values]
    table["seed"] = seeds
    table["cpu_seconds"] = [c for _, c in values]
    return table


def clear(out_dir: Path) -> None:
    """Remove an earlier calibration's files (``--fresh``)."""
    for name in (DB, POSTERIOR_FILE, PREDICTIVE, PRIOR, GENERATIONS, "report.md", MANIFEST):
        (out_dir / name).unlink(missing_ok=True)
    shutil.rmtree(out_dir / "figures", ignore_errors=True)


def _check_resumable(cal: Calibration, out_dir: Path, key: str) -> dict[str, Any]:
    path = out_dir / MANIFEST
    old = read_json(path, "results manifest") if path.is_file() else {}
    if stored_generations(out_dir / DB):
        if old.get("digest") != key:
            raise CalibrationStateError(
                f"{out_dir} holds a calibration of a different file (priors, patterns, fixed "
                "parameters, seed, population, replicates or horizon changed); rerun with "
                "--fresh to discard it, or choose another folder with --out")
        note = resume_warning(old)  # same file, maybe other code: say so
        if note:
            print(f"warning: {out_dir} {note}", file=sys.stderr)
    return old


def run_calibration(cal: Calibration, out_dir: Path, *, backend: str = "local",
                    scheduler: str | None = None, workers: int | None = None,
                    fresh: bool = False, progress: bool = True) -> CalibrationRun:
    """Run or continue ``cal`` into ``out_dir`` and write posterior, predictive, manifest.

    Raises:
        CalibrationStateError: the folder holds a calibration of a different file.
        ResultsInUseError: another process is calibrating into the folder.
    """
    require_pyabc()
    from sim.calibrate.sampler import BatchSampler, Executor

    executor = Executor(backend, scheduler, workers)  # checks the options; starts lazily
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    key, start = digest(cal), time.perf_counter()
    with ResultStore(out_dir):  # the folder's lock: one writer at a time
        if fresh:
            clear(out_dir)
        old = _check_resumable(cal, out_dir, key)
        meta = manifest(kind="calibration", calibration=cal.name, description=cal.description,
                        calibration_file=str(cal.path), calibration_text=cal.text,
                        digest=key, base_parameters=resolve(cal.preset, **cal.fixed),
                        master_seed=cal.seed, started=old.get("started", now()),
                        sessions=old.get("sessions", []), status="running",
                        predictive_done=old.get("predictive_done"),
                        generation_cpu=old.get("generation_cpu", {}))
        meta["versions"]["pyabc"] = _version("pyabc")
        meta["sessions"].append({"started": now(), "tis_sim": describe(meta["tis_sim"]),
                                 "backend": backend, "scheduler": scheduler,
                                 "workers": workers})
        write_json(out_dir / MANIFEST, meta)
        status = "interrupted"

        def stored(generation: int, cpu: float) -> None:  # a killed session keeps its record
            meta["generation_cpu"][str(generation)] = round(cpu, 2)
            meta["sessions"][-1]["seconds"] = round(time.perf_counter() - start, 1)
            write_json(out_dir / MANIFEST, meta)

        try:
            stopped = run_abc(cal, out_dir / DB, BatchSampler(executor, cal.seed), progress,
                              stored)
            table = generations_table(out_dir / DB, meta["generation_cpu"])
            atomic_write(out_dir / GENERATIONS, lambda p: table.to_csv(p, index=False))
            posterior = export_posterior(cal, out_dir / DB)
            write_posterior(posterior, out_dir / POSTERIOR_FILE)
            posterior = load_posterior(out_dir / POSTERIOR_FILE)
            prior = export_prior(cal, out_dir / DB)
            atomic_write(out_dir / PRIOR, lambda p: prior.to_parquet(p, index=False))
            predictive = _predictive(cal, out_dir, posterior, executor, meta, progress)
            status = "complete"
        finally:
            executor.close()
            seconds = time.perf_counter() - start
            meta["sessions"][-1].update(finished=now(), seconds=round(seconds, 1),
                                        status=status)
            meta.update(finished=now(), status=status)
            write_json(out_dir / MANIFEST, meta)
    return CalibrationRun(out_dir, len(table), stopped, seconds, posterior, predictive)


def _predictive(cal: Calibration, out_dir: Path, posterior: Posterior, executor: Any,
                meta: dict, progress: bool) -> pd.DataFrame | None:
    """The posterior predictive table, reused when the posterior has not changed."""
    path = out_dir / PREDICTIVE
    key = hashlib.sha256(pd.util.hash_pandas_object(posterior.params).values.tobytes()
                         + posterior.weights.tobytes()
                         + str(cal.predictive).encode()).hexdigest()
    meta["predictive_digest"] = key
    if cal.predictive == 0:
        path.unlink(missing_ok=True)
        return None
    if path.is_file() and meta.get("predictive_done") == key:
        return pd.read_parquet(path)
    _log(f"posterior predictive: {cal.predictive} parameter sets drawn from the posterior, "
         "fresh seeds", progress)
    table = run_predictive(cal, posterior, executor)
    atomic_write(path, lambda p: table.to_parquet(p, index=False))
    meta["predictive_done"] = key
    return table


def stored_calibration(out_dir: Path) -> Calibration:
    """The calibration a folder was made from (its file text as kept in the manifest)."""
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        raise UserError(f"{out_dir} is not a calibration folder (no {MANIFEST})")
    meta = read_json(path, "results manifest")
    if meta.get("kind") != "calibration":
        raise UserError(f"{out_dir} is not a calibration folder (its manifest is for a "
                        f"{meta.get('kind', 'different')} run)")
    return parse_calibration(meta["calibration_text"], Path(meta["calibration_file"]))


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
