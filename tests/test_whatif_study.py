"""A tiny what-if study end to end: exact zeros, untouched 'year 1', report, resume."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import sim.whatif.run as whatif_run
from sim.cli import main
from sim.study.runner import load_daily
from sim.whatif.report import analyse, report_markdown
from sim.whatif.run import run_study
from sim.whatif.scenarios import parse_study
from sim.whatif.stats import MEASURES

YEAR = 61  # a short "year": the late policy acts from day 61 of 120
STUDY = f"""
[study]
name = "tiny"
title = "Tiny study"
days = 120
replicates = 4
seed = 3
curve_every = 1

[costs]
currency = "EUR"
fte_price = 60000

[baseline]
preset = "small_school"
specialist_fte = 0.4

[scenarios.copy]
label = "Baseline copy"
policy = "parameters"
set = {{ specialist_fte = 0.4 }}

[scenarios.zero_dose]
policy = "help_desk"
share = 0.8
dose = 0

[scenarios.desk_later]
label = "Help desk from 'year 2'"
policy = "help_desk"
share = 0.8
from_day = {YEAR}
cost = 30000

[scenarios.full_time]
label = "Full-time specialist"
policy = "specialist_fte"
fte = 1.0
"""


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    out = tmp_path_factory.mktemp("whatif")
    study = parse_study(STUDY, Path("tiny.toml"))
    report, analysis, paths = run_study(study, out, backend="serial", progress=False)
    return study, out, report, analysis, paths


def test_every_run_finished(done):
    _, _, report, analysis, _ = done
    assert report.total == 5 * 4 and report.ran == 20 and report.failed == 0
    assert analysis.missing == []


@pytest.mark.parametrize("copy", ["copy", "zero_dose"])
def test_a_baseline_copy_differs_by_exactly_zero(done, copy):
    d = done[3].differences
    rows = d[d["scenario"] == copy]
    assert len(rows) == len(MEASURES)
    finite = rows[rows["n"] >= 2]
    assert len(finite) >= len(MEASURES) - 1  # days_to_50 may never be reached in 120 days
    assert (finite["difference"] == 0).all()
    assert (finite["ci_low"] == 0).all() and (finite["ci_high"] == 0).all()
    assert (rows["better"] == 0).all()


def test_a_late_policy_leaves_the_first_year_identical(done):
    _, out, _, _, _ = done
    daily = load_daily(out / "runs")
    cols = [c for c in daily.columns if c not in ("run_id", "scenario")]
    for r in range(4):
        base = daily[(daily["scenario"] == "baseline") & (daily["replicate"] == r)]
        late = daily[(daily["scenario"] == "desk_later") & (daily["replicate"] == r)]
        before_b, before_l = base[base["day"] < YEAR], late[late["day"] < YEAR]
        assert len(before_b) == YEAR
        pd.testing.assert_frame_equal(before_b[cols].reset_index(drop=True),
                                      before_l[cols].reset_index(drop=True))
        after = base[base["day"] >= YEAR][cols].reset_index(drop=True)
        assert not after.equals(late[late["day"] >= YEAR][cols].reset_index(drop=True))


def test_late_policy_costs_only_its_active_years(done):
    scen = done[3].scenarios.set_index("scenario")
    assert scen.loc["desk_later", "years_active"] == pytest.approx(60 / 180)
    assert scen.loc["desk_later", "cost_total"] == pytest.approx(30000 * 60 / 180)
    assert scen.loc["full_time", "fte_derived"]
    assert scen.loc["full_time", "cost_fte_per_year"] == pytest.approx(0.6)


def test_report_tables_and_figures_are_written(done):
    _, out, _, _, paths = done
    for name in ("report.md", "scenarios.csv", "means.csv", "differences.csv",
                 "cost_effectiveness.csv", "curves.csv", "adoption.png", "integrated.png",
                 "forest.png",
                 "manifest.json", "scenarios.toml"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert {p.name for p in paths} >= {"report.md", "differences.csv", "forest.png"}
    assert not list(out.glob(".*.tmp"))
    means = pd.read_csv(out / "means.csv")
    assert means["scenario"].tolist()[0] == "baseline" and (means["runs"] == 4).all()


def test_summary_text_is_generated_from_the_numbers(done):
    _, out, _, analysis, _ = done
    text = (out / "report.md").read_text()
    summary = text.split("## Summary")[1].split("## Differences")[0]
    lines = [ln for ln in summary.splitlines() if re.match(r"^\d+\. ", ln)]
    assert len(lines) == 4
    d = analysis.differences.set_index(["scenario", "outcome"])
    labels = analysis.scenarios.set_index("scenario")["label"]
    for line, sc in zip(lines, analysis.order, strict=True):
        row = d.loc[(sc, "integrated_teachers")]
        assert f"**{labels[sc]}**" in line
        assert f"INTEGRATED teachers {row['difference']:+.1f}" in line
        ranked = d.loc[(sc, "final_integrated_share")]
        verdict = {1: "better than today", -1: "worse than today",
                   0: "no detectable difference"}[int(ranked["better"])]
        if ranked["no_spread"] and not ranked["better"]:  # every pair the same
            verdict = ("no difference in any pair" if ranked["difference"] == 0 else
                       "too few to decide (sign test)")
        assert verdict in line
    # the copy equals the baseline in every pair: said as such, with no zero-width interval
    copy = next(ln for ln in lines if "Baseline copy" in ln)
    assert "no difference in any pair" in copy and "CI +0.0" not in copy


def test_missing_runs_are_reported_not_hidden(done):
    study, _, _, analysis, _ = done
    partial = analysis.summaries[analysis.summaries["run_id"] != "full_time-r0003"]
    again = analyse(study, partial)
    assert again.missing == ["full_time-r0003"]
    row = again.differences.set_index(["scenario", "outcome"]).loc[("full_time",
                                                                     "final_users_share")]
    assert row["n"] == 3
    assert "**Incomplete:** 1 of 20 runs" in report_markdown(again, figures=False)


def test_rerun_resumes_without_running_again(done):
    study, out, _, analysis, _ = done
    report, again, _ = run_study(study, out, backend="serial", progress=False)
    assert report.ran == 0 and report.skipped == 20
    pd.testing.assert_frame_equal(again.differences, analysis.differences)


def test_cli_runs_a_study(tmp_path, capsys):
    path = tmp_path / "tiny.toml"
    path.write_text(STUDY)
    code = main(["whatif", str(path), "--backend", "serial", "--replicates", "2",
                 "--days", "80", "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "10 ran" in out and "0 failed" in out and "report.md" in out
    assert (tmp_path / "out" / "report.md").is_file()


def test_an_interrupted_fresh_start_leaves_no_stale_report(done, tmp_path, monkeypatch):
    study, out, _, _, _ = done
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    assert (copy / "report.md").is_file()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(whatif_run, "execute", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_study(study, copy, backend="serial", progress=False, fresh=True)
    assert not (copy / "report.md").exists() and not (copy / "differences.csv").exists()


def test_a_quick_look_gets_its_own_default_folder(tmp_path, monkeypatch):
    (tmp_path / "tiny.toml").write_text(STUDY)
    monkeypatch.chdir(tmp_path)
    assert main(["whatif", "tiny.toml", "--backend", "serial", "--replicates", "2",
                 "--days", "70", "--quiet"]) == 0
    assert (tmp_path / "results" / "tiny-2rep-70d" / "report.md").is_file()
    assert not (tmp_path / "results" / "tiny").exists()


CENSORED = """
[study]
name = "censored"
days = 80
replicates = 6
seed = 1
curve_every = 20
rank_by = "days_to_50"
[costs]
currency = "EUR"
fte_price = 60000
[baseline]
preset = "default"
n_schools = 2
[scenarios.head_start]
label = "Head start"
policy = "parameters"
set = { initial_user_share = 0.55 }
"""


def test_an_arm_that_never_reaches_the_threshold_is_censored_not_dropped(tmp_path):
    """Today's district never reaches 50% users in 80 days; the head start does at once.

    Dropping the never-reached runs would leave no pair at all; censoring them at the
    horizon gives every pair, a large restricted-mean gain and the counts in the report.
    Every pair differs by the same -80 days (no spread), so the verdict rests on the sign
    test, which 6 pairs of one sign pass (p = 2 / 2**6 = 0.03) and 4 would not.
    """
    study = parse_study(CENSORED, Path("censored.toml"))
    _, a, _ = run_study(study, tmp_path, backend="serial", progress=False)
    raw = a.summaries  # restricted already: censored flags tell the never-reached runs
    base = raw[raw["scenario"] == "baseline"]
    assert base["censored_days_to_50"].sum() >= 4  # most baseline runs never reach 50%
    row = a.differences.set_index(["scenario", "outcome"]).loc[("head_start", "days_to_50")]
    assert row["n"] == 6 and row["censored_baseline"] == base["censored_days_to_50"].sum()
    assert row["censored_scenario"] == 0
    assert row["difference"] < -40 and row["better"] == 1  # faster: lower is better
    surv = a.survival.set_index("scenario")
    assert surv.loc["baseline", "censored"] == row["censored_baseline"]
    assert surv.loc["baseline", "rmst"] > surv.loc["head_start", "rmst"]
    text = (tmp_path / "report.md").read_text()
    assert f"censored 0 vs {int(row['censored_baseline'])}" in text
    assert "## Time to the adoption thresholds" in text
