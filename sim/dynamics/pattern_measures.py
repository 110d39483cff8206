"""Measures for pattern-oriented calibration (ODD section 6, "Patterns").

The published patterns that ``tis-sim calibrate`` fits are stated in terms the base
measures do not give directly: levels of use per teacher (LoTi/CBAM), coaching reach per
8-week cycle and per school year, the effect of a coaching cycle in standard deviations,
self-efficacy rising before integration does, the adoption funnel of a new tool one year
after it arrived, and the shape of the first-use curve. Each is one small function here,
computed for every run of a ``World`` at once (rows ``r * N ..`` are run r's teachers);
:func:`daily` and :func:`summary` are called by :mod:`sim.dynamics.measures`.

Some measures need a memory of earlier days (self-efficacy at caseload entry, the funnel
snapshot one year after each innovation arrived). It lives in :class:`Tracks`, created on
day 0 by :func:`tracks` and updated once a day by :func:`daily`; :meth:`Tracks.run` gives
one run's part to :func:`summary`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import curve_fit

from sim.dynamics.arrays import row_max
from sim.dynamics.submodels import ABANDONED, ADOPTED, AWARE, DAYS_PER_YEAR, INTEGRATED, TRIAL

if TYPE_CHECKING:
    from sim.dynamics.world import World

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
class RunTracks:
    """One run's finished records (what :func:`summary` reads).

    Attributes:
        effects: per finished caseload stay, in the order they ended, the self-efficacy
            gain beyond the control drift over the same days, in day-0 sds: float64[k].
        funnel: per innovation one year after its arrival, the shares never tried,
            dropped, partial use and full use (float64[4] each).
    """

    effects: np.ndarray
    funnel: list[np.ndarray]


@dataclass
class Tracks:
    """What the pattern measures remember from earlier days, for the B runs of a World.

    Attributes:
        se_sd0: per run, sd of its teachers' self-efficacy on day 0 (the unit of effect
            sizes): float64[B].
        prev_se: teachers' self-efficacy at the end of the previous day: float[B * N].
        prev_in: caseload membership at the end of the previous day: bool[B * N].
        control: row d is each run's cumulative mean daily self-efficacy change of its
            teachers outside any caseload after day d: float64[capacity, B] (rows
            ``0 .. day`` filled).
        entry_se: self-efficacy on the day the current caseload stay began: float[B * N].
        entry_day: that day: int64[B * N].
        effect_runs, effect_values: finished stays as (run, effect) arrays, one pair per
            day with any (see :class:`RunTracks`).
        funnel: per run, the funnel snapshots (see :class:`RunTracks`).
        funnel_done: innovations whose funnel is recorded: bool[B, K].
    """

    se_sd0: np.ndarray
    prev_se: np.ndarray
    prev_in: np.ndarray
    control: np.ndarray
    entry_se: np.ndarray
    entry_day: np.ndarray
    funnel_done: np.ndarray
    effect_runs: list[np.ndarray] = field(default_factory=list)
    effect_values: list[np.ndarray] = field(default_factory=list)
    funnel: list[list[np.ndarray]] = field(default_factory=list)

    def run(self, r: int) -> RunTracks:
        """Run ``r``'s finished records."""
        if self.effect_runs:
            runs, values = np.concatenate(self.effect_runs), np.concatenate(self.effect_values)
            effects = values[runs == r]
        else:
            effects = np.zeros(0)
        return RunTracks(effects=effects, funnel=self.funnel[r])


def tracks(w: World) -> Tracks:
    """The World's :class:`Tracks`, created from the state on first use (day 0)."""
    t = w.pattern_tracks
    if t is None:
        B, N, st = w.B, w.N, w.staff
        se = st.se[: w.n_teachers].copy()
        control = np.zeros((max(w.day, 0) + 256, B))
        t = Tracks(se_sd0=se.reshape(B, N).std(axis=1), prev_se=se,
                   prev_in=st.in_caseload.copy(), control=control, entry_se=se.copy(),
                   entry_day=np.zeros(w.n_teachers, np.int64),
                   funnel_done=np.zeros((B, w.p["max_innovations"]), bool),
                   funnel=[[] for _ in range(B)])
        w.pattern_tracks = t
    return t


