"""Run one simulation from plain data: the unit of work of sweeps and what-if studies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

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
    # The model is freed when this returns: it holds its own agents' id counters weakly
    # (sim.agents), so Mesa's registry does not keep it alive (mesa issue #3179).
    kwargs = dict(params)
    model = DiffusionModel(seed=seed, days=int(days), preset=kwargs.pop("preset", None),
                           **kwargs)
    pending = sorted(changes, key=lambda c: c[0])
    for day in range(1, int(days) + 1):
        while pending and pending[0][0] <= day:
            model.set_params(**pending.pop(0)[1])
        model.step()
    return RunResult(summary=model.summary(), daily=thin(model.daily_table(), daily_every))


def thin(table: pd.DataFrame, daily_every: int) -> pd.DataFrame | None:
    """Every ``daily_every``-th day of a daily table and its last day; None for 0."""
    if not daily_every:
        return None
    keep = (table["day"] % daily_every == 0) | (table["day"] == table["day"].iloc[-1])
    return table[keep].reset_index(drop=True)
