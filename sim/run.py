"""Run one simulation from plain data: the unit of work of sweeps and what-if studies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.model import DiffusionModel, coerce_seed, horizon
from sim.params import ParameterError

Changes = tuple[tuple[int, dict[str, Any]], ...]


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

    Raises:
        ParameterError: a bad argument (see :func:`run_arguments`) or parameter.
    """
    kwargs, days, changes, daily_every = run_arguments(params, days, changes, daily_every)
    # The model is freed when this returns: it holds its own agents' id counters weakly
    # (sim.agents), so Mesa's registry does not keep it alive (mesa issue #3179).
    model = DiffusionModel(seed=coerce_seed(seed), days=days,
                           preset=kwargs.pop("preset", None), **kwargs)
    pending = list(changes)
    for day in range(1, days + 1):
        while pending and pending[0][0] <= day:
            model.set_params(**pending.pop(0)[1])
        model.step()
    return RunResult(summary=model.summary(), daily=thin(model.daily_table(), daily_every))


def _whole(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer)


def run_arguments(params: Any, days: Any, changes: Any, daily_every: Any
                  ) -> tuple[dict[str, Any], int, Changes, int]:
    """The arguments of :func:`simulate` and ``sim.batch.simulate_batch``, checked.

    Returns ``(params as a new dict, days, changes sorted by day, daily_every)``. A change
    on a day after the horizon never applies (a policy that starts after a shortened
    study); days start at 1 (initial values belong in ``params``).

    Raises:
        ParameterError: one line naming the argument, the value and what is allowed:
            ``params`` not a mapping; ``days`` not a whole number >= 0; a change not a
            ``(day, {name: value})`` pair or its day not a whole number >= 1;
            ``daily_every`` not a whole number >= 0.
    """
    if not isinstance(params, Mapping):
        raise ParameterError(f"params: {params!r} is not allowed; expected a mapping of "
                             "parameter names to values, e.g. {'specialist_fte': 0.5}")
    days = horizon(days)
    if isinstance(changes, str | bytes | Mapping) or not isinstance(changes, Sequence):
        raise ParameterError(f"changes: {changes!r} is not allowed; expected a sequence of "
                             "(day, {name: value}) pairs")
    for change in changes:
        if not (isinstance(change, tuple | list) and len(change) == 2
                and isinstance(change[1], Mapping)):
            raise ParameterError(f"changes: {change!r} is not allowed; expected a "
                                 "(day, {name: value}) pair")
        if not _whole(change[0]) or change[0] < 1:
            raise ParameterError(f"changes: day {change[0]!r} is not allowed; expected a "
                                 "whole school day, 1 or later (the change applies at its "
                                 "start; initial values belong in params)")
    if not _whole(daily_every) or daily_every < 0:
        raise ParameterError(f"daily_every: {daily_every!r} is not allowed; expected a "
                             "whole number of days, 0 (no daily table) or more")
    ordered = tuple((int(d), dict(c)) for d, c in sorted(changes, key=lambda c: c[0]))
    return dict(params), days, ordered, int(daily_every)


def thin(table: pd.DataFrame, daily_every: int) -> pd.DataFrame | None:
    """Every ``daily_every``-th day of a daily table and its last day; None for 0."""
    if not daily_every:
        return None
    keep = (table["day"] % daily_every == 0) | (table["day"] == table["day"].iloc[-1])
    return table[keep].reset_index(drop=True)
