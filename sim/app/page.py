"""The browser page of tis-sim: watch the district, change a policy, see the spread.

``tis-sim viz`` serves :func:`Page` with Solara (``solara run sim.app`` works too). The page
keeps the layout and controls of Mesa's SolaraViz (sidebar with Reset / ▶ / Step and the
model parameters; views in the main area, drawn with matplotlib) but is composed here,
because SolaraViz 3.3.1 rebuilds the model from every slider's value (which silently undoes
a preset), raises inside the click handler on a bad value, and cannot keep a network layout
across Resets. See ``sim.app.controls`` for how presets, sliders and policies interact.

The model never imports this module; this module only reads the model's public state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

import solara
import solara.lab

from sim.app.charts import CHARTS, Chart, card_facts, remember_initial_state
from sim.app.controls import Form, ParamsPanel, pending_changes
from sim.app.network_view import NetworkView, innovation_label
from sim.app.render import RenderTimes
from sim.errors import UserError
from sim.model import DiffusionModel
from sim.params import PARAMS

log = logging.getLogger(__name__)

#: Play: pause between frames (ms) and school days per frame, at page load.
DEFAULT_INTERVAL_MS = 50
DEFAULT_DAYS_PER_STEP = 1

ABOUT = """\
One step is one school day (180 a school year). The network colours every staff member by
their stage for the innovation chosen above it; dot size is technology self-efficacy;
diamonds are the technology integration specialists; a red ring marks a teacher who shares
no free period with their specialist, so one-to-one coaching can never happen (trainings,
co-teaching and colleagues still reach them). Stage shares are means over the innovations
live that day, so a newly introduced innovation pulls them down. Everything shown is
computed by the model (DiffusionModel); its submodels, defaults and their sources are in
docs/ODD.md and in the output of tis-sim params.\
"""


def build_model(kwargs: dict[str, Any]) -> DiffusionModel:
    """A new model for the page (keeps its day-0 state for the charts' reference lines)."""
    model = DiffusionModel(**kwargs)
    remember_initial_state(model)
    return model


@dataclass
class Session:
    """Per-page objects that are not UI state.

    Attributes:
        lock: held while the model changes (a step, a policy change, a swap on Reset):
            Play steps in a worker thread while the user may click or move a slider.
        times: seconds each view took to draw in the latest frame.
    """

    lock: threading.Lock = field(default_factory=threading.Lock)
    times: RenderTimes = field(default_factory=RenderTimes)


@dataclass
class Views:
    """The figures of one model (each keeps its static layer between frames)."""

    network: NetworkView
    charts: list[Chart]

    @classmethod
    def of(cls, model: DiffusionModel) -> Views:
        """Figures for ``model`` (the network layout comes from the shared cache)."""
        return cls(NetworkView(model), [chart(model) for chart in CHARTS])


@solara.component
def ViewImage(  # noqa: N802 (Solara components are PascalCase)
    name: str, draw: Callable[[], bytes], depends_on: list[Any], times: RenderTimes
) -> None:
    """A view as a PNG image, redrawn only when ``depends_on`` changes.

    Typing in a form field re-renders the page; the memo keeps that from redrawing charts.
    """

    def render() -> bytes:
        with times.measure(name):
            return draw()

    png = solara.use_memo(render, dependencies=depends_on)
    solara.Image(png, format="png", width="100%", classes=[f"tis-view-{name}"])


def html_table(rows: list[tuple[str, str]]) -> str:
    """Rows of (label, value) as an HTML table, escaped.

    Plain HTML rather than ``solara.Markdown``: Solara's Markdown loads KaTeX, which is not
    among the offline assets, so the server would try to fetch it from a CDN.
    """
    cell = "padding:3px 6px;border-bottom:1px solid #e0e0e0;vertical-align:top"
    body = "".join(f'<tr><td style="{cell}">{escape(label)}</td>'
                   f'<td style="{cell}"><b>{escape(value)}</b></td></tr>'
                   for label, value in rows)
    return f'<table style="border-collapse:collapse;width:100%">{body}</table>'


@solara.component
def SummaryCard(  # noqa: N802 (Solara components are PascalCase)
    model: DiffusionModel, tick: int, innovation: int, changes: list[str]
) -> None:
    """Users, INTEGRATED, days to 50%, reach: the numbers a district leader asks for."""
    with solara.Div(classes=["tis-summary"]):
        solara.HTML(unsafe_innerHTML=html_table(card_facts(model, innovation))).meta(
            ref="summary")
        if changes:
            items = "".join(f"<li>{escape(c)}</li>" for c in changes)
            solara.HTML(unsafe_innerHTML=f"<p><b>Policy changes in this run</b></p><ul>{items}"
                        "</ul>").meta(ref="changes")


@solara.component
def Controller(  # noqa: N802 (Solara components are PascalCase)
    on_reset: Callable[[], None],
    on_step: Callable[[], None],
    playing: solara.Reactive[bool],
    interval: solara.Reactive[int],
    days: solara.Reactive[int],
    notice: str | None,
) -> None:
    """Reset / ▶ / Step, as in Mesa's SolaraViz, plus days per step and play speed."""
    with solara.Row(justify="space-between"):
        solara.Button("Reset", color="primary", on_click=on_reset)
        solara.Button("❚❚" if playing.value else "▶", color="primary",
                      on_click=lambda: playing.set(not playing.value))
        solara.Button("Step", color="primary", on_click=on_step, disabled=playing.value)
    # No thumb label: the value is in the label, and a focused thumb's bubble would cover
    # the buttons above.
    solara.SliderInt(f"Days per step: {days.value}", value=days, min=1, max=30,
                     thumb_label=False)
    solara.SliderInt(f"Pause between frames: {interval.value} ms", value=interval, min=0,
                     max=1000, step=50, thumb_label=False)
    if notice:
        solara.Error(notice, dense=True).meta(ref="notice")


@solara.component
def Page() -> None:  # noqa: N802 (the name Solara's server looks for)
    """The whole page: controls in the sidebar, network, summary and charts in the main area."""
    session = solara.use_memo(Session, dependencies=[])
    first = solara.use_memo(lambda: build_model(Form.for_preset().check().kwargs),
                            dependencies=[])
    model = solara.use_reactive(first)
    form = solara.use_reactive(Form.for_preset())
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    interval = solara.use_reactive(DEFAULT_INTERVAL_MS)
    days = solara.use_reactive(DEFAULT_DAYS_PER_STEP)
    innovation = solara.use_reactive(0)
    notice = solara.use_reactive(None)
    changes = solara.use_reactive([])

    def advance() -> None:
        with session.lock:
            m = model.value
            try:
                for _ in range(days.value):
                    m.step()
            except Exception as exc:  # a model bug must not take the page down
                log.exception("model step failed")
                playing.set(False)
                notice.set(f"The model failed on day {m.day}: {exc!r}")
        tick.set(tick.value + 1)

    def play_loop() -> None:
        while playing.value:
            time.sleep(interval.value / 1000)
            if not playing.value:
                return
            advance()

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def reset() -> None:
        playing.set(False)
        checked = form.value.check()
        if checked.kwargs is None:
            notice.set("Not reset: correct the fields marked in red. The current run goes on "
                       "unchanged.")
            return
        try:
            new = build_model(checked.kwargs)
        except UserError as exc:
            notice.set(f"Not reset: {exc}")
            return
        with session.lock:
            model.set(new)
        changes.set([])
        notice.set(None)
        innovation.set(min(innovation.value, max(new.cat.n - 1, 0)))
        tick.set(tick.value + 1)

    def live_change(name: str, value: Any) -> None:
        m = model.value
        old = m.p[name]
        if old == value:
            return
        with session.lock:
            try:
                m.set_params(**{name: value})
            except UserError as exc:
                notice.set(str(exc))
                return
        changes.set([*changes.value, f"day {m.day}: {PARAMS[name].label} {old} → {value}"])
        tick.set(tick.value + 1)

    m = model.value
    checked = form.value.check()
    pending = pending_changes(form.value, m.p, m.seed, m.preset)
    solara.Title("tis-sim")
    with solara.AppBar():
        solara.AppBarTitle("tis-sim: classroom technology spreading through integration "
                           "specialists")
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            Controller(reset, advance, playing, interval, days, notice.value)
        with solara.Card("Parameters"):
            ParamsPanel(form, checked, pending, live_change)
    MainArea(m, tick.value, innovation, session.times, changes.value)


@solara.component
def MainArea(  # noqa: N802 (Solara components are PascalCase)
    model: DiffusionModel,
    tick: int,
    innovation: solara.Reactive[int],
    times: RenderTimes,
    changes: list[str],
) -> None:
    """Network and summary on top, then the four charts two by two."""
    views = solara.use_memo(lambda: Views.of(model), dependencies=[model])
    j = innovation.value if innovation.value < model.cat.n else 0
    labels = [innovation_label(model, k) for k in range(model.cat.n)]
    with solara.ColumnsResponsive(default=[12], large=[7, 5]):
        with solara.Card():
            if labels:
                solara.Select("Innovation shown", values=labels, value=labels[j],
                              on_value=lambda v: innovation.set(labels.index(v)))
            ViewImage("network", lambda: views.network.frame(model, j), [model, tick, j], times)
        with solara.Card("Summary"):
            SummaryCard(model, tick, j, changes)
            with solara.Details("What the page shows"):
                solara.Text(ABOUT.replace("\n", " "), style={"font-size": "0.9em"})
    for row in (views.charts[:2], views.charts[2:]):
        with solara.ColumnsResponsive(default=[12], large=[6, 6]):
            for chart in row:
                with solara.Card():
                    ViewImage(chart.name, lambda c=chart: c.frame(model), [model, tick], times)
