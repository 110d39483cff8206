"""Texts, labels and legends of the browser page and of ``tis-sim run``'s figures.

Every text taken from a docstring or a help text is plain (no reStructuredText), every
Compare control names itself once, every legend entry is shown in full inside its figure,
every axis names its unit, the About tab has the ODD's whole Overview part, and smoothed
daily series leave out day 0 (no false ramp-up).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import ipyvuetify as v
import numpy as np
import pandas as pd
import pytest

from sim.app import charts, compare, info
from sim.app.charts import CHARTS, remember_initial_state
from sim.app.compare_charts import CurvesChart, DifferenceChart
from sim.app.controls import field_tip
from sim.app.runs import LiveRun
from sim.app.text import plain
from sim.dynamics.state import ACTIVITIES
from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.model import DiffusionModel
from sim.palette import ACTIVITY_LABELS
from sim.params import PARAMS
from sim.policies import POLICIES
from sim.single import plots

if TYPE_CHECKING:
    from tests.conftest_viz import PageDriver

pytest_plugins = ("tests.conftest_viz",)  # the `page` fixture

#: reStructuredText inline markup that must never reach a user.
MARKUP = re.compile(r"``|:[a-z]+:`|`[^`\s][^`]*`")


@pytest.mark.parametrize(("rst", "text"), [
    ("A help desk takes ``share`` of new tickets", "A help desk takes share of new tickets"),
    ("(``fte = 1.0``: full-time)", "(fte = 1.0: full-time)"),
    ("see :func:`sim.run.simulate` and :class:`~sim.model.DiffusionModel`",
     "see sim.run.simulate and sim.model.DiffusionModel"),
    ("`interpreted` and **strong** and *emphasis*", "interpreted and strong and emphasis"),
    ("plain text, 2 * 3 = 6", "plain text, 2 * 3 = 6"),
])
def test_plain_removes_inline_markup(rst, text):
    assert plain(rst) == text


def test_every_policy_and_parameter_text_is_plain():
    """The texts the page takes from docstrings and help, for the whole registry."""
    texts = {f"policy {n}": compare.policy_label(n) for n in POLICIES}
    texts |= {f"help of {n}": field_tip(spec) for n, spec in PARAMS.items()}
    texts |= {f"label of {n}": spec.label for n, spec in PARAMS.items()}
    texts |= {"About": re.sub(r"<code>.*?</code>", "", info.overview_html())}
    bad = {k: t for k, t in texts.items() if MARKUP.search(t)}
    assert not bad, bad


def _open_tab(page: PageDriver, index: int, ref: str | None = None) -> None:
    page.rc.find(v.Tabs).widget.v_model = index
    if ref:
        page.wait_until(lambda: bool(page.rc.find(meta_ref=ref).widgets))


def test_no_rendered_text_of_the_page_contains_a_double_backtick(page: PageDriver):
    seen = list(page.all_texts())
    _open_tab(page, 1, "compare-policy")
    for name in compare.OFFERED:  # every policy's label, settings, tooltips
        page.select("compare-policy", name)
        seen += page.all_texts()
    _open_tab(page, 2)
    page.wait_until(lambda: bool(page.rc.find(meta_ref="about").widgets))
    page.click("The full model description (ODD protocol, docs/ODD.md)")
    page.wait_until(lambda: bool(page.rc.find(meta_ref="odd").widgets))
    seen += page.all_texts()
    assert any("help desk takes share of new tickets" in t for t in seen)
    assert [t for t in seen if "``" in t] == []


def test_every_compare_control_shows_its_name_once(page: PageDriver):
    """Each setting's visible text names it once: no setting name beside its label."""
    _open_tab(page, 1, "compare-policy")
    checked = 0
    for name in compare.OFFERED:
        page.select("compare-policy", name)
        for setting, param, _ in compare.setting_fields(name):
            spec = PARAMS[param]
            box = page.control(f"compare-setting-{setting}")
            tip = box.attributes.get("title")
            texts = [t for t in page.all_texts(box, hidden=False) if t != tip]
            visible = " | ".join(t.rsplit(": ", 1)[0] for t in texts)  # names, not values
            assert visible.count(spec.label) == 1, (name, setting, texts)
            words = setting.replace("_", " ").lower()
            assert len(re.findall(rf"\b{re.escape(words)}\b", visible.lower())) <= 1, (
                name, setting, visible)
            sliders = [w for w in page.widgets_in(box) if isinstance(w, v.Slider)]
            assert all(s.label == spec.label for s in sliders), visible  # accessible name
            checked += 1
    assert checked >= len(compare.OFFERED)


