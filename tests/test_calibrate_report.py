"""The calibration report: sections, tables and figures from a tiny serial calibration."""

import pandas as pd
import pytest

from sim.calibrate.report import write_report
from sim.calibrate.run import run_calibration
from sim.calibrate.spec import load_calibration
from sim.cli.main import main

TINY = """
[calibration]
name = "tiny"
preset = "small_school"
days = 30
seed = 3
population = 10
generations = 2
predictive = 5
[parameters.tickets_per_user_month]
[parameters.caseload]
range = [2, 12]
[arms.big]
caseload = 20
[patterns.trouble]
output = "time_troubleshooting"
interval = [0.5, 0.7]
tolerance = 0.1
source = "eSchool News 2009"
evidence = "B"
[patterns.users]
output = "users_share"
day = 30
target = 0.2
tolerance = 0.05
[patterns.ratio]
output = "tickets_created"
arm = "big"
compare = "ratio"
target = 1.0
tolerance = 0.2
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("cal") / "tiny.toml"
    path.write_text(TINY)
    out = path.parent / "out"
    run_calibration(load_calibration(path), out, backend="serial", progress=False)
    write_report(out)
    return out


def test_report_has_every_section_and_figure(folder):
    text = (folder / "report.md").read_text()
    for words in ("## Budget and run time", "## Pattern fit", "**How many patterns at once.**",
                  "## Parameters", "Width ratio", "Effective sample size",
                  "Wall time of the generations", "CPU time of the model evaluations",
                  "(2 of 2 generations recorded)",
                  "figures/fit.png", "figures/marginals.png", "figures/pairwise.png",
                  "eSchool News 2009 (evidence B)"):
        assert words in text, words
    for name in ("fit.png", "marginals.png", "pairwise.png"):
        assert (folder / "figures" / name).stat().st_size > 5000


def test_cpu_time_is_recorded_per_generation_and_predictive_run(folder):
    gens = pd.read_csv(folder / "generations.csv")
    assert (gens["cpu_seconds"] > 0).all() and (gens["seconds"] > 0).all()
    assert (pd.read_parquet(folder / "predictive.parquet")["cpu_seconds"] > 0).all()


def test_fit_and_parameter_tables(folder):
    fit = pd.read_csv(folder / "fit.csv")
    assert fit["pattern"].tolist() == ["trouble", "users", "ratio"]
    assert set(fit["verdict"]) <= {"reproduced", "partly", "conflict", "not measured"}
    assert (fit["posterior_low"] <= fit["posterior_high"]).all()
    params = pd.read_csv(folder / "parameters.csv").set_index("parameter")
    assert list(params.index) == ["tickets_per_user_month", "caseload"]
    assert (params["width_ratio"] > 0).all()
    # a paired arm of the same seed: the ratio pattern is measured, not NaN
    assert pd.read_parquet(folder / "predictive.parquet")["value_ratio"].notna().all()


def test_posterior_file_and_predictive(folder):
    post = pd.read_parquet(folder / "posterior.parquet")
    assert len(post) == 10 and post["weight"].sum() == pytest.approx(1.0)
    assert {"distance_trouble", "distance_users", "distance_ratio", "meta_generation"} \
        <= set(post.columns)
    assert post["caseload"].between(2, 12).all() and post["caseload"].dtype.kind == "i"
    assert len(pd.read_parquet(folder / "predictive.parquet")) == 5
    assert len(pd.read_parquet(folder / "prior.parquet")) == 10


def test_report_only_rewrites_from_stored_results(folder, capsys):
    (folder / "report.md").unlink()
    assert main(["calibrate", str(folder.parent / "tiny.toml"), "--out", str(folder),
                 "--report-only"]) == 0
    assert (folder / "report.md").is_file() and "report.md" in capsys.readouterr().out
