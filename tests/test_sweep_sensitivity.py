"""Morris and Sobol (SALib) on a tiny sweep: finite indices, ranked tables, plots, report."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sweep_support import run_experiment_text

from sim.cli import main
from sim.study.design import as_method, points, run_specs, unit_sample
from sim.study.experiment import load_experiment
from sim.study.runspec import Outcome
from sim.study.storage import ResultStore
from sim.sweep.sensitivity import analyze

TINY = """
[experiment]
name = "tiny_sa"
preset = "small_school"
replicates = 2
days = 30
seed = 4
[sweep.specialist_fte]
range = [0.2, 1.0]
[sweep.tickets_per_user_month]
range = [0.0, 3.0]
[sweep.caseload]
range = [2, 12]
[sensitivity]
outputs = ["final_users_share", "time_troubleshooting"]
morris_trajectories = 3
sobol_samples = 4
bootstrap = 100
"""


@pytest.fixture(scope="module")
def tiny_sa(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sa")
    out = run_experiment_text(folder, "tiny_sa", TINY, command="sensitivity")
    return load_experiment(folder / "tiny_sa.toml"), out


@pytest.mark.parametrize(("method", "columns"), [
    ("morris", ["mu_star", "mu_star_conf", "mu", "sigma"]),
    ("sobol", ["ST", "ST_conf", "S1", "S1_conf"]),
])
def test_indices_are_finite_and_ranked(tiny_sa, method, columns):
    _, out = tiny_sa
    for output in ("final_users_share", "time_troubleshooting"):
        table = pd.read_csv(out / "tables" / f"{method}_{output}.csv")
        assert set(table["parameter"]) == {"specialist_fte", "tickets_per_user_month",
                                           "caseload"}
        assert np.isfinite(table[columns].to_numpy()).all()
        key = columns[0]
        assert table[key].is_monotonic_decreasing
        assert (out / "figures" / f"{method}_{output}.png").stat().st_size > 5000


@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_analysis_recovers_a_known_ranking(tiny_sa, tmp_path, method):
    """Stored results of y = 3 fte' + 1 caseload' (unit-scaled; tickets inert) must rank
    fte, caseload, tickets: a misaligned design, seed or point order would break this."""
    exp, _ = tiny_sa
    sub = as_method(exp, method)
    sub = dataclasses.replace(sub, samples=64 if method == "sobol" else 20)
    outcomes = []
    for spec in run_specs(sub):
        p = spec.params
        y = 3 * (p["specialist_fte"] - 0.2) / 0.8 + (p["caseload"] - 2) / 10
        outcomes.append(Outcome(spec.run_id, spec.seed, spec.labels, {"y": y}))
    with ResultStore(tmp_path) as store:
        store.write(outcomes)
    table, noise = analyze(tmp_path, sub, "y")
    assert table["parameter"].tolist() == ["specialist_fte", "caseload",
                                           "tickets_per_user_month"]
    assert noise == 0.0  # identical replicates: no replicate noise
    if method == "sobol":  # additive: S1 ~ ST ~ 9/10 and 1/10 of the variance
        fte = table.set_index("parameter").loc["specialist_fte"]
        assert fte["ST"] == pytest.approx(0.9, abs=0.1)
        assert fte["S1"] == pytest.approx(0.9, abs=0.15)


def test_designs_are_the_salib_samples_mapped_to_the_ranges(tiny_sa):
    exp, _ = tiny_sa
    sobol = as_method(exp, "sobol")
    u, pts = unit_sample(sobol), points(sobol)
    assert u.shape == (4 * (3 + 2), 3) and len(pts) == len(u)
    assert np.allclose(pts["specialist_fte"], 0.2 + 0.8 * u[:, 0])
    assert np.array_equal(pts["caseload"], np.rint(2 + 10 * u[:, 2]).astype(int))


def test_report_ranks_parameters_for_each_method(tiny_sa):
    _, out = tiny_sa
    text = (out / "report.md").read_text()
    assert "## Morris screening" in text and "## Sobol indices" in text
    assert "Most influential for the specialists' troubleshooting share of time" in text
    assert "figures/sobol_final_users_share.png" in text


def test_sensitivity_needs_its_table(tmp_path, capsys):
    path = tmp_path / "plain.toml"
    path.write_text("[experiment]\nseed = 1\n[sweep.q_peer]\nvalues = [0.2, 0.4]\n")
    assert main(["sensitivity", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "[sensitivity] table missing" in capsys.readouterr().err
