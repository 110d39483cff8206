"""Time-to-event outputs (days to 25% or 50% users, ...): censoring at the horizon.

A run that never reaches a threshold within its horizon has no event day (NaN in the
summary): its time is *right-censored* at the horizon, not missing. Averaging only the
runs that reached the threshold favours whichever arm reaches it least often, so every
statistic here keeps the censored runs:

- the share of runs reaching the threshold within the horizon (Wilson interval);
- the Kaplan-Meier median with its interval (Brookmeyer & Crowley 1982; log-log
  pointwise band, Kalbfleisch & Prentice 2002), computed with ``scipy.stats.ecdf`` on
  ``scipy.stats.CensoredData``;
- the restricted mean time to the horizon τ (RMST: the area under the Kaplan-Meier curve
  from 0 to τ; Royston & Parmar 2013, *BMC Med Res Methodol* 13:152).

All runs of a study share one horizon and are censored only there (administrative
censoring), so the Kaplan-Meier curve equals the empirical distribution below τ and the
RMST equals the mean of the *restricted times* min(T, τ). Each run's restricted time is
therefore a complete, finite observation: sweeps, paired differences and sensitivity
analysis use it in place of the raw event day, and count the censored runs.

We use scipy rather than lifelines: lifelines needs pandas < 3 and does not install here.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.study.intervals import LEVEL, share_interval, wilson

#: Summary keys that start with this prefix are times to an event (days to a threshold).
PREFIX = "days_to_"
#: Summary column holding each run's horizon (days simulated).
HORIZON = "days"
#: Column prefix of the censoring flags added by :func:`with_restricted`.
CENSORED = "censored_"


def is_time_to_event(key: str) -> bool:
    """True for a time-to-event summary key (``days_to_25``, ``days_to_50``, ...)."""
    return key.startswith(PREFIX)


def restricted(times: Iterable[float], horizon: float | Iterable[float]) -> tuple[np.ndarray,
                                                                                  np.ndarray]:
    """Restricted times min(T, τ) and event flags (False: censored at the horizon).

    Args:
        times: event days, NaN for runs that never reached the threshold, shape (n,).
        horizon: τ, one number or one per run (days simulated).

    Returns:
        ``(restricted times, events)``, both shape (n,).
    """
    t = np.asarray(list(times) if not isinstance(times, np.ndarray) else times, dtype=float)
    tau = np.broadcast_to(np.asarray(horizon, dtype=float), t.shape)
    event = np.isfinite(t) & (t <= tau)
    return np.where(event, t, tau), event


def with_restricted(df: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy of ``df`` whose time-to-event columns hold restricted times.

    Each such column ``c`` is replaced by min(T, τ) (τ from the ``days`` column) and a
    boolean column ``censored_c`` is added. Other columns are unchanged.

    Raises:
        KeyError: a time-to-event column is present but the ``days`` column is not.
    """
    out = df.copy()
    cols = [c for c in (columns if columns is not None else df.columns)
            if is_time_to_event(c) and c in df]
    if cols and HORIZON not in df:
        raise KeyError(f"time-to-event columns {cols} need the {HORIZON!r} column (horizon)")
    for c in cols:
        times, event = restricted(df[c].to_numpy(float), df[HORIZON].to_numpy(float))
        out[c] = times
        out[CENSORED + c] = ~event
    return out


@dataclass(frozen=True)
class Survival:
    """Kaplan-Meier summary of one group's time to an event, censored at ``horizon``.

    ``median`` is ``inf`` when the curve never falls to 0.5 within the horizon ("not
    reached"); ``median_high`` likewise when the upper band never does.
    """

    n: int
    events: int
    censored: int
    horizon: float
    reached: float
    reached_low: float
    reached_high: float
    median: float
    median_low: float
    median_high: float
    rmst: float
    rmst_low: float
    rmst_high: float


def _first_below(times: np.ndarray, probs: np.ndarray, level: float = 0.5) -> float:
    hit = np.flatnonzero(probs <= level + 1e-12)
    return float(times[hit[0]]) if len(hit) else float("inf")


def kaplan_meier(times: Iterable[float], horizon: float, level: float = LEVEL) -> Survival:
    """Share reaching, KM median with interval, and RMST of event days censored at τ.

    Args:
        times: event days, NaN where the threshold was not reached, shape (n,).
        horizon: τ, the days simulated (the same for every run of a study).
        level: confidence level of the intervals.

    The median's interval holds the days t at which the pointwise log-log band of S(t)
    contains 0.5 (Brookmeyer & Crowley 1982). The RMST is the area under the KM curve
    from 0 to τ; its interval is that of the mean restricted time (equal to the RMST
    under administrative censoring, see the module doc), on the logit scale of min(T, τ)/τ
    so that it stays within [0, τ].
    """
    t, event = restricted(times, horizon)
    n, k = len(t), int(event.sum())
    low, high = wilson(k, n, level)
    nan = float("nan")
    if n == 0:
        return Survival(0, 0, 0, float(horizon), nan, nan, nan, nan, nan, nan, nan, nan, nan)
    if k == 0:  # nobody reached it: S(t) = 1 up to the horizon
        return Survival(n, 0, n, float(horizon), 0.0, low, high, float("inf"), float("inf"),
                        float("inf"), float(horizon), float(horizon), float(horizon))
    data = stats.CensoredData(uncensored=t[event], right=t[~event])
    sf = stats.ecdf(data).sf
    with warnings.catch_warnings():  # the log-log band is undefined where S(t) = 0 ...
        warnings.simplefilter("ignore", RuntimeWarning)
        band = sf.confidence_interval(level, method="log-log")
    grid = sf.quantiles
    zero = sf.probabilities <= 0  # ... and there it is [0, 0]
    band_low = np.where(zero, 0.0, band.low.probabilities)
    band_high = np.where(zero, 0.0, band.high.probabilities)
    steps = np.concatenate([[0.0], grid[grid < horizon], [horizon]])
    area = float(np.sum(np.diff(steps) * sf.evaluate(steps[:-1])))
    rm = share_interval(t / horizon, level)  # restricted times lie in [0, τ]: so does this
    return Survival(
        n=n, events=k, censored=n - k, horizon=float(horizon), reached=k / n,
        reached_low=low, reached_high=high,
        median=_first_below(grid, sf.probabilities),
        median_low=_first_below(grid, band_low), median_high=_first_below(grid, band_high),
        rmst=area, rmst_low=float(rm.low) * horizon, rmst_high=float(rm.high) * horizon)


def survival_table(df: pd.DataFrame, key: str, by: list[str],
                   level: float = LEVEL) -> pd.DataFrame:
    """One row of :class:`Survival` fields per group of ``by`` for time-to-event ``key``.

    Args:
        df: one row per run with ``key`` and ``days``: raw event days (NaN = not
            reached), or restricted times with their ``censored_<key>`` flags.
        key: a time-to-event column.
        by: grouping columns (e.g. ``["scenario"]``).
    """
    rows = []
    for name, group in df.groupby(by, sort=False):
        name = name if isinstance(name, tuple) else (name,)
        times = group[key].to_numpy(float).copy()
        if CENSORED + key in group:  # restricted times: censored runs back to "not reached"
            times[group[CENSORED + key].to_numpy(bool)] = np.nan
        s = kaplan_meier(times, float(group[HORIZON].max()), level)
        rows.append({**dict(zip(by, name, strict=True)), "output": key, **s.__dict__})
    return pd.DataFrame(rows)