def _run(days: int = 12) -> LiveRun:
    model = DiffusionModel(seed=1, n_schools=2)
    remember_initial_state(model)
    run = LiveRun(model)
    run.step(days)
    return run


#: A policy label longer than the old legend cut (28 characters).
LONG_LABEL = "Shared specialists, two half-time per school"


def _page_charts(run: LiveRun) -> dict:
    """Every chart of the page drawn for ``run``: the views and Compare's two."""
    out = {}
    for cls in CHARTS:
        chart = cls(run.model)
        chart.frame(run.model, 0, run.history)
        out[chart.name] = chart
    for chart in (CurvesChart(DAYS_PER_YEAR, LONG_LABEL), DifferenceChart(DAYS_PER_YEAR)):
        chart.compare(run.model, run.model, None)
        out[chart.name] = chart
    return out


@pytest.fixture(scope="module")
def drawn() -> dict:
    return _page_charts(_run())


EXPECTED_LEGENDS = {"minutes": [ACTIVITY_LABELS[a] for a in ACTIVITIES],
                    "compare-curves": ["today", LONG_LABEL, "users", "INTEGRATED"]}


@pytest.mark.parametrize("name", [c.name for c in CHARTS] + ["compare-curves",
                                                             "compare-difference"])
def test_every_legend_entry_is_shown_in_full_inside_the_figure(drawn, name):
    chart = drawn[name]
    fig = chart.layered.fig
    renderer = chart.layered.canvas.get_renderer()
    assert fig.legends, name
    inside = fig.bbox
    for legend in fig.legends:
        texts = [t.get_text() for t in legend.get_texts()]
        if name in EXPECTED_LEGENDS:
            assert texts == EXPECTED_LEGENDS[name]
        box = legend.get_window_extent(renderer)
        assert (box.x0 >= inside.x0 and box.x1 <= inside.x1 and box.y0 >= inside.y0
                and box.y1 <= inside.y1), (name, box.extents, inside.extents)
        for ax in fig.axes:  # below the axes, their tick labels and axis label
            assert box.y1 <= ax.get_tightbbox(renderer).y0, (name, texts)
        for text in legend.get_texts():
            t = text.get_window_extent(renderer)
            assert inside.x0 <= t.x0 and t.x1 <= inside.x1, (name, text.get_text())


def test_activity_labels_are_the_full_names_of_every_activity():
    assert set(ACTIVITY_LABELS) == set(ACTIVITIES)
    for code, label in ACTIVITY_LABELS.items():
        assert "_" not in label and len(label) >= len(code.replace("coteaching", "coteach"))
    assert ACTIVITY_LABELS["coteaching"] == "co-teaching"


#: Each page chart's axis labels (x, y of each axes), line breaks as spaces: a unit each.
PAGE_AXES = {
    "stages": [("school day", "share of teachers (0–1)")],
    "adoption": [("school day", "share of teachers using it (0–1)")],
    "efficacy": [("technology self-efficacy (0–1 scale)", "number of teachers")],
    "minutes": [("school day", "minutes per specialist per day (5-day mean)")],
    "tickets": [("", "tickets per day (5-day mean)"), ("school day", "open tickets")],
    "compare-curves": [("school day", "share of teachers (0–1)")],
    "compare-difference": [("school day", "difference (percentage points)")],
}
UNIT_WORDS = ("day", "year", "minutes", "teachers", "staff", "tickets", "points", "0–1")


def _labels(fig) -> list[tuple[str, str]]:
    return [tuple(" ".join(t.split()) for t in (ax.get_xlabel(), ax.get_ylabel()))
            for ax in fig.axes]


@pytest.mark.parametrize("name", list(PAGE_AXES))
def test_every_page_axis_names_its_unit_inside_the_figure(drawn, name):
    chart = drawn[name]
    assert _labels(chart.layered.fig) == PAGE_AXES[name]
    renderer = chart.layered.canvas.get_renderer()
    for ax in chart.layered.fig.axes:
        for label in (ax.xaxis.label, ax.yaxis.label):
            if label.get_text():
                assert any(u in label.get_text() for u in UNIT_WORDS), label.get_text()
                box = label.get_window_extent(renderer)
                assert box.x0 >= 0 and box.y0 >= 0, (name, label.get_text())


