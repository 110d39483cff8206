"""Confidence intervals shared by sweeps and what-if studies.

- :func:`t_interval`: the mean of a sample with its two-sided t-interval,
  mean ± t(1 - α/2, n-1) · sd / √n.
- :func:`share_interval`: the same for a mean of values in [0, 1] (shares of staff, shares
  of time), computed on the logit scale (delta method) and transformed back, so the
  interval never leaves [0, 1] (Agresti 2013, *Categorical Data Analysis*, 3rd ed., §1.4).
- :func:`wilson`: the Wilson score interval of a binomial proportion k / n (Wilson 1927;
  recommended by Brown, Cai & DasGupta 2001), for "share of runs reaching a threshold" or
  "share of worlds in which a scenario is best".
- :func:`direction`: whether a difference is decided (+1 / -1) or not (0). A sample with no
  spread (every value the same, as when every paired replicate gives the same difference)
  has a zero-width interval that says nothing about precision; it is then decided by the
  exact two-sided sign test instead (Dixon & Mood 1946; Conover 1999, *Practical
  Nonparametric Statistics*, 3rd ed., §3.4): n values of one sign give p = 2 · 0.5^n, so at
  95% it takes at least 6 agreeing values, and values that are all 0 decide nothing.

Every function leaves non-finite values out and reports ``n``, the number of values used,
so the caller can show how many were missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVEL = 0.95
#: Relative spread below which a sample counts as having none (floating-point rounding of
#: differences such as 0.6 - 0.5 vs 0.2 - 0.1 is about 1e-16 of the operands).
NO_SPREAD = 1e-9


@dataclass(frozen=True)
class Interval:
    """A mean with its standard error and two-sided interval over ``n`` finite values."""

    n: int
    mean: float
    sd: float
    se: float
    low: float
    high: float

    @property
    def no_spread(self) -> bool:
        """True when there are 2+ values and all are the same (a zero-width interval)."""
        return self.n >= 2 and self.sd == 0

    def text(self, digits: int = 2) -> str:
        """``0.41 (95% CI 0.39 to 0.43)``; ``0.41 (all 5 values the same: no interval)``."""
        f = f"{{:.{digits}f}}"
        if self.n < 2:
            return f.format(self.mean) + " (one value: no interval)"
        if self.no_spread:
            return f.format(self.mean) + f" (all {self.n} values the same: no interval)"
        return (f.format(self.mean) + f" ({LEVEL:.0%} CI " + f.format(self.low) + " to "
                + f.format(self.high) + ")")

    @property
    def excludes_zero(self) -> bool:
        """True when the difference is decided at 95% (see :func:`direction`)."""
        return direction(self.n, self.mean, self.low, self.high) != 0


def is_flat(x: np.ndarray) -> bool:
    """True when the finite values ``x`` (2 or more) are all equal, up to rounding."""
    return len(x) >= 2 and float(np.ptp(x)) <= NO_SPREAD * float(np.abs(x).max())


def direction(n: int, mean: float, low: float, high: float, level: float = LEVEL) -> int:
    """+1 / -1 when a difference is decided above / below 0 at ``level``, else 0.

    Decided: the interval ``[low, high]`` over ``n`` values lies wholly on one side of 0.
    A zero-width interval (no spread) is decided by the exact sign test instead: +1 or -1
    only when ``mean`` is not 0 and 2 · 0.5^n < 1 - level. Fewer than 2 values or
    non-finite bounds: 0.
    """
    if n < 2 or not (np.isfinite(low) and np.isfinite(high)):
        return 0
    if high == low:
        if mean == 0 or 2 * 0.5**n >= 1 - level:
            return 0
        return 1 if mean > 0 else -1
    return 1 if low > 0 else -1 if high < 0 else 0


def _finite(values: Iterable[float]) -> np.ndarray:
    x = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    return x[np.isfinite(x)]


def t_interval(values: Iterable[float], level: float = LEVEL) -> Interval:
    """The t-interval for the mean of the finite ``values`` (NaN bounds when fewer than 2).

    Values with no spread (:func:`is_flat`) give sd 0 and the zero-width interval
    [mean, mean], flagged by :attr:`Interval.no_spread`, never a rounding-noise width.

    Args:
        values: a sample (any iterable of numbers; NaN and inf are left out).
        level: confidence level, e.g. 0.95.
    """
    x = _finite(values)
    n = len(x)
    if n < 2:
        m = float(x.mean()) if n else float("nan")
        return Interval(n, m, float("nan"), float("nan"), float("nan"), float("nan"))
    sd = 0.0 if is_flat(x) else float(x.std(ddof=1))
    se = sd / np.sqrt(n)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    m = float(x.mean())
    return Interval(n, m, sd, se, m - half, m + half)


def share_interval(values: Iterable[float], level: float = LEVEL) -> Interval:
    """The interval of a mean of shares (values in [0, 1]) on the logit scale.

    logit(m) ± t · se / (m (1 - m)), transformed back with the logistic function; a mean
    of exactly 0 or 1 (every value equal to it) or a zero spread gives [m, m].

    Raises:
        ValueError: a value outside [0, 1] (not a share).
    """
    x = _finite(values)
    if len(x) and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"share_interval: values must lie in [0, 1], got {x.min()} to "
                         f"{x.max()}")
    iv = t_interval(x, level)
    if iv.n < 2:
        return iv
    low, high = logit_bounds(np.array([iv.mean]), np.array([iv.se]), np.array([iv.n]), level)
    return Interval(iv.n, iv.mean, iv.sd, iv.se, float(low[0]), float(high[0]))


def logit_bounds(mean: np.ndarray, se: np.ndarray, n: np.ndarray,
                 level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised bounds of :func:`share_interval` from means, SEs and counts (same shape).

    NaN where n < 2; [m, m] where the mean is 0 or 1 or the SE is 0.
    """
    m = np.asarray(mean, dtype=float)
    se = np.asarray(se, dtype=float)
    n = np.asarray(n)
    inner = (m > 0) & (m < 1) & (se > 0)
    safe = np.where(inner, m, 0.5)
    t = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
    centre = np.log(safe / (1 - safe))
    half = t * np.where(inner, se, 0.0) / (safe * (1 - safe))
    low = np.where(inner, 1 / (1 + np.exp(-(centre - half))), m)
    high = np.where(inner, 1 / (1 + np.exp(-(centre + half))), m)
    few = n < 2
    return np.where(few, np.nan, low), np.where(few, np.nan, high)


def wilson(k: float, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of the proportion ``k / n`` (NaNs when ``n`` is 0).

    ``k`` may be fractional (ties split between scenarios count half each).
    """
    if n <= 0:
        return float("nan"), float("nan")
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if k <= 0 else max(0.0, centre - half)  # exact ends: no rounding crumbs
    high = 1.0 if k >= n else min(1.0, centre + half)
    return float(low), float(high)
