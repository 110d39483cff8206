"""Figures of a sweep; each function writes one figure (PNG, SVG or PDF).

Heatmaps over two swept parameters, adoption curves with bands, outputs against one
parameter, sensitivity indices. Axis labels come from the parameter table and the output
table (label and unit), shares are drawn in %, and every share heatmap uses the same
0-100% colour scale, so heatmaps of one quantity can be compared by colour
(:mod:`sim.study.figures` sets sizes, fonts and colour-blind-safe palettes).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.params import PARAMS
from sim.study import figures
from sim.sweep.analysis import fmt as fmt_value

LINE_STYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def save(fig: plt.Figure, path: Path, fmt: str = "png") -> Path:
    """Write the figure atomically in ``fmt`` and close it."""
    return figures.save(fig, path, fmt)


def heatmap(table: pd.DataFrame, path: Path, *, title: str, xlabel: str, ylabel: str,
            colorbar: str, cmap: str = figures.SEQUENTIAL, digits: int = 2,
            limits: tuple[float, float] | None = None, scale: float = 1.0,
            fmt: str = "png") -> Path:
    """A heatmap of ``table`` (index = y values, columns = x values), cells annotated.

    Args:
        limits: fixed colour limits (after ``scale``), e.g. (0, 100) for every share, so
            all heatmaps of a quantity share one scale; None: the data's range.
        scale: multiply values by this before drawing (100 draws shares in %).
    """
    values = table.to_numpy(dtype=float) * scale
    with figures.style():
        fig, ax = plt.subplots(figsize=figures.size(height=1.4 + 0.34 * values.shape[0]))
        finite = values[np.isfinite(values)]
        vmin, vmax = limits or ((finite.min(), finite.max()) if finite.size else (0, 1))
        im = ax.imshow(values, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_xticks(range(values.shape[1]), [fmt_value(v) for v in table.columns])
        ax.set_yticks(range(values.shape[0]), [fmt_value(v) for v in table.index])
        mid = (vmin + vmax) / 2
        small = values.shape[1] <= 10
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v) and small:
                ax.text(j, i, f"{v:.{digits}f}", ha="center", va="center", fontsize=8,
                        color="white" if v < mid else "black")
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        fig.colorbar(im, ax=ax, label=colorbar, shrink=0.9)
        return save(fig, path, fmt)


def curves(bands: Sequence[tuple[str, pd.DataFrame]], path: Path, *, title: str,
           ylabel: str, scale: float = 1.0, fmt: str = "png") -> Path:
    """Mean curves over school years with shaded 95% bands, one per labelled cell."""
    with figures.style():
        fig, ax = plt.subplots(figsize=figures.size(height=3.4))
        for i, (label, b) in enumerate(bands):
            color = figures.PALETTE[i % len(figures.PALETTE)]
            years = b["day"] / DAYS_PER_YEAR
            ax.plot(years, b["mean"] * scale, color=color, lw=1.6, label=label,
                    ls=LINE_STYLES[i % len(LINE_STYLES)])
            ax.fill_between(years, b["low"] * scale, b["high"] * scale, color=color,
                            alpha=0.2, lw=0)
        ax.set(xlabel="school year", ylabel=ylabel, title=title, ylim=(0, None))
        ax.legend(loc="upper left")
        ax.grid(alpha=0.3)
        return save(fig, path, fmt)


def lines(stats_by_output: Sequence[tuple[str, pd.DataFrame, float]], x: str,
          group: str | None, path: Path, *, xlabel: str, group_label: str = "",
          title: str = "", fmt: str = "png") -> Path:
    """Panels of output mean ± 95% CI against ``x``, a line per value of ``group``.

    Args:
        stats_by_output: ``(panel axis label, cell_stats rows of one output, scale)``.
        x: column on the x axis.
        group: column whose values get one line each (None: one line).
        path: figure to write (suffix from ``fmt``).
        xlabel: x axis label.
        group_label: legend title.
        title: figure title.
        fmt: png, svg or pdf.
    """
    n = len(stats_by_output)
    with figures.style():
        fig, axes = plt.subplots(1, n, figsize=figures.size(height=3.0), squeeze=False)
        for ax, (panel, st, scale) in zip(axes[0], stats_by_output, strict=True):
            groups = st.groupby(group, sort=True) if group else [(None, st)]
            for i, (value, g) in enumerate(groups):
                color = figures.PALETTE[i % len(figures.PALETTE)]
                g = g.sort_values(x)
                label = fmt_value(value) if value is not None else None
                ax.plot(g[x], g["mean"] * scale, marker=MARKERS[i % len(MARKERS)], ms=3,
                        color=color, label=label, ls=LINE_STYLES[i % len(LINE_STYLES)])
                ax.fill_between(g[x], g["ci_low"] * scale, g["ci_high"] * scale,
                                color=color, alpha=0.2, lw=0)
            ax.set(xlabel=xlabel, ylabel=panel)
            ax.grid(alpha=0.3)
        if group:
            axes[0][-1].legend(title=group_label)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        return save(fig, path, fmt)


def morris_plot(table: pd.DataFrame, path: Path, *, title: str, fmt: str = "png") -> Path:
    """Morris screening: mu* with its 95% CI (bars) and mu* against sigma (scatter)."""
    t = table.sort_values("mu_star")
    names = [PARAMS[p].label if p in PARAMS else p for p in t["parameter"]]
    with figures.style():
        fig, (a, b) = plt.subplots(2, 1, figsize=figures.size(height=2.6 + 0.5 * len(t)))
        a.barh(names, t["mu_star"], xerr=t["mu_star_conf"], color=figures.PALETTE[0],
               ecolor="#333333", capsize=2)
        a.set(xlabel="mu* (mean |elementary effect|)", title="ranking")
        b.scatter(t["mu_star"], t["sigma"], color=figures.PALETTE[1], marker="D")
        for (_, row), name in zip(t.iterrows(), names, strict=True):
            if row["mu_star"] >= 0.1 * t["mu_star"].max():  # legible labels only
                b.annotate(name, (row["mu_star"], row["sigma"]), fontsize=8,
                           xytext=(3, 3), textcoords="offset points")
        b.set(xlabel="mu*", ylabel="sigma (non-linearity, interactions)",
              title="mu* against sigma")
        for ax in (a, b):
            ax.grid(alpha=0.3)
        fig.suptitle(title)
        fig.tight_layout()
        return save(fig, path, fmt)


def sobol_plot(table: pd.DataFrame, path: Path, *, title: str, fmt: str = "png") -> Path:
    """Sobol first-order (S1) and total (ST) indices with 95% CIs (hatched: S1)."""
    t = table.sort_values("ST")
    y = np.arange(len(t))
    names = [PARAMS[p].label if p in PARAMS else p for p in t["parameter"]]
    with figures.style():
        fig, ax = plt.subplots(figsize=figures.size(height=1.2 + 0.42 * len(t)))
        ax.barh(y - 0.2, t["S1"], height=0.4, xerr=t["S1_conf"], color=figures.PALETTE[5],
                label="S1 (first order)", ecolor="#333333", capsize=2, hatch="//")
        ax.barh(y + 0.2, t["ST"], height=0.4, xerr=t["ST_conf"], color=figures.PALETTE[0],
                label="ST (total)", ecolor="#333333", capsize=2)
        ax.set_yticks(y, names)
        ax.axvline(0, color="black", lw=0.8)
        ax.set(xlabel="share of output variance", title=title)
        ax.legend()
        ax.grid(alpha=0.3, axis="x")
        return save(fig, path, fmt)
