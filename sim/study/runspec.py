"""The unit of work of every sweep: a run specification and what running it returns.

Kept apart from the runner so that worker processes (local pool or Dask workers) import
only this light module and :mod:`sim.run`, never the storage or progress machinery.
"""

from __future__ import annotations

import hashlib
import json
import traceback
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class RunSpec:
    """Everything one simulation needs, as plain picklable data.

    Attributes:
        run_id: stable and unique within the experiment (the resume key).
        params: model keyword arguments (may include ``"preset"``).
        seed: the run's integer seed (drawn in the parent process before any work is sent).
        days: school days to simulate.
        changes: scheduled ``(day, {param: value})`` changes (see ``sim.run.simulate``).
        daily_every: keep every k-th day of the daily table; 0 keeps none.
        labels: extra columns copied to the results (cell, replicate, scenario, ...).
    """

    run_id: str
    params: dict[str, Any]
    seed: int
    days: int
    changes: tuple[tuple[int, dict[str, Any]], ...] = ()
    daily_every: int = 0
    labels: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back for one spec: a summary (and daily table) or an error."""

    run_id: str
    seed: int
    labels: dict[str, Any]
    summary: dict[str, float] | None = None
    daily: pd.DataFrame | None = None
    error: str | None = None
    traceback: str = ""

    @property
    def ok(self) -> bool:
        """True when the run finished and produced a summary."""
        return self.error is None


def run_spec(spec: RunSpec) -> Outcome:
    """Run one spec; any exception becomes a failed Outcome (the sweep goes on).

    This is the function shipped to worker processes, so it must stay importable and cheap.
    """
    from sim.run import simulate  # imported here: workers pay for it once, on first use

    # The model is freed when simulate() returns (sim.agents), so workers stay flat.
    try:
        result = simulate(spec.params, spec.seed, spec.days, spec.changes, spec.daily_every)
    except Exception as exc:  # every model error is recorded, not raised
        return failed(spec, f"{type(exc).__name__}: {exc}", traceback.format_exc())
    return Outcome(spec.run_id, spec.seed, dict(spec.labels), result.summary, result.daily)


def run_batch(specs: Sequence[RunSpec]) -> list[Outcome]:
    """Run specs of one cell (``sim.study.batching``) as one batch; one Outcome per spec.

    Each outcome is identical to ``run_spec`` of that spec alone. If the batch raises
    (a bad parameter value, a run that fails), every spec is run alone instead, so the
    failing run is recorded with its own error and the others succeed, as alone.
    """
    if len(specs) == 1:
        return [run_spec(specs[0])]
    from sim.batch import simulate_batch  # imported here, as in run_spec

    first = specs[0]
    try:
        results = simulate_batch(first.params, [s.seed for s in specs], first.days,
                                 first.changes, first.daily_every)
    except Exception:  # each alone: exactly the outcomes the runs have alone
        return [run_spec(s) for s in specs]
    return [Outcome(s.run_id, s.seed, dict(s.labels), r.summary, r.daily)
            for s, r in zip(specs, results, strict=True)]


def check_labels(outcome: Outcome) -> None:
    """Labels become result columns next to the summary keys: refuse a name clash.

    Raises:
        ValueError: naming the clashing label(s).
    """
    clash = sorted(set(outcome.labels) & {"run_id", "seed", *(outcome.summary or {})})
    if clash:
        raise ValueError(f"run {outcome.run_id!r}: label(s) {clash} clash with result columns "
                         "(run_id, seed or summary keys); rename the labels")


def failed(spec: RunSpec, error: str, trace: str = "") -> Outcome:
    """A failed Outcome for ``spec`` (also used for runs lost with their worker)."""
    return Outcome(spec.run_id, spec.seed, dict(spec.labels), error=error, traceback=trace)


def plain(x: Any) -> Any:
    """JSON-friendly form of numpy scalars and tuples, for hashing and manifests."""
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, tuple | list):
        return [plain(v) for v in x]
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    return x


def specs_hash(specs: list[RunSpec]) -> str:
    """A hash of everything that decides the runs' results (ids, params, seeds, horizon).

    Resuming compares it with the hash stored with the results, so results made by
    different specs are never mixed.
    """
    digest = hashlib.sha256()
    for spec in specs:
        text = json.dumps(plain(asdict(spec)), sort_keys=True, default=repr)
        digest.update(text.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def check_specs(specs: list[RunSpec]) -> None:
    """Reject duplicate run ids, bad seeds and horizons before any work is sent out.

    Every run must carry the same label names: labels become the columns of one table.

    Raises:
        ValueError: naming the first offending run id.
    """
    seen: set[str] = set()
    names = set(specs[0].labels) if specs else set()
    for spec in specs:
        if set(spec.labels) != names:
            raise ValueError(f"run {spec.run_id!r}: labels {sorted(spec.labels)} differ from "
                             f"the first run's {sorted(names)}; every run needs the same "
                             "label names (they become the columns of one table)")
        if not isinstance(spec.run_id, str) or not spec.run_id:
            raise ValueError(f"run_id must be a non-empty string, got {spec.run_id!r}")
        if spec.run_id in seen:
            raise ValueError(f"run_id {spec.run_id!r} appears more than once; run ids are "
                             "the resume key and must be unique")
        seen.add(spec.run_id)
        if isinstance(spec.seed, bool) or not isinstance(spec.seed, int | np.integer) \
                or spec.seed < 0:
            raise ValueError(f"run {spec.run_id!r}: seed {spec.seed!r} is not a "
                             "non-negative integer")
        if int(spec.days) < 1 or int(spec.daily_every) < 0:
            raise ValueError(f"run {spec.run_id!r}: days must be >= 1 and daily_every >= 0 "
                             f"(got {spec.days}, {spec.daily_every})")
