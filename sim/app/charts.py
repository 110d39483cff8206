"""Time-series charts of the browser page (the summary card is ``sim.app.card``).

Every chart reads the model's own outputs (the DataCollector's daily measures and the
staff arrays); nothing here recomputes a model quantity in a different way. Per-day series
that jump with training days and ticket bursts are shown as trailing five-day (one school
week) means of the school days so far (day 0, before the first school day, has no activity
and is left out, so the first point is the first day's own value), and the axis labels say
so, with the unit of every axis. The time axis spans whole school years, so curves
grow into a fixed frame instead of rescaling every day.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.app.render import (
    ACTIVITY_COLORS,
    FONT_PT,
    STAGE_COLORS,
    STAGE_HATCHES,
    TITLE_PT,
    LayeredFigure,
    grown_limit,
    stage_label,
)
from sim.dynamics.measures import STAGE_COLUMNS, TICKET_CHANNELS
from sim.dynamics.state import ACTIVITIES
from sim.dynamics.submodels import DAYS_PER_YEAR, STAGE_ORDER
from sim.palette import ACTIVITY_LABELS

if TYPE_CHECKING:
    from collections.abc import Hashable

    from sim.app.runs import UsersHistory
    from sim.model import DiffusionModel

#: Days in the trailing mean of noisy daily series (one school week).
SMOOTH_DAYS = 5
#: Chart size in inches (two charts side by side under the network).
CHART_SIZE = (5.0, 3.7)
#: Axes rectangle of a chart with its legend below (left, bottom, width, height).
_AXES = (0.17, 0.38, 0.79, 0.52)
_CHANNEL_COLORS = {"specialist": "#0072b2", "helpdesk": "#56b4e9", "peer": "#009e73",
                   "self": "#cccccc"}
_BINS = np.linspace(0.0, 1.0, 26)
_INDEPENDENT, _DEPENDENT = "#0072b2", "#e69f00"

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


def school_day_means(model: DiffusionModel, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) to draw a daily flow's trailing mean over school days 1 to today as steps.

    Day 0 is the state before the first school day: nothing was done or counted on it, so
    it is left out of the means (it would pull the first week towards zero, a ramp-up that
    did not happen). Day d's mean is drawn over the day it covers, from d - 1 to d
    (``step="pre"``): ``x`` is days 0..D, ``y`` the D means with the first one repeated
    at x = 0. Both are empty on day 0.
    """
    means = trailing_mean(series(model, name)[1:])
    if not len(means):
        return means, means
    return series(model, "day"), np.r_[means[:1], means]


class Chart:
    """A chart over school days: axes, school-year frame, legend below, alt text."""

    #: Name used by the page (CSS class, file names).
    name = ""
    #: What the chart shows, for its card heading and the Info tab.
    title = ""
    about = ""

    def __init__(self, xlabel: str = "school day",
                 axes: tuple[float, float, float, float] = _AXES) -> None:
        self.layered = LayeredFigure(*CHART_SIZE)
        self.ax = self.layered.fig.add_axes(axes)
        # The page shows the title as the card's heading; downloads carry it in the figure.
        self.heading = self.layered.fig.text(0.02, 0.965, self.title, fontsize=TITLE_PT,
                                             va="center", visible=False)
        self.ax.set_xlabel(xlabel, fontsize=FONT_PT)
        self.ax.tick_params(labelsize=FONT_PT)
        self.ax.grid(alpha=0.25, lw=0.5)
        self.ax.set_autoscale_on(False)
        self.horizon = 0
        self.alt = self.title

    def frame(self, model: DiffusionModel, innovation: int, history: UsersHistory) -> bytes:
        """The chart for the model's current day, as PNG bytes (sets ``alt``)."""
        with self.layered.lock:
            return self.layered.png(self.update(model, innovation, history))

    def export(self, fmt: str) -> bytes:
        """The current frame as a PNG or SVG file (with its title)."""
        with self.layered.lock:
            self.heading.set_visible(True)
            try:
                return self.layered.export(fmt)
            finally:
                self.heading.set_visible(False)

    def update(self, model: DiffusionModel, innovation: int,
               history: UsersHistory) -> Hashable:
        """Set this frame's artists and ``alt``; return what the static layer depends on."""
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

    def _legend(self, handles: list, ncol: int = 3) -> None:
        """The legend below the axes, in the most columns (up to ``ncol``) that fit the width.

        Entries are never shortened: a legend wider than the figure loses columns instead.
        """
        fig = self.layered.fig
        renderer = self.layered.canvas.get_renderer()
        for cols in range(ncol, 0, -1):
            self.legend = fig.legend(handles=handles, loc="lower center", ncol=cols,
                                     fontsize=FONT_PT, frameon=False,
                                     bbox_to_anchor=(0.5, 0.0), handlelength=1.6,
                                     columnspacing=1.0)
            box = self.legend.get_window_extent(renderer)
            if cols == 1 or (box.x0 >= fig.bbox.x0 and box.x1 <= fig.bbox.x1):
                return
            self.legend.remove()


