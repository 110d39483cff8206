"""[uncertainty] worlds in what-if studies: parsing, draws, and a study across 8 worlds."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.cli import main
from sim.study.design import to_values
from sim.study.experiment import Dimension
from sim.study.posterior import Posterior, write_posterior
from sim.whatif.run import run_study
from sim.whatif.scenarios import parse_study
from sim.whatif.uncertainty import parse_uncertainty

BASE = """
[study]
name = "unc"
days = 100
replicates = 3
seed = 5
curve_every = 10
[costs]
currency = "EUR"
fte_price = 60000
willingness_to_pay = 20000
[baseline]
preset = "default"
specialist_fte = 0.5
[scenarios.coach]
policy = "support_style"
style = "coach"
cost = 2000
[scenarios.desk]
policy = "help_desk"
share = 0.8
cost = 20000
"""
UNCERTAINTY = """
[uncertainty]
worlds = 8
[uncertainty.coaching_effect]
range = [0.0, 1.0]
[uncertainty.tickets_per_user_month]
range = [0.0, 3.0]
"""


def parse(extra: str = UNCERTAINTY, base: str = BASE, **overrides):
    return parse_study(base + textwrap.dedent(extra), Path("unc.toml"), **overrides)


def test_worlds_apply_to_every_scenario_under_its_own_settings():
    study = parse()
    assert study.n_worlds == 8 and len(study.specs()) == 3 * 8 * 3
    draws = study.uncertainty.draws
    assert len({d["coaching_effect"] for d in draws}) == 8
    for k, world in enumerate(draws):
        for sc in study.world_scenarios(k):
            assert sc.params["coaching_effect"] == world["coaching_effect"]
        assert study.world_scenarios(k)[1].params["support_style"] == "coach"
    # world 0 runs on the seeds of the same study without uncertainty; others on new ones
    fixed = parse("")
    assert study.seeds(0) == fixed.seeds()
    assert not set(study.seeds(1)) & set(study.seeds(0))
    assert parse().uncertainty.draws == draws  # seeded: the same worlds every time


def test_a_scenario_setting_overrides_the_world_value():
    study = parse(UNCERTAINTY.replace("coaching_effect", "helpdesk_share")
                  .replace("[0.0, 1.0]", "[0.0, 0.3]"))
    for k in range(8):
        desk = study.world_scenarios(k)[2]
        assert desk.params["helpdesk_share"] == 0.8


def test_worlds_from_a_posterior_ensemble(tmp_path):
    particles = pd.DataFrame({"q_peer": [0.2, 0.4, 0.6], "coaching_effect": [0.1, 0.2, 0.3]})
    path = write_posterior(Posterior(particles, np.array([0.0, 0.25, 0.75]), pd.DataFrame()),
                           tmp_path / "posterior.parquet")
    study = parse(f"""
        [uncertainty]
        worlds = 40
        posterior = "{path}"
        [uncertainty.tickets_per_user_month]
        range = [0.5, 2.0]
        """)
    draws = pd.DataFrame(list(study.uncertainty.draws))
    assert set(draws.columns) == {"q_peer", "coaching_effect", "tickets_per_user_month"}
    assert 0.2 not in set(draws["q_peer"])  # weight 0: never drawn
    pairs = set(zip(draws["q_peer"], draws["coaching_effect"], strict=True))
    assert pairs <= {(0.4, 0.2), (0.6, 0.3)}  # particles stay whole (joint draws)
    assert study.uncertainty.names == ["q_peer", "coaching_effect", "tickets_per_user_month"]


@pytest.mark.parametrize(("extra", "fragment"), [
    ("[uncertainty]\nworlds = 1\n[uncertainty.q_peer]\nrange = [0.1, 0.5]\n",
     "[uncertainty.worlds] 1 is not allowed"),
    ("[uncertainty]\nworlds = 'many'\n[uncertainty.q_peer]\nrange = [0.1, 0.5]\n",
     "[uncertainty.worlds] 'many' is not allowed"),
    ("[uncertainty]\nworld = 8\n[uncertainty.q_peer]\nrange = [0.1, 0.5]\n",
     "[uncertainty] unknown key 'world'"),
    ("[uncertainty]\nsampler = 'sobol'\n[uncertainty.q_peer]\nrange = [0.1, 0.5]\n",
     "[uncertainty.sampler] 'sobol' is not allowed"),
    ("[uncertainty]\nworlds = 4\n", "[uncertainty] declares no uncertain parameter"),
    ("[uncertainty.q_pear]\nrange = [0.1, 0.5]\n", "[uncertainty.q_pear] unknown parameter"),
    ("[uncertainty.q_peer]\nrange = [0.1, 9.0]\n",
     "[uncertainty.q_peer] range [0.1, 9.0] is outside the allowed range"),
    ("[uncertainty.q_peer]\nrange = [0.5, 0.1]\n", "[uncertainty.q_peer] range [0.5, 0.1]"),
    ("[uncertainty.q_peer]\nrange = [0.1, 0.5]\ndistribution = 'normal'\n",
     "[uncertainty.q_peer.distribution] 'normal' is not allowed"),
    ("[uncertainty.q_peer]\nrange = [0.1, 0.5]\nsteps = 3\n", "'steps' is for grids"),
    ("[uncertainty]\nposterior = 'nowhere/posterior.parquet'\n",
     "[uncertainty.posterior] posterior 'nowhere/posterior.parquet' does not exist"),
    ("[uncertainty]\nposterior = 3\n", "[uncertainty.posterior] 3 is not allowed"),
    ("[uncertainty]\nworlds = 4\n[uncertainty.school_size_min]\nrange = [90, 120]\n",
     "[uncertainty] world"),
])
def test_bad_uncertainty_tables_get_one_line_naming_the_key(tmp_path, capsys, extra,
                                                             fragment):
    path = tmp_path / "bad.toml"
    path.write_text(BASE + extra)
    assert main(["whatif", str(path), "--backend", "serial", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err and fragment in err, err


@pytest.mark.parametrize(("value", "fragment"), [
    ("-1", "willingness_to_pay = -1 is not allowed"),
    ("'lots'", "willingness_to_pay = 'lots' is not allowed"),
    ("inf", "willingness_to_pay = inf is not allowed"),
    ("nan", "willingness_to_pay = nan is not allowed"),
    ("true", "willingness_to_pay = True is not allowed"),
])
def test_bad_willingness_to_pay_gets_one_line_naming_the_key(tmp_path, capsys, value,
                                                             fragment):
    path = tmp_path / "bad.toml"
    path.write_text(BASE.replace("willingness_to_pay = 20000", f"willingness_to_pay = {value}"))
    assert main(["whatif", str(path), "--backend", "serial", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "[costs]" in err and fragment in err, err


def test_bad_effect_names_the_key(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(BASE.replace("[baseline]", "effect = 'happiness'\n[baseline]", 1)
                    .replace("willingness_to_pay = 20000\n", "willingness_to_pay = 2\n"))
    assert main(["whatif", str(path), "--quiet"]) == 2
    assert "[costs] effect = 'happiness' is not allowed" in capsys.readouterr().err


@pytest.mark.parametrize(("low", "high", "distribution", "options"), [
    (1, 3, "uniform", {}), (2, 12, "uniform", {}), (0, 5, "uniform", {}),
])
def test_integer_draws_give_each_integer_equal_probability(low, high, distribution, options):
    """Frequencies of 30,000 draws within binomial error of 1 / (high - low + 1)."""
    dim = Dimension("caseload" if low >= 1 else "n_external_at_start", low=low, high=high,
                    distribution=distribution, options=options)
    u = np.random.default_rng(0).random(30_000)
    values = np.array(to_values(dim, u))
    k = high - low + 1
    counts = np.bincount(values - low, minlength=k)
    assert len(counts) == k and values.min() == low and values.max() == high
    p = 1 / k
    se = np.sqrt(p * (1 - p) / len(values))
    assert np.all(np.abs(counts / len(values) - p) < 4 * se), counts
    assert stats.chisquare(counts).pvalue > 1e-3


def test_integer_ends_are_not_half_weight_in_a_real_design():
    study = parse("[uncertainty]\nworlds = 300\nsampler = 'random'\n"
                  "[uncertainty.caseload]\nrange = [1, 3]\n")
    counts = pd.Series([d["caseload"] for d in study.uncertainty.draws]).value_counts()
    assert set(counts.index) == {1, 2, 3}
    assert counts.min() > 300 / 3 - 4 * np.sqrt(300 * 2 / 9)  # binomial error of 1/3


def test_a_short_look_skips_scenarios_that_start_after_it(tmp_path, capsys):
    text = BASE.replace("[scenarios.desk]", "[scenarios.desk]\nfrom_day = 61")
    study = parse("", base=text, days=60)
    assert [sc.name for sc in study.scenarios] == ["baseline", "coach"]
    assert study.skipped == (("desk", "starts on day 61, after the 60-day horizon"),)
    with pytest.raises(ValueError, match="from_day = 61 is not allowed"):
        parse_study(text.replace("days = 100", "days = 60"), Path("unc.toml"))
    path = tmp_path / "short.toml"
    path.write_text(text.replace('preset = "default"', 'preset = "small_school"'))
    out = tmp_path / "out"
    assert main(["whatif", str(path), "--days", "40", "--replicates", "2", "--backend",
                 "serial", "--out", str(out), "--quiet"]) == 0
    assert "scenario 'desk' starts on day 61, after the 40-day horizon: skipped" in \
        capsys.readouterr().err
    report = (out / "report.md").read_text()
    assert "horizon run: **40 school days**" in report
    assert "**Skipped:** scenario `desk` starts on day 61" in report


def test_the_shipped_file_with_a_short_horizon_skips_the_late_help_desk():
    path = Path(__file__).resolve().parents[1] / "experiments" / "policies.toml"
    study = parse_study(path.read_text(), path, days=180)
    assert [n for n, _ in study.skipped] == ["help_desk_year2"]


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    folder = tmp_path_factory.mktemp("unc")
    fixed = run_study(parse(""), folder / "fixed", backend="local", progress=False)[1]
    unc = run_study(parse(), folder / "unc", backend="local", progress=False)[1]
    return fixed, unc, folder / "unc"


@pytest.mark.slow
def test_p_best_sums_to_one_and_parameter_uncertainty_widens_the_interval(studies):
    fixed, unc, _ = studies
    assert unc.draws == "worlds" and fixed.draws == "bootstrap"
    for a in (fixed, unc):
        assert a.decision["p_best"].sum() == pytest.approx(1)
        assert a.decision["p_best_nmb"].sum() == pytest.approx(1)
        wide = a.ceac.pivot(index="wtp", columns="scenario", values="probability")
        assert np.allclose(wide.sum(axis=1), 1)
    key = ("coach", "final_integrated_share")
    f = fixed.differences.set_index(["scenario", "outcome"]).loc[key]
    u = unc.differences.set_index(["scenario", "outcome"]).loc[key]
    assert u["worlds"] == 8 and u["n"] == 24
    # the coaching effect is uncertain from 0 to 1: the coach's gain depends on it
    assert u["ui_high"] - u["ui_low"] > f["ci_high"] - f["ci_low"]
    assert u["sd_parameters"] > 0 and 0 < u["parameter_share"] < 1
    assert u["ui_low"] <= u["ci_low"] <= u["difference"] <= u["ci_high"] <= u["ui_high"]


@pytest.mark.slow
def test_the_report_leads_with_the_robust_answer(studies):
    _, _, out = studies
    text = (out / "report.md").read_text()
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections[0] == "## Robust answer"
    assert sections.index("## Summary") < sections.index("## Differences from the baseline")
    assert "over 8 parameter worlds" in text and "EVPI" in text and "ceac.png" in text
    assert "## Parameter uncertainty" in text and "## Where the answer flips" in text
    worlds = pd.read_csv(out / "worlds.csv")
    assert len(worlds) == 8 and {"coaching_effect", "tickets_per_user_month"} <= set(worlds)
    for name in ("decision.csv", "ceac.csv", "frontier.csv", "plane.png", "ceac.png"):
        assert (out / name).stat().st_size > 0


def test_a_worlds_override_redraws_fewer_worlds_and_gets_its_own_folder(tmp_path, capsys):
    study = parse(worlds=3)
    assert study.n_worlds == 3 and len(study.specs()) == 3 * 3 * 3
    assert study.uncertainty.draws != parse().uncertainty.draws[:3]  # a new 3-point design
    from sim.whatif.run import default_out

    assert str(default_out(study, quick=True)).endswith("unc-3rep-100d-3w")
    with pytest.raises(ValueError, match="worlds = 3 needs an \\[uncertainty\\] table"):
        parse("", worlds=3)
    path = tmp_path / "plain.toml"
    path.write_text(BASE)
    assert main(["whatif", str(path), "--worlds", "3", "--quiet"]) == 2
    assert "[uncertainty] missing; --worlds 3 needs" in capsys.readouterr().err


@pytest.mark.parametrize(("worlds", "fragment"), [
    (10**9, "[uncertainty.worlds] worlds = 1000000000 gives 9,000,000,000 is more than"),
    (150_000, "[uncertainty.worlds] worlds = 150000 gives 1,350,000 is more than the limit"),
])
def test_worlds_are_bounded_before_anything_is_drawn(worlds, fragment):
    with pytest.raises(ValueError) as err:
        parse(f"[uncertainty]\nworlds = {worlds}\n[uncertainty.q_peer]\nrange = [0.1, 0.5]\n")
    assert fragment in str(err.value)
    with pytest.raises(ValueError, match=r"\[uncertainty.worlds\] worlds = 1,000,000,000 is more"):
        parse_uncertainty(Path("unc.toml"), {"worlds": 10**9, "q_peer": {"range": [0.1, 0.5]}},
                          seed=1)
