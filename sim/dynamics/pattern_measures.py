"""Measures for pattern-oriented calibration (ODD section 6, "Patterns").

The published patterns that ``tis-sim calibrate`` fits are stated in terms the base
measures do not give directly: levels of use per teacher (LoTi/CBAM), coaching reach per
8-week cycle and per school year, the effect of a coaching cycle in standard deviations,
self-efficacy rising before integration does, the adoption funnel of a new tool one year
after it arrived, and the shape of the first-use curve. Each is one small function here;
:func:`daily` and :func:`summary` are called by :mod:`sim.dynamics.measures`.

Some measures need a memory of earlier days (self-efficacy at caseload entry, the funnel
snapshot one year after each innovation arrived). It lives in :class:`Tracks`, created on
day 0 by :func:`tracks` and updated once a day by :func:`daily`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import curve_fit

from sim.dynamics.submodels import ABANDONED, ADOPTED, AWARE, DAYS_PER_YEAR, INTEGRATED, TRIAL

if TYPE_CHECKING:
    from sim.model import DiffusionModel

#: School days in one coaching cycle window: 8 weeks of 5 days (Digital Promise 2018).
CYCLE_WINDOW = 40
#: Highest level of use across live innovations (Hall & Hord's CBAM levels, grouped as
#: the LoTi mapping: non-use/orientation; mechanical = TRIAL; routine = ADOPTED;
#: refinement and integration = INTEGRATED).
LEVELS = ("level_nonuse", "level_mechanical", "level_routine", "level_integrated")
DAILY: tuple[str, ...] = (*LEVELS, "frequent_use_share", "first_tried_share",
                          "coached_cycle_per_fte", "coached_year_per_fte")
FUNNEL = ("funnel_never_tried", "funnel_dropped", "funnel_partial", "funnel_full")
SUMMARY: tuple[str, ...] = (
    "coaching_effect_sd", "coaching_cycles_closed", "efficacy_rise_sd_year1",
    "integration_rise_year1", *FUNNEL, "funnel_innovations", "first_use_bass_p",
    "first_use_bass_q", "first_use_inflection",
)


@dataclass
class Tracks:
    """What the pattern measures remember from earlier days (teachers only).

    Attributes:
        se_sd0: sd of teachers' self-efficacy on day 0 (the unit of effect sizes).
        prev_se: self-efficacy at the end of the previous day.
        prev_in: caseload membership at the end of the previous day.
        control: cumulative mean daily self-efficacy change of teachers outside any
            caseload, indexed by day (``control[d]`` after day d).
        entry_se: self-efficacy on the day the current caseload stay began.
        entry_day: that day.
        effects: per finished caseload stay, the self-efficacy gain beyond the control
            drift over the same days, in units of ``se_sd0``.
        funnel: per innovation one year after its arrival, the shares never tried,
            dropped, partial use and full use.
        funnel_done: innovations whose funnel is recorded.
    """

    se_sd0: float
    prev_se: np.ndarray
    prev_in: np.ndarray
    control: list[float]
    entry_se: np.ndarray
    entry_day: np.ndarray
    effects: list[float] = field(default_factory=list)
    funnel: list[np.ndarray] = field(default_factory=list)
    funnel_done: set[int] = field(default_factory=set)


def tracks(m: DiffusionModel) -> Tracks:
    """The model's :class:`Tracks`, created from the state on first use (day 0)."""
    t = getattr(m, "pattern_tracks", None)
    if t is None:
        N, st = m.n_teachers, m.staff
        se = st.se[:N].copy()
        t = Tracks(se_sd0=float(se.std()), prev_se=se, prev_in=st.in_caseload.copy(),
                   control=[0.0], entry_se=se.copy(), entry_day=np.zeros(N, np.int64))
        m.pattern_tracks = t
    return t


def levels_of_use(m: DiffusionModel) -> dict[str, float]:
    """Shares of teachers by their highest level of use across live innovations."""
    N, n = m.n_teachers, m.cat.n
    if n == 0:
        return {**dict.fromkeys(LEVELS, 0.0), "level_nonuse": 1.0, "frequent_use_share": 0.0}
    top = m.staff.stage[:N, :n].max(axis=1)  # ABANDONED < TRIAL: max is the highest use
    out = {"level_nonuse": float((top < TRIAL).mean()),
           "level_mechanical": float((top == TRIAL).mean()),
           "level_routine": float((top == ADOPTED).mean()),
           "level_integrated": float((top == INTEGRATED).mean())}
    out["frequent_use_share"] = out["level_routine"] + out["level_integrated"]
    return out


def first_tried(m: DiffusionModel) -> float:
    """Share of teachers who ever tried the first innovation (users or ABANDONED)."""
    if m.cat.n == 0:
        return 0.0
    return float((m.staff.stage[: m.n_teachers, 0] >= ABANDONED).mean())


def coaching_reach(m: DiffusionModel) -> dict[str, float]:
    """Distinct teachers with a session in the last 8 weeks and school year, per FTE.

    Digital Promise's coaches: about 9 teachers per 8-week cycle and about 20 per school
    year per full-time coach (Bakhshaei et al. 2018, 2019).
    """
    fte = float(m.specs.fte.sum())
    last = m.staff.last_session
    per = (lambda days: float((last > m.day - days).sum()) / fte) if fte > 0 else \
        (lambda days: 0.0)
    return {"coached_cycle_per_fte": per(CYCLE_WINDOW),
            "coached_year_per_fte": per(DAYS_PER_YEAR)}


