"""Sweep analysis and report: intervals from theory, computed reading, figures, tables."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sweep_support import run_experiment_text

from sim.cli import main
from sim.study.experiment import parse_experiment
from sim.study.runner import load_summaries
from sim.sweep.analysis import cell_stats, interval, paired_change
from sim.sweep.reading import grid_reading

TINY_GRID = """
[experiment]
name = "tiny"
preset = "small_school"
replicates = 3
days = 30
seed = 9
[keep]
daily_every = 10
[sweep.specialist_fte]
values = [0.2, 1.0]
[sweep.tickets_per_user_month]
values = [0.0, 3.0]
[report]
outputs = ["final_users_share", "time_troubleshooting", "unreachable_share",
           "never_reached_share"]
"""


def test_interval_is_the_t_interval():
    x = np.array([0.1, 0.4, 0.35, 0.2, 0.3])
    iv = interval(np.append(x, np.nan))  # NaN (never reached) is left out
    half = stats.t.ppf(0.975, 4) * x.std(ddof=1) / np.sqrt(5)
    assert iv.n == 5 and iv.mean == pytest.approx(x.mean())
    assert (iv.low, iv.high) == pytest.approx((x.mean() - half, x.mean() + half))
    assert interval([0.5]).n == 1 and np.isnan(interval([0.5]).low)


def _synthetic(slope_x: float, slope_y: float, reps: int = 10) -> pd.DataFrame:
    """Outputs with known directions; replicate effects shared across cells (CRN)."""
    rng = np.random.default_rng(0)
    shared = rng.normal(0, 0.05, reps)
    rows = []
    for x in (0.1, 0.5, 1.0):
        for y in (0.0, 1.0, 3.0):
            for r in range(reps):
                rows.append({"param_specialist_fte": x, "param_tickets_per_user_month": y,
                             "replicate": r, "out": 0.3 + slope_x * x + slope_y * y
                             + shared[r] + rng.normal(0, 0.01)})
    return pd.DataFrame(rows)


def test_paired_difference_removes_the_shared_replicate_noise():
    df = _synthetic(0.2, 0.0)
    _, b, d = paired_change(df, "param_specialist_fte", 0.1, 1.0, "out",
                            {"param_tickets_per_user_month": 1.0})
    assert d.mean == pytest.approx(0.18, abs=0.02)
    assert (d.high - d.low) < 0.5 * (b.high - b.low)  # pairing narrows the interval


@pytest.mark.parametrize(("sx", "sy", "words"), [
    (0.2, -0.05, ("raises", "lowers")),
    (-0.2, 0.05, ("lowers", "raises")),
    (0.0, 0.0, ("does not clearly change", "does not clearly change")),
])
def test_reading_words_follow_the_numbers(tmp_path, sx, sy, words):
    exp = parse_experiment(textwrap.dedent(TINY_GRID), tmp_path / "tiny.toml")
    sentences = grid_reading(_synthetic(sx, sy), exp, ["out"])
    assert len(sentences) == 2
    for sentence, word in zip(sentences, words, strict=True):
        assert f" {word} the out" in sentence


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    return run_experiment_text(tmp_path_factory.mktemp("tiny"), "tiny", TINY_GRID)


def test_report_has_heatmaps_curves_tables_and_a_computed_reading(tiny_report):
    text = (tiny_report / "report.md").read_text()
    for name in ("heatmap_final_users_share.png", "heatmap_final_users_share_sd.png",
                 "curves_users_share.png", "reach_vs_specialist_fte.png"):
        png = tiny_report / "figures" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
        assert f"figures/{name}" in text
    cells = pd.read_csv(tiny_report / "tables" / "cells.csv")
    assert set(cells["n"]) == {3} and len(cells) == 4 * 4
    df = load_summaries(tiny_report)
    means = df.groupby(["param_specialist_fte", "param_tickets_per_user_month"])[
        "final_users_share"].mean()
    row = cells[(cells["output"] == "final_users_share")
                & (cells["param_specialist_fte"] == 1.0)
                & (cells["param_tickets_per_user_month"] == 0.0)]
    assert row["mean"].item() == pytest.approx(means[(1.0, 0.0)])
    assert "Raising **specialist_fte** from 0.2 to 1" in text
    assert f"{means[(1.0, 0.0)]:.2f}" in text  # the sentence quotes the computed mean


def test_report_command_rewrites_the_report(tiny_report, capsys):
    (tiny_report / "report.md").unlink()
    assert main(["report", str(tiny_report)]) == 0
    assert (tiny_report / "report.md").is_file()
    assert "report.md" in capsys.readouterr().out


def test_report_on_a_folder_without_results_is_a_clear_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no sweep manifest.json" in capsys.readouterr().err


def test_cell_stats_counts_missing_values():
    df = pd.DataFrame({"g": [1, 1, 1, 2, 2], "y": [1.0, np.nan, 3.0, 2.0, 2.0]})
    st = cell_stats(df, ["g"], ["y"])
    assert st["n"].tolist() == [2, 2] and st["missing"].tolist() == [1, 0]
    assert st["mean"].tolist() == [2.0, 2.0] and st["sd"].tolist()[1] == 0.0


def test_reading_compares_choices_with_the_default_choice(tmp_path):
    text = TINY_GRID.replace("[sweep.tickets_per_user_month]\nvalues = [0.0, 3.0]",
                             '[sweep.support_style]\nvalues = ["coach", "do_for"]')
    exp = parse_experiment(textwrap.dedent(text), tmp_path / "style.toml")
    rows = [{"param_specialist_fte": x, "param_support_style": s, "replicate": r,
             "out": x + (0.1 if s == "coach" else 0.0) + 0.01 * r * (1 + x) * (1 + (s == "coach"))}
            for x in (0.2, 1.0) for s in ("coach", "do_for") for r in range(5)]
    sentences = grid_reading(pd.DataFrame(rows), exp, ["out"])
    # The reference FTE is the grid value nearest the default 0.5; the reference style is
    # the default, do_for, and every other style is compared with it.
    assert sentences[1].startswith("Switching **support_style** from do_for to coach "
                                   "(at specialist_fte = 0.2) raises the out")
    assert sentences[0].startswith("Raising **specialist_fte** from 0.2 to 1 "
                                   "(at support_style = do_for) raises the out")


@pytest.mark.parametrize(("pairs", "verb"), [(2, "does not clearly change"),
                                             (5, "does not clearly change"), (6, "raises")])
def test_a_reading_without_spread_needs_the_sign_test(tmp_path, pairs, verb):
    """Every pair differs by the same +0.1: no interval; 6 pairs pass the sign test."""
    exp = parse_experiment(textwrap.dedent(TINY_GRID), tmp_path / "flat.toml")
    rows = [{"param_specialist_fte": x, "param_tickets_per_user_month": t, "replicate": r,
             "out": 0.3 + 0.1 * (x == 1.0) + 0.01 * r}
            for x in (0.2, 1.0) for t in (0.0, 3.0) for r in range(pairs)]
    first = grid_reading(pd.DataFrame(rows), exp, ["out"])[0]
    assert f" {verb} the out" in first
    assert f"the same in all {pairs} replicate pairs: no interval" in first
    assert "CI +0.10" not in first
