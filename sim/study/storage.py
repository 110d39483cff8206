"""Results of a batch of runs on disk: three Parquet datasets that survive any interruption.

Layout of an output folder::

    manifest.json                       what was run (spec hash, seeds, versions, sessions)
    summary.parquet                     every successful run in one file (by run_id), written
                                        when a session runs to its end
    parts/summary/part-000001.parquet   one row per successful run (the completion record)
    parts/daily/part-000001.parquet     daily rows of the same runs (only when kept)
    parts/failures/part-000001.parquet  runs whose latest attempt failed: seed, error, traceback

Each folder under ``parts/`` is one Parquet dataset: ``pd.read_parquet(folder)``,
``pyarrow.dataset.dataset(folder)`` and R's ``arrow::open_dataset(folder)`` read it as one
table, with exactly the rows :func:`load_summaries`, :func:`load_daily` and
:func:`load_failures` return. Each column has one type in every part (labels are cast to
the type they have across all the runs), and files whose names start with ``.`` (work in
progress) are skipped by all three readers.

Why it cannot be corrupted: every part is written to a temporary name and renamed into
place (a rename is atomic), so a part is either complete or absent. Batch n is written in
this order: its daily rows under the hidden name ``parts/daily/.pending-n``, its failures,
its summary part (the commit: a run counts as done once its summary row exists), then the
daily part is published by a rename. A killed session leaves at most one pending daily
part; the next session publishes it when summary part n exists and deletes it otherwise
(until then the runs of that last batch have no daily rows). A retried run's older failure
record is dropped when the retry's outcome is written, so ``parts/failures/`` holds each
failing run once. A lock file stops two sweeps from writing to one folder at once.

Folders written by tis-sim 0.1 (all kinds side by side in ``parts/``) are still read, and
converted in place before a session writes to them (:mod:`sim.study.layout`).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import UserError
from sim.study.layout import (
    KINDS,
    PARTS,
    SUMMARY_FILE,
    kind_dir,
    part_name,
    pending,
    pending_name,
    upgrade_layout,
)
from sim.study.layout import parts as _parts
from sim.study.manifest import atomic_write
from sim.study.runspec import Outcome

try:  # POSIX advisory locks; released by the kernel even when the process is killed
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, documented
    fcntl = None  # type: ignore[assignment]

MANIFEST = "manifest.json"
FAILURE_COLUMNS = ("error", "traceback")


class ResultsInUseError(UserError):
    """Another process holds the folder's lock (a sweep is already writing there)."""


class StoreMismatchError(UserError):
    """The folder holds results of different run specs (the experiment changed)."""


def _read(paths: Iterable[Path], columns: list[str] | None = None) -> pd.DataFrame:
    frames = [pd.read_parquet(p, columns=columns) for p in paths]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def load_summaries(out_dir: Path) -> pd.DataFrame:
    """One row per successful run: run_id, seed, label columns, summary keys (by run_id)."""
    df = _read(_parts(out_dir, "summary").values())
    if df.empty:
        return pd.DataFrame({"run_id": pd.Series(dtype=str), "seed": pd.Series(dtype="int64")})
    return df.sort_values("run_id", kind="stable").reset_index(drop=True)


def load_daily(out_dir: Path) -> pd.DataFrame:
    """run_id, label columns, day and the daily measures (runs that kept daily rows)."""
    done = _parts(out_dir, "summary")
    # A daily part counts only once the summary part of its batch exists (see module doc).
    paths = [p for n, p in _parts(out_dir, "daily").items() if n in done]
    df = _read(paths)
    if df.empty:
        return pd.DataFrame({"run_id": pd.Series(dtype=str), "day": pd.Series(dtype="int64")})
    return df.sort_values(["run_id", "day"], kind="stable").reset_index(drop=True)