def levels_of_use(w: World, top: np.ndarray | None = None) -> np.ndarray:
    """Per run, shares of teachers by their highest level of use across live innovations.

    ``top`` is each teacher's highest stage code over the live columns (computed when
    not given).

    Returns:
        float64 (B, 5): the four ``LEVELS`` shares, then ``frequent_use_share`` (routine
        plus integrated). A run without live innovations is all ``level_nonuse``.
    """
    B, N, live = w.B, w.N, w.n_live
    out = np.zeros((B, len(LEVELS) + 1))
    if live == 0:
        out[:, 0] = 1.0
        return out
    # Columns a run has not reached are UNAWARE (0): the max over live columns is the
    # run's own. ABANDONED < TRIAL, so the max is the highest use.
    if top is None:
        top = row_max(w.staff.stage[: w.n_teachers, :live])
    top = top.astype(np.int64)
    top = np.minimum(np.maximum(top, TRIAL - 1), INTEGRATED) - (TRIAL - 1)  # 0 = non-use
    counts = np.bincount(top + 4 * (np.arange(w.n_teachers) // N), minlength=4 * B)
    out[:, :4] = counts.reshape(B, 4) / N
    out[:, 4] = out[:, 2] + out[:, 3]
    return out


def first_tried(w: World) -> np.ndarray:
    """Per run, share of teachers who ever tried its first innovation: float64[B].

    Tried means a user or ABANDONED; 0 before the run has a first innovation.
    """
    tried = (w.staff.stage[: w.n_teachers, 0] >= ABANDONED).reshape(w.B, w.N).sum(axis=1)
    return np.where(w.cat.n > 0, tried / w.N, 0.0)


def coaching_reach(w: World) -> np.ndarray:
    """Per run, distinct teachers coached in the last 8 weeks and school year, per FTE.

    Returns float64 (B, 2): teachers with a session in the last ``CYCLE_WINDOW`` school
    days and in the last school year, per FTE of the run's specialists (0 without
    specialist time).

    Digital Promise's coaches: about 9 teachers per 8-week cycle and about 20 per school
    year per full-time coach (Bakhshaei et al. 2018, 2019).
    """
    B, N = w.B, w.N
    fte = w.specs.fte.reshape(B, w.S).sum(axis=1)
    last = w.staff.last_session[: w.n_teachers].reshape(B, N)
    out = np.zeros((B, 2))
    for i, days in enumerate((CYCLE_WINDOW, DAYS_PER_YEAR)):
        seen = (last > w.day - days).sum(axis=1)
        np.divide(seen, fte, out=out[:, i], where=fte > 0)
    return out


def _update_effects(w: World, t: Tracks) -> None:
    """Close finished caseload stays and open new ones (intention to treat).

    A stay ends when the teacher leaves the caseload (cycle complete or dropped as stale);
    its effect is the self-efficacy gain over the stay minus the mean gain of the run's
    teachers outside any caseload over the same days, in the run's day-0 sds.
    """
    B, N, st, day = w.B, w.N, w.staff, w.day
    se, now_in = st.se[: w.n_teachers], st.in_caseload
    outside = (~now_in & ~t.prev_in).reshape(B, N)
    change = np.where(outside, (se - t.prev_se).reshape(B, N), 0.0).sum(axis=1)
    n_out = outside.sum(axis=1)
    drift = np.divide(change, n_out, out=np.zeros(B), where=n_out > 0)
    if day >= len(t.control):
        t.control = np.concatenate([t.control, np.zeros_like(t.control)])
    t.control[day] = t.control[day - 1] + drift
    began = now_in & (st.cycle_start == day)
    ended = np.flatnonzero(t.prev_in & (~now_in | began))
    run = ended // N
    keep = t.se_sd0[run] > 0
    if keep.any():
        ended, run = ended[keep], run[keep]
        gain = se[ended] - t.entry_se[ended]
        control = t.control[day, run] - t.control[t.entry_day[ended], run]
        t.effect_runs.append(run)
        t.effect_values.append((gain - control) / t.se_sd0[run])
    t.entry_se[began], t.entry_day[began] = se[began], day
    t.prev_se, t.prev_in = se.copy(), now_in.copy()


def _update_funnel(w: World, t: Tracks) -> None:
    """Stage shares of each innovation on the day it has been around for a school year."""
    live, N = w.n_live, w.N
    due = (w.day - w.cat.day[:, :live] == DAYS_PER_YEAR) & ~t.funnel_done[:, :live] \
        & (np.arange(live) < w.cat.n[:, None])
    for r, j in np.argwhere(due).tolist():
        s = w.staff.stage[r * N:(r + 1) * N, j]
        t.funnel[r].append(np.array([np.mean(s <= AWARE), np.mean(s == ABANDONED),
                                     np.mean(s == TRIAL), np.mean(s >= ADOPTED)]))
        t.funnel_done[r, j] = True


def daily(w: World, top: np.ndarray | None = None) -> np.ndarray:
    """Every run's pattern measures of the day, in ``DAILY`` order: float64 (B, 8).

    Also keeps the bookkeeping of :class:`Tracks`. ``top``: as for :func:`levels_of_use`.
    """
    t = tracks(w)
    if w.day > 0:
        _update_effects(w, t)
        _update_funnel(w, t)
    return np.column_stack([levels_of_use(w, top), first_tried(w), coaching_reach(w)])


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


def summary(m: Any) -> dict[str, float]:
    """Per-run pattern measures (NaN where a run gives no instance).

    ``m`` is one run: its ``pattern_tracks`` (:class:`RunTracks`) and its daily measures
    as the DataCollector's columns.
    """
    t = m.pattern_tracks
    col = m.datacollector.model_vars
    se0_sd = col["se_sd"][0]
    funnel = np.mean(t.funnel, axis=0) if t.funnel else np.full(len(FUNNEL), np.nan)
    p, q, inflection = bass_fit(np.asarray(col["first_tried_share"]))
    return {
        "coaching_effect_sd": float(np.mean(t.effects)) if len(t.effects) else float("nan"),
        "coaching_cycles_closed": float(len(t.effects)),
        "efficacy_rise_sd_year1": (_at(col["se_mean"], DAYS_PER_YEAR) - col["se_mean"][0])
        / se0_sd if se0_sd > 0 else float("nan"),
        "integration_rise_year1": _at(col["level_integrated"], DAYS_PER_YEAR)
        - col["level_integrated"][0],
        **{k: float(v) for k, v in zip(FUNNEL, funnel, strict=True)},
        "funnel_innovations": float(len(t.funnel)),
        "first_use_bass_p": p, "first_use_bass_q": q, "first_use_inflection": inflection,
    }
