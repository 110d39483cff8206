"""Tests of the browser page's parts without rendering the page.

Palette under colour-vision deficiency, the per-innovation history, runs equal to
``sim.run.simulate``, Compare equal to ``tis-sim whatif``, downloads that parse, messages in
words, the build job's Cancel, and text sizes of every figure.
"""

from __future__ import annotations

import gc
import io
import itertools
import json
import sys
import time
import weakref
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sim.app import compare
from sim.app.builder import Cancelled, Job, new_model
from sim.app.charts import CHARTS, remember_initial_state
from sim.app.controls import Form, humanize
from sim.app.network_view import NetworkView
from sim.app.render import STAGE_COLORS, STAGE_HATCHES, STAGE_MARKERS
from sim.app.runs import LiveRun
from sim.app.views import daily_csv, summary_json
from sim.model import DiffusionModel
from sim.params import PARAMS
from sim.run import simulate
from sim.whatif.scenarios import parse_study

#: Smallest CIELAB distance (ΔE*ab, CIE 1976) between two stage colours (issue 13).
MIN_DELTA_E = 15.0


def _lab(hexes: list[str], cvd: str | None) -> np.ndarray:
    colorspacious = pytest.importorskip("colorspacious")
    rgb = np.array([[int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)] for h in hexes])
    if cvd is not None:  # Machado, Oliveira & Fernandes (2009), full severity
        space = {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100}
        rgb = np.clip(colorspacious.cspace_convert(rgb, space, "sRGB1"), 0, 1)
    return colorspacious.cspace_convert(rgb, "sRGB1", "CIELab")


@pytest.mark.parametrize("cvd", [None, "protanomaly", "deuteranomaly"])
def test_stage_palette_stays_distinct_under_colour_vision_deficiency(cvd):
    lab = _lab(list(STAGE_COLORS.values()), cvd)
    smallest = min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(lab, 2))
    print(f"\nsmallest stage ΔE*ab ({cvd or 'normal vision'}): {smallest:.1f}")
    assert smallest >= MIN_DELTA_E
    old = ["#d9d9d9", "#9ecae1", "#fdae61", "#66bd63", "#1a7837", "#d73027"]
    if cvd == "protanomaly":  # the test can fail: the earlier palette did (ΔE 4)
        old_lab = _lab(old, cvd)
        assert min(float(np.linalg.norm(a - b))
                   for a, b in itertools.combinations(old_lab, 2)) < MIN_DELTA_E


def test_every_stage_has_a_second_cue_besides_colour():
    assert len(set(STAGE_MARKERS.values())) == len(STAGE_MARKERS) == len(STAGE_COLORS)
    assert len(set(STAGE_HATCHES.values())) == len(STAGE_HATCHES)


def test_every_text_choice_has_a_human_label():
    for spec in PARAMS.values():
        if spec.kind == "choice":
            assert len(spec.choice_labels) == len(spec.choices)
            assert all(label != choice for label, choice in
                       zip(spec.choice_labels, spec.choices, strict=True)), spec.name


@pytest.mark.parametrize("message", [
    "school_size_min must not exceed school_size_max (got {'school_size_min': 90, "
    "'school_size_max': 50})",
    "free_periods_max must be below periods_per_day (teachers teach at least once) (got "
    "{'free_periods_max': 5, 'periods_per_day': 4})",
])
def test_combination_messages_use_labels_and_units(message):
    text = humanize(message)
    names = [n for n in PARAMS if n in message]
    assert names and not any(n in text for n in names)
    assert all(PARAMS[n].label in text for n in names)


def test_history_matches_the_models_first_innovation_column():
    run = LiveRun(DiffusionModel(seed=3))
    run.step(60)
    shares = run.history.shares()
    assert shares.shape[0] == 61
    np.testing.assert_array_equal(shares[:, 0], np.asarray(run.model.first_series))
    live = run.model.cat.n
    assert np.isfinite(shares[-1, :live]).all() and np.isnan(shares[-1, live:]).all()


def test_a_page_run_with_a_policy_from_day_d_is_the_whatif_run():
    policy = compare.make_policy("help_desk", {"share": 0.5, "from_day": 20})
    params, changes = policy.apply({"preset": "default"})
    rest = dict(params)
    run = LiveRun.scheduled(DiffusionModel(seed=5, preset=rest.pop("preset"), **rest),
                            changes)
    run.step(25)
    run.step(15)
    expected = simulate(params, 5, 40, changes).summary
    got = run.model.summary()
    assert got.keys() == expected.keys()
    np.testing.assert_array_equal(list(got.values()), list(expected.values()))  # NaN == NaN


