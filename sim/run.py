"""Run one simulation from plain data: the unit of work of sweeps and what-if studies."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from mesa.agent import Agent

from sim.model import DiffusionModel


@dataclass(frozen=True)
class RunResult:
    """What one run returns: the per-run summary and (optionally thinned) daily table."""

    summary: dict[str, float]
    daily: pd.DataFrame | None


def simulate(
    params: Mapping[str, Any],
    seed: int,
    days: int,
    changes: Sequence[tuple[int, Mapping[str, Any]]] = (),
    daily_every: int = 1,
) -> RunResult:
    """Build a model, apply scheduled parameter changes, run ``days`` days.

    Args:
        params: model parameters (validated by the model; a preset may be given as
            ``params["preset"]``).
        seed: the run's integer seed.
        days: school days to simulate (180 per year).
        changes: ``(day, {name: value})`` pairs applied at the start of that day
            (time-varying policies, e.g. a help desk from day 181).
        daily_every: keep every k-th day of the daily table (0 keeps none; the last day is
            always kept when any are kept).
    """
    kwargs = dict(params)
    with _forgotten_afterwards():
        model = DiffusionModel(seed=seed, days=int(days), preset=kwargs.pop("preset", None),
                               **kwargs)
        pending = sorted(changes, key=lambda c: c[0])
        for day in range(1, int(days) + 1):
            while pending and pending[0][0] <= day:
                model.set_params(**pending.pop(0)[1])
            model.step()
        daily = None
        if daily_every:
            table = model.daily_table()
            keep = (table["day"] % daily_every == 0) | (table["day"] == table["day"].iloc[-1])
            daily = table[keep].reset_index(drop=True)
        return RunResult(summary=model.summary(), daily=daily)


@contextlib.contextmanager
def _forgotten_afterwards() -> Iterator[None]:
    """Let Mesa forget the models built inside the block.

    Mesa 3.3.1 keys a class-level id counter by model (``Agent._ids``), which keeps every
    model ever built alive: about 1.2 MB per default run, so a process doing hundreds of runs
    grows without bound (mesa issue #3179, fixed upstream after 3.3.1). A finished run's
    model is referenced by nothing else, so its entry is dropped (also when the run fails).
    """
    ids = getattr(Agent, "_ids", None)
    before = set(map(id, ids)) if ids is not None else set()
    try:
        yield
    finally:
        for model in [m for m in (ids or ()) if id(m) not in before]:
            del ids[model]