def _pct(x: float) -> str:
    return f"{x:.0%}"


class StagesChart(Chart):
    """Share of teachers per stage over time (mean over live innovations), plus users."""

    name = "stages"
    title = "Stage shares (mean over live innovations)"
    about = ("the share of teachers in each stage, averaged over the innovations live that "
             "day (a newly introduced innovation pulls the shares down), with the share using "
             "any innovation and the share using the chosen one")

    def __init__(self, model: DiffusionModel) -> None:
        super().__init__()
        self.ax.set_ylim(0, 1)
        self.ax.set_ylabel("share of teachers (0–1)", fontsize=FONT_PT)
        self.users = self.layered.animate(self.ax.plot([], [], color="black", lw=1.6)[0])
        self.chosen = self.layered.animate(self.ax.plot([], [], color="black", lw=1.4,
                                                        ls="--")[0])
        self._legend([Patch(facecolor=STAGE_COLORS[s], hatch=STAGE_HATCHES[s],
                            edgecolor="#555555", lw=0.4, label=stage_label(s))
                      for s in STAGE_ORDER]
                     + [Line2D([], [], color="black", lw=1.6, label="users (any)"),
                        Line2D([], [], color="black", lw=1.4, ls="--", label="users of #1")],
                     ncol=4)

    def update(self, model, innovation, history):
        """Stack today's stage shares; redraw the frame when the year axis widens."""
        days = self._days(model)
        shares = [series(model, col) for col in STAGE_COLUMNS]
        stack = self.ax.stackplot(days, *shares, colors=[STAGE_COLORS[s] for s in STAGE_ORDER],
                                  hatch=[STAGE_HATCHES[s] for s in STAGE_ORDER], lw=0,
                                  edgecolor="#555555")
        self.layered.swap("stack", stack)
        users = series(model, "any_user_share")
        self.users.set_data(days, users)
        chosen = history.shares()[:, innovation] if innovation >= 0 else np.zeros(len(days))
        self.chosen.set_data(days, chosen)
        self.legend.get_texts()[-1].set_text(f"users of #{innovation + 1}")
        today = ", ".join(f"{stage_label(s)} {_pct(x[-1])}" for s, x in zip(STAGE_ORDER, shares,
                                                                             strict=True))
        self.alt = (f"{self.title}, day 0 to {model.day}. Today: {today}; users of any "
                    f"innovation {_pct(users[-1])}; users of #{innovation + 1} "
                    f"{_pct(np.nan_to_num(chosen[-1]))}.")
        return self.horizon, innovation


class AdoptionChart(Chart):
    """Users of each innovation over time, one line each, the chosen one highlighted."""

    name = "adoption"
    title = "Adoption curve of each innovation"
    about = ("the share of teachers using each innovation (TRIAL or later) since it was "
             "introduced, one line per innovation, the chosen one highlighted")

    def __init__(self, model: DiffusionModel) -> None:
        super().__init__()
        self.ax.set_ylim(0, 1)
        self.ax.set_ylabel("share of teachers\nusing it (0–1)", fontsize=FONT_PT)
        self.others = self.layered.animate(LineCollection([], colors="#8c8c8c", lw=1.0))
        self.ax.add_collection(self.others)
        self.chosen = self.layered.animate(self.ax.plot([], [], color="#0b3d91", lw=2.6)[0])
        self.label = self.layered.animate(self.ax.text(0, 0, "", fontsize=FONT_PT,
                                                       color="#0b3d91", va="bottom"))
        self._legend([Line2D([], [], color="#0b3d91", lw=2.6, label="chosen innovation"),
                      Line2D([], [], color="#8c8c8c", lw=1.0, label="the others")], ncol=2)

    def update(self, model, innovation, history):
        """One line per live innovation; the chosen one on top, labelled."""
        self._days(model)
        shares = history.shares()
        days = np.arange(len(shares))
        live = model.cat.n
        segments = [np.column_stack([days, shares[:, k]])[np.isfinite(shares[:, k])]
                    for k in range(live) if k != innovation]
        self.others.set_segments(segments)
        finals = []
        for k in range(live):
            col = shares[:, k]
            finals.append(f"#{k + 1} {_pct(col[np.isfinite(col)][-1])}")
        if 0 <= innovation < live:
            col = shares[:, innovation]
            ok = np.isfinite(col)
            self.chosen.set_data(days[ok], col[ok])
            self.label.set_position((days[ok][-1], col[ok][-1] + 0.02))
            self.label.set_text(f"#{innovation + 1}")
        else:
            self.chosen.set_data([], [])
            self.label.set_text("")
        self.alt = (f"{self.title}, day 0 to {model.day}, {live} innovations; chosen "
                    f"#{innovation + 1}. Users today: {', '.join(finals) or 'none'}.")
        return self.horizon