def load_failures(out_dir: Path) -> pd.DataFrame:
    """Runs whose latest attempt failed and that never succeeded: run_id, seed, labels, error.

    A resumed sweep retries failed runs, so older failure records of a run that later
    succeeded (or failed again) are superseded.
    """
    df = _read(_parts(out_dir, "failures").values())
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in ("run_id", *FAILURE_COLUMNS)})
    done = set(done_ids(out_dir))
    df = df[~df["run_id"].isin(done)].drop_duplicates("run_id", keep="last")
    return df.sort_values("run_id", kind="stable").reset_index(drop=True)


def done_ids(out_dir: Path) -> set[str]:
    """Run ids with a summary row (reads only that column)."""
    ids: set[str] = set()
    for path in _parts(out_dir, "summary").values():
        ids.update(pq.read_table(path, columns=["run_id"]).column("run_id").to_pylist())
    return ids


def has_results(out_dir: Path) -> bool:
    """True when the folder holds any complete part."""
    return any(_parts(out_dir, kind) for kind in KINDS)


def label_types(labels: Iterable[Mapping[str, Any]]) -> dict[str, pa.DataType]:
    """The Parquet type of each label column, from the labels of all runs of a folder.

    A batch holds only some runs, and the types inferred from it alone can differ from
    batch to batch (``1`` and ``2.5`` in one column; a label that is ``None`` in every run
    of a batch); the whole folder's labels decide one type per column instead.
    """
    frame = pd.DataFrame.from_records(list(labels))
    if frame.empty:
        return {}
    return {f.name: f.type for f in pa.Table.from_pandas(frame, preserve_index=False).schema}


