"""Paired statistics of a what-if study: differences, intervals, the two sources of spread.

Every scenario runs replicate r of world k on the same seed, so each (k, r) gives one paired
difference d_kr = scenario_kr - baseline_kr.

- One world (no ``[uncertainty]`` table): the interval is the t-interval on the d_r,
  mean(d) ± t(0.975, n-1) · sd(d) / √n; pairing removes the between-replicate variance
  both arms share, which is why the unpaired (Welch) SE is reported next to it.
- K worlds: the expected difference is the mean of the K world means d̄_k, with the
  t-interval over worlds (it carries both chance and parameter uncertainty, as each world
  mean does). A one-way random-effects decomposition separates the two sources: chance
  (within-world variance σ²_w of one run's difference) and parameters (between-world
  variance τ² = max(0, var(d̄_k) - σ²_w · mean(1/n_k))). The *uncertainty interval*
  mean ± t(0.975, K-1) · sqrt(τ² + var(d̄_k)/K) is the random-effects prediction interval
  for the difference in a world drawn from the same uncertainty (Higgins, Thompson &
  Spiegelhalter 2009, J R Stat Soc A 172:137); verdicts use it.

Times to a threshold are restricted to the horizon first (:mod:`sim.study.survival`), so
runs that never reach it count, and every row says how many were censored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.study.intervals import LEVEL, Interval, direction, is_flat, logit_bounds, t_interval
from sim.study.survival import CENSORED, is_time_to_event, with_restricted

__all__ = ["COUNTS", "CURVES", "EFFECT_COUNTS", "EFFECT_NAMES", "LEVEL", "MEASURES",
           "Interval", "Measure", "cube", "curves", "differences", "means", "paired",
           "ranking", "t_interval", "unpaired_se", "with_counts", "world_means"]


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
    Measure("days_to_50", "days to 50% users of the first innovation (restricted mean)",
            "lower", "days"),
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
#: Effects of the cost-effectiveness analysis (cost per extra teacher of each).
EFFECT_COUNTS = ("integrated_teachers", "user_teachers")
#: Singular and plural names of the effects, for "cost per extra INTEGRATED teacher".
EFFECT_NAMES = {"integrated_teachers": ("INTEGRATED teacher", "INTEGRATED teachers"),
                "user_teachers": ("user", "users")}


def with_counts(summaries: pd.DataFrame, n_teachers: Mapping[str, int]) -> pd.DataFrame:
    """A copy with teacher counts (share x teachers) and time-to-event columns restricted.

    Adds ``world = 0`` when the study has no worlds, so every table can group by world.
    """
    out = with_restricted(summaries)
    if "world" not in out:
        out["world"] = 0
    teachers = out["scenario"].map(n_teachers).astype(float)
    for col, share in COUNTS:
        out[col] = out[share] * teachers
    return out


def cube(summaries: pd.DataFrame, key: str, scenarios: list[str], worlds: int | None = None,
         replicates: int | None = None) -> np.ndarray:
    """Values of ``key`` as an array (scenario, world, replicate); NaN where missing.

    ``worlds`` and ``replicates`` give the study's sizes (default: those present), so a
    world or replicate without any finished run keeps its place as NaN.
    """
    worlds = range(worlds) if worlds is not None else \
        sorted(summaries["world"].unique()) if "world" in summaries else [0]
    reps = range(replicates) if replicates is not None else \
        sorted(summaries["replicate"].unique())
    out = np.full((len(scenarios), len(worlds), len(reps)), np.nan)
    if "world" not in summaries:
        summaries = summaries.assign(world=0)
    w = {v: i for i, v in enumerate(worlds)}
    r = {v: i for i, v in enumerate(reps)}
    for s, name in enumerate(scenarios):
        rows = summaries[summaries["scenario"] == name]
        out[s, rows["world"].map(w).to_numpy(int), rows["replicate"].map(r).to_numpy(int)] = \
            rows[key].to_numpy(float)
    return out


def world_means(values: np.ndarray) -> np.ndarray:
    """Mean over replicates, shape (..., world): NaN for a world without values."""
    ok = np.isfinite(values)
    n = ok.sum(axis=-1)
    total = np.where(ok, values, 0.0).sum(axis=-1)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def paired(summaries: pd.DataFrame, key: str, scenario: str,
           baseline: str) -> tuple[np.ndarray, np.ndarray]:
    """Baseline and scenario values of ``key`` on the (world, replicate) pairs both have."""
    y = cube(summaries, key, [baseline, scenario]).reshape(2, -1)
    both = np.isfinite(y).all(axis=0)
    return y[0, both], y[1, both]


def unpaired_se(a: np.ndarray, b: np.ndarray) -> float:
    """Welch standard error of mean(b) - mean(a), as if the arms were independent."""
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    return float(np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))


def _worlds(d: np.ndarray, level: float) -> dict[str, float]:
    """Expected difference, its interval and the two sources of spread (d: world x rep)."""
    ok = np.isfinite(d)
    n_k = ok.sum(axis=1)
    used = n_k > 0
    means = world_means(d)[used]
    k = len(means)
    iv = t_interval(means, level)
    dev = np.where(ok, d - world_means(d)[:, None], 0.0)
    dof = int(np.maximum(n_k - 1, 0).sum())
    within = float((dev**2).sum() / dof) if dof else float("nan")
    spread = (0.0 if is_flat(means) else float(means.var(ddof=1))) if k >= 2 else float("nan")
    between = max(0.0, spread - within * float(np.mean(1.0 / n_k[used]))) \
        if np.isfinite(within) and k >= 2 else float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, max(k - 1, 1))) * np.sqrt(between + spread / k) \
        if k >= 2 and np.isfinite(between) else float("nan")
    total = between + within
    return {"worlds": k, "difference": iv.mean, "se": iv.se, "ci_low": iv.low,
            "ci_high": iv.high, "ui_low": iv.mean - half, "ui_high": iv.mean + half,
            "sd_chance": float(np.sqrt(within)), "sd_parameters": float(np.sqrt(between)),
            "parameter_share": between / total if total > 0 else float("nan")}


def differences(summaries: pd.DataFrame, scenarios: list[str], baseline: str,
                measures: Iterable[str] = MEASURES, level: float = LEVEL) -> pd.DataFrame:
    """Paired differences from the baseline, one row per (scenario, outcome).

    Args:
        summaries: one row per run (``with_counts`` output: scenario, world, replicate).
        scenarios: the arms to compare with ``baseline``.
        baseline: name of the baseline scenario.
        measures: outcome keys (keys of :data:`MEASURES`).
        level: confidence level.

    Returns:
        Columns: scenario, outcome, n (pairs used), missing (pairs lost: a run absent or
        NaN), censored_baseline / censored_scenario (runs not reaching a threshold, for
        times to it), worlds, baseline_mean, scenario_mean, difference, se, ci_low,
        ci_high, ui_low / ui_high (uncertainty interval; NaN with one world),
        sd_chance, sd_parameters, parameter_share, share_better (share of worlds in which
        the scenario is better), se_unpaired, pairing_gain, better (+1 better with 95%
        confidence, -1 worse, 0 undecided; with worlds judged on the uncertainty interval;
        a zero-width interval by the sign test, :func:`sim.study.intervals.direction`),
        no_spread (every pair, or every world, gave the same difference: no interval).
    """
    rows = []
    many = "world" in summaries and summaries["world"].nunique() > 1
    for sc in scenarios:
        for key in measures:
            y = cube(summaries, key, [baseline, sc])
            d = y[1] - y[0]
            both = np.isfinite(d)
            a, b = y[0][both], y[1][both]
            sign = 1 if MEASURES[key].better == "higher" else -1
            row = {"scenario": sc, "outcome": key, "n": int(both.sum()),
                   "missing": int((np.isfinite(y).any(axis=0) & ~both).sum()),
                   "censored_baseline": 0, "censored_scenario": 0,
                   "baseline_mean": float(a.mean()) if len(a) else np.nan,
                   "scenario_mean": float(b.mean()) if len(b) else np.nan}
            if is_time_to_event(key) and CENSORED + key in summaries:
                flags = cube(summaries, CENSORED + key, [baseline, sc])
                row["censored_baseline"] = int(np.nansum(flags[0][both]))
                row["censored_scenario"] = int(np.nansum(flags[1][both]))
            if many:
                row |= _worlds(d, level)
                low, high = row["ui_low"], row["ui_high"]
                row["share_better"] = float(np.mean(sign * world_means(d)[
                    np.isfinite(world_means(d))] > 0))
            else:
                iv = t_interval(b - a, level)
                row |= {"worlds": 1, "difference": iv.mean, "se": iv.se, "ci_low": iv.low,
                        "ci_high": iv.high, "ui_low": np.nan, "ui_high": np.nan,
                        "sd_chance": iv.sd, "sd_parameters": np.nan,
                        "parameter_share": np.nan, "share_better": np.nan}
                low, high = iv.low, iv.high
            su = unpaired_se(a, b)
            units = row["worlds"] if many else row["n"]  # what the interval is over
            verdict = sign * direction(units, row["difference"], low, high, level) \
                if row["n"] >= 2 else 0
            rows.append(row | {"se_unpaired": su, "better": verdict,
                               "no_spread": bool(row["n"] >= 2 and low == high),
                               "pairing_gain": su / row["se"] if row["se"] > 0 else np.nan})
    return pd.DataFrame(rows)


def means(summaries: pd.DataFrame, order: list[str],
          measures: Iterable[str] = MEASURES) -> pd.DataFrame:
    """Per scenario: runs, then each outcome's mean and the count of values it used.

    Times to a threshold are restricted means (censored runs count at the horizon).
    """
    keys = list(measures)
    g = summaries.groupby("scenario")
    table = g[keys].mean().reindex(order)
    counts = g[keys].count().reindex(order).add_prefix("n_")
    table.insert(0, "runs", g.size().reindex(order).fillna(0))
    return pd.concat([table, counts], axis=1).reset_index()


#: Daily measures drawn as curves: column -> what it is (users, then INTEGRATED teachers).
CURVES = {"users_share": "Users", "share_integrated": "INTEGRATED"}


def curves(daily: pd.DataFrame, columns: Iterable[str] = tuple(CURVES),
           level: float = LEVEL) -> pd.DataFrame:
    """Per measure, scenario and day: mean, its interval (logit scale), 10th/90th pct."""
    parts = []
    for column in columns:
        g = daily.groupby(["scenario", "day"])[column]
        out = g.agg(mean="mean", sd="std", n="count")
        out["p10"], out["p90"] = g.quantile(0.1), g.quantile(0.9)
        out = out.reset_index()
        out["ci_low"], out["ci_high"] = logit_bounds(
            out["mean"].to_numpy(float), (out["sd"] / np.sqrt(out["n"])).to_numpy(float),
            out["n"].to_numpy(), level)
        parts.append(out.assign(measure=column))
    table = pd.concat(parts, ignore_index=True)
    return table[["measure", *(c for c in table if c != "measure")]]


def ranking(diff: pd.DataFrame, rank_by: str) -> list[str]:
    """Scenarios from the best to the worst difference in ``rank_by`` (its direction)."""
    d = diff[diff["outcome"] == rank_by].set_index("scenario")["difference"]
    sign = -1.0 if MEASURES[rank_by].better == "higher" else 1.0
    return list((sign * d).fillna(np.inf).sort_values(kind="stable").index)
