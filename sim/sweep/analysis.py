"""Statistics of a sweep: per-cell means with t-intervals, paired differences, bands.

Intervals are 95% t-intervals over replicates: mean ± t(0.975, n-1) · sd / √n. Because
replicate r of every cell runs on the same seed (common random numbers), two cells are
compared replicate by replicate: the interval of the paired differences d_r is usually much
narrower than the two cells' own intervals suggest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean with its 95% t-interval over ``n`` finite values."""

    mean: float
    sd: float
    n: int
    low: float
    high: float

    def text(self, digits: int = 2) -> str:
        """``0.41 (95% CI 0.39 to 0.43)``."""
        f = f"{{:.{digits}f}}"
        if self.n < 2:
            return f.format(self.mean) + " (one value: no interval)"
        return (f.format(self.mean) + " (95% CI " + f.format(self.low) + " to "
                + f.format(self.high) + ")")

    @property
    def excludes_zero(self) -> bool:
        """True when the interval lies wholly above or below zero."""
        return self.n >= 2 and (self.low > 0 or self.high < 0)


def fmt(value: object) -> str:
    """A parameter value for labels: numbers compactly (0.5, 1, 1e-05), others as text."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    return f"{value:g}"


def interval(values: Sequence[float] | np.ndarray) -> Interval:
    """The mean and 95% t-interval of the finite values (NaN ones are left out)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Interval(float("nan"), float("nan"), 0, float("nan"), float("nan"))
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, float("nan"), 1, float("nan"), float("nan"))
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + LEVEL / 2, n - 1)) * sd / np.sqrt(n)
    return Interval(mean, sd, n, mean - half, mean + half)


def cell_stats(df: pd.DataFrame, by: Sequence[str], outputs: Sequence[str]) -> pd.DataFrame:
    """One row per (cell, output): n, mean, sd, se, ci_low, ci_high, missing.

    Args:
        df: one row per run (``load_summaries``).
        by: columns that identify a cell (the swept parameter columns).
        outputs: summary columns to describe; NaN values (e.g. a threshold never reached)
            are counted in ``missing`` and left out of the statistics.
    """
    rows = []
    groups = df.groupby(list(by), sort=True) if by else [((), df)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        for out in outputs:
            iv = interval(group[out])
            rows.append({**dict(zip(by, key, strict=True)), "output": out, "n": iv.n,
                         "mean": iv.mean, "sd": iv.sd,
                         "se": iv.sd / np.sqrt(iv.n) if iv.n >= 2 else float("nan"),
                         "ci_low": iv.low, "ci_high": iv.high,
                         "missing": int(group[out].isna().sum())})
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
    return interval(a), interval(b), interval(diff)


def band(daily: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Per day: mean of ``measure`` over runs with its 95% t-interval.

    Returns:
        Columns day, mean, low, high, n.
    """
    rows = []
    for day, group in daily.groupby("day", sort=True):
        iv = interval(group[measure])
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
