"""Figures of a what-if study: adoption curves with bands, and a forest plot of differences."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.study.manifest import atomic_write
from sim.whatif.stats import LEVEL, MEASURES

BETTER, WORSE, UNCLEAR = "#1a9850", "#d73027", "#636363"


def _save(fig: plt.Figure, path: Path) -> None:
    atomic_write(path, lambda p: fig.savefig(p, dpi=120, format="png"))
    plt.close(fig)


def adoption_figure(curves: pd.DataFrame, order: Sequence[str], labels: Mapping[str, str],
                    baseline: str, path: Path, column_label: str = "Users") -> None:
    """One panel per scenario: its mean curve and 10-90% band over the baseline's.

    Args:
        curves: output of ``whatif_stats.curves`` (scenario, day, mean, p10, p90).
        order: scenarios to draw, in panel order (the baseline is drawn in every panel).
        labels: scenario name -> human label.
        baseline: name of the baseline scenario.
        path: PNG to write.
        column_label: what the curve measures, for the axis.
    """
    arms = [s for s in order if s != baseline]
    ncols = min(3, max(1, len(arms)))
    nrows = max(1, math.ceil(len(arms) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows + 0.6),
                             sharex=True, sharey=True, squeeze=False)
    base = curves[curves["scenario"] == baseline]
    top = max(float(curves["p90"].max()), 0.05)
    for ax, name in zip(axes.flat, arms, strict=False):
        cur = curves[curves["scenario"] == name]
        for data, color, label in ((base, "#969696", "baseline"), (cur, "#2171b5", "scenario")):
            years = data["day"] / DAYS_PER_YEAR
            ax.fill_between(years, data["p10"], data["p90"], color=color, alpha=0.25, lw=0)
            ax.plot(years, data["mean"], color=color, lw=1.8, label=label,
                    ls="--" if label == "baseline" else "-")
        ax.set_title(labels.get(name, name), fontsize=9)
        ax.set_ylim(0, min(1.0, top * 1.08))
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(arms):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("school year")
    for ax in axes[:, 0]:
        ax.set_ylabel(f"{column_label} (share of staff)")
    axes.flat[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"{column_label} by scenario (share of staff, mean over innovations): mean "
                 "over replicates, band = 10th-90th percentile", fontsize=10)
    fig.tight_layout()
    _save(fig, path)


def _scale(unit: str) -> tuple[float, str]:
    """Shares are drawn in percentage points; other units as they are."""
    return (100.0, "percentage points") if unit == "share" else (1.0, unit)


def forest_figure(diff: pd.DataFrame, order: Sequence[str], labels: Mapping[str, str],
                  outcomes: Sequence[str], path: Path) -> None:
    """Paired differences from the baseline with 95% intervals, one panel per outcome.

    Args:
        diff: output of ``whatif_stats.differences``.
        order: scenarios from top to bottom (best first).
        labels: scenario name -> human label.
        outcomes: outcome keys, one panel each.
        path: PNG to write.
    """
    fig, axes = plt.subplots(1, len(outcomes), figsize=(3.6 * len(outcomes) + 1.6,
                                                        0.45 * len(order) + 1.4),
                             sharey=True, squeeze=False)
    ypos = {name: len(order) - 1 - i for i, name in enumerate(order)}
    for ax, key in zip(axes[0], outcomes, strict=True):
        measure = MEASURES[key]
        factor, unit = _scale(measure.unit)
        rows = diff[(diff["outcome"] == key) & diff["scenario"].isin(order)]
        for _, r in rows.iterrows():
            color = {1: BETTER, -1: WORSE}.get(int(r["better"]), UNCLEAR)
            y = ypos[r["scenario"]]
            ax.plot([r["ci_low"] * factor, r["ci_high"] * factor], [y, y], color=color, lw=2)
            ax.plot(r["difference"] * factor, y, "o", color=color, ms=5)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(f"{measure.label}\n({measure.better} is better)", fontsize=9)
        ax.set_xlabel(f"difference from baseline ({unit})", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    axes[0, 0].set_yticks(list(ypos.values()), [labels.get(n, n) for n in ypos])
    fig.suptitle(f"Paired differences from the baseline, {LEVEL:.0%} t-intervals "
                 "(green: better, red: worse, grey: interval includes 0)", fontsize=10)
    fig.tight_layout()
    _save(fig, path)
