"""Results of a sweep on disk: append-only Parquet parts that survive any interruption.

Layout of an output folder::

    manifest.json                 what was run (spec hash, seeds, versions, times, sessions)
    parts/summary-000001.parquet  one row per successful run (the completion record)
    parts/daily-000001.parquet    daily rows of the same runs (only when kept)
    parts/failures-000001.parquet runs that raised: run id, seed, error, traceback

Why it cannot be corrupted: every part is written to a temporary name and renamed into
place (a rename is atomic), so a part is either complete or absent. Within one batch the
daily part is written *before* the summary part with the same number, and a run counts as
done only once its summary row exists; a daily part without its summary part (killed in
between) is ignored by the loaders and deleted on resume. A lock file stops two sweeps from
writing to one folder at once.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from sim.errors import UserError
from sim.study.manifest import atomic_write
from sim.study.runspec import Outcome

try:  # POSIX advisory locks; released by the kernel even when the process is killed
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, documented
    fcntl = None  # type: ignore[assignment]

PARTS = "parts"
MANIFEST = "manifest.json"
KINDS = ("summary", "daily", "failures")
_PART = re.compile(r"^(summary|daily|failures)-(\d{6,})\.parquet$")
FAILURE_COLUMNS = ("error", "traceback")


class ResultsInUseError(UserError):
    """Another process holds the folder's lock (a sweep is already writing there)."""


class StoreMismatchError(UserError):
    """The folder holds results of different run specs (the experiment changed)."""


def _parts(out_dir: Path, kind: str) -> dict[int, Path]:
    """Complete parts of one kind by number (temporary files never match)."""
    if not Path(out_dir).is_dir():  # a typo should not read as "no results yet"
        raise FileNotFoundError(f"results folder {str(out_dir)!r} does not exist")
    folder = Path(out_dir) / PARTS
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.iterdir():
        m = _PART.match(path.name)
        if m and m.group(1) == kind:
            found[int(m.group(2))] = path
    return dict(sorted(found.items()))


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


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows)


def _row_head(o: Outcome) -> dict[str, Any]:
    return {"run_id": o.run_id, "seed": int(o.seed), **o.labels}


class ResultStore:
    """Writer side of an output folder; use as a context manager (takes the lock)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.parts_dir = self.out_dir / PARTS
        self._lock_fd: int | None = None
        self._next = 1

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
        """Remove earlier parts and manifest (``--fresh``), safely.

        The parts folder is first renamed out of the way (atomic), then deleted, so an
        interrupted clean-up can never leave some old parts looking like new results.
        """
        if self.parts_dir.exists():
            trash = self.out_dir / f".trash-{uuid.uuid4().hex}"
            os.replace(self.parts_dir, trash)
            shutil.rmtree(trash)
        (self.out_dir / MANIFEST).unlink(missing_ok=True)
        self.tidy()

    def tidy(self) -> None:
        """Delete leftovers of an interrupted session: temp files, orphan daily parts."""
        for path in self.out_dir.glob(".trash-*"):
            shutil.rmtree(path, ignore_errors=True)
        if not self.parts_dir.is_dir():
            return
        for path in self.parts_dir.glob(".*.tmp"):
            path.unlink(missing_ok=True)
        summaries = _parts(self.out_dir, "summary")
        for n, path in _parts(self.out_dir, "daily").items():
            if n not in summaries:
                path.unlink(missing_ok=True)
        numbers = [n for kind in KINDS for n in _parts(self.out_dir, kind)]
        self._next = max(numbers, default=0) + 1

    def write(self, outcomes: list[Outcome]) -> list[Path]:
        """Write one batch of outcomes as parts; the summary part goes last (it commits).

        Returns:
            The paths written.
        """
        if not outcomes:
            return []
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        n, self._next = self._next, self._next + 1
        ok = [o for o in outcomes if o.ok]
        bad = [o for o in outcomes if not o.ok]
        written: list[Path] = []
        daily = [o.daily.assign(**_row_head(o)) for o in ok if o.daily is not None]
        if daily:
            table = pd.concat(daily, ignore_index=True)
            head = list(_row_head(ok[0]))
            table = table[[*(c for c in head if c in table), *(c for c in table
                                                               if c not in head)]]
            table = table.drop(columns=["seed"])
            written.append(self._put(f"daily-{n:06d}.parquet", table))
        if bad:
            rows = [{**_row_head(o), "error": o.error, "traceback": o.traceback} for o in bad]
            written.append(self._put(f"failures-{n:06d}.parquet", _frame(rows)))
        if ok:
            rows = [{**_row_head(o), **(o.summary or {})} for o in ok]
            written.append(self._put(f"summary-{n:06d}.parquet", _frame(rows)))
        return written

    def _put(self, name: str, table: pd.DataFrame) -> Path:
        path = self.parts_dir / name

        def write(tmp: Path) -> None:
            table.to_parquet(tmp, index=False)
            # Data on disk before the rename: after a power loss a part is whole or absent.
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())

        atomic_write(path, write)
        return path