class EfficacyChart(Chart):
    """Teachers' self-efficacy today, dependent or not, with day 0 as an outline."""

    name = "efficacy"
    title = "Self-efficacy of teachers"
    about = ("today's distribution of technology self-efficacy, dependent teachers (reliance "
             "above the dependency cut) stacked on the others, day 0 as an outline, and the "
             "levels needed to adopt and to integrate")

    def __init__(self, model: DiffusionModel) -> None:
        super().__init__(xlabel="technology self-efficacy (0–1 scale)",
                         axes=(0.17, 0.38, 0.79, 0.47))
        ax, p = self.ax, model.p
        ax.set_xlim(0, 1)
        ax.set_ylabel("number of teachers", fontsize=FONT_PT)
        zeros = np.zeros(len(_BINS) - 1)
        self.independent = self.layered.animate(
            ax.stairs(zeros, _BINS, fill=True, color=_INDEPENDENT))
        self.dependent = self.layered.animate(ax.stairs(zeros, _BINS, fill=True,
                                                        color=_DEPENDENT, hatch="//"))
        handles = [Patch(color=_INDEPENDENT, label="independent"),
                   Patch(facecolor=_DEPENDENT, hatch="//", label=f"dependent (reliance > "
                                                                 f"{p['reliance_cut']:.2f})")]
        self.initial = _INITIAL_SE.get(model)
        if self.initial is not None:
            # In the frame layer, above today's bars, though it never changes.
            self.layered.animate(ax.stairs(np.histogram(self.initial, _BINS)[0], _BINS,
                                           color="black", lw=1.1, zorder=3))
            handles.append(Line2D([], [], color="black", lw=1.1, label="day 0"))
        for name, text in (("adopt_efficacy", "adopt"), ("integrate_efficacy", "integrate")):
            ax.axvline(p[name], color="#444444", lw=0.9, ls="--")
            # Above the frame, like a second row of tick labels: never over the bars.
            ax.text(p[name], 1.01, text, transform=ax.get_xaxis_transform(), fontsize=FONT_PT,
                    ha="center", va="bottom", color="#333333")
        self._legend(handles, ncol=2)
        self.ymax = 1.0

    def update(self, model, innovation, history):
        """Today's histogram; redraw the frame when the count axis must grow."""
        n = model.n_teachers
        se = model.staff.se[:n]
        dependent = model.staff.reliance[:n] > model.p["reliance_cut"]
        low = np.histogram(se[~dependent], _BINS)[0].astype(float)
        top = low + np.histogram(se[dependent], _BINS)[0]
        self.independent.set_data(low, _BINS)
        self.dependent.set_data(top, _BINS, baseline=low)
        self.heading.set_text(f"{self.title}, day {model.day}: mean {se.mean():.2f}")
        peak = max(top.max(), 0 if self.initial is None else
                   np.histogram(self.initial, _BINS)[0].max())
        self.ymax = grown_limit(self.ymax, float(peak), floor=5)
        self.ax.set_ylim(0, self.ymax)
        self.alt = (f"{self.title} on day {model.day}: mean {se.mean():.2f}, "
                    f"{int(dependent.sum())} of {n} teachers dependent.")
        return self.ymax


