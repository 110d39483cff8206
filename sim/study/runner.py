"""Run many simulations reproducibly, resumably and in parallel: the sweep runner.

The contract shared by sweeps, sensitivity analysis and policy what-if studies::

    report = execute(specs, out_dir, backend="local")
    summaries = load_summaries(out_dir)

Reproducibility: every :class:`RunSpec` carries its own seed, drawn in the parent process
before any work is sent out, and a run depends on nothing else; so serial, the local pool
and Dask give identical results for the same specs, whatever the order runs finish in.

Resumability: results are written while the sweep runs (see :mod:`sim.study.storage` for
the folder's layout: one Parquet dataset per kind of result under ``parts/``, and
``summary.parquet`` once a session has run to its end);
running the same specs into the same folder again skips finished runs and retries failed
ones. Different specs in a folder that already holds results are refused, so results
from different experiments are never mixed; ``fresh=True`` starts over.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from sim.errors import RunFailedError, UserError
from sim.study import sessions
from sim.study.backends import DEFAULT_WORKER_TIMEOUT, default_workers, run_all
from sim.study.batching import make_batches
from sim.study.paths import check_out_dir
from sim.study.provenance import resume_warning
from sim.study.runspec import Outcome, RunSpec, check_labels, check_specs, specs_hash
from sim.study.sessions import read_manifest
from sim.study.storage import (
    MANIFEST,
    ResultStore,
    StoreMismatchError,
    done_ids,
    has_results,
    load_daily,
    load_failures,
    load_summaries,
)

__all__ = ["ExecuteReport", "RunSpec", "execute", "load_daily", "load_failures",
           "load_summaries", "read_manifest"]

#: A batch of finished runs is written at least this often (seconds) and at this size, so a
#: killed sweep loses at most a few seconds of work.
FLUSH_SECONDS = 5.0
FLUSH_RUNS = 200


@dataclass
class ExecuteReport:
    """What one call of :func:`execute` did.

    Attributes:
        total: runs in the experiment.
        skipped: runs already done in an earlier session (not run again).
        ran: runs that finished successfully in this session.
        failed: runs that raised in this session.
        failures: ``(run_id, seed, error text)`` of each failed run.
        written: paths written in this session (parts and manifest).
        seconds: wall time of this session.
        out_dir: the output folder.
    """

    total: int
    skipped: int = 0
    ran: int = 0
    failed: int = 0
    failures: list[tuple[str, int, str]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    out_dir: Path = Path()

    @property
    def complete(self) -> bool:
        """True when every run of the experiment has a result."""
        return self.skipped + self.ran == self.total


def _check_resumable(out_dir: Path, digest: str) -> None:
    if not has_results(out_dir):
        return
    old = read_manifest(out_dir)
    if old.get("spec_hash") != digest:
        raise StoreMismatchError(
            f"{out_dir} holds results of different runs (the experiment file or its "
            "parameters, seeds, horizon or replicates changed); rerun with --fresh to "
            "discard them, or choose another folder with --out")
    # Same runs, maybe another tis-sim (version or source commit): say so, not an error
    # (a docs-only commit is harmless). The user's own repository plays no part.
    note = resume_warning(old)
    if note:
        print(f"warning: {out_dir} {note}", file=sys.stderr)


def execute(specs: Sequence[RunSpec], out_dir: Path, *, backend: str = "local",
            scheduler: str | None = None, workers: int | None = None, fresh: bool = False,
            manifest: dict | None = None, progress: bool = True,
            flush_seconds: float | None = None,
            worker_timeout: float = DEFAULT_WORKER_TIMEOUT,
            batch_size: int | None = None) -> ExecuteReport:
    """Run every spec not yet done in ``out_dir`` and write results as runs finish.

    Args:
        specs: the experiment's runs (unique run ids; seeds already drawn).
        out_dir: output folder (created); results go to ``out_dir/parts/summary``,
            ``parts/daily`` and ``parts/failures``, and ``out_dir/summary.parquet`` when
            every remaining run has been tried (not after an interruption).
        backend: ``local`` (process pool over all cores), ``serial`` or ``dask``.
        scheduler: Dask scheduler address, or ``local`` for a LocalCluster.
        workers: worker processes (local pool, Dask LocalCluster); default all cores.
        fresh: discard earlier results in ``out_dir`` first.
        manifest: extra fields for ``manifest.json`` (experiment text, parameters, ...).
        progress: show a tqdm progress bar on stderr.
        flush_seconds: write finished runs at least this often (default
            :data:`FLUSH_SECONDS`).
        worker_timeout: Dask: stop when no worker has been connected this long (seconds).
        batch_size: runs of one cell per task, run as one array program (``sim.batch``;
            each run's result is identical to the run alone); None chooses it, 1 runs
            every run alone.

    Returns:
        An :class:`ExecuteReport`; failed runs are recorded, never raised.

    Raises:
        StoreMismatchError: ``out_dir`` holds results of different specs (use fresh).
        ResultsInUseError: another sweep is writing to ``out_dir``.
        OutputPathError: ``out_dir`` is a file or cannot be written.
        RunFailedError: the session could not go on (no space left, Dask workers lost); what
            finished is written and the manifest records the session as ``failed``.
        KeyboardInterrupt: Ctrl-C; what finished is written (session ``interrupted``).
    """
    specs = list(specs)
    check_specs(specs)
    flush_seconds = FLUSH_SECONDS if flush_seconds is None else flush_seconds
    out_dir = check_out_dir(out_dir, "results folder")
    digest = specs_hash(specs)
    report = ExecuteReport(total=len(specs), out_dir=out_dir)
    t0 = time.perf_counter()
    with ResultStore(out_dir, labels=(s.labels for s in specs)) as store:
        if fresh:
            store.clear()
        _check_resumable(out_dir, digest)
        store.tidy()
        done = done_ids(out_dir)
        todo = [s for s in specs if s.run_id not in done]
        report.skipped = len(specs) - len(todo)
        # The batches run_all will make (sim.study.batching), recorded with the session.
        batches = make_batches(todo, batch_size, workers or default_workers())
        meta = sessions.start(out_dir, digest, specs, {
            "backend": backend, "scheduler": scheduler,
            "workers": workers or (default_workers() if backend != "serial" else 1),
            "batch_size": batch_size or "auto", "batches": len(batches),
            "largest_batch": max((len(b) for b in batches), default=0)},
            manifest)
        _run_session(store, meta, todo, report, progress=progress, flush_seconds=flush_seconds,
                     backend=(backend, scheduler, workers, worker_timeout, batch_size))
        report.seconds = time.perf_counter() - t0
    return report


def _run_session(store: ResultStore, meta: dict[str, Any], todo: list[RunSpec],
                 report: ExecuteReport, *, progress: bool, flush_seconds: float,
                 backend: tuple) -> None:
    """Run ``todo``, writing batches as they finish; always close the session's record.

    The record ends completed, interrupted or failed; the first error is kept.
    """
    out_dir = store.out_dir
    # In a log file (CI, nohup) a line every 15 s, not ten a second.
    bar = tqdm(total=report.total, initial=report.skipped, unit="run", disable=not progress,
               dynamic_ncols=True, desc=out_dir.name or "sweep", smoothing=0.05,
               mininterval=0.1 if sys.stderr.isatty() else 15.0)
    postfix: dict[str, Any] = {}

    def status(update: dict[str, Any]) -> None:
        postfix.update(update)
        bar.set_postfix(postfix, refresh=False)

    name, scheduler, workers, timeout, batch_size = backend
    buffer: list[Outcome] = []
    last_flush = time.monotonic()
    state, error, t0 = "interrupted", None, time.perf_counter()
    try:
        outcomes = run_all(todo, name, scheduler, workers, worker_timeout=timeout,
                           on_status=status, batch_size=batch_size)
        with contextlib.closing(outcomes):  # a Dask client is closed even on Ctrl-C
            for outcome in outcomes:
                check_labels(outcome)
                buffer.append(outcome)
                if outcome.ok:
                    report.ran += 1
                else:
                    report.failed += 1
                    report.failures.append((outcome.run_id, outcome.seed, outcome.error or ""))
                    status({"failed": report.failed})
                bar.update(1)
                if len(buffer) >= FLUSH_RUNS or time.monotonic() - last_flush >= flush_seconds:
                    report.written += store.write(buffer)
                    buffer, last_flush = [], time.monotonic()
                    sessions.progress(out_dir, meta, report.ran, report.failed)
            report.written += store.write(buffer)
            buffer = []
            report.written += store.write_summary_file()
        state = "completed"
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        state, error = "failed", str(exc) if isinstance(exc, UserError | RunFailedError) \
            else f"{type(exc).__name__}: {exc}"
        raise
    finally:
        # Also on Ctrl-C or an error: whatever finished is kept, and the session is closed.
        bar.close()
        clean, late = state == "completed", None
        try:
            report.written += store.write(buffer)
        except (RunFailedError, UserError) as exc:  # e.g. the disk filled up meanwhile
            late = exc
            if clean:
                state, error = "failed", str(exc)
        try:
            sessions.finish(out_dir, meta, state=state, error=error, ran=report.ran,
                            failed=report.failed, skipped=report.skipped,
                            seconds=time.perf_counter() - t0, total=report.total)
            report.written.append(out_dir / MANIFEST)
        except (RunFailedError, UserError) as exc:
            late = late or exc
        if clean and late is not None:
            raise late  # only when nothing else is on its way out
