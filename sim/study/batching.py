"""Runs grouped into batches: replicates of a cell run as one array program (``sim.batch``).

A batch holds runs that differ only in their seed (same parameters, horizon, scheduled
changes and daily thinning): they share the district's shape, so ``simulate_batch`` runs
them as one ``World``. Each run's result is identical to the same run alone, so batching
changes the cost of a sweep, never its results, whatever the backend.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from sim.study.runspec import RunSpec, plain

#: Largest automatic batch: beyond it the per-day fixed cost is already small (bench).
MAX_AUTO_BATCH = 64
#: Teachers a batch holds at most when chosen automatically (memory and cache: a batch
#: of small districts, never of large ones).
MAX_AUTO_TEACHERS = 20_000


def cell_key(spec: RunSpec) -> str:
    """What runs of one batch must share: parameters, horizon, changes, thinning."""
    return json.dumps(plain([spec.params, spec.days, spec.changes, spec.daily_every]),
                      sort_keys=True, default=str)


def teachers_of(params: dict[str, Any]) -> int | None:
    """Staff of the district with these parameters; None if not known here.

    A district read from files has the node table's rows (``sim.study.bounds``).
    """
    from sim.params import resolve, school_sizes
    from sim.study.bounds import teachers_of as staff_of

    try:
        kwargs = dict(params)
        preset = kwargs.pop("preset", None)
        p = resolve(preset, **kwargs)
        if p.get("network_file") or p.get("nodes_file"):
            return staff_of(kwargs, preset) or None
        return int(sum(school_sizes(p)))
    except Exception:  # a bad cell fails in its run, where the error is recorded
        return None


def auto_batch_size(n_runs: int, workers: int, teachers: int | None) -> int:
    """Batch size for ``n_runs`` runs on ``workers`` workers.

    Large enough to pay the per-day overhead once for many runs, small enough that every
    worker gets several batches (load balance) and a batch stays within
    ``MAX_AUTO_TEACHERS`` teachers; at most ``MAX_AUTO_BATCH``.
    """
    by_workers = math.ceil(n_runs / max(1, 2 * workers))
    by_memory = MAX_AUTO_TEACHERS // teachers if teachers else 1
    return max(1, min(MAX_AUTO_BATCH, by_workers, by_memory))


def make_batches(specs: Sequence[RunSpec], batch_size: int | None = None,
                 workers: int = 1) -> list[tuple[RunSpec, ...]]:
    """Specs grouped by cell (first appearance order) and cut into batches.

    Args:
        specs: the runs to do.
        batch_size: runs per batch; None chooses per cell (``auto_batch_size``); 1 runs
            every spec alone.
        workers: workers that will run the batches (for the automatic size).
    """
    groups: dict[str, list[RunSpec]] = {}
    for spec in specs:
        groups.setdefault(cell_key(spec), []).append(spec)
    out: list[tuple[RunSpec, ...]] = []
    for group in groups.values():
        size = batch_size or auto_batch_size(len(specs), workers,
                                             teachers_of(group[0].params))
        out += [tuple(group[i:i + size]) for i in range(0, len(group), size)]
    return out
