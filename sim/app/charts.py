"""Time-series charts and the summary card of the browser page.

Every chart reads the model's own outputs (the DataCollector's daily measures and the
staff arrays); nothing here recomputes a model quantity in a different way. Per-day series
that jump with training days and ticket bursts are shown as trailing five-day (one school
week) means, and the axis labels say so. The time axis spans whole school years, so curves
grow into a fixed frame instead of rescaling every day.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.app.render import (
    ACTIVITY_COLORS,
    STAGE_COLORS,
    LayeredFigure,
    grown_limit,
    stage_label,
)
from sim.dynamics.measures import STAGE_COLUMNS, TICKET_CHANNELS, first_day
from sim.dynamics.state import ACTIVITIES
from sim.dynamics.submodels import DAYS_PER_YEAR, STAGE_ORDER, Stage

if TYPE_CHECKING:
    from collections.abc import Hashable

    from sim.model import DiffusionModel

#: Days in the trailing mean of noisy daily series (one school week).
SMOOTH_DAYS = 5
#: Chart size in inches (two charts side by side under the network).
CHART_SIZE = (5.6, 3.1)
#: Axes rectangle of a chart with its legend at the right (room for two-line y labels).
_AXES = (0.12, 0.15, 0.58, 0.72)
_CHANNEL_COLORS = {"specialist": "#4575b4", "helpdesk": "#74add1", "peer": "#1a9850",
                   "self": "#a6d96a"}
_BINS = np.linspace(0.0, 1.0, 26)

# Self-efficacy on day 0, per model: the histogram's reference outline.
_INITIAL_SE: weakref.WeakKeyDictionary[DiffusionModel, np.ndarray] = weakref.WeakKeyDictionary()


def remember_initial_state(model: DiffusionModel) -> None:
    """Keep the teachers' day-0 self-efficacy (call right after building the model)."""
    if model.day == 0:
        _INITIAL_SE[model] = model.staff.se[: model.n_teachers].copy()


def series(model: DiffusionModel, name: str) -> np.ndarray:
    """One daily measure from day 0 to today."""
    return np.asarray(model.datacollector.model_vars[name], dtype=float)


def trailing_mean(x: np.ndarray, days: int = SMOOTH_DAYS) -> np.ndarray:
    """Mean over the last ``days`` values (fewer at the start), same length as ``x``."""
    c = np.concatenate([[0.0], np.cumsum(x)])
    i = np.arange(1, len(x) + 1)
    lo = np.maximum(i - days, 0)
    return (c[i] - c[lo]) / (i - lo)


class Chart:
    """A chart over school days: axes, school-year frame, legend at the right."""

    #: Name used by the page (CSS class, timings).
    name = ""

    def __init__(self, title: str, xlabel: str = "school day",
                 axes: tuple[float, float, float, float] = _AXES) -> None:
        self.layered = LayeredFigure(*CHART_SIZE)
        self.ax = self.layered.fig.add_axes(axes)
        self.ax.set_title(title, fontsize=9, loc="left")
        self.ax.set_xlabel(xlabel, fontsize=7)
        self.ax.tick_params(labelsize=7)
        self.ax.grid(alpha=0.25, lw=0.5)
        self.ax.set_autoscale_on(False)
        self.horizon = 0

    def frame(self, model: DiffusionModel) -> bytes:
        """The chart for the model's current day, as PNG bytes."""
        with self.layered.lock:
            return self.layered.png(self.update(model))

    def update(self, model: DiffusionModel) -> Hashable:
        """Set this frame's artists; return what the static layer depends on."""
        raise NotImplementedError

    def _days(self, model: DiffusionModel) -> np.ndarray:
        """Days so far; widens the time axis to the end of the current school year."""
        horizon = DAYS_PER_YEAR * (model.day // DAYS_PER_YEAR + 1)
        if horizon != self.horizon:
            self.horizon = horizon
            self.ax.set_xlim(0, horizon)
            for year_end in range(DAYS_PER_YEAR, horizon, DAYS_PER_YEAR):
                self.ax.axvline(year_end, color="#888888", lw=0.6, ls=":")
        return series(model, "day")

    def _legend(self, handles: list, x: float = 1.02) -> None:
        self.ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(x, 1.0), fontsize=7,
                       frameon=False)