def _arms(days: int, replicates: int) -> compare.Arms:
    kwargs = Form.for_preset(seed="11").check().kwargs
    job = Job(lambda j: compare.build_arms(j, "help_desk", {"share": 0.5, "capacity": 5.0},
                                           0, kwargs, days, replicates, 238), "test").start()
    assert job.wait(60) and job.error is None, job.error
    baseline, arms = job.result
    arms.baseline = baseline
    return arms


def test_compare_replicates_give_the_numbers_of_tis_sim_whatif(tmp_path):
    arms = _arms(days=30, replicates=3)
    arms.batch = compare.run_replicates(Job(lambda j: None, "r"), arms)
    text = arms.scenario_toml()
    study = parse_study(text, tmp_path / "page.toml")
    assert study.seeds() == arms.batch.seeds and study.days == 30
    scenario = study.scenarios[1]
    for r, seed in enumerate(study.seeds()):
        base = simulate(study.baseline.params, seed, study.days).summary
        pol = simulate(scenario.params, seed, study.days, scenario.changes).summary
        for key in compare.OUTCOMES:
            assert arms.batch.summaries["baseline"][r][key] == base[key]
            assert arms.batch.summaries["policy"][r][key] == pol[key]
    interval = arms.batch.paired("time_troubleshooting")
    assert interval.n == 3 and interval.mean < 0  # the help desk takes tickets away


def test_downloads_parse():
    run = LiveRun(DiffusionModel(seed=2))
    run.step(12)
    run.log.append("day 3: Support style Fix it for them → Coach them to fix it")
    table = pd.read_csv(io.BytesIO(daily_csv(run)))
    assert len(table) == 13 and {"day", "users_share", "users_share_1"} <= set(table.columns)
    doc = json.loads(summary_json(run))
    assert doc["seed"] == 2 and doc["day"] == 12 and doc["parameters"] == run.model.p
    assert doc["summary"]["days"] == 12 and doc["policy_changes"] == run.log
    remember_initial_state(run.model)
    for view in [NetworkView(run.model), *(c(run.model) for c in CHARTS)]:
        view.frame(run.model, 0) if view.name == "network" else view.frame(run.model, 0,
                                                                           run.history)
        png = Image.open(io.BytesIO(view.export("png")))
        assert png.size[0] >= 800  # print resolution
        root = ET.fromstring(view.export("svg"))
        assert root.tag.endswith("svg")
        assert view.layered.min_text_px() >= 13  # 10 pt at 100 dpi (shown at >= 80%: 11 px)


def test_school_map_for_large_districts_has_one_cell_per_school():
    model = DiffusionModel(seed=1, n_schools=30)
    view = NetworkView(model)
    assert not view.node_view
    view.frame(model, 0)
    rows, cols = view.grid_shape
    assert rows * cols >= 30 and "Map of 30 schools" in view.alt
    assert not [c for c in view.ax.collections if type(c).__name__ == "LineCollection"]


def test_a_cancelled_build_stops_at_once_and_releases_the_half_built_model(monkeypatch):
    # The injected Cancelled can land in a callback Python cannot raise from (a weakref's);
    # Python then reports it as "unraisable", and pytest's hook would keep its traceback, and
    # so the half-built model, alive. Keep only the name, as the server's default hook does.
    ignored: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: ignored.append(u.exc_type.__name__))
    holder: list = []
    job = Job(lambda j: new_model({"seed": 1, "n_schools": 600}, holder), "build").start()
    time.sleep(0.4)  # inside the build
    start = time.perf_counter()
    assert job.cancel(timeout=10)
    assert time.perf_counter() - start < 3 and job.cancelled and job.result is None
    job2 = Job(lambda j: (_ for _ in ()).throw(Cancelled), "x").start()
    assert job2.wait(5) and job2.cancelled
    refs = [weakref.ref(m) for m in holder]
    holder.clear()
    gc.collect()
    assert not [r for r in refs if r() is not None]  # the half-built model is freed


@pytest.mark.parametrize("spread", [0.0, 0.01])
def test_compare_table_gives_no_interval_for_pairs_without_spread(spread):
    """Equal paired differences in every replicate: no zero-width '[x, x]' interval shown."""
    import threading
    from types import SimpleNamespace

    from sim.study.intervals import t_interval

    summary = {key: 0.5 for key in compare.OUTCOMES}
    def run() -> SimpleNamespace:
        return SimpleNamespace(lock=threading.Lock(),
                               model=SimpleNamespace(summary=lambda: summary))

    diffs = [0.1, 0.1 + spread, 0.1, 0.1 - spread, 0.1, 0.1]
    batch = SimpleNamespace(seeds=list(range(6)), paired=lambda key: t_interval(diffs))
    rows = compare.outcome_rows(run(), SimpleNamespace(run=run(), batch=batch))
    assert len(rows) == len(compare.OUTCOMES)
    for row in rows:
        assert ("no interval" in row[-1]) == (spread == 0.0)
        assert ("[" in row[-1]) == (spread > 0.0)
