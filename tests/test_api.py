"""The notebook API: experiments and studies from dicts, run functions, the Results handle."""

from __future__ import annotations

import dataclasses
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sweep_support import failing_spec, tiny_specs

import sim
from sim.study.design import run_specs
from sim.study.experiment import ExperimentFileError, parse_experiment
from sim.study.results import ResultsError
from sim.study.runner import execute, load_daily, load_summaries
from sim.study.runspec import specs_hash
from sim.whatif.scenarios import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
SWEEP = {
    "experiment": {"name": "tiny", "preset": "small_school", "seed": 7, "days": 30,
                   "replicates": 2},
    "keep": {"daily_every": 10},
    "sweep": {"specialist_fte": {"values": [0.2, 0.8]}},
}
STUDY = {
    "study": {"name": "tiny_study", "days": 30, "replicates": 2, "seed": 3,
              "curve_every": 10},
    "costs": {"currency": "EUR", "fte_price": 60000},
    "baseline": {"preset": "small_school", "specialist_fte": 0.4},
    "scenarios": {"coach": {"policy": "support_style", "style": "coach", "cost": 1000}},
}


@pytest.mark.parametrize("name", ["headline", "sensitivity"])
def test_an_experiment_from_a_dict_is_the_experiment_of_the_file(name):
    path = ROOT / "experiments" / f"{name}.toml"
    from_file = sim.Experiment.from_file(path)
    from_dict = sim.Experiment.from_dict(tomllib.loads(path.read_text()))
    assert specs_hash(run_specs(from_dict)) == specs_hash(run_specs(from_file))
    same = {f.name for f in dataclasses.fields(from_file)} - {"path", "text"}
    assert {k: getattr(from_dict, k) for k in same} == {k: getattr(from_file, k) for k in same}
    # The stored text is a file that reads back as the same experiment.
    again = parse_experiment(from_dict.text, Path("saved.toml"))
    assert specs_hash(run_specs(again)) == specs_hash(run_specs(from_file))


def test_a_study_from_a_dict_is_the_study_of_the_file():
    path = ROOT / "experiments" / "policies.toml"
    data = tomllib.loads(path.read_text())
    for overrides in ({}, {"replicates": 3, "days": 270}):
        from_file = sim.Study.from_file(path, **overrides)
        from_dict = sim.Study.from_dict(data, **overrides)
        assert specs_hash(from_dict.specs()) == specs_hash(from_file.specs())
        assert [s.cost for s in from_dict.scenarios] == [s.cost for s in from_file.scenarios]


def test_dicts_take_numpy_values_and_default_names():
    data = {"experiment": {"seed": np.int64(7), "days": 30},
            "sweep": {"specialist_fte": {"values": np.array([0.2, 0.8])}}}
    exp = sim.Experiment.from_dict(data)
    assert exp.name == "experiment" and exp.dims[0].values == (0.2, 0.8)
    assert sim.Experiment.from_dict(data, name="mine").name == "mine"
    study = {k: v for k, v in STUDY.items() if k != "study"}
    assert sim.Study.from_dict(study).name == "study"


BAD_EXPERIMENTS = [
    ("not a dict", ["fte"], "expected a dict of tables"),
    ("None value", {"experiment": {"seed": None}}, "[experiment.seed] None is not allowed"),
    ("object value", {"experiment": {"seed": 1, "days": object()}}, "[experiment.days]"),
    ("unknown table", {"experiment": {"seed": 1}, "swep": {}}, "did you mean 'sweep'"),
    ("missing seed", {"experiment": {"days": 30}}, "[experiment.seed]"),
    ("range outside", {"experiment": {"seed": 1}, "sweep": {"specialist_fte": {
        "range": [0.0, 5.0], "steps": 3}}}, "outside the allowed range"),
]


@pytest.mark.parametrize(("what", "data", "message"), BAD_EXPERIMENTS,
                         ids=[b[0] for b in BAD_EXPERIMENTS])
def test_a_bad_experiment_dict_is_one_line_naming_the_key(what, data, message):
    with pytest.raises(ExperimentFileError) as err:
        sim.Experiment.from_dict(data)
    assert str(err.value).startswith("<dict>") and message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("change", "message"), [
    ({"costs": None}, "[costs] None is not allowed"),
    ({"scenarios": {"x": {"policy": "helpdesk"}}}, "'helpdesk' is not a policy"),
    ({"study": {"name": "a b"}}, "name = 'a b' is not allowed"),
])
def test_a_bad_study_dict_is_one_line_naming_the_key(change, message):
    with pytest.raises(ScenarioError, match=None) as err:
        sim.Study.from_dict({**STUDY, **change})
    assert str(err.value).startswith("<dict>") and message in str(err.value)


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "tiny"
    return sim.run_sweep(SWEEP, out, backend="serial", progress=False)


