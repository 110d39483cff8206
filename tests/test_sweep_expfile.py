"""Experiment files: valid ones become run specs; each kind of mistake gets its own error."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sim.cli import main
from sim.params import PARAMS
from sim.study.design import check_outputs, points, run_specs
from sim.study.experiment import ExperimentFileError, load_experiment

GOOD = """
[experiment]
preset = "small_school"
replicates = 2
days = 30
seed = 7
[keep]
daily_every = 10
[fixed]
part_time_below = 1000
[sweep.specialist_fte]
range = [0.2, 0.8]
steps = 3
[sweep.support_style]
values = ["do_for", "coach"]
"""


def write(tmp_path, text, name="exp.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_a_valid_grid_becomes_points_x_replicates_with_shared_seeds(tmp_path):
    exp = load_experiment(write(tmp_path, GOOD))
    assert exp.name == "exp" and exp.days == 30 and exp.daily_every == 10
    pts = points(exp)
    assert pts["specialist_fte"].tolist() == [0.2, 0.2, 0.5, 0.5, 0.8, 0.8]
    specs = run_specs(exp)
    assert len(specs) == 6 * 2 and len({s.run_id for s in specs}) == 12
    assert {s.seed for s in specs if s.labels["replicate"] == 0} == {specs[0].seed}
    assert specs[0].params == {"preset": "small_school", "part_time_below": 1000,
                               "specialist_fte": 0.2, "support_style": "do_for"}
    assert run_specs(exp) == specs  # deterministic


@pytest.mark.parametrize("sampler", ["lhs", "sobol", "morris"])
def test_samplers_stay_inside_ranges_and_are_reproducible(tmp_path, sampler):
    text = f"""
    [experiment]
    sampler = "{sampler}"
    samples = 4
    seed = 3
    [sweep.specialist_fte]
    range = [0.2, 0.9]
    [sweep.caseload]
    range = [5, 16]
    [sweep.q_peer]
    range = [0.2, 0.6]
    distribution = "triangular"
    mode = 0.38
    [sweep.support_style]
    values = ["do_for", "coach", "fade"]
    """
    exp = load_experiment(write(tmp_path, text))
    pts = points(exp)
    expected = {"lhs": 4, "sobol": 4 * (4 + 2), "morris": 4 * (4 + 1)}[sampler]
    assert len(pts) == expected
    assert pts["specialist_fte"].between(0.2, 0.9).all()
    assert pts["caseload"].between(5, 16).all()
    assert all(isinstance(v, int) for v in pts["caseload"])
    assert set(pts["support_style"]) <= {"do_for", "coach", "fade"}
    assert pts.equals(points(load_experiment(write(tmp_path, text, "again.toml"))))


BAD = [
    # (what is wrong, replacement of GOOD's lines or extra text, expected message parts)
    ("unknown table", "[sweeps.x]\nvalues = [1]", ["[sweeps]", "unknown table",
                                                    "did you mean 'sweep'"]),
    ("unknown key", "", ["[experiment]", "unknown key 'replicate'", "replicates"]),
    ("unknown swept parameter", "[sweep.specialst_fte]\nvalues = [0.5]",
     ["[sweep.specialst_fte]", "did you mean 'specialist_fte'", "tis-sim params"]),
    ("unknown fixed parameter", "", ["[fixed.n_school]", "unknown parameter 'n_school'"]),
    ("range outside the parameter's range", "[sweep.tickets_per_user_month]\n"
     "range = [0.0, 5.0]\nsteps = 3",
     ["[sweep.tickets_per_user_month]", "[0.0, 5.0]", "outside the allowed range",
      "a number from 0.0 to 3.0"]),
    ("reversed range", "[sweep.q_peer]\nrange = [0.6, 0.2]\nsteps = 3",
     ["[sweep.q_peer]", "low < high"]),
    ("grid range without steps", "[sweep.q_peer]\nrange = [0.2, 0.6]",
     ["[sweep.q_peer.steps]", "at least 2"]),
    ("bad value", "[sweep.caseload]\nvalues = [5, 2.5]",
     ["[sweep.caseload]", "2.5", "an integer from 1 to 30"]),
    ("range on a choice", "[sweep.priority_policy]\nrange = [0, 1]",
     ["[sweep.priority_policy]", "'values', not 'range'"]),
    ("fixed and swept", "", ["[sweep.specialist_fte]", "both fixed and swept"]),
]


@pytest.mark.parametrize(("what", "extra", "parts"), BAD, ids=[b[0] for b in BAD])
def test_each_mistake_names_file_key_and_allowed_values(tmp_path, what, extra, parts):
    text = GOOD + "\n" + extra
    if what == "unknown key":
        text = text.replace("replicates = 2", "replicate = 2")
    if what == "unknown fixed parameter":
        text = text.replace("part_time_below = 1000", "n_school = 3")
    if what == "fixed and swept":
        text = text.replace("part_time_below = 1000", "specialist_fte = 0.5")
    path = write(tmp_path, text)
    with pytest.raises(ExperimentFileError) as err:
        load_experiment(path)
    message = str(err.value)
    assert message.startswith(str(path))
    for part in parts:
        assert part in message
    assert "\n" not in message


@pytest.mark.parametrize(("old", "new", "parts"), [
    ('preset = "small_school"', 'preset = "smal"', ["[experiment.preset]", "small_school"]),
    ("seed = 7", "", ["[experiment.seed]", "required"]),
    ("seed = 7", 'seed = 7\nsampler = "random"', ["[experiment.sampler]", "grid, lhs"]),
    ("seed = 7", 'seed = 7\nsampler = "sobol"\nsamples = 10', ["power of two"]),
    ("seed = 7", 'seed = 7\nsampler = "lhs"', ["[experiment.samples]"]),
    ("daily_every = 10", "daily_every = -1", ["[keep.daily_every]", ">= 0"]),
    ("days = 30", "days = 30\nyears = 1", ["'days' or 'years'"]),
    ("seed = 7", 'seed = 7\nsampler = "lhs"\nsamples = 2\n[sweep.q_peer]\n'
     'range = [0.2, 0.6]\ndistribution = "gamma"', ["[sweep.q_peer.distribution]",
                                                   "truncnormal"]),
    ("seed = 7", 'seed = 7\nsampler = "lhs"\nsamples = 2\n[sweep.q_peer]\n'
     'range = [0.2, 0.6]\ndistribution = "triangular"', ["'mode'"]),
    ("[fixed]", "[report]\nx = \"caseload\"\n[fixed]", ["[report.x]", "specialist_fte"]),
    ("[fixed]", "[sensitivity]\nmethods = [\"fast\"]\n[fixed]", ["'fast'", "morris, sobol"]),
    ("[experiment]", "[experiment\n", ["not valid TOML"]),
])
def test_experiment_table_mistakes(tmp_path, old, new, parts):
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ExperimentFileError) as err:
        load_experiment(path)
    for part in parts:
        assert part in str(err.value)


def test_impossible_design_point_is_named_before_any_run(tmp_path):
    text = GOOD.replace("part_time_below = 1000", "school_size_max = 30") + \
        "[sweep.school_size_min]\nvalues = [20, 40]\n"
    exp = load_experiment(write(tmp_path, text))
    with pytest.raises(ExperimentFileError, match=r"design point .*school_size_min=40"):
        run_specs(exp)


def test_unknown_output_names_the_valid_ones(tmp_path):
    exp = load_experiment(write(tmp_path, GOOD + '[report]\noutputs = ["final_users"]\n'))
    with pytest.raises(ExperimentFileError, match=r"unknown output 'final_users'.*"
                                                  "final_users_share"):
        check_outputs(exp, "report.outputs", exp.report["outputs"])


def test_cli_prints_one_line_and_exits_2(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("steps = 3", "steps = 1"))
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "tis-sim sweep: error:" in err
    assert "[sweep.specialist_fte.steps]" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_parameter_ranges_come_from_the_parameter_table():
    """The range check reads PARAMS: the headline's swept ranges are exactly allowed."""
    exp = load_experiment(Path(__file__).resolve().parents[1] / "experiments" / "headline.toml")
    for d in exp.dims:
        assert min(d.values) >= PARAMS[d.name].low and max(d.values) <= PARAMS[d.name].high
