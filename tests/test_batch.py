"""Batched runs (sim.batch, sim.study.batching): every run identical to the same run alone."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest
from sweep_support import failing_spec, tiny_specs

import sim.study.runner
from sim.batch import simulate_batch
from sim.dynamics import pattern_measures
from sim.dynamics.submodels import DAYS_PER_YEAR, Stage
from sim.dynamics.world import World
from sim.params import resolve
from sim.run import simulate
from sim.study.batching import MAX_AUTO_BATCH, auto_batch_size, make_batches
from sim.study.runner import (
    execute,
    load_daily,
    load_failures,
    load_summaries,
    read_manifest,
)
from sim.study.runspec import run_batch, run_spec

# Cells that take different paths through the day: the default district; the do_for
# style with a help desk switched off mid-run; the threshold rule with round-robin
# priority; a complete graph (bass); no specialists (innovations only from outside, so
# some runs have none live for a while); a part-time specialist raised to full time; the
# priority policies whose scores are floats (lowest efficacy, with champions answering
# tickets) and degrees (most connected, with random priority from mid-run).
CELLS = {
    "default": ({}, (), 120),
    "do_for_desk": ({"support_style": "do_for", "helpdesk_share": 0.5},
                    ((60, {"helpdesk_share": 0.0}),), 120),
    "threshold": ({"priority_policy": "round_robin", "trial_rule": "threshold"}, (), 100),
    "complete": ({"preset": "bass"}, (), 100),
    "no_specialists": ({"n_external_at_start": 0, "specialists_per_school": 0,
                        "external_innovation_rate": 3.0}, (), 150),
    "fte_change": ({"preset": "small_school", "specialist_fte": 0.2},
                   ((40, {"specialist_fte": 1.0}),), 120),
    "lowest_efficacy": ({"priority_policy": "lowest_efficacy", "champion_share": 0.2,
                         "champion_help": 0.3}, (), 100),
    "most_connected": ({"priority_policy": "most_connected"},
                       ((50, {"priority_policy": "random"}),), 100),
    # past a school year: every pattern measure (funnel, closed cycles, Bass fit) defined
    "patterns_year": ({"preset": "small_school", "specialist_fte": 0.6,
                       "external_innovation_rate": 2.0}, (), DAYS_PER_YEAR + 20),
}


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_each_run_of_a_batch_equals_the_run_alone(cell):
    params, changes, days = CELLS[cell]
    seeds = [3, 1_000_003, 2**40 + 7, 3]  # a repeated seed gives the same run twice
    batch = simulate_batch(params, seeds, days, changes, daily_every=1)
    for seed, got in zip(seeds, batch, strict=True):
        alone = simulate(params, seed, days, changes, daily_every=1)
        assert got.summary.keys() == alone.summary.keys()
        for key, value in alone.summary.items():  # exact: NaN only where alone has NaN
            same = got.summary[key] == value or (math.isnan(value)
                                                 and math.isnan(got.summary[key]))
            assert same, key
        pd.testing.assert_frame_equal(got.daily, alone.daily, check_exact=True)
    if cell == "patterns_year":  # the cell exercises what it is there for
        defined = [k for k in pattern_measures.SUMMARY if not math.isnan(batch[0].summary[k])]
        assert defined == list(pattern_measures.SUMMARY)


def test_observed_first_use_starts_every_run_of_a_batch(tmp_path):
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("id,school,department,role,adopted_day\n"
                     "a,N,m,teacher,0\nb,N,m,teacher,45\nc,N,x,teacher,\n"
                     "d,N,x,teacher,-3\ns,N,,specialist,\n")
    edges = tmp_path / "edges.csv"
    edges.write_text("source,target\na,b\nb,c\nc,d\nd,s\n")
    params = {"network_file": str(edges), "nodes_file": str(nodes), "n_external_at_start": 1,
              "initial_user_share": 0.0}
    w = World(resolve(None, **params), [1, 2, 3])
    first = w.staff.stage[: w.n_teachers, 0].reshape(w.B, w.N)
    assert (first[:, [0, 3]] == Stage.TRIAL).all()
    for seed, got in zip([1, 2, 3], simulate_batch(params, [1, 2, 3], 30, daily_every=1),
                         strict=True):
        pd.testing.assert_frame_equal(got.daily, simulate(params, seed, 30, daily_every=1).daily,
                                      check_exact=True)


def test_runs_of_a_batch_do_not_depend_on_their_companions():
    params, changes, days = CELLS["default"]
    a = simulate_batch(params, [5, 6], days, changes, daily_every=1)
    b = simulate_batch(params, [6, 7, 8, 5], days, changes, daily_every=1)
    pd.testing.assert_frame_equal(a[0].daily, b[3].daily, check_exact=True)
    pd.testing.assert_frame_equal(a[1].daily, b[0].daily, check_exact=True)


def test_a_failing_cell_fails_run_by_run_as_alone():
    bad = failing_spec()
    specs = [bad, *(type(bad)(**{**bad.__dict__, "run_id": f"zz-{i}", "seed": i})
                    for i in (1, 2))]
    outcomes = run_batch(specs)
    assert [o.run_id for o in outcomes] == [s.run_id for s in specs]
    for spec, outcome in zip(specs, outcomes, strict=True):
        alone = run_spec(spec)
        assert not outcome.ok and outcome.error == alone.error


def test_a_district_read_from_files_is_batched_by_its_node_table(tmp_path):
    """Its size is the node table's rows, so its replicates batch like a generated
    district's (they used to run alone: the size was 'unknown')."""
    from sim.study.batching import teachers_of

    nodes = tmp_path / "nodes.csv"
    nodes.write_text("id,school,department,role\n"
                     + "".join(f"t{i},N,m,teacher\n" for i in range(12)) + "s,N,,specialist\n")
    edges = tmp_path / "edges.csv"
    edges.write_text("source,target\n" + "".join(f"t{i},t{i + 1}\n" for i in range(11))
                     + "t0,s\n")
    params = {"network_file": str(edges), "nodes_file": str(nodes)}
    assert teachers_of(params) == 13
    specs = tiny_specs(ftes=(0.5,), replicates=6)
    specs = [replace(s, params={**s.params, **params}) for s in specs]
    assert max(len(b) for b in make_batches(specs, workers=1)) == 3