def test_run_sweep_returns_a_handle_on_the_folder(swept):
    assert swept.report.ran == 4 and swept.report.complete
    pd.testing.assert_frame_equal(swept.summaries, load_summaries(swept.path))
    pd.testing.assert_frame_equal(swept.daily, load_daily(swept.path))
    assert swept.failures.empty and swept.summary_file is not None
    assert (swept.path / "report.md").is_file() and "cells" in swept.tables()
    assert list(swept.design["specialist_fte"]) == [0.2, 0.8]
    assert "4 of 4 runs done" in repr(swept)
    again = sim.run_sweep(SWEEP, swept.path, backend="serial", progress=False, report=False)
    assert again.report.skipped == 4 and again.report.ran == 0  # resumed, nothing to do
    pd.testing.assert_frame_equal(sim.load_results(swept.path).summaries, swept.summaries)


def test_to_xarray_is_point_by_replicate_by_day(swept):
    ds = swept.to_xarray()
    s, d = swept.summaries, swept.daily
    assert dict(ds.sizes) == {"point": 2, "replicate": 2, "day": 4}
    assert list(ds["param_specialist_fte"].dims) == ["point"]
    assert list(ds["seed"].dims) == ["replicate"]  # common random numbers
    for row in s.itertuples():
        cell = ds.sel(point=row.point, replicate=row.replicate)
        assert cell["final_users_share"].item() == row.final_users_share
        assert cell["tickets_created"].item() == row.tickets_created  # the summary's
    last = d[d["day"] == 30].set_index(["point", "replicate"])
    got = ds["users_share"].sel(day=30).to_series()
    pd.testing.assert_series_equal(got, last["users_share"], check_names=False)
    assert "daily_tickets_created" in ds and "tickets_created" in swept.to_xarray("daily")
    assert set(swept.to_xarray("summary").sizes) == {"point", "replicate"}


def test_to_xarray_leaves_runs_without_a_result_as_nan(tmp_path):
    specs = tiny_specs()  # cells 0, 1 x replicates 0, 1, 2
    specs[-1] = dataclasses.replace(failing_spec(), labels=specs[-1].labels)  # cell 1, rep 2
    execute(specs, tmp_path, backend="serial", progress=False)
    ds = sim.load_results(tmp_path).to_xarray()
    assert dict(ds.sizes) == {"cell": 2, "replicate": 3, "day": 4}
    assert np.isnan(ds["final_users_share"].sel(cell=1, replicate=2).item())
    assert ds["users_share"].sel(cell=1, replicate=2).isnull().all()
    assert int(ds["final_users_share"].notnull().sum()) == 5


def test_to_xarray_without_xarray_names_the_extra(swept, monkeypatch):
    monkeypatch.setitem(sys.modules, "xarray", None)
    with pytest.raises(ResultsError, match=r"tis-sim\[analysis\]"):
        swept.to_xarray()


def test_run_whatif_returns_the_analysis_and_the_report_tables(tmp_path):
    res = sim.run_whatif(sim.Study.from_dict(STUDY), tmp_path / "w", backend="serial",
                         progress=False)
    assert res.runs_dir == tmp_path / "w" / "runs" and res.analysis is not None
    assert len(res.summaries) == 4 and set(res.summaries["scenario"]) == {"baseline", "coach"}
    raw = pd.read_parquet(res.runs_dir / "parts" / "summary").sort_values("run_id")
    pd.testing.assert_frame_equal(raw.reset_index(drop=True), res.summaries)
    diff = res.table("differences")
    assert set(diff["scenario"]) == {"coach"}
    assert dict(res.to_xarray("summary").sizes) == {"scenario": 2, "replicate": 2}
    with pytest.raises(ResultsError, match=r"the tables are: .*differences"):
        res.table("nope")
    assert sim.load_results(tmp_path / "w").analysis is None  # a folder read back


def test_load_results_explains_folders_without_runs(tmp_path):
    with pytest.raises(ResultsError, match="does not exist"):
        sim.load_results(tmp_path / "typo")
    with pytest.raises(ResultsError, match="holds no results"):
        sim.load_results(tmp_path)
    for design in ("morris", "sobol"):
        (tmp_path / design / "parts").mkdir(parents=True)
    with pytest.raises(ResultsError, match="results folders morris, sobol"):
        sim.load_results(tmp_path)
