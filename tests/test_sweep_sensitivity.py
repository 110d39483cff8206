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
from sim.sweep.sensitivity import SensitivityError, analyze, checks

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
    # integers: each of 2..12 owns an equal slice of the unit interval
    assert np.array_equal(pts["caseload"], np.minimum(np.floor(2 + 11 * u[:, 2]), 12))


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


def test_report_and_cli_carry_the_self_checks(tiny_sa, capsys):
    """N = 4 base samples: the report and the CLI both warn, and claim no interaction share."""
    _, out = tiny_sa
    text = (out / "report.md").read_text()
    checks = text.split("## Self-checks")[1].split("## ")[0]
    assert "Sobol N = 4 base samples (< 512)" in checks
    assert "of the variance comes from interactions" not in text
    assert main(["report", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: sobol final_users_share: Sobol N = 4 base samples" in err


def _stored(tmp_path, exp, method, value):
    """Store one synthetic outcome per run of the method's design; return that design."""
    sub = dataclasses.replace(as_method(exp, method), samples=8 if method == "sobol" else 4)
    outcomes = [Outcome(spec.run_id, spec.seed, spec.labels, value(spec))
                for spec in run_specs(sub)]
    with ResultStore(tmp_path) as store:
        store.write(outcomes)
    return sub


def test_censored_times_reach_salib_as_restricted_times(tiny_sa, tmp_path, monkeypatch):
    """days_to_50 is NaN (not reached) in half the runs: SALib must see no NaN at all."""
    import SALib.analyze.sobol as salib_sobol

    exp, _ = tiny_sa
    seen = []
    real = salib_sobol.analyze

    def spy(problem, Y, *args, **kwargs):
        seen.append(np.array(Y, dtype=float))
        return real(problem, Y, *args, **kwargs)

    monkeypatch.setattr(salib_sobol, "analyze", spy)

    def value(spec):
        fte = spec.params["specialist_fte"]
        return {"days": 30.0, "days_to_50": 10 + 20 * (1 - fte) if fte > 0.6 else np.nan,
                "reach_distance": np.nan if fte > 0.9 else 1.0}

    sub = _stored(tmp_path, exp, "sobol", value)
    table, _ = analyze(tmp_path, sub, "days_to_50")
    assert len(seen) == 1 and np.isfinite(seen[0]).all()
    assert seen[0].max() == 30.0  # censored runs count at the horizon
    assert table.iloc[0]["parameter"] == "specialist_fte"
    with pytest.raises(SensitivityError, match="have no value \\(NaN\\) of 'reach_distance'"):
        analyze(tmp_path, sub, "reach_distance")


def test_checks_flag_every_kind_of_untrustworthy_index(tiny_sa):
    exp, _ = tiny_sa
    sobol = dataclasses.replace(as_method(exp, "sobol"), samples=8)
    table = pd.DataFrame({"parameter": ["a", "b", "c"], "ST": [1.16, 0.3, -0.02],
                          "ST_conf": [0.2, 0.1, 0.01], "S1": [0.81, -0.05, 0.01],
                          "S1_conf": [1.34, 0.02, 0.005]})
    found = "\n".join(checks(sobol, "y", table, noise=0.25))
    assert "Sobol N = 8 base samples (< 512)" in found
    assert "wider than the index for S1 of a (0.81 ± 1.34)" in found
    assert "total index above 1 (estimation error) for a (1.16)" in found
    assert "negative S1 (estimation error) for b (-0.05)" in found
    assert "negative ST (estimation error) for c (-0.02)" in found
    assert "replicate noise is 25%" in found
    big = dataclasses.replace(sobol, samples=512)
    clean = table.assign(ST=[0.8, 0.3, 0.1], S1=[0.7, 0.2, 0.05], S1_conf=0.01, ST_conf=0.01)
    assert checks(big, "y", clean, noise=0.01) == []
    morris = as_method(exp, "morris")
    wide = pd.DataFrame({"parameter": ["a"], "mu_star": [0.1], "mu_star_conf": [0.3],
                         "mu": [0.1], "sigma": [0.2]})
    assert "wider than the index for mu_star of a" in checks(morris, "y", wide, 0.0)[0]
