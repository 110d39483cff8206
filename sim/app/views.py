"""The Simulation tab: network, summary card, charts, and downloads of data and figures.

Downloads (the same data the page shows):

* ``daily.csv``: the model's daily table (``DiffusionModel.daily_table()``, one row per
  day) with one ``users_share_N`` column per innovation (the adoption curves);
* ``summary.json``: the run's summary (``DiffusionModel.summary()``) with the seed, the
  preset, every parameter value, the day, the policy changes made from the page and the
  tis-sim version, enough to rerun it (``tis-sim run --seed S --set name=value ...``);
* each figure as PNG (200 dpi) and SVG.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import solara

from sim.app.builder import CLOCK, Job, new_model
from sim.app.card import card_facts
from sim.app.charts import CHARTS, Chart, remember_initial_state
from sim.app.network_view import NetworkView, innovation_label
from sim.app.render import RenderTimes
from sim.app.runs import LiveRun
from sim.app.widgets import FigureImage, NativeSelect


@dataclass
class Views:
    """The figures of one model (each keeps its static layer between frames)."""

    network: NetworkView
    charts: list[Chart]

    @classmethod
    def of(cls, run: LiveRun, title: str = "Staff network") -> Views:
        """Figures for ``run``'s model (the network layout comes from the shared cache)."""
        return cls(NetworkView(run.model, title), [chart(run.model) for chart in CHARTS])

    def all(self) -> list[NetworkView | Chart]:
        """Every figure, network first."""
        return [self.network, *self.charts]


def build_run(kwargs: dict[str, Any], job: Job | None = None,
              teachers: int | None = None) -> tuple[LiveRun, Views]:
    """A new model for the page with its history and figures (in a Job's worker thread).

    Reports estimated progress to ``job``; a cancelled half-built model is freed with this
    call's frame.
    """
    holder: list[Any] = []
    if job is not None:
        size = f"{teachers:,} teachers" if teachers else "the district"
        job.expect(0.0, 0.85, CLOCK.estimate(teachers or 0), f"Building {size}")
    start = time.perf_counter()
    model = new_model(kwargs, holder)
    CLOCK.learn(model.n_teachers, time.perf_counter() - start)
    remember_initial_state(model)
    if job is not None:
        job.report(0.85, "Laying out the network and the figures")
    run = LiveRun(model)
    return run, Views.of(run)


def locked(*runs_then_draw: Any) -> Callable[[], bytes]:
    """``draw`` run while holding each run's lock (Play steps in another thread)."""
    *runs, draw = runs_then_draw

    def call() -> bytes:
        with contextlib.ExitStack() as stack:
            for r in runs:
                stack.enter_context(r.lock)
            return draw()

    return call


def daily_csv(run: LiveRun) -> bytes:
    """The daily table plus one users-share column per innovation, as CSV bytes."""
    with run.lock:
        table = run.model.daily_table()
        shares = run.history.shares().copy()
    for j in range(run.model.cat.n):
        table[f"users_share_{j + 1}"] = shares[: len(table), j]
    out = io.StringIO()
    table.to_csv(out, index=False, lineterminator="\n")
    return out.getvalue().encode("utf-8")


def summary_json(run: LiveRun) -> bytes:
    """The run's summary with everything needed to rerun it, as JSON bytes."""
    from sim import __version__

    m = run.model
    with run.lock:
        summary = m.summary()

    def plain(x: Any) -> Any:
        return x.item() if isinstance(x, np.generic) else x

    summary = {k: (None if isinstance(v, float) and not np.isfinite(v) else plain(v))
               for k, v in summary.items()}
    doc = {"tis_sim_version": __version__, "seed": int(m.seed), "preset": m.preset,
           "day": int(m.day), "teachers": int(m.n_teachers),
           "parameters": {k: plain(v) for k, v in m.p.items()},
           "policy_changes": list(run.log), "summary": summary}
    return json.dumps(doc, indent=2, allow_nan=False).encode("utf-8")


def html_table(rows: list[tuple[str, str]]) -> str:
    """Rows of (label, value) as an escaped HTML table.

    Plain HTML rather than ``solara.Markdown``: Solara's Markdown loads KaTeX, which is not
    among the offline assets, so the server would try to fetch it from a CDN.
    """
    body = "".join(f"<tr><td>{escape(label)}</td><td><b>{escape(value)}</b></td></tr>"
                   for label, value in rows)
    return f'<table class="tis-table" style="border-collapse:collapse;width:100%">{body}</table>'


