"""Observable shares: what a district can observe, measured on a running model.

Observed data name a measure, a day, and optionally a school and an innovation (see
:mod:`sim.calibrate.observed`). The daily measures of the model are district-wide means
over innovations; these observables are the same quantities for any subset of teachers
(one school) and innovations (one innovation, numbered from 1 in order of arrival),
computed from the model's state on the day asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sim.dynamics.submodels import ABANDONED, ADOPTED, AWARE, INTEGRATED, TRIAL, UNAWARE

if TYPE_CHECKING:
    from sim.model import DiffusionModel


def _per_innovation(test: Callable[[np.ndarray], np.ndarray]) -> Callable:
    """A share per (teacher, innovation) pair, averaged over the selected innovations."""
    return lambda stage, se: float(test(stage).mean()) if stage.size else 0.0


def _per_teacher(test: Callable[[np.ndarray], np.ndarray]) -> Callable:
    """A share of teachers by their highest stage over the selected innovations."""

    def measure(stage: np.ndarray, se: np.ndarray) -> float:
        if stage.shape[1] == 0:
            return float(test(np.full(len(stage), UNAWARE)).mean())
        return float(test(stage.max(axis=1)).mean())

    return measure


#: Observable name -> (what it is, function of (stage[teachers, innovations], se[teachers])).
#: Names and meanings match the daily measures of ``sim.dynamics.measures`` where both exist.
OBSERVABLES: dict[str, tuple[str, Callable[[np.ndarray, np.ndarray], float]]] = {
    "users_share": ("share using (TRIAL or later), mean over innovations",
                    _per_innovation(lambda s: s >= TRIAL)),
    "tried_share": ("share that ever tried (users and ABANDONED), mean over innovations",
                    _per_innovation(lambda s: s >= ABANDONED)),
    "share_unaware": ("share UNAWARE", _per_innovation(lambda s: s == UNAWARE)),
    "share_aware": ("share AWARE", _per_innovation(lambda s: s == AWARE)),
    "share_trial": ("share in TRIAL", _per_innovation(lambda s: s == TRIAL)),
    "share_adopted": ("share ADOPTED", _per_innovation(lambda s: s == ADOPTED)),
    "share_integrated": ("share INTEGRATED", _per_innovation(lambda s: s == INTEGRATED)),
    "share_abandoned": ("share ABANDONED", _per_innovation(lambda s: s == ABANDONED)),
    "any_user_share": ("share of teachers using at least one innovation",
                       _per_teacher(lambda top: top >= TRIAL)),
    "frequent_use_share": ("share of teachers at ADOPTED or INTEGRATED in some innovation",
                           _per_teacher(lambda top: top >= ADOPTED)),
    "level_nonuse": ("share of teachers using none", _per_teacher(lambda top: top < TRIAL)),
    "level_mechanical": ("share whose highest stage is TRIAL",
                         _per_teacher(lambda top: top == TRIAL)),
    "level_routine": ("share whose highest stage is ADOPTED",
                      _per_teacher(lambda top: top == ADOPTED)),
    "level_integrated": ("share whose highest stage is INTEGRATED",
                         _per_teacher(lambda top: top == INTEGRATED)),
    "se_mean": ("mean technology self-efficacy", lambda stage, se: float(se.mean())),
}


def observe(m: DiffusionModel, name: str, school: int | None = None,
            innovation: int | None = None) -> float:
    """The observable ``name`` today, for one school and/or innovation or all.

    Args:
        m: a running model.
        name: a key of :data:`OBSERVABLES`.
        school: school index (0-based) or None for every teacher.
        innovation: innovation number (1 = the first to arrive) or None for every live one.

    Returns:
        The share (or mean); an innovation that has not arrived yet counts as unknown to
        everyone (share UNAWARE 1).
    """
    N = m.n_teachers
    rows = np.arange(N) if school is None else np.flatnonzero(m.school_of_teacher == school)
    n = m.cat.n
    if innovation is None:
        stage = m.staff.stage[rows, :n]
    elif innovation <= n:
        stage = m.staff.stage[rows, innovation - 1: innovation]
    else:
        stage = np.full((len(rows), 1), UNAWARE, np.int8)
    return OBSERVABLES[name][1](stage, m.staff.se[rows])