def test_the_minutes_chart_plots_minutes_per_specialist_per_day():
    run = _run(6)
    chart = charts.MinutesChart(run.model)
    chart.frame(run.model, 0, run.history)
    top = max(p.vertices[:, 1].max() for c in chart.layered._groups["stack"]
              for p in c.get_paths())
    per_specialist = run.model.day_minutes
    assert 0.5 * per_specialist < top <= per_specialist * 1.001  # not a total over specialists


def _daily_constant_from_day_1(days: int = 60) -> pd.DataFrame:
    rows = {"day": np.arange(days + 1)}
    for i, a in enumerate(ACTIVITIES):
        rows[f"min_{a}"] = np.r_[0.0, np.full(days, 10.0 * (i + 1))]
    return pd.DataFrame(rows)


def _stack_levels(collections) -> list[np.ndarray]:
    return [np.unique(np.round(np.concatenate([p.vertices[:, 1] for p in c.get_paths()]), 9))
            for c in collections]


def test_run_minutes_figure_is_constant_from_its_first_point(tmp_path, monkeypatch):
    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.append(fig))
    daily = _daily_constant_from_day_1()
    plots.minutes_figure(daily, tmp_path / "minutes.png")
    ax = figures[0].axes[0]
    bottom = 0.0
    for a, levels in zip(ACTIVITIES, _stack_levels(ax.collections), strict=True):
        top = bottom + daily[f"min_{a}"].iloc[-1]
        assert set(levels) == {bottom, top}, (a, levels)  # flat edges: no ramp from day 0
        bottom = top
    xs = np.concatenate([p.vertices[:, 0] for p in ax.collections[0].get_paths()])
    assert xs.min() == pytest.approx(1 / DAYS_PER_YEAR)  # the first school day
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [ACTIVITY_LABELS[a]
                                                                    for a in ACTIVITIES]
    assert "total over all specialists" in ax.get_ylabel()
    smooth = plots.smoothed_minutes(daily, 20)
    assert smooth["day"].iloc[0] == 1 and (smooth["min_coaching"] == 60.0).all()


def test_page_smoothed_series_are_constant_from_the_first_school_day(monkeypatch):
    run = _run(8)
    real = charts.series
    monkeypatch.setattr(charts, "series", lambda model, name: (
        np.r_[0.0, np.full(model.day, 7.0)] if name.startswith(("min_", "solved_", "tickets_"))
        else real(model, name)))
    for cls in (charts.MinutesChart, charts.TicketsChart):
        chart = cls(run.model)
        chart.frame(run.model, 0, run.history)
        levels = _stack_levels(chart.layered._groups["stack"])
        per = 7.0 / (len(run.model.specialists) if cls is charts.MinutesChart else 1)
        assert all(len(lv) == 2 and np.allclose(np.diff(lv), per) for lv in levels), levels


def test_run_figures_name_their_units(tmp_path, monkeypatch):
    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.append(fig))
    daily = _daily_constant_from_day_1()
    for col in ("share_unaware", "share_aware", "share_trial", "share_adopted",
                "share_integrated", "share_abandoned", "any_user_share"):
        daily[col] = 0.1
    plots.stage_figure(daily, tmp_path / "stages.png")
    plots.minutes_figure(daily, tmp_path / "minutes.png")
    for fig in figures:
        fig.canvas.draw()
        for x, y in _labels(fig):
            assert any(u in x for u in UNIT_WORDS) and any(u in y for u in UNIT_WORDS), (x, y)
        legend = fig.axes[0].get_legend().get_window_extent()
        assert legend.x1 <= fig.bbox.x1 and legend.x0 >= fig.bbox.x0


def test_the_about_overview_has_every_section_of_the_odds_overview():
    """The ODD protocol's Overview part is sections 1-3 (Grimm et al. 2020)."""
    odd = info.sections(info.odd_path().read_text(encoding="utf-8"))
    promised = set(re.findall(r"\b(\d)\s\(", info.__doc__ or ""))  # "1 (purpose ...)"
    assert promised == {"1", "2", "3"} == set(info.OVERVIEW_SECTIONS)
    html = info.overview_html()
    for number in sorted(promised):
        title = odd[number].splitlines()[0].removeprefix("## ")
        assert f"<h3>{title}</h3>" in html, title