def _update_effects(m: DiffusionModel, t: Tracks) -> None:
    """Close finished caseload stays and open new ones (intention to treat).

    A stay ends when the teacher leaves the caseload (cycle complete or dropped as stale);
    its effect is the self-efficacy gain over the stay minus the mean gain of teachers
    outside any caseload over the same days, in day-0 standard deviations.
    """
    N, st, day = m.n_teachers, m.staff, m.day
    se, now_in = st.se[:N], st.in_caseload
    outside = ~now_in & ~t.prev_in
    drift = float((se[outside] - t.prev_se[outside]).mean()) if outside.any() else 0.0
    t.control.append(t.control[-1] + drift)
    began = now_in & (st.cycle_start == day)
    ended = np.flatnonzero(t.prev_in & (~now_in | began))
    if len(ended) and t.se_sd0 > 0:
        gain = se[ended] - t.entry_se[ended]
        control = t.control[-1] - np.asarray(t.control)[t.entry_day[ended]]
        t.effects.extend(((gain - control) / t.se_sd0).tolist())
    t.entry_se[began], t.entry_day[began] = se[began], day
    t.prev_se, t.prev_in = se.copy(), now_in.copy()


def _update_funnel(m: DiffusionModel, t: Tracks) -> None:
    """Stage shares of each innovation on the day it has been around for a school year."""
    n, N = m.cat.n, m.n_teachers
    due = [j for j in np.flatnonzero(m.day - m.cat.day[:n] == DAYS_PER_YEAR)
           if j not in t.funnel_done]
    for j in due:
        s = m.staff.stage[:N, j]
        t.funnel.append(np.array([np.mean(s <= AWARE), np.mean(s == ABANDONED),
                                  np.mean(s == TRIAL), np.mean(s >= ADOPTED)]))
        t.funnel_done.add(int(j))


def daily(m: DiffusionModel) -> dict[str, float]:
    """The day's pattern measures (and the bookkeeping of :class:`Tracks`)."""
    t = tracks(m)
    if m.day > 0:
        _update_effects(m, t)
        _update_funnel(m, t)
    return {**levels_of_use(m), "first_tried_share": first_tried(m), **coaching_reach(m)}


def bass_fit(series: np.ndarray) -> tuple[float, float, float]:
    """Bass p, q (per school year) and the inflection level of a cumulative curve.

    Fits ``F(t) = m (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})`` (Bass 1969) by least
    squares (scipy ``curve_fit``) to the rise of ``series`` (one value per day from day 0)
    above its day-0 value, scaled to the room left. The inflection level is the share of
    the ceiling reached at the steepest rise, ``max(0, (q - p) / (2q))``: about 1/2 for
    an S-curve driven by imitation, 0 for an r-shaped curve driven by outside influence.

    Returns:
        ``(p, q, inflection)``; NaNs when the curve does not rise or the fit fails.
    """
    y = np.asarray(series, dtype=float)
    room = 1.0 - y[0]
    if len(y) < 10 or room <= 0 or y[-1] - y[0] <= 0:
        return (np.nan, np.nan, np.nan)
    y = (y - y[0]) / room
    t = np.arange(len(y)) / DAYS_PER_YEAR

    def bass(t: np.ndarray, p: float, q: float, ceiling: float) -> np.ndarray:
        e = np.exp(-(p + q) * t)
        return ceiling * (1 - e) / (1 + (q / p) * e)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (p, q, _), _ = curve_fit(bass, t, y, p0=(0.05, 1.0, max(y[-1], 1e-3)),
                                     bounds=([1e-6, 0.0, y[-1] * 0.999], [20.0, 50.0, 1.0]),
                                     maxfev=2000)
    except (RuntimeError, ValueError):
        return (np.nan, np.nan, np.nan)
    return (float(p), float(q), float(max(0.0, (q - p) / (2 * q))) if q > 0 else 0.0)


def _at(series: list[float] | np.ndarray, day: int) -> float:
    """The value of a daily series on ``day`` (its last day if the run was shorter)."""
    return float(series[min(day, len(series) - 1)])


def summary(m: DiffusionModel) -> dict[str, float]:
    """Per-run pattern measures (NaN where a run gives no instance)."""
    t = tracks(m)
    col = m.datacollector.model_vars
    se0_sd = col["se_sd"][0]
    funnel = np.mean(t.funnel, axis=0) if t.funnel else np.full(len(FUNNEL), np.nan)
    p, q, inflection = bass_fit(np.asarray(col["first_tried_share"]))
    return {
        "coaching_effect_sd": float(np.mean(t.effects)) if t.effects else float("nan"),
        "coaching_cycles_closed": float(len(t.effects)),
        "efficacy_rise_sd_year1": (_at(col["se_mean"], DAYS_PER_YEAR) - col["se_mean"][0])
        / se0_sd if se0_sd > 0 else float("nan"),
        "integration_rise_year1": _at(col["level_integrated"], DAYS_PER_YEAR)
        - col["level_integrated"][0],
        **{k: float(v) for k, v in zip(FUNNEL, funnel, strict=True)},
        "funnel_innovations": float(len(t.funnel)),
        "first_use_bass_p": p, "first_use_bass_q": q, "first_use_inflection": inflection,
    }