def test_batches_group_runs_of_one_cell_only():
    specs = tiny_specs(ftes=(0.2, 0.8), replicates=5)
    batches = make_batches(specs, batch_size=2)
    assert [len(b) for b in batches] == [2, 2, 1, 2, 2, 1]
    for b in batches:
        assert len({s.params["specialist_fte"] for s in b}) == 1
    assert sorted(s.run_id for b in batches for s in b) == sorted(s.run_id for s in specs)
    auto = make_batches(specs, workers=2)  # 10 runs, 2 workers: batches of 3 at most
    assert max(len(b) for b in auto) == 3


@pytest.mark.parametrize(("runs", "workers", "teachers", "expected"), [
    (1400, 2, 238, 64), (1400, 2, 1000, 20), (1400, 2, 100_000, 1), (10, 2, 238, 3),
    (1, 8, 20, 1), (1400, 2, None, 1)])
def test_automatic_batch_size(runs, workers, teachers, expected):
    size = auto_batch_size(runs, workers, teachers)
    assert size == expected and 1 <= size <= MAX_AUTO_BATCH


@pytest.fixture(scope="module")
def alone_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("alone")
    execute([*tiny_specs(), failing_spec()], out, backend="serial", progress=False,
            batch_size=1)
    return out


@pytest.mark.parametrize(("backend", "batch_size"), [("serial", 3), ("serial", None),
                                                      ("local", 2)])
