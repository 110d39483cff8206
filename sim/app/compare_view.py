"""The Compare tab: choose a policy, build both arms, watch them side by side."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import solara
import solara.lab

from sim.app import compare
from sim.app.compare_charts import CurvesChart, DifferenceChart
from sim.app.controls import (
    MAX_PAGE_TEACHERS,
    Checked,
    Message,
    field_tip,
    format_value,
    slider_step,
)
from sim.app.render import RenderTimes
from sim.app.runs import LiveRun
from sim.app.views import ViewCard, locked
from sim.app.widgets import NativeSelect
from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.errors import UserError
from sim.params import PARAMS

rv = solara.v  # Vuetify components as Solara elements (reacton.ipyvuetify)

#: Largest district compared in the page (two models are built and stepped).
MAX_COMPARE_TEACHERS = MAX_PAGE_TEACHERS // 2
DEFAULT_REPLICATES = 10


def _int(text: str, low: int, high: int, what: str) -> int:
    text = str(text).strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise UserError(f"{what}: {text!r} is not allowed; expected a whole number from "
                        f"{low} to {high:,}")
    return int(text)


@solara.component
def SettingControl(name: str, param: str, value: Any,  # noqa: N802
                   on_value: Callable[[Any], None]) -> None:
    """One policy setting, named once by the parameter it sets, with its range.

    The setting's scenario-file name (``name``) is not repeated beside the parameter's label
    (the label names the same thing); the tooltip gives the parameter's help.
    """
    spec = PARAMS[param]
    with rv.Html(tag="div", class_="tis-field", attributes={"title": field_tip(spec)}).meta(
            ref=f"compare-setting-{name}"):
        if spec.kind == "choice":
            NativeSelect(spec.label, list(zip(spec.choices, spec.choice_labels, strict=True)),
                         value, on_value)
            return
        rv.Html(tag="div", class_="tis-field-label",
                children=[f"{spec.label}: {format_value(param, value)}"])
        rv.Slider(v_model=value, on_v_model=on_value, min=spec.low, max=spec.high,
                  step=slider_step(spec), label=spec.label, hide_details=True,
                  class_="tis-slider")


@solara.component
def CompareTab(  # noqa: N802
    run: LiveRun, arms: solara.Reactive[Any], checked: Checked, tick: int,
    start_job: Callable, on_compare: Callable[[Any], None], times: RenderTimes,
) -> None:
    """Settings before a comparison; both arms, their difference and replicates during it."""
    if arms.value is None:
        CompareSettings(checked, start_job, on_compare)
    else:
        CompareRunning(run, arms, tick, times)


@solara.component
def CompareSettings(checked: Checked, start_job: Callable,  # noqa: N802
                    on_compare: Callable[[Any], None]) -> None:
    """Choose a policy and its settings, the horizon and the replicates."""
    kwargs = checked.kwargs or {}
    name = solara.use_reactive("help_desk" if "help_desk" in compare.OFFERED
                               else compare.OFFERED[0])
    settings = solara.use_reactive(compare.default_settings(name.value, kwargs)
                                   if kwargs else {})
    from_day = solara.use_reactive("0")
    horizon = solara.use_reactive(str(DAYS_PER_YEAR))
    replicates = solara.use_reactive(str(DEFAULT_REPLICATES))
    error = solara.use_reactive(None)

    def choose(new: str) -> None:
        name.set(new)
        settings.set(compare.default_settings(new, kwargs) if kwargs else {})

    def start() -> None:
        if checked.kwargs is None:
            error.set("Fix the parameters in the sidebar first (see the messages there).")
            return
        if checked.teachers and checked.teachers > MAX_COMPARE_TEACHERS:
            error.set(f"This district has {checked.teachers:,} teachers; Compare builds two "
                      f"districts and takes at most {MAX_COMPARE_TEACHERS:,} teachers.")
            return
        try:
            days = _int(horizon.value, 1, 5 * DAYS_PER_YEAR, "Horizon")
            reps = _int(replicates.value, 0, compare.MAX_REPLICATES, "Replicates")
            if reps == 1:
                raise UserError("Replicates: 1 is not allowed; expected 0 (none) or 2 to "
                                f"{compare.MAX_REPLICATES} (a paired interval needs two)")
            first = _int(from_day.value, 0, days - 1, "Policy from day")
            compare.plan(name.value, settings.value, first, checked.kwargs, days, reps)
        except UserError as exc:
            error.set(str(exc))
            return
        error.set(None)
        args = (name.value, dict(settings.value), first, dict(checked.kwargs), days, reps,
                checked.teachers or 0)
        start_job(lambda job: compare.build_arms(job, *args), "Building both arms",
                  on_compare)

    with solara.Card(margin=0):
        solara.HTML(tag="h2", unsafe_innerHTML="Compare a policy with today's district",
                    classes=["tis-h2"])
        rv.Html(tag="p", class_="tis-hint", children=[
            "Today's district is the one the sidebar describes. Both arms run on its seed "
            "(common random numbers) and step together with the Run controls; replicates "
            "run in the background on the seeds tis-sim whatif uses."])
        NativeSelect("Policy", [(n, compare.policy_label(n)) for n in compare.OFFERED],
                     name.value, choose).meta(ref="compare-policy")
        for setting, param, _ in compare.setting_fields(name.value):
            if setting in settings.value:
                SettingControl(setting, param, settings.value[setting],
                               lambda v, s=setting: settings.set({**settings.value, s: v})
                               ).key(f"{name.value}-{setting}")
        solara.InputText("Policy from day (0: from the start)", value=from_day,
                         continuous_update=True).meta(ref="compare-from-day")
        solara.InputText("Horizon (school days)", value=horizon,
                         continuous_update=True).meta(ref="compare-horizon")
        solara.InputText(f"Replicates per arm (0, or 2 to {compare.MAX_REPLICATES})",
                         value=replicates, continuous_update=True).meta(ref="compare-reps")
        Message(error.value, ref="compare-error")
        solara.Button("Start comparing", color="primary", on_click=start).meta(
            ref="compare-start")


@solara.component
def CompareRunning(run: LiveRun, arms: solara.Reactive[Any], tick: int,  # noqa: N802
                   times: RenderTimes) -> None:
    """Outcomes table, the two charts and both networks of a running comparison."""
    a = arms.value
    charts = solara.use_memo(lambda: (CurvesChart(a.horizon, a.label),
                                      DifferenceChart(a.horizon)), dependencies=[a])
    batch_tick = solara.use_reactive(0)

    def watch() -> None:
        job = a.job
        while job is not None and not job.wait(0.5):
            batch_tick.set(batch_tick.value + 1)
        batch_tick.set(batch_tick.value + 1)

    solara.lab.use_task(watch, dependencies=[a], prefer_threaded=True)
    base_views, policy_views = a.views
    with solara.Card(margin=0):
        solara.HTML(tag="h2", unsafe_innerHTML=escape(f"Today's district vs {a.label}"),
                    classes=["tis-h2"])
        rv.Html(tag="p", class_="tis-hint", children=[
            f"The policy changes: {a.description}. Seed {a.seed}; day {run.model.day} of "
            f"{a.horizon}."])
        with solara.Row():
            solara.Button("Stop comparing", outlined=True, color="primary",
                          on_click=lambda: (a.close(), arms.set(None))).meta(ref="compare-stop")
            solara.FileDownload(a.scenario_toml, filename=f"page_{a.name}.toml",
                                label="Scenario file for tis-sim whatif",
                                mime_type="text/plain").meta(ref="download-scenario")
        job = a.job
        if job is not None and not job.done:
            fraction, text = job.progress()
            rv.Html(tag="div", class_="tis-field-label",
                    children=[f"Replicates: {text}"]).meta(ref="replicate-progress")
            rv.ProgressLinear(value=round(100 * fraction), height=8, color="primary",
                              attributes={"aria-label": "replicates progress"})
            solara.Button("Cancel replicates", small=True, outlined=True, color="primary",
                          on_click=lambda: job.cancel())
        elif job is not None and job.cancelled:
            Message("Replicates cancelled.", kind="info")
        rows = compare.outcome_rows(run, a)
        head = ["Outcome", "Today", "Policy", "Difference (this pair)",
                f"Mean paired difference over {len(a.batch.seeds)} replicates at day "
                f"{a.horizon} [95% CI]" if a.batch else "Replicates"]
        body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                       for row in rows)
        header = "".join(f"<th scope='col'>{escape(h)}</th>" for h in head)
        solara.HTML(unsafe_innerHTML=f"<table class='tis-table' style='border-collapse:"
                    f"collapse;width:100%'><thead><tr>{header}</tr></thead>{body}</table>"
                    ).meta(ref="compare-table")
    deps = [a, tick, a.batch is not None]  # redraw when the replicates are in, not before
    with solara.ColumnsResponsive(default=[12], large=[6, 6]):
        for chart in charts:
            ViewCard(chart, locked(run, a.run, lambda c=chart: c.compare(run.model, a.run.model,
                                                                          a.batch)), deps,
                     times, chart.title).key(chart.name)
    with solara.ColumnsResponsive(default=[12], xlarge=[6, 6]):
        ViewCard(base_views.network, locked(run, lambda: base_views.network.frame(run.model, 0)),
                 deps, times, "Today's district")
        ViewCard(policy_views.network, locked(a.run, lambda: policy_views.network.frame(
            a.run.model, 0)), deps, times, a.label)
