"""Figures of a calibration report: pattern fit, marginal and pairwise posteriors.

Each function takes plain tables (no model, no pyABC) and writes one PNG.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.calibrate.patterns import Pattern
from sim.study.manifest import atomic_write

PRIOR_COLOUR, POSTERIOR_COLOUR, TARGET_COLOUR = "0.65", "tab:blue", "tab:green"


def _save(fig: plt.Figure, path: Path) -> Path:
    atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return path


def signed_distance(p: Pattern, values: np.ndarray) -> np.ndarray:
    """Signed distance from the target in tolerances (0 inside the target)."""
    v = np.asarray(values, dtype=float)
    return (v - np.clip(v, p.low, p.high)) / p.tolerance


def fit_figure(patterns: Sequence[Pattern], prior: pd.DataFrame,
               predictive: pd.DataFrame | None, path: Path) -> Path:
    """One row per pattern: prior and posterior predictive 90% intervals and medians.

    Values are shown as distances from the target in tolerances (shaded: within one).
    """
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(patterns) + 1.4))
    y = np.arange(len(patterns))[::-1]
    ax.axvspan(-1, 1, color=TARGET_COLOUR, alpha=0.15, label="target ± 1 tolerance")
    ax.axvline(0, color=TARGET_COLOUR, lw=1.5)
    for yi, p in zip(y, patterns, strict=True):
        for table, colour, dy, label in ((prior, PRIOR_COLOUR, 0.15, "prior predictive"),
                                         (predictive, POSTERIOR_COLOUR, -0.15,
                                          "posterior predictive")):
            if table is None:
                continue
            d = signed_distance(p, table[f"value_{p.name}"].to_numpy())
            d = d[np.isfinite(d)]
            if not len(d):
                continue
            lo, med, hi = np.quantile(d, [0.05, 0.5, 0.95])
            ax.plot([lo, hi], [yi + dy] * 2, color=colour, lw=4, solid_capstyle="butt",
                    label=label if yi == y[0] else None)
            ax.plot(med, yi + dy, "o", color="black" if colour != PRIOR_COLOUR else "0.4",
                    ms=4)
    ax.set_yticks(y, [p.name for p in patterns])
    ax.set_xscale("symlog", linthresh=2)
    ax.set_xlabel("distance from the target, in tolerances (0 = on target; symlog scale)")
    ax.set_title("Pattern fit: 90% intervals and medians")
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def marginals_figure(names: Sequence[str], posterior: pd.DataFrame, weights: np.ndarray,
                     prior_pdf: dict[str, Callable[[np.ndarray], np.ndarray]],
                     bounds: dict[str, tuple[float, float]], path: Path) -> Path:
    """Each fitted parameter: the posterior (weighted histogram) over the prior density."""
    k = len(names)
    cols = min(3, k)
    rows = int(np.ceil(k / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.6 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names, strict=False):
        lo, hi = bounds[name]
        x = np.linspace(lo, hi, 200)
        ax.hist(posterior[name], bins=20, range=(lo, hi), weights=weights, density=True,
                color=POSTERIOR_COLOUR, alpha=0.6, label="posterior")
        ax.plot(x, prior_pdf[name](x), color="0.3", lw=1.5, label="prior")
        ax.set_xlim(lo, hi)
        ax.set_xlabel(name)
        ax.set_yticks([])
    for ax in axes.ravel()[k:]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=8)
    fig.suptitle("Marginal posteriors against the prior")
    fig.tight_layout()
    return _save(fig, path)


def pairwise_figure(names: Sequence[str], posterior: pd.DataFrame, weights: np.ndarray,
                    prior: pd.DataFrame, bounds: dict[str, tuple[float, float]],
                    path: Path) -> Path:
    """Corner plot: posterior particles (size ~ weight) over the prior sample (grey)."""
    k = len(names)
    fig, axes = plt.subplots(k, k, figsize=(2.3 * k + 0.6, 2.3 * k + 0.4), squeeze=False)
    size = 60 * weights / weights.max()
    for i, yi in enumerate(names):
        for j, xj in enumerate(names):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            if i == j:
                ax.hist(prior[xj], bins=15, range=bounds[xj], density=True,
                        color=PRIOR_COLOUR, alpha=0.5)
                ax.hist(posterior[xj], bins=15, range=bounds[xj], weights=weights,
                        density=True, color=POSTERIOR_COLOUR, alpha=0.6)
                ax.set_yticks([])
            else:
                ax.scatter(prior[xj], prior[yi], s=4, color=PRIOR_COLOUR, alpha=0.6)
                ax.scatter(posterior[xj], posterior[yi], s=size, color=POSTERIOR_COLOUR,
                           alpha=0.6)
                ax.set_ylim(*bounds[yi])
            ax.set_xlim(*bounds[xj])
            if i == k - 1:
                ax.set_xlabel(xj, fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(yi, fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle("Pairwise posterior (blue, size ~ weight) over the prior sample (grey)")
    fig.tight_layout()
    return _save(fig, path)