class StagesChart(Chart):
    """Share of teachers per stage over time (mean over live innovations), plus users."""

    name = "stages"

    def __init__(self, model: DiffusionModel) -> None:
        super().__init__("Stage shares (mean over live innovations)")
        self.ax.set_ylim(0, 1)
        self.ax.set_ylabel("share of teachers", fontsize=7)
        self.users = self.layered.animate(self.ax.plot([], [], color="black", lw=1.2)[0])
        self.first = self.layered.animate(self.ax.plot([], [], color="black", lw=1.0,
                                                       ls="--")[0])
        self._legend([Patch(color=STAGE_COLORS[s], label=stage_label(s)) for s in STAGE_ORDER]
                     + [Line2D([], [], color="black", lw=1.2, label="users of any\ninnovation"),
                        Line2D([], [], color="black", lw=1.0, ls="--", label="users of #1")])

    def update(self, model: DiffusionModel) -> Hashable:
        """Stack today's stage shares; redraw the frame when the year axis widens."""
        days = self._days(model)
        shares = [series(model, col) for col in STAGE_COLUMNS]
        self.layered.swap("stack", self.ax.stackplot(
            days, *shares, colors=[STAGE_COLORS[s] for s in STAGE_ORDER], lw=0))
        self.users.set_data(days, series(model, "any_user_share"))
        self.first.set_data(days, series(model, "first_users_share"))
        return self.horizon


class EfficacyChart(Chart):
    """Teachers' self-efficacy today, dependent or not, with day 0 as an outline."""

    name = "efficacy"

    def __init__(self, model: DiffusionModel) -> None:
        super().__init__("", xlabel="technology self-efficacy")
        ax, p = self.ax, model.p
        ax.set_xlim(0, 1)
        ax.set_ylabel("teachers", fontsize=7)
        zeros = np.zeros(len(_BINS) - 1)
        self.independent = self.layered.animate(
            ax.stairs(zeros, _BINS, fill=True, color="#4393c3"))
        self.dependent = self.layered.animate(ax.stairs(zeros, _BINS, fill=True, color="#f4a582"))
        self.title = self.layered.animate(ax.text(0, 1.03, "", transform=ax.transAxes,
                                                  fontsize=9))
        handles = [Patch(color="#4393c3", label="independent"),
                   Patch(color="#f4a582", label=f"dependent\n(reliance > {p['reliance_cut']:.2f})")]
        self.initial = _INITIAL_SE.get(model)
        if self.initial is not None:
            # In the frame layer, above today's bars, though it never changes.
            self.layered.animate(ax.stairs(np.histogram(self.initial, _BINS)[0], _BINS,
                                           color="black", lw=0.9, zorder=3))
            handles.append(Line2D([], [], color="black", lw=0.9, label="day 0"))
        for name, text in (("adopt_efficacy", "adopt"), ("integrate_efficacy", "integrate")):
            ax.axvline(p[name], color="#555555", lw=0.8, ls="--")
            ax.text(p[name], 0.98, text, transform=ax.get_xaxis_transform(), fontsize=6,
                    ha="center", va="top", color="#555555", backgroundcolor="white")
        self._legend(handles)
        self.ymax = 1.0

    def update(self, model: DiffusionModel) -> Hashable:
        """Today's histogram; redraw the frame when the count axis must grow."""
        n = model.n_teachers
        se = model.staff.se[:n]
        dependent = model.staff.reliance[:n] > model.p["reliance_cut"]
        low = np.histogram(se[~dependent], _BINS)[0].astype(float)
        top = low + np.histogram(se[dependent], _BINS)[0]
        self.independent.set_data(low, _BINS)
        self.dependent.set_data(top, _BINS, baseline=low)
        self.title.set_text(f"Self-efficacy, day {model.day}: mean {se.mean():.2f}")
        peak = max(top.max(), 0 if self.initial is None else
                   np.histogram(self.initial, _BINS)[0].max())
        self.ymax = grown_limit(self.ymax, float(peak), floor=5)
        self.ax.set_ylim(0, self.ymax)
        return self.ymax


class MinutesChart(Chart):
    """Specialists' minutes per day by activity (stacked, per specialist, five-day mean)."""

    name = "minutes"

    def __init__(self, model: DiffusionModel) -> None:
        super().__init__("Specialist minutes by activity")
        self.n_specs = len(model.specialists)
        self.ax.set_ylim(0, model.day_minutes * 1.02)
        self.ax.set_ylabel(f"minutes per specialist\n({SMOOTH_DAYS}-day mean)", fontsize=7)
        if self.n_specs == 0:
            self.ax.text(0.5, 0.5, "no specialists in this district", ha="center",
                         va="center", transform=self.ax.transAxes, fontsize=9, color="#555555")
        self._legend([Patch(color=ACTIVITY_COLORS[a], label=a.replace("coteaching",
                                                                      "co-teaching"))
                      for a in ACTIVITIES])

    def update(self, model: DiffusionModel) -> Hashable:
        """Stack the minutes; redraw the frame when the year axis widens."""
        days = self._days(model)
        if self.n_specs:
            minutes = [trailing_mean(series(model, f"min_{a}")) / self.n_specs
                       for a in ACTIVITIES]
            self.layered.swap("stack", self.ax.stackplot(
                days, *minutes, colors=[ACTIVITY_COLORS[a] for a in ACTIVITIES], lw=0))
        return self.horizon