class MinutesChart(Chart):
    """Specialists' minutes per day by activity (stacked, per specialist, five-day mean)."""

    name = "minutes"
    title = "Specialist minutes by activity"
    about = (f"how the specialists spend their day ({SMOOTH_DAYS}-day mean per specialist): "
             "troubleshooting, IT liaison, training, coaching, co-teaching, own exploration "
             "and unused minutes")

    def __init__(self, model: DiffusionModel) -> None:
        super().__init__()
        self.n_specs = len(model.specialists)
        self.ax.set_ylim(0, model.day_minutes * 1.02)
        # Plotted: the daily total over specialists divided by their number.
        self.ax.set_ylabel(f"minutes per specialist\nper day ({SMOOTH_DAYS}-day mean)",
                           fontsize=FONT_PT)
        if self.n_specs == 0:
            self.ax.text(0.5, 0.5, "no specialists in this district", ha="center",
                         va="center", transform=self.ax.transAxes, fontsize=FONT_PT,
                         color="#333333")
        self._legend([Patch(color=ACTIVITY_COLORS[a], label=ACTIVITY_LABELS[a])
                      for a in ACTIVITIES], ncol=4)

    def update(self, model, innovation, history):
        """Stack the minutes; redraw the frame when the year axis widens."""
        self._days(model)
        self.alt = f"{self.title}: no specialists in this district."
        if self.n_specs:
            days = school_day_means(model, "min_unused")[0]
            minutes = [school_day_means(model, f"min_{a}")[1] / self.n_specs
                       for a in ACTIVITIES]
            self.layered.swap("stack", self.ax.stackplot(
                days, *minutes, colors=[ACTIVITY_COLORS[a] for a in ACTIVITIES], lw=0,
                step="pre"))
            self.alt = f"{self.title} per specialist, day 0: no school day yet."
        if self.n_specs and model.day:
            today = ", ".join(f"{ACTIVITY_LABELS[a]} {m[-1]:.0f}"
                              for a, m in zip(ACTIVITIES, minutes, strict=True))
            self.alt = (f"{self.title} per specialist, day 0 to {model.day}; today "
                        f"({SMOOTH_DAYS}-day mean, minutes): {today}.")
        return self.horizon


class TicketsChart(Chart):
    """Tickets created and solved (by channel) per day above, the open backlog below."""

    name = "tickets"
    title = "Tickets per day and open tickets"
    about = ("tickets created per day and who solved them (specialist, help desk, peers, the "
             "teachers themselves), and below, the tickets still open")

    def __init__(self, model: DiffusionModel) -> None:
        super().__init__(axes=(0.17, 0.56, 0.79, 0.34))
        self.ax.set_xlabel("")
        self.ax.tick_params(labelbottom=False)
        self.ax.set_ylabel(f"tickets per day\n({SMOOTH_DAYS}-day mean)", fontsize=FONT_PT)
        self.lower = self.layered.fig.add_axes((0.17, 0.3, 0.79, 0.2), sharex=self.ax)
        self.lower.set_autoscale_on(False)
        self.lower.tick_params(labelsize=FONT_PT)
        self.lower.set_ylabel("open\ntickets", fontsize=FONT_PT)
        self.lower.set_xlabel("school day", fontsize=FONT_PT)
        self.lower.grid(alpha=0.25, lw=0.5)
        self.created = self.layered.animate(self.ax.plot([], [], color="black", lw=1.3,
                                                         drawstyle="steps-pre")[0])
        self.backlog = self.layered.animate(self.lower.plot([], [], color="#a50f15",
                                                            lw=1.3)[0])
        self._legend([Patch(color=_CHANNEL_COLORS[c], label=f"solved: {c}")
                      for c in TICKET_CHANNELS]
                     + [Line2D([], [], color="black", lw=1.3, label="created"),
                        Line2D([], [], color="#a50f15", lw=1.3, label="open tickets")], ncol=3)
        self.upper_max = self.lower_max = 1.0

    def update(self, model, innovation, history):
        """Tickets and backlog; redraw the frame when an axis widens or must grow."""
        days = self._days(model)
        school_days, created = school_day_means(model, "tickets_created")
        solved = [school_day_means(model, f"solved_{c}")[1] for c in TICKET_CHANNELS]
        backlog = series(model, "backlog")
        self.layered.swap("stack", self.ax.stackplot(
            school_days, *solved, colors=[_CHANNEL_COLORS[c] for c in TICKET_CHANNELS], lw=0,
            step="pre"))
        self.created.set_data(school_days, created)
        self.backlog.set_data(days, backlog)
        self.upper_max = grown_limit(self.upper_max, float(max(
            created.max(initial=0), np.sum(solved, axis=0).max(initial=0))))
        self.lower_max = grown_limit(self.lower_max, float(backlog.max()))
        self.ax.set_ylim(0, self.upper_max)
        self.lower.set_ylim(0, self.lower_max)
        if not model.day:
            self.alt = f"{self.title}, day 0: no school day yet; {int(backlog[-1])} open."
            return self.horizon, self.upper_max, self.lower_max
        self.alt = (f"{self.title}, day 0 to {model.day} ({SMOOTH_DAYS}-day means): today "
                    f"{created[-1]:.1f} created, "
                    + ", ".join(f"{c} {x[-1]:.1f}" for c, x in zip(TICKET_CHANNELS, solved,
                                                                    strict=True))
                    + f" solved; {int(backlog[-1])} open.")
        return self.horizon, self.upper_max, self.lower_max


#: The charts, in page order.
CHARTS: tuple[type[Chart], ...] = (StagesChart, AdoptionChart, EfficacyChart, MinutesChart,
                                   TicketsChart)