def _table(frame: pd.DataFrame, types: Mapping[str, pa.DataType]) -> pa.Table:
    """An Arrow table with the folder's label types, without pandas metadata.

    Without pandas' schema metadata every part has the same schema however its columns
    were cast, and pandas, pyarrow and R all read the plain Arrow types alike.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    for i, name in enumerate(table.column_names):
        if name in types and table.schema.field(i).type != types[name]:
            table = table.set_column(i, name, table.column(i).cast(types[name]))
    return table


def _row_head(o: Outcome) -> dict[str, Any]:
    return {"run_id": o.run_id, "seed": int(o.seed), **o.labels}


class ResultStore:
    """Writer side of an output folder; use as a context manager (takes the lock).

    Args:
        out_dir: the results folder (created).
        labels: the labels of every run the session may write (see :func:`label_types`).
    """

    def __init__(self, out_dir: Path, labels: Iterable[Mapping[str, Any]] = ()) -> None:
        self.out_dir = Path(out_dir)
        self.parts_dir = self.out_dir / PARTS
        self._types = label_types(labels)
        self._lock_fd: int | None = None
        self._next = 1
        self._failed: set[str] = set()  # run ids with a record in parts/failures/

    def __enter__(self) -> ResultStore:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.out_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                raise ResultsInUseError(
                    f"{self.out_dir}: another sweep is writing to this folder; wait for it "
                    "to finish or use a different --out") from exc
        self._lock_fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    def clear(self) -> None:
        """Remove earlier parts, summary file and manifest (``--fresh``), safely.

        The parts folder is first renamed out of the way (atomic), then deleted, so an
        interrupted clean-up can never leave some old parts looking like new results.
        """
        (self.out_dir / SUMMARY_FILE).unlink(missing_ok=True)
        if self.parts_dir.exists():
            trash = self.out_dir / f".trash-{uuid.uuid4().hex}"
            os.replace(self.parts_dir, trash)
            shutil.rmtree(trash)
        (self.out_dir / MANIFEST).unlink(missing_ok=True)
        self.tidy()

    def tidy(self) -> None:
        """Make the folder ready for a new session (see the module doc).

        Deletes leftovers of an interrupted session (trash, temporary files), converts a
        0.1 folder, publishes or deletes pending daily parts, drops superseded failure
        records, and removes ``summary.parquet`` (it is rewritten when this session runs
        to its end, so it never lags behind the parts).
        """
        for path in self.out_dir.glob(".trash-*"):
            shutil.rmtree(path, ignore_errors=True)
        (self.out_dir / SUMMARY_FILE).unlink(missing_ok=True)
        if not self.parts_dir.is_dir():
            return
        upgrade_layout(self.out_dir)
        for folder in (self.parts_dir, *(kind_dir(self.out_dir, k) for k in KINDS)):
            for path in folder.glob(".*.tmp"):
                path.unlink(missing_ok=True)
        summaries = _parts(self.out_dir, "summary")
        for n, path in pending(self.out_dir).items():
            if n in summaries:
                path.replace(path.with_name(part_name(n)))
            else:
                path.unlink(missing_ok=True)
        numbers = [n for kind in KINDS for n in _parts(self.out_dir, kind)]
        self._next = max([*numbers, *pending(self.out_dir)], default=0) + 1
        records = _read(_parts(self.out_dir, "failures").values(), columns=["run_id"])
        self._failed = set(records.get("run_id", ()))
        if len(records) != len(load_failures(self.out_dir)):  # superseded or duplicated
            self._compact_failures()

    def write(self, outcomes: Sequence[Outcome]) -> list[Path]:
        """Write one batch of outcomes; the summary part commits it (see the module doc).

        Returns:
            The paths written.
        """
        if not outcomes:
            return []
        n, self._next = self._next, self._next + 1
        ok = [o for o in outcomes if o.ok]
        bad = [o for o in outcomes if not o.ok]
        written: list[Path] = []
        staged = None
        daily = [o.daily.assign(**_row_head(o)) for o in ok if o.daily is not None]
        if daily:
            table = pd.concat(daily, ignore_index=True)
            head = list(_row_head(ok[0]))
            table = table[[*(c for c in head if c in table), *(c for c in table
                                                               if c not in head)]]
            table = table.drop(columns=["seed"])
            staged = self._put(kind_dir(self.out_dir, "daily") / pending_name(n), table)
        if bad:
            rows = [{**_row_head(o), "error": o.error, "traceback": o.traceback} for o in bad]
            written.append(self._put(kind_dir(self.out_dir, "failures") / part_name(n),
                                     pd.DataFrame.from_records(rows)))
        if ok:
            rows = [{**_row_head(o), **(o.summary or {})} for o in ok]
            written.append(self._put(kind_dir(self.out_dir, "summary") / part_name(n),
                                     pd.DataFrame.from_records(rows)))
        if staged is not None:
            published = staged.with_name(part_name(n))
            staged.replace(published)  # after the commit: never a daily row of an undone run
            written.append(published)
        retried = self._failed & {o.run_id for o in outcomes}
        self._failed |= {o.run_id for o in bad}
        if retried:
            written += self._compact_failures()
        return written

    def write_summary_file(self) -> list[Path]:
        """Write ``summary.parquet``: every successful run, sorted by run_id (if any)."""
        df = load_summaries(self.out_dir)
        if df.empty:
            return []
        return [self._put(self.out_dir / SUMMARY_FILE, df)]

    def _compact_failures(self) -> list[Path]:
        """Rewrite ``parts/failures/`` to hold each failing run once (its latest attempt).

        The new part is written before the old ones are deleted: killed in between, the
        folder holds duplicates, which :func:`load_failures` drops and the next session
        compacts again; no record is ever lost.
        """
        old = list(_parts(self.out_dir, "failures").values())
        current = load_failures(self.out_dir)
        written = []
        if len(current):
            n, self._next = self._next, self._next + 1
            written.append(self._put(kind_dir(self.out_dir, "failures") / part_name(n),
                                     current))
        for path in old:
            path.unlink(missing_ok=True)
        self._failed = set(current["run_id"])
        return written

    def _put(self, path: Path, frame: pd.DataFrame) -> Path:
        table = _table(frame, self._types)

        def write(tmp: Path) -> None:
            pq.write_table(table, tmp)
            # Data on disk before the rename: after a power loss a part is whole or absent.
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())

        atomic_write(path, write)
        return path
