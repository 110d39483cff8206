"""Run (or resume) a what-if study and write its report."""

from __future__ import annotations

from pathlib import Path

from sim.errors import UserError
from sim.network import district_used
from sim.policies import full_params
from sim.study.backends import DEFAULT_WORKER_TIMEOUT
from sim.study.runner import ExecuteReport, execute, load_daily, load_summaries
from sim.whatif.analysis import Analysis, analyse
from sim.whatif.report import clear_outputs, write_report
from sim.whatif.scenarios import Study


def default_out(study: Study, quick: bool = False) -> Path:
    """The default results folder: ``results/<name>``.

    A quick look (``quick``: replicates, days or worlds overridden) gets
    ``results/<name>-<N>rep-<N>d`` (``-<K>w`` added with parameter worlds), so it never
    blocks resuming the study as written (a folder refuses different runs).
    """
    worlds = f"-{study.n_worlds}w" if quick and study.uncertainty else ""
    suffix = f"-{study.replicates}rep-{study.days}d{worlds}" if quick else ""
    return Path("results") / f"{study.name}{suffix}"


def run_study(study: Study, out_dir: Path | str | None = None, *, backend: str = "local",
              scheduler: str | None = None, workers: int | None = None, fresh: bool = False,
              progress: bool = True, worker_timeout: float = DEFAULT_WORKER_TIMEOUT,
              figure_format: str = "png", batch_size: int | None = None
              ) -> tuple[ExecuteReport, Analysis, list[Path]]:
    """Run (or resume) every scenario x replicate, then write the report.

    Args:
        study: the parsed scenario file.
        out_dir: results folder (default ``results/<study name>``); runs go to ``runs/``.
        backend: ``local``, ``serial`` or ``dask`` (see ``sim.study.runner.execute``).
        scheduler: Dask scheduler address, or ``local`` for a LocalCluster.
        workers: worker processes (default: all cores).
        fresh: discard earlier runs of this study first (otherwise finished runs are kept
            and only missing ones run).
        progress: show a progress bar.
        worker_timeout: Dask: stop when no worker has been connected this long (seconds).
        figure_format: png, svg or pdf.
        batch_size: replicates per task (``sim.study.runner.execute``); None chooses.

    Returns:
        The runner's report, the analysis and the paths written.
    """
    out = Path(out_dir) if out_dir is not None else default_out(study)
    runs = out / "runs"
    if fresh:
        clear_outputs(out)
    report = execute(study.specs(), runs, backend=backend, scheduler=scheduler,
                     workers=workers, fresh=fresh, progress=progress,
                     worker_timeout=worker_timeout, batch_size=batch_size,
                     manifest={"kind": "what-if study runs", "study": study.name,
                               "scenario_file": str(study.path),
                               "district": district_used(full_params(study.baseline.params))})
    summaries = load_summaries(runs)
    if summaries.empty:
        raise UserError(f"{runs}: no run finished, so there is nothing to report; "
                        f"{report.failed} run(s) failed (see {runs}/parts/failures)")
    analysis = analyse(study, summaries, load_daily(runs))
    return report, analysis, write_report(analysis, out, figure_format)