def test_batched_sweeps_store_what_runs_alone_store(alone_dir, tmp_path, backend, batch_size):
    report = execute([*tiny_specs(), failing_spec()], tmp_path, backend=backend, workers=2,
                     progress=False, batch_size=batch_size)
    assert (report.ran, report.failed) == (6, 1)
    pd.testing.assert_frame_equal(load_summaries(alone_dir), load_summaries(tmp_path))
    pd.testing.assert_frame_equal(load_daily(alone_dir), load_daily(tmp_path))
    assert list(load_failures(tmp_path)["run_id"]) == ["zz-bad"]
    session = read_manifest(tmp_path)["sessions"][-1]  # the batching is on record
    assert session["batch_size"] == (batch_size or "auto")
    assert session["largest_batch"] == (batch_size or 2)  # auto: 7 runs, 2 workers
    assert session["batches"] == sum(-(-n // session["largest_batch"]) for n in (3, 3)) + 1


def test_a_resumed_batched_sweep_stores_what_one_session_stores(alone_dir, tmp_path,
                                                                monkeypatch):
    real = sim.study.runner.run_all

    def interrupted_after_a_batch(specs, *args, **kwargs):
        for i, outcome in enumerate(real(specs, *args, **kwargs)):
            if i == 3:  # mid-batch: the batch of 3 finished, the next one half read
                raise KeyboardInterrupt
            yield outcome

    specs = [*tiny_specs(), failing_spec()]
    monkeypatch.setattr(sim.study.runner, "run_all", interrupted_after_a_batch)
    monkeypatch.setattr(sim.study.runner, "FLUSH_SECONDS", 0.0)
    with pytest.raises(KeyboardInterrupt):
        execute(specs, tmp_path, backend="serial", progress=False, batch_size=3)
    kept = len(load_summaries(tmp_path))
    assert 1 <= kept < 6
    monkeypatch.setattr(sim.study.runner, "run_all", real)
    again = execute(specs, tmp_path, backend="serial", progress=False, batch_size=2)
    assert again.skipped == kept and again.ran == 6 - kept and again.failed == 1
    pd.testing.assert_frame_equal(load_summaries(alone_dir), load_summaries(tmp_path))
    pd.testing.assert_frame_equal(load_daily(alone_dir), load_daily(tmp_path))


# Arguments that simulate() refuses, simulate_batch() refuses the same way (one line, a
# ParameterError naming the argument), and the batch's own: its seed list.
BAD_ARGUMENTS = [
    ({"seeds": [1.7]}, "seeds: 1.7"),
    ({"seeds": [True]}, "seeds: True"),
    ({"seeds": [-3]}, "seeds: -3"),
    ({"seeds": [None]}, "seeds: None"),
    ({"seeds": "12"}, "seeds: '12'"),
    ({"seeds": []}, "seeds: []"),
    ({"days": 10.5}, "days: 10.5"),
    ({"days": -1}, "days: -1"),
    ({"params": None}, "params: None"),
    ({"changes": [(5,)]}, "changes: (5,)"),
    ({"changes": [(0, {"helpdesk_share": 0.2})]}, "changes: day 0"),
    ({"changes": [(2.5, {"helpdesk_share": 0.2})]}, "changes: day 2.5"),
    ({"changes": {"helpdesk_share": 0.2}}, "changes: {"),
    ({"daily_every": -1}, "daily_every: -1"),
    ({"daily_every": 2.5}, "daily_every: 2.5"),
]


@pytest.mark.parametrize("bad, message", BAD_ARGUMENTS, ids=[m for _, m in BAD_ARGUMENTS])
def test_bad_arguments_are_refused_alike_alone_and_batched(bad, message):
    from sim.params import ParameterError

    args = {"params": {"preset": "small_school"}, "seeds": [1, 2], "days": 5, "changes": (),
            "daily_every": 1, **bad}
    with pytest.raises(ParameterError) as batched:
        simulate_batch(args["params"], args["seeds"], args["days"], args["changes"],
                       args["daily_every"])
    assert str(batched.value).startswith(message) and "\n" not in str(batched.value)
    if "seeds" not in bad:
        with pytest.raises(ParameterError) as alone:
            simulate(args["params"], 1, args["days"], args["changes"], args["daily_every"])
        assert str(alone.value) == str(batched.value)


def test_a_change_after_the_horizon_never_applies_alone_or_batched():
    late = [(50, {"helpdesk_share": 0.5})]
    alone = simulate({"preset": "small_school"}, 4, 20, late, daily_every=0).summary
    plain = simulate({"preset": "small_school"}, 4, 20, daily_every=0).summary
    batched = simulate_batch({"preset": "small_school"}, [4], 20, late, daily_every=0)
    same = pd.Series(alone).equals  # NaN equals NaN
    assert same(pd.Series(plain)) and same(pd.Series(batched[0].summary))
