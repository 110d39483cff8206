"""Statistics of a sweep: per-cell means with intervals, paired differences, bands.

Intervals are 95% t-intervals over replicates: mean ± t(0.975, n-1) · sd / √n; for outputs
that are shares (values in [0, 1]) the interval is computed on the logit scale so it
stays inside [0, 1] (:mod:`sim.study.intervals`). Times to a threshold are restricted to
the horizon first (:mod:`sim.study.survival`): a run that never reaches the threshold
counts at the horizon and is counted as censored, never dropped. Because replicate r of
every cell runs on the same seed (common random numbers), two cells are compared
replicate by replicate: the interval of the paired differences d_r is usually much
narrower than the two cells' own intervals suggest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.study.intervals import LEVEL, Interval, share_interval
from sim.study.intervals import t_interval as interval
from sim.study.outputs import is_share
from sim.study.survival import CENSORED, HORIZON, is_time_to_event, kaplan_meier

__all__ = ["LEVEL", "Interval", "band", "cell_stats", "fmt", "interval", "md_table",
           "paired_change", "rank_correlations", "select"]


def fmt(value: object) -> str:
    """A parameter value for labels: numbers compactly (0.5, 1, 1e-05), others as text."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    return f"{value:g}"


def cell_stats(df: pd.DataFrame, by: Sequence[str], outputs: Sequence[str]) -> pd.DataFrame:
    """One row per (cell, output): n, mean, sd, se, ci_low, ci_high, missing, censored.

    Args:
        df: one row per run (``load_summaries``), time-to-event outputs already restricted
            (``sim.study.survival.with_restricted``: their ``censored_*`` flags present).
        by: columns that identify a cell (the swept parameter columns).
        outputs: summary columns to describe.

    Returns:
        The statistic is the mean (``statistic = "mean"``), or for a time to a threshold
        the restricted mean to the horizon (``"restricted mean"``) with the count of
        ``censored`` runs and the Kaplan-Meier ``km_median`` (inf: not reached). NaN
        values of other outputs are counted in ``missing`` and left out.
    """
    rows = []
    groups = df.groupby(list(by), sort=True) if by else [((), df)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        for out in outputs:
            iv = (share_interval if is_share(out) else interval)(group[out])
            row = {**dict(zip(by, key, strict=True)), "output": out, "n": iv.n,
                   "mean": iv.mean, "sd": iv.sd, "se": iv.se, "ci_low": iv.low,
                   "ci_high": iv.high, "missing": int(group[out].isna().sum()),
                   "censored": 0, "km_median": np.nan, "statistic": "mean"}
            if is_time_to_event(out) and CENSORED + out in group:
                cens = group[CENSORED + out].to_numpy(bool)
                times = np.where(cens, np.nan, group[out].to_numpy(float))
                km = kaplan_meier(times, float(group[HORIZON].max()))
                row |= {"censored": int(cens.sum()), "km_median": km.median,
                        "statistic": "restricted mean"}
            rows.append(row)
    return pd.DataFrame(rows)


def select(df: pd.DataFrame, where: Mapping[str, object]) -> pd.DataFrame:
    """Rows whose columns equal the given values (floats compared with a tolerance)."""
    mask = np.ones(len(df), dtype=bool)
    for col, value in where.items():
        if isinstance(value, float | int) and not isinstance(value, bool):
            mask &= np.isclose(df[col].astype(float), float(value), rtol=0, atol=1e-9)
        else:
            mask &= (df[col] == value).to_numpy()
    return df[mask]


def paired_change(df: pd.DataFrame, col: str, low: object, high: object, output: str,
                  at: Mapping[str, object]) -> tuple[Interval, Interval, Interval]:
    """Output at two values of one swept column and their replicate-paired difference.

    The other swept columns are held at ``at``; the difference is high minus low.

    Returns:
        (interval at low, interval at high, interval of the paired differences).
    """
    a = select(df, {**at, col: low}).set_index("replicate")[output]
    b = select(df, {**at, col: high}).set_index("replicate")[output]
    common = a.index.intersection(b.index)
    diff = b.loc[common] - a.loc[common]
    level = share_interval if is_share(output) else interval
    return level(a), level(b), interval(diff)


def band(daily: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Per day: mean of ``measure`` over runs with its 95% interval (logit for shares).

    Returns:
        Columns day, mean, low, high, n.
    """
    rows = []
    level = share_interval if "share" in measure else interval
    for day, group in daily.groupby("day", sort=True):
        iv = level(group[measure])
        rows.append({"day": day, "mean": iv.mean, "low": iv.low, "high": iv.high, "n": iv.n})
    return pd.DataFrame(rows)


def rank_correlations(df: pd.DataFrame, inputs: Sequence[str],
                      outputs: Sequence[str]) -> pd.DataFrame:
    """Spearman rank correlation of each input column with each output, over runs."""
    rows = []
    for out in outputs:
        for inp in inputs:
            ok = df[[inp, out]].dropna()
            if ok[inp].nunique() < 2 or ok[out].nunique() < 2:
                rho = float("nan")
            else:
                rho = float(stats.spearmanr(ok[inp], ok[out]).statistic)
            rows.append({"output": out, "input": inp, "spearman": rho, "n": len(ok)})
    return pd.DataFrame(rows)


def md_table(df: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-flavoured Markdown table (floats to ``digits`` places)."""
    head = "| " + " | ".join(map(str, df.columns)) + " |"
    sep = "|" + "---|" * len(df.columns)
    rows = ["| " + " | ".join(f"{v:.{digits}f}" if isinstance(v, float) else str(v)
                              for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep, *rows])
