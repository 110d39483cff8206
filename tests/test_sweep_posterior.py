"""Sweeps take a calibration's posterior as the source of parameter uncertainty."""

import numpy as np
import pandas as pd
import pytest

import sim
from sim.study.design import run_specs, worlds
from sim.study.experiment import ExperimentFileError, load_experiment
from sim.study.posterior import from_frame, write_posterior

EXPERIMENT = """
[experiment]
name = "uncertain"
preset = "small_school"
replicates = 6
days = 20
seed = 3
[uncertainty]
posterior = "{posterior}"
[fixed]
support_style = "coach"
[sweep.specialist_fte]
values = [0.2, 0.8]
"""


@pytest.fixture
def posterior(tmp_path):
    frame = pd.DataFrame({"tickets_per_user_month": [0.5, 2.5], "caseload": [4, 12],
                          "specialist_fte": [0.3, 0.3], "weight": [1.0, 3.0]})
    return write_posterior(from_frame(frame), tmp_path / "cal" / "posterior.parquet")


def _experiment(tmp_path, posterior, text=EXPERIMENT):
    path = tmp_path / "x.toml"
    path.write_text(text.format(posterior=posterior.parent))
    return load_experiment(path)


def test_replicate_r_runs_in_world_r_at_every_point(tmp_path, posterior):
    exp = _experiment(tmp_path, posterior)
    specs = run_specs(exp)
    world = worlds(exp)
    assert len(world) == 6 and world == worlds(exp)  # seeded: the same draw every time
    by_point = {}
    for spec in specs:
        by_point.setdefault(spec.labels["replicate"], []).append(spec)
    for r, pair in by_point.items():
        assert [s.params["specialist_fte"] for s in pair] == [0.2, 0.8]  # swept wins
        for s in pair:
            assert s.params["caseload"] == world[r]["caseload"] == s.labels["world_caseload"]
            assert s.params["support_style"] == "coach" and s.seed == pair[0].seed
    assert {w["caseload"] for w in world} <= {4, 12}


def test_worlds_follow_the_weights(tmp_path, posterior):
    text = EXPERIMENT.replace("replicates = 6", "replicates = 2000")
    share = np.mean([w["caseload"] == 12 for w in worlds(_experiment(tmp_path, posterior,
                                                                      text))])
    assert abs(share - 0.75) < 4 * np.sqrt(0.75 * 0.25 / 2000)


def test_python_api_reads_a_posterior_folder(posterior):
    post = sim.load_posterior(posterior.parent)
    draws = post.sample(3, seed=1)
    result = sim.simulate({"preset": "small_school", **draws[0]}, seed=1, days=5)
    assert len(draws) == 3 and result.summary["days"] == 5


@pytest.mark.parametrize("change, words", [
    (lambda t: t.replace('support_style = "coach"', "caseload = 3"),
     "[fixed.caseload] parameter 'caseload' is fixed and also in the posterior"),
    (lambda t: t.replace('posterior = "{posterior}"', 'posterior = "nowhere"'),
     "[uncertainty.posterior] posterior 'nowhere' does not exist"),
    (lambda t: t.replace('posterior = "{posterior}"', "posterior = 3"),
     "[uncertainty.posterior] 3 is not allowed"),
    (lambda t: t.replace('posterior = "{posterior}"', 'posterior = "{posterior}"\nworlds = 2'),
     "[uncertainty] unknown key 'worlds'"),
])
def test_bad_uncertainty_tables(tmp_path, posterior, change, words):
    with pytest.raises(ExperimentFileError) as info:
        _experiment(tmp_path, posterior, change(EXPERIMENT))
    assert words in str(info.value) and "\n" not in str(info.value)