class TicketsChart(Chart):
    """Tickets created and solved (by channel) per day, and the open backlog."""

    name = "tickets"

    def __init__(self, model: DiffusionModel) -> None:
        super().__init__("Tickets per day and open backlog", axes=(0.11, 0.15, 0.52, 0.72))
        self.ax.set_ylabel(f"tickets per day ({SMOOTH_DAYS}-day mean)", fontsize=7)
        self.right = self.ax.twinx()
        self.right.set_autoscale_on(False)
        self.right.tick_params(labelsize=7, colors="#b2182b")
        self.right.set_ylabel("open tickets", fontsize=7, color="#b2182b")
        self.created = self.layered.animate(self.ax.plot([], [], color="black", lw=1.1)[0])
        self.backlog = self.layered.animate(self.right.plot([], [], color="#b2182b", lw=1.1,
                                                            ls="--")[0])
        self._legend([Patch(color=_CHANNEL_COLORS[c], label=f"solved: {c}")
                      for c in TICKET_CHANNELS]
                     + [Line2D([], [], color="black", lw=1.1, label="created"),
                        Line2D([], [], color="#b2182b", lw=1.1, ls="--",
                               label="open tickets\n(right axis)")], x=1.16)
        self.left_max = self.right_max = 1.0

    def update(self, model: DiffusionModel) -> Hashable:
        """Tickets and backlog; redraw the frame when an axis widens or must grow."""
        days = self._days(model)
        self.right.set_xlim(self.ax.get_xlim())
        solved = [trailing_mean(series(model, f"solved_{c}")) for c in TICKET_CHANNELS]
        created = trailing_mean(series(model, "tickets_created"))
        backlog = series(model, "backlog")
        self.layered.swap("stack", self.ax.stackplot(
            days, *solved, colors=[_CHANNEL_COLORS[c] for c in TICKET_CHANNELS], lw=0,
            alpha=0.85))
        self.created.set_data(days, created)
        self.backlog.set_data(days, backlog)
        self.left_max = grown_limit(self.left_max, float(max(created.max(),
                                                             np.sum(solved, axis=0).max())))
        self.right_max = grown_limit(self.right_max, float(backlog.max()))
        self.ax.set_ylim(0, self.left_max)
        self.right.set_ylim(0, self.right_max)
        return self.horizon, self.left_max, self.right_max


#: The charts, in page order.
CHARTS: tuple[type[Chart], ...] = (StagesChart, EfficacyChart, MinutesChart, TicketsChart)


def days_to_share(model: DiffusionModel, level: float = 0.5) -> int | None:
    """First day on which innovation #1 had ``level`` of teachers as users (None: not yet)."""
    day = first_day(np.asarray(model.first_series), level)
    return None if np.isnan(day) else int(day)


def card_facts(model: DiffusionModel, innovation: int) -> list[tuple[str, str]]:
    """The summary card: (label, value) rows computed from the model's public state."""
    n = model.n_teachers
    st, m = model.staff, model.measures
    live = model.cat.n
    stage = st.stage[:n, :live]
    users = (stage >= Stage.TRIAL).any(axis=1)
    integrated = (stage == Stage.INTEGRATED).any(axis=1)
    year, day_in_year = divmod(model.day, DAYS_PER_YEAR)
    rows = [
        ("Day", f"{model.day} (year {year + 1}, day {day_in_year})"),
        ("Users, any innovation", f"{users.mean():.0%} ({users.sum()} of {n} teachers)"),
    ]
    if 0 <= innovation < live:
        share = float((stage[:, innovation] >= Stage.TRIAL).mean())
        rows.append((f"Users of #{innovation + 1}", f"{share:.0%}"))
    rows.append(("INTEGRATED, any innovation", f"{integrated.mean():.0%} ({integrated.sum()})"))
    reached = days_to_share(model)
    now = m["first_users_share"]
    rows.append(("Days to 50% users of #1",
                 f"{reached}" if reached is not None else f"not yet (now {now:.0%})"))
    if len(model.specialists) == 0:
        rows.append(("Unreachable one to one", "all: no specialists in this district"))
    else:
        unreachable = int((~model.reachable).sum())
        rows.append(("Unreachable one to one (no free period shared with their specialist)",
                     f"{unreachable} ({unreachable / n:.0%})"))
        never = int((~st.reached[:n]).sum())
        rows.append(("Not coached or co-taught yet", f"{never} ({never / n:.0%})"))
    rows += [
        ("Dependent users", f"{m['dependent_share']:.0%} of users"),
        ("Open tickets", f"{int(m['backlog'])}"),
        ("Live innovations", f"{live} of {model.p['max_innovations']}"),
    ]
    return rows