@solara.component
def Downloads(figure: NetworkView | Chart, label: str) -> None:  # noqa: N802
    """PNG and SVG downloads of one figure (as it is now)."""
    with solara.Div(classes=["tis-downloads"]):
        solara.Text("Download:")
        for fmt in ("png", "svg"):
            solara.FileDownload(lambda f=fmt: figure.export(f),
                                filename=f"tis-sim-{figure.name}.{fmt}",
                                label=f"{fmt.upper()}", mime_type=f"image/{fmt}+xml"
                                if fmt == "svg" else "image/png").meta(
                ref=f"download-{figure.name}-{fmt}")


@solara.component
def ViewCard(  # noqa: N802
    figure: NetworkView | Chart, draw: Callable[[], bytes], depends_on: list[Any],
    times: RenderTimes, heading: str,
) -> None:
    """A figure in a card with a heading, its alt text and its downloads.

    The figure is redrawn only when ``depends_on`` changes (typing in a field re-renders the
    page; the memo keeps that from redrawing charts).
    """

    def render() -> tuple[bytes, str]:
        with times.measure(figure.name):
            png = draw()
        return png, figure.alt

    png, alt = solara.use_memo(render, dependencies=depends_on)
    with solara.Card(margin=0, classes=["tis-card"]):
        solara.HTML(tag="h3", unsafe_innerHTML=escape(heading), classes=["tis-h3"])
        FigureImage(png, alt, figure.name)
        Downloads(figure, heading)


@solara.component
def SummaryCard(run: LiveRun, tick: int, innovation: int) -> None:  # noqa: N802
    """Users, INTEGRATED, days to 50%, reach: the numbers a district leader asks for."""
    with run.lock:
        rows = card_facts(run.model, innovation, run.history)
    with solara.Div(classes=["tis-summary"]):
        solara.HTML(unsafe_innerHTML=html_table(rows)).meta(ref="summary")
        if run.log:
            items = "".join(f"<li>{escape(c)}</li>" for c in run.log)
            solara.HTML(unsafe_innerHTML=f"<p><b>Policy changes in this run</b></p><ul>{items}"
                        "</ul>").meta(ref="changes")
        with solara.Div(classes=["tis-downloads"]):
            solara.Text("Download the run:")
            solara.FileDownload(lambda: daily_csv(run), filename="tis-sim-daily.csv",
                                label="Daily table (CSV)", mime_type="text/csv").meta(
                ref="download-daily")
            solara.FileDownload(lambda: summary_json(run), filename="tis-sim-summary.json",
                                label="Summary (JSON)", mime_type="application/json").meta(
                ref="download-summary")


@solara.component
def SimulationTab(  # noqa: N802
    run: LiveRun, views: Views, tick: int, innovation: solara.Reactive[int],
    times: RenderTimes,
) -> None:
    """Network and summary on top, then the charts two by two."""
    model = run.model
    j = innovation.value if innovation.value < model.cat.n else 0
    labels = [innovation_label(model, k) for k in range(model.cat.n)]
    solara.HTML(tag="h2", unsafe_innerHTML="The district, day by day", classes=["tis-h2"])
    with solara.ColumnsResponsive(default=[12], xlarge=[7, 5]):
        with solara.Column(gap="8px"):
            if labels:
                NativeSelect("Innovation shown", [(str(k), t) for k, t in enumerate(labels)],
                             str(j), lambda v: innovation.set(int(v))).meta(ref="innovation")
            ViewCard(views.network, locked(run, lambda: views.network.frame(model, j)),
                     [views, tick, j], times, "Staff network")
        with solara.Card(margin=0):
            solara.HTML(tag="h3", unsafe_innerHTML="Summary", classes=["tis-h3"])
            SummaryCard(run, tick, j)
    charts = views.charts
    for row in range(0, len(charts), 2):
        with solara.ColumnsResponsive(default=[12], large=[6, 6]):
            for chart in charts[row:row + 2]:
                ViewCard(chart, locked(run, lambda c=chart: c.frame(model, j, run.history)),
                         [views, tick, j], times, chart.title).key(chart.name)
