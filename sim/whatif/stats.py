"""Paired statistics of a what-if study: differences, t-intervals, pairing gain, costs.

Every scenario runs replicate r on the same seed, so each replicate gives one paired
difference d_r = scenario_r - baseline_r. The 95% interval is the t-interval on the d_r:
mean(d) ± t(0.975, n-1) · sd(d) / √n. Pairing removes the between-replicate variance that
both arms share (the same district, teachers and chance events), which is why the paired
standard error is reported next to the unpaired (Welch) one on the same runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

LEVEL = 0.95


@dataclass(frozen=True)
class Measure:
    """A key outcome: summary column, label, which direction is better, and its unit."""

    key: str
    label: str
    better: str  # "higher" or "lower"
    unit: str  # "share", "days" or "teachers"


MEASURES: dict[str, Measure] = {m.key: m for m in (
    Measure("final_integrated_share", "INTEGRATED (share of staff)", "higher", "share"),
    Measure("integrated_teachers", "INTEGRATED teachers", "higher", "teachers"),
    Measure("final_users_share", "users (share of staff)", "higher", "share"),
    Measure("user_teachers", "users (teachers)", "higher", "teachers"),
    Measure("independent_user_share", "users who are independent", "higher", "share"),
    Measure("final_dependent_share", "users who are dependent", "lower", "share"),
    Measure("days_to_50", "days to 50% users of the first innovation", "lower", "days"),
    Measure("never_reached_share", "teachers never reached by their specialist", "lower",
            "share"),
    Measure("unreachable_share", "teachers unreachable one-to-one", "lower", "share"),
    Measure("time_troubleshooting", "specialist time on troubleshooting", "lower", "share"),
    Measure("time_coaching", "specialist time on coaching", "higher", "share"),
    Measure("tickets_backlog", "tickets still waiting at the end", "lower", "tickets"),
)}
#: Counts derived from shares: (new column, share column). Shares of staff are averaged
#: over innovations, so the counts are teacher-equivalents averaged the same way.
COUNTS = (("integrated_teachers", "final_integrated_share"), ("user_teachers", "final_users_share"))
#: Outcomes whose cost-effectiveness is reported (extra teachers per FTE-year and money).
EFFECT_COUNTS = ("integrated_teachers", "user_teachers")


@dataclass(frozen=True)
class Interval:
    """A mean with its standard error and two-sided t-interval over ``n`` values."""

    n: int
    mean: float
    sd: float
    se: float
    low: float
    high: float


def t_interval(values: Iterable[float], level: float = LEVEL) -> Interval:
    """The t-interval for the mean of ``values`` (NaNs dropped; NaN when fewer than 2)."""
    x = np.asarray(list(values), dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 2:
        m = float(x.mean()) if n else float("nan")
        return Interval(n, m, float("nan"), float("nan"), float("nan"), float("nan"))
    sd = float(x.std(ddof=1))
    se = sd / np.sqrt(n)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    m = float(x.mean())
    return Interval(n, m, sd, se, m - half, m + half)


def with_counts(summaries: pd.DataFrame, n_teachers: Mapping[str, int]) -> pd.DataFrame:
    """A copy of ``summaries`` with teacher counts (share x teachers of the scenario)."""
    out = summaries.copy()
    teachers = out["scenario"].map(n_teachers).astype(float)
    for col, share in COUNTS:
        out[col] = out[share] * teachers
    return out


def paired(summaries: pd.DataFrame, key: str, scenario: str,
           baseline: str) -> tuple[np.ndarray, np.ndarray]:
    """Baseline and scenario values of ``key`` on the replicates both have (finite)."""
    wide = summaries.pivot_table(index="replicate", columns="scenario", values=key,
                                 aggfunc="first", dropna=False)
    if scenario not in wide or baseline not in wide:
        return np.zeros(0), np.zeros(0)
    both = wide[[baseline, scenario]].dropna()
    return both[baseline].to_numpy(float), both[scenario].to_numpy(float)


def unpaired_se(a: np.ndarray, b: np.ndarray) -> float:
    """Welch standard error of mean(b) - mean(a), as if the arms were independent."""
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    return float(np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))


def differences(summaries: pd.DataFrame, scenarios: list[str], baseline: str,
                measures: Iterable[str] = MEASURES, level: float = LEVEL) -> pd.DataFrame:
    """Paired differences from the baseline, one row per (scenario, outcome).

    Columns: scenario, outcome, n (pairs), baseline_mean, scenario_mean, difference, se,
    ci_low, ci_high, se_unpaired, pairing_gain (unpaired / paired SE; NaN when the paired
    SE is 0), better (+1 if the difference is better with 95% confidence, -1 if worse,
    0 if the interval includes 0).
    """
    rows = []
    for sc in scenarios:
        for key in measures:
            a, b = paired(summaries, key, sc, baseline)
            iv = t_interval(b - a, level)
            su = unpaired_se(a, b)
            sign = 1 if MEASURES[key].better == "higher" else -1
            verdict = 0
            if iv.n >= 2 and (iv.low > 0 or iv.high < 0):
                verdict = sign * (1 if iv.low > 0 else -1)
            rows.append({
                "scenario": sc, "outcome": key, "n": iv.n,
                "baseline_mean": float(a.mean()) if len(a) else np.nan,
                "scenario_mean": float(b.mean()) if len(b) else np.nan,
                "difference": iv.mean, "se": iv.se, "ci_low": iv.low, "ci_high": iv.high,
                "se_unpaired": su, "pairing_gain": su / iv.se if iv.se > 0 else np.nan,
                "better": verdict,
            })
    return pd.DataFrame(rows)


def means(summaries: pd.DataFrame, order: list[str],
          measures: Iterable[str] = MEASURES) -> pd.DataFrame:
    """Per scenario: runs, then the mean of each outcome over its replicates (NaN skipped)."""
    keys = list(measures)
    table = summaries.groupby("scenario")[keys].mean().reindex(order)
    table.insert(0, "runs", summaries.groupby("scenario").size().reindex(order).fillna(0))
    return table.reset_index()


def cost_effectiveness(diff: pd.DataFrame, costs: Mapping[str, tuple[float, float]],
                       per_money: float) -> pd.DataFrame:
    """Extra teachers per FTE-year and per ``per_money`` of money, with their intervals.

    Args:
        diff: output of :func:`differences` (needs the :data:`EFFECT_COUNTS` outcomes).
        costs: per scenario ``(fte_years, total_money)`` over the horizon.
        per_money: report effects per this much money (e.g. 100,000).

    Costs are fixed numbers, so each interval is the difference's interval divided by the
    cost (exact). A scenario without extra cost gets NaN (its effect is free, or a saving).
    """
    rows = []
    for sc, (fte_years, money) in costs.items():
        row: dict[str, float | str] = {"scenario": sc, "fte_years": fte_years, "cost": money}
        for key in EFFECT_COUNTS:
            d = diff[(diff["scenario"] == sc) & (diff["outcome"] == key)]
            if d.empty:
                continue
            d = d.iloc[0]
            row[f"extra_{key}"] = d["difference"]
            row[f"extra_{key}_low"], row[f"extra_{key}_high"] = d["ci_low"], d["ci_high"]
            for suffix, amount in (("per_fte_year", fte_years), ("per_money", money / per_money)):
                ok = amount > 0
                for part in ("difference", "ci_low", "ci_high"):
                    tail = {"difference": "", "ci_low": "_low", "ci_high": "_high"}[part]
                    row[f"{key}_{suffix}{tail}"] = d[part] / amount if ok else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


#: Daily measures drawn as curves: column -> what it is (users, then INTEGRATED teachers).
CURVES = {"users_share": "Users", "share_integrated": "INTEGRATED"}


def curves(daily: pd.DataFrame, columns: Iterable[str] = tuple(CURVES),
           level: float = LEVEL) -> pd.DataFrame:
    """Per measure, scenario and day: mean, t-interval of the mean, 10th/90th percentiles."""
    parts = []
    for column in columns:
        g = daily.groupby(["scenario", "day"])[column]
        out = g.agg(mean="mean", sd="std", n="count",
                    p10=lambda s: s.quantile(0.1), p90=lambda s: s.quantile(0.9)).reset_index()
        t = stats.t.ppf(0.5 + level / 2, np.maximum(out["n"] - 1, 1))
        half = np.where(out["n"] >= 2, t * out["sd"] / np.sqrt(out["n"]), np.nan)
        out["ci_low"], out["ci_high"] = out["mean"] - half, out["mean"] + half
        parts.append(out.assign(measure=column))
    table = pd.concat(parts, ignore_index=True)
    return table[["measure", *(c for c in table if c != "measure")]]


def ranking(diff: pd.DataFrame, rank_by: str) -> list[str]:
    """Scenarios from the best to the worst difference in ``rank_by`` (its direction)."""
    d = diff[diff["outcome"] == rank_by].set_index("scenario")["difference"]
    sign = -1.0 if MEASURES[rank_by].better == "higher" else 1.0
    return list((sign * d).fillna(np.inf).sort_values(kind="stable").index)
