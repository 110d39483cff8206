"""Figures of a sweep; each function writes one PNG.

Heatmaps over two swept parameters, adoption curves with bands, outputs against one
parameter, sensitivity indices.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.study.manifest import atomic_write
from sim.sweep.analysis import fmt

LINE_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")


def save(fig: plt.Figure, path: Path, dpi: int = 110) -> Path:
    """Write the figure atomically and close it."""
    atomic_write(path, lambda p: fig.savefig(p, dpi=dpi, format="png", bbox_inches="tight"))
    plt.close(fig)
    return path


def heatmap(table: pd.DataFrame, path: Path, *, title: str, xlabel: str, ylabel: str,
            colorbar: str, cmap: str = "viridis", digits: int = 2) -> Path:
    """A heatmap of ``table`` (index = y values, columns = x values), cells annotated."""
    values = table.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(1.0 + 0.62 * values.shape[1], 1.2 + 0.5 * values.shape[0]))
    finite = values[np.isfinite(values)]
    vmin, vmax = (finite.min(), finite.max()) if finite.size else (0, 1)
    im = ax.imshow(values, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_xticks(range(values.shape[1]), [fmt(v) for v in table.columns])
    ax.set_yticks(range(values.shape[0]), [fmt(v) for v in table.index])
    mid = (vmin + vmax) / 2
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.{digits}f}", ha="center", va="center", fontsize=7,
                    color="white" if v < mid else "black")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    fig.colorbar(im, ax=ax, label=colorbar, shrink=0.9)
    return save(fig, path)


def curves(bands: Sequence[tuple[str, pd.DataFrame]], path: Path, *, title: str,
           ylabel: str) -> Path:
    """Mean curves over school years with shaded 95% bands, one per labelled cell."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for (label, b), color in zip(bands, LINE_COLORS, strict=False):
        years = b["day"] / DAYS_PER_YEAR
        ax.plot(years, b["mean"], color=color, lw=1.8, label=label)
        ax.fill_between(years, b["low"], b["high"], color=color, alpha=0.2, lw=0)
    ax.set(xlabel="school year", ylabel=ylabel, title=title, ylim=(0, None))
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return save(fig, path)


def lines(stats_by_output: Sequence[tuple[str, pd.DataFrame]], x: str, group: str | None,
          path: Path, *, xlabel: str, group_label: str = "", title: str = "") -> Path:
    """Panels of output mean ± 95% CI against ``x``, a line per value of ``group``.

    Args:
        stats_by_output: ``(panel title, cell_stats rows of one output)`` pairs.
        x: column on the x axis.
        group: column whose values get one line each (None: one line).
        path: PNG to write.
        xlabel: x axis label.
        group_label: legend title.
        title: figure title.
    """
    n = len(stats_by_output)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.8), squeeze=False)
    for ax, (panel, st) in zip(axes[0], stats_by_output, strict=True):
        groups = st.groupby(group, sort=True) if group else [(None, st)]
        for (value, g), color in zip(groups, LINE_COLORS, strict=False):
            g = g.sort_values(x)
            label = fmt(value) if value is not None else None
            ax.plot(g[x], g["mean"], marker="o", ms=3, color=color, label=label)
            ax.fill_between(g[x], g["ci_low"], g["ci_high"], color=color, alpha=0.2, lw=0)
        ax.set(xlabel=xlabel, title=panel)
        ax.grid(alpha=0.3)
    if group:
        axes[0][-1].legend(title=group_label, fontsize=7, title_fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)


def morris_plot(table: pd.DataFrame, path: Path, *, title: str) -> Path:
    """Morris screening: mu* with its 95% CI (bars) and mu* against sigma (scatter)."""
    t = table.sort_values("mu_star")
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 0.6 + 0.35 * len(t) + 1.5))
    a.barh(t["parameter"], t["mu_star"], xerr=t["mu_star_conf"], color="#3182bd",
           ecolor="#555555", capsize=2)
    a.set(xlabel="mu* (mean |elementary effect|)", title="ranking")
    b.scatter(t["mu_star"], t["sigma"], color="#e6550d")
    for _, row in t[t["mu_star"] >= 0.1 * t["mu_star"].max()].iterrows():  # legible labels
        b.annotate(row["parameter"], (row["mu_star"], row["sigma"]), fontsize=7,
                   xytext=(3, 3), textcoords="offset points")
    b.set(xlabel="mu*", ylabel="sigma (non-linearity / interactions)", title="mu* vs sigma")
    for ax in (a, b):
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)


def sobol_plot(table: pd.DataFrame, path: Path, *, title: str) -> Path:
    """Sobol first-order (S1) and total (ST) indices with 95% CIs."""
    t = table.sort_values("ST")
    y = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.4 * len(t) + 1.2))
    ax.barh(y - 0.2, t["S1"], height=0.4, xerr=t["S1_conf"], color="#74c476", label="S1",
            ecolor="#555555", capsize=2)
    ax.barh(y + 0.2, t["ST"], height=0.4, xerr=t["ST_conf"], color="#238b45", label="ST",
            ecolor="#555555", capsize=2)
    ax.set_yticks(y, t["parameter"])
    ax.axvline(0, color="black", lw=0.8)
    ax.set(xlabel="share of output variance", title=title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="x")
    return save(fig, path)
