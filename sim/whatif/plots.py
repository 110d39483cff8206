"""Figures of a what-if study: adoption curves, forest plot, cost-effectiveness plane, CEAC.

Every figure is drawn for a page 16 cm wide with fonts of at least 8 pt, shares in %,
the colour-blind-safe Okabe-Ito palette, and a second cue besides colour (markers ▲ ▼ ○
for better / worse / undecided, line styles for scenarios); see :mod:`sim.study.figures`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import StrMethodFormatter

from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.study import figures
from sim.whatif.stats import LEVEL, MEASURES

STYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">")


def _look(i: int) -> dict:
    """Colour, marker and line style of the i-th scenario (never colour alone)."""
    return {"color": figures.PALETTE[i % len(figures.PALETTE)],
            "marker": MARKERS[i % len(MARKERS)], "ls": STYLES[i % len(STYLES)]}


def adoption_figure(curves: pd.DataFrame, order: Sequence[str], labels: Mapping[str, str],
                    baseline: str, path: Path, column_label: str = "Users",
                    fmt: str = "png") -> Path:
    """One panel per scenario: its mean curve and 10-90% band over the baseline's.

    Args:
        curves: rows of one measure from ``stats.curves`` (scenario, day, mean, p10, p90).
        order: scenarios to draw, in panel order (the baseline is drawn in every panel).
        labels: scenario name -> human label.
        baseline: name of the baseline scenario.
        path: figure to write (suffix from ``fmt``).
        column_label: what the curve measures, for the axis.
        fmt: png, svg or pdf.
    """
    arms = [s for s in order if s != baseline]
    ncols = min(3, max(1, len(arms)))
    nrows = max(1, math.ceil(len(arms) / ncols))
    with figures.style():
        fig, axes = plt.subplots(nrows, ncols, figsize=figures.size(height=1.9 * nrows + 0.9),
                                 sharex=True, sharey=True, squeeze=False)
        base = curves[curves["scenario"] == baseline]
        top = max(float(curves["p90"].max()), 0.05) * 100
        for ax, name in zip(axes.flat, arms, strict=False):
            cur = curves[curves["scenario"] == name]
            for data, color, label, ls in ((base, "#7F7F7F", "baseline", "--"),
                                           (cur, figures.BETTER, "scenario", "-")):
                years = data["day"] / DAYS_PER_YEAR
                ax.fill_between(years, data["p10"] * 100, data["p90"] * 100, color=color,
                                alpha=0.25, lw=0)
                ax.plot(years, data["mean"] * 100, color=color, lw=1.5, label=label, ls=ls)
            ax.set_title(labels.get(name, name), fontsize=8)
            ax.set_ylim(0, min(100.0, top * 1.08))
            ax.grid(alpha=0.3)
        for ax in axes.flat[len(arms):]:
            ax.set_visible(False)
        for ax in axes[-1]:
            ax.set_xlabel("school year")
        for ax in axes[:, 0]:
            ax.set_ylabel(f"{column_label} (% of staff)")
        axes.flat[0].legend(loc="upper left")
        fig.suptitle(f"{column_label} by scenario: mean over runs, band = 10th-90th percentile")
        fig.tight_layout()
        return figures.save(fig, path, fmt)


def _scale(unit: str) -> tuple[float, str]:
    """Shares are drawn in percentage points; other units as they are."""
    return (100.0, "% points") if unit == "share" else (1.0, unit)


def forest_figure(diff: pd.DataFrame, order: Sequence[str], labels: Mapping[str, str],
                  outcomes: Sequence[str], path: Path, fmt: str = "png") -> Path:
    """Differences from the baseline with intervals, one panel per outcome.

    Thick line: the interval of the expected difference; thin line (with worlds): the
    uncertainty interval (parameters and chance). Marker ▲ better, ▼ worse, ○ undecided.
    """
    ncols = 2
    nrows = math.ceil(len(outcomes) / ncols)
    ypos = {name: len(order) - 1 - i for i, name in enumerate(order)}
    with figures.style():
        fig, axes = plt.subplots(nrows, ncols, squeeze=False, sharey=True, figsize=figures.size(
            height=nrows * (0.2 * len(order) + 1.0) + 0.6))
        for ax, key in zip(axes.flat, outcomes, strict=False):
            measure = MEASURES[key]
            factor, unit = _scale(measure.unit)
            rows = diff[(diff["outcome"] == key) & diff["scenario"].isin(order)]
            for _, r in rows.iterrows():
                verdict = int(r["better"])
                color = {1: figures.BETTER, -1: figures.WORSE}.get(verdict, figures.UNCLEAR)
                y = ypos[r["scenario"]]
                if np.isfinite(r["ui_low"]):
                    ax.plot([r["ui_low"] * factor, r["ui_high"] * factor], [y, y],
                            color=color, lw=0.9)
                ax.plot([r["ci_low"] * factor, r["ci_high"] * factor], [y, y], color=color,
                        lw=2.6)
                ax.plot(r["difference"] * factor, y, figures.MARKERS[verdict], color=color,
                        ms=6, mfc=color if verdict else "white")
            ax.axvline(0, color="black", lw=0.8)
            ax.set_title(textwrap.fill(f"{measure.label} ({measure.better} is better)", 34))
            ax.set_xlabel(f"difference ({unit})")
            ax.grid(axis="x", alpha=0.3)
        for ax in axes.flat[len(outcomes):]:
            ax.set_visible(False)
        for ax in axes[:, 0]:
            ax.set_yticks(list(ypos.values()), [labels.get(n, n) for n in ypos])
        fig.suptitle(f"Differences from the baseline, {LEVEL:.0%} intervals: ▲ better, "
                     "▼ worse, ○ undecided")
        fig.tight_layout()
        return figures.save(fig, path, fmt)


def plane_figure(plane: pd.DataFrame, frontier: pd.DataFrame, labels: Mapping[str, str],
                 wtp: float | None, currency: str, effect_label: str, path: Path,
                 fmt: str = "png") -> Path:
    """The cost-effectiveness plane: each scenario's draws, its mean and the frontier.

    Args:
        plane: scenario, d_effect, d_cost per draw (world or bootstrap resample).
        frontier: ``economics.frontier`` output (cost and effect of each option).
        labels: scenario name -> label.
        wtp: willingness to pay (a line of slope λ through the origin), or None.
        currency: for the cost axis.
        effect_label: the effect's name, e.g. "INTEGRATED teachers".
        path: figure to write.
        fmt: png, svg or pdf.
    """
    with figures.style():
        fig, ax = plt.subplots(figsize=figures.size(height=5.2), layout="constrained")
        names = list(frontier["scenario"])
        for i, name in enumerate(names[1:], start=1):
            look = _look(i)
            cloud = plane[plane["scenario"] == name]
            ax.scatter(cloud["d_effect"], cloud["d_cost"], s=6, alpha=0.25, lw=0,
                       color=look["color"], marker=look["marker"])
            row = frontier.iloc[i]
            ax.plot(row["effect"], row["cost"], look["marker"], color=look["color"], ms=7,
                    mec="black", mew=0.6, label=labels.get(name, name))
        on = frontier[frontier["status"] == "frontier"].sort_values("cost")
        ax.plot(on["effect"], on["cost"], color="black", lw=1, ls="-", label="efficient frontier")
        ax.axhline(0, color="#7F7F7F", lw=0.8)
        ax.axvline(0, color="#7F7F7F", lw=0.8)
        if wtp:
            x = np.array(ax.get_xlim())
            ax.plot(x, wtp * x, color="#7F7F7F", ls="--", lw=1,
                    label=f"willingness to pay {currency} {wtp:,.0f}")
        ax.set_xlabel(f"extra {effect_label} (vs today)")
        ax.set_ylabel(f"extra cost ({currency}, whole horizon)")
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.set_title("Cost-effectiveness plane: means (outlined) and draws")
        ax.grid(alpha=0.3)
        fig.legend(loc="outside lower center", ncol=2)
        return figures.save(fig, path, fmt)


def ceac_figure(ceac: pd.DataFrame, order: Sequence[str], labels: Mapping[str, str],
                wtp: float | None, currency: str, effect_label: str, path: Path,
                fmt: str = "png") -> Path:
    """Cost-effectiveness acceptability curves: P(highest net benefit) against λ."""
    with figures.style():
        fig, ax = plt.subplots(figsize=figures.size(height=4.4), layout="constrained")
        for i, name in enumerate(order):
            rows = ceac[ceac["scenario"] == name]
            if not (rows["probability"] > 0).any():
                continue
            look = _look(i)
            ax.plot(rows["wtp"], rows["probability"] * 100, color=look["color"], ls=look["ls"],
                    marker=look["marker"], markevery=max(1, len(rows) // 6), ms=4, lw=1.4,
                    label=labels.get(name, name))
        if wtp:
            ax.axvline(wtp, color="black", lw=0.8, ls=":", label="file's willingness to pay")
        ax.set_ylim(-2, 102)
        ax.set_xlabel(f"willingness to pay ({currency} per extra {effect_label})")
        ax.set_ylabel("probability of the highest net benefit (%)")
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.set_title("Cost-effectiveness acceptability curves")
        ax.grid(alpha=0.3)
        fig.legend(loc="outside lower center", ncol=2)
        return figures.save(fig, path, fmt)
