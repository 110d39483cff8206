"""The sessions of a results folder: one record per command that ran into it.

Each call of :func:`sim.study.runner.execute` is a *session*. Its record is written to
``manifest.json`` before the first run (state ``running``), refreshed at every batch of
results (runs so far, time of the last batch) and closed at the end with its end state:

- ``completed``: every run of the session was attempted (some may have failed);
- ``interrupted``: Ctrl-C or SIGTERM; finished runs were written first;
- ``failed``: the session stopped on an error (no space left, every Dask worker lost, ...),
  recorded with its one-line message;
- ``killed``: the process ended without closing its record (SIGKILL, out of memory, power
  loss). The next session finds the record still ``running`` while it holds the folder's
  lock, which no live session could have left, and marks it ``killed``.

Every session is kept, including those that wrote no result, as long as the folder holds
the same runs (same spec hash); ``--fresh`` starts a new history.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.files import read_json
from sim.study.manifest import manifest as make_manifest
from sim.study.manifest import now, write_json
from sim.study.provenance import source_commit
from sim.study.runspec import RunSpec
from sim.study.storage import MANIFEST, done_ids, load_failures

END_STATES = ("completed", "interrupted", "failed", "killed")


def read_manifest(out_dir: Path) -> dict[str, Any]:
    """The folder's manifest, or an empty dict when there is none.

    Raises:
        InputFileError: the manifest exists but is not readable JSON.
    """
    path = Path(out_dir) / MANIFEST
    return read_json(path, "results manifest") if path.is_file() else {}


def start(out_dir: Path, digest: str, specs: list[RunSpec], session: dict[str, Any],
          extra: dict | None) -> dict[str, Any]:
    """Write the manifest before any run: earlier sessions kept, this one ``running``.

    Args:
        out_dir: the results folder (its lock is held).
        digest: the specs' hash.
        specs: every run of the experiment.
        session: facts about this session (backend, scheduler, workers).
        extra: manifest fields describing the experiment.

    Returns:
        The manifest, to be updated by :func:`progress` and :func:`finish`.
    """
    try:
        old = read_manifest(out_dir)
    except ValueError:  # an unreadable manifest: its history is lost, the results are not
        old = {}
    if old.get("spec_hash") != digest:
        old = {}
    sessions = [_closed(s) for s in old.get("sessions", []) if isinstance(s, dict)]
    meta = make_manifest(**(extra or {}))
    meta.update(
        spec_hash=digest, runs=len(specs), started=old.get("started", now()),
        finished=None, status="running", sessions=sessions,
        seeds={"first": specs[0].seed if specs else None,
               "distinct": len({s.seed for s in specs})},
    )
    sessions.append({"started": now(), "tis_sim": meta["tis_sim"]["version"],
                     "source_commit": source_commit(meta["tis_sim"]), **session,
                     "status": "running", "updated": now(), "ran": 0, "failed": 0})
    write_json(Path(out_dir) / MANIFEST, meta)
    return meta


def _closed(record: dict[str, Any]) -> dict[str, Any]:
    """A record left ``running`` (or never finished) by an earlier process: ``killed``."""
    if record.get("status") in (None, "running") and not record.get("finished"):
        return {**record, "status": "killed",
                "note": "the process ended without closing this record (SIGKILL, out of "
                        "memory or power loss); 'ran' and 'updated' are its last progress"}
    return record


def progress(out_dir: Path, meta: dict[str, Any], ran: int, failed: int) -> None:
    """Refresh this session's progress after a batch of results was written."""
    meta["sessions"][-1].update(updated=now(), ran=ran, failed=failed)
    write_json(Path(out_dir) / MANIFEST, meta)


def finish(out_dir: Path, meta: dict[str, Any], *, state: str, ran: int, failed: int,
           skipped: int, seconds: float, total: int, error: str | None = None) -> None:
    """Close this session's record with its end state, and the folder's status."""
    if state not in END_STATES:
        raise ValueError(f"unknown end state {state!r}")
    done = len(done_ids(out_dir))
    record = meta["sessions"][-1]
    record.update(finished=now(), updated=now(), ran=ran, failed=failed, skipped=skipped,
                  seconds=round(seconds, 3), status=state)
    if error:
        record["error"] = error
    folder = state
    if done == total:
        folder = "complete"
    elif state == "completed":
        folder = "finished with failures"
    meta.update(finished=now(), done=done, failed=len(load_failures(out_dir)), status=folder)
    write_json(Path(out_dir) / MANIFEST, meta)
