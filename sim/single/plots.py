"""Figures of one run: stage shares over time and the specialists' minutes by activity."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from sim.dynamics.measures import STAGE_COLUMNS
from sim.dynamics.state import ACTIVITIES
from sim.dynamics.submodels import DAYS_PER_YEAR, STAGE_ORDER
from sim.palette import ACTIVITY_COLORS, ACTIVITY_LABELS, STAGE_COLORS, STAGE_HATCHES
from sim.study.manifest import atomic_write


def _save(fig: plt.Figure, path: Path) -> None:
    atomic_write(path, lambda p: fig.savefig(p, dpi=120, format="png"))
    plt.close(fig)


def stage_figure(daily: pd.DataFrame, path: Path, title: str = "") -> None:
    """Stacked shares of staff in each stage (mean over live innovations) by school year."""
    years = daily["day"] / DAYS_PER_YEAR
    fig, ax = plt.subplots(figsize=(8, 4.5))
    labels = [c.removeprefix("share_").upper() for c in STAGE_COLUMNS]
    ax.stackplot(years, *(daily[c] for c in STAGE_COLUMNS), labels=labels,
                 colors=[STAGE_COLORS[s] for s in STAGE_ORDER],
                 hatch=[STAGE_HATCHES[s] for s in STAGE_ORDER], edgecolor="white", lw=0.3)
    ax.plot(years, daily["any_user_share"], color="black", lw=1.5,
            label="uses at least one innovation")
    ax.set(xlabel="school year", ylabel="share of staff (0–1)", ylim=(0, 1), xlim=(0, years.max()),
           title=title or "Stages of use (mean over innovations)")
    ax.legend(loc="upper left", fontsize=8, bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    _save(fig, path)


def smoothed_minutes(daily: pd.DataFrame, window: int = 20) -> pd.DataFrame:
    """``day`` and each ``min_<activity>`` as a trailing ``window``-day mean of school days.

    Days before the first school day (day 0, the state before the run starts) have no
    activity: they are left out, not averaged in, so the first row is the first day's own
    minutes and the means do not ramp up from zero. Minutes are totals over specialists.
    """
    cols = [f"min_{a}" for a in ACTIVITIES]
    school = daily.loc[daily["day"] >= 1, ["day", *cols]]
    smooth = school[cols].rolling(window, min_periods=1).mean()
    return pd.concat([school[["day"]], smooth], axis=1).reset_index(drop=True)


def minutes_figure(daily: pd.DataFrame, path: Path, window: int = 20) -> None:
    """Specialists' minutes per school day by activity, all specialists together, stacked.

    ``window``-day trailing means of school days (:func:`smoothed_minutes`).
    """
    smooth = smoothed_minutes(daily, window)
    years = smooth["day"] / DAYS_PER_YEAR
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.stackplot(years, *(smooth[f"min_{a}"] for a in ACTIVITIES),
                 labels=[ACTIVITY_LABELS[a] for a in ACTIVITIES],
                 colors=[ACTIVITY_COLORS[a] for a in ACTIVITIES])
    ax.set(xlabel="school year",
           ylabel="minutes per school day (total over all specialists)",
           xlim=(0, max(daily["day"].max(), 1) / DAYS_PER_YEAR),
           title=f"Specialists' time by activity ({window}-day mean)")
    ax.legend(loc="upper left", fontsize=8, bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    _save(fig, path)
