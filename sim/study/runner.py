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

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from sim.study.backends import default_workers, run_all
from sim.study.manifest import manifest as make_manifest
from sim.study.manifest import now, write_json
from sim.study.provenance import resume_warning, source_commit
from sim.study.runspec import Outcome, RunSpec, check_labels, check_specs, specs_hash
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


def read_manifest(out_dir: Path) -> dict[str, Any]:
    """The folder's manifest, or an empty dict when there is none."""
    path = Path(out_dir) / MANIFEST
    return json.loads(path.read_text()) if path.is_file() else {}


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
            flush_seconds: float | None = None) -> ExecuteReport:
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

    Returns:
        An :class:`ExecuteReport`; failed runs are recorded, never raised.

    Raises:
        StoreMismatchError: ``out_dir`` holds results of different specs (use fresh).
        ResultsInUseError: another sweep is writing to ``out_dir``.
    """
    specs = list(specs)
    check_specs(specs)
    flush_seconds = FLUSH_SECONDS if flush_seconds is None else flush_seconds
    out_dir = Path(out_dir)
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
        meta = _start_manifest(out_dir, digest, specs, backend, scheduler, workers, manifest)
        status = "interrupted"
        # In a log file (CI, nohup) a line every 15 s, not ten a second.
        bar = tqdm(total=len(specs), initial=report.skipped, unit="run", disable=not progress,
                   dynamic_ncols=True, desc=out_dir.name or "sweep", smoothing=0.05,
                   mininterval=0.1 if sys.stderr.isatty() else 15.0)
        buffer: list[Outcome] = []
        last_flush = time.monotonic()
        try:
            for outcome in run_all(todo, backend, scheduler, workers):
                check_labels(outcome)
                buffer.append(outcome)
                if outcome.ok:
                    report.ran += 1
                else:
                    report.failed += 1
                    report.failures.append((outcome.run_id, outcome.seed, outcome.error or ""))
                bar.update(1)
                if report.failed:
                    bar.set_postfix(failed=report.failed, refresh=False)
                if len(buffer) >= FLUSH_RUNS or time.monotonic() - last_flush >= flush_seconds:
                    report.written += store.write(buffer)
                    buffer, last_flush = [], time.monotonic()
            report.written += store.write(buffer)
            buffer = []
            report.written += store.write_summary_file()
            status = "complete" if not report.failed else "finished with failures"
        finally:
            # Also on Ctrl-C or an error: whatever finished is kept.
            report.written += store.write(buffer)
            bar.close()
            report.seconds = time.perf_counter() - t0
            _end_manifest(out_dir, meta, report, status)
            report.written.append(out_dir / MANIFEST)
    return report


def _start_manifest(out_dir: Path, digest: str, specs: list[RunSpec], backend: str,
                    scheduler: str | None, workers: int | None,
                    extra: dict | None) -> dict[str, Any]:
    """Write the manifest before any run, keeping the history of earlier sessions."""
    old = read_manifest(out_dir) if has_results(out_dir) else {}
    meta = make_manifest(**(extra or {}))
    meta.update(
        spec_hash=digest, runs=len(specs), started=old.get("started", now()),
        finished=None, status="running", sessions=old.get("sessions", []),
        seeds={"first": specs[0].seed if specs else None,
               "distinct": len({s.seed for s in specs})},
    )
    meta["sessions"].append({"started": now(), "tis_sim": meta["tis_sim"]["version"],
                             "source_commit": source_commit(meta["tis_sim"]),
                             "backend": backend, "scheduler": scheduler,
                             "workers": workers or (default_workers()
                                                    if backend != "serial" else 1)})
    write_json(out_dir / MANIFEST, meta)
    return meta


def _end_manifest(out_dir: Path, meta: dict[str, Any], report: ExecuteReport,
                  status: str) -> None:
    done = len(done_ids(out_dir))
    meta["sessions"][-1].update(finished=now(), ran=report.ran, failed=report.failed,
                                skipped=report.skipped, seconds=round(report.seconds, 3),
                                status=status)
    meta.update(finished=now(), done=done, failed=len(load_failures(out_dir)),
                status="complete" if done == report.total else status)
    write_json(out_dir / MANIFEST, meta)
