"""Scenario discovery with PRIM: a planted box is found; sweeps take --discover."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sweep_support import run_experiment_text

from sim.cli import main
from sim.study.discovery import DiscoveryError, discover, holds, markdown, parse_condition
from sim.study.runner import load_summaries

pytest.importorskip("ema_workbench", reason="needs the 'analysis' extra")


def test_prim_finds_a_planted_box():
    """y holds inside coaching_effect > 0.6 and q_peer < 0.3 (9% of a uniform square)."""
    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.uniform(size=(600, 3)),
                     columns=["coaching_effect", "q_peer", "lesson_prob"])
    x["support_style"] = rng.choice(["do_for", "coach"], len(x))
    y = ((x["coaching_effect"] > 0.6) & (x["q_peer"] < 0.3)).to_numpy()
    found = discover(x, y)
    assert found.cases == 600 and found.of_interest == int(y.sum())
    box = found.boxes[0]
    assert box.coverage >= 0.9 and box.density >= 0.8
    limits = box.limits.set_index("parameter")
    assert set(limits.index) == {"coaching_effect", "q_peer"}  # the inert inputs are free
    # the found box [low, 1] x [0, high] overlaps the planted [0.6, 1] x [0, 0.3] closely
    low, high = limits.loc["coaching_effect", "low"], limits.loc["q_peer", "high"]
    inter = (1 - max(low, 0.6)) * min(high, 0.3)
    union = (1 - low) * high + 0.4 * 0.3 - inter
    assert inter / union > 0.7, (low, high)
    text = "\n".join(markdown(found, "the condition"))
    assert "**Box 1**: coverage" in text and "Coaching effect (sd per cycle) 0." in text


@pytest.mark.parametrize("y", [np.zeros(50, bool), np.ones(50, bool)])
def test_nothing_to_discover_when_the_condition_never_or_always_holds(y):
    x = pd.DataFrame({"q_peer": np.linspace(0, 1, 50)})
    found = discover(x, y)
    assert found.boxes == []
    assert "Nothing to discover" in "\n".join(markdown(found, "it"))


@pytest.mark.parametrize(("text", "parsed"), [
    ("final_users_share<0.3", ("final_users_share", "<", 0.3)),
    (" days_to_50 >= 200 ", ("days_to_50", ">=", 200.0)),
])
def test_conditions(text, parsed):
    assert parse_condition(text) == parsed


@pytest.mark.parametrize("text", ["final_users_share", "x<", "<0.3", "a<b", "a=0.3"])
def test_bad_conditions_are_refused(text):
    with pytest.raises(DiscoveryError, match="OUTPUT<THRESHOLD"):
        parse_condition(text)


def test_holds_never_counts_nan():
    assert holds(np.array([0.1, np.nan, 0.5]), "<", 0.3).tolist() == [True, False, False]


SAMPLED = """
[experiment]
name = "disc"
preset = "small_school"
sampler = "lhs"
samples = 24
replicates = 1
days = 40
seed = 3
[sweep.specialist_fte]
range = [0.1, 1.0]
[sweep.tickets_per_user_month]
range = [0.0, 3.0]
[report]
outputs = ["final_users_share", "time_troubleshooting", "days_to_50"]
"""


def test_report_discover_on_a_sweep(tmp_path, capsys):
    out = run_experiment_text(tmp_path, "disc", SAMPLED)
    cut = float(load_summaries(out)["time_troubleshooting"].median())
    assert main(["report", str(out), "--discover", f"time_troubleshooting>{cut}",
                 "--format", "svg"]) == 0
    text = (out / "report.md").read_text()
    assert "## Scenario discovery (PRIM)" in text
    assert f"time_troubleshooting > {cut:g}" in text and "**Box 1**" in text
    assert (out / "tables" / "discovery.csv").is_file()
    assert list((out / "figures").glob("*.svg"))
    assert main(["report", str(out), "--discover", "nonsense<1"]) == 2
    assert "'nonsense' is not an output" in capsys.readouterr().err


def test_integer_inputs_work():
    """EMA's pasting writes fractional limits: integer columns must not break it."""
    rng = np.random.default_rng(4)
    x = pd.DataFrame({"sessions_per_cycle": rng.integers(4, 9, 200),
                      "q_peer": rng.uniform(0.2, 0.6, 200)})
    y = ((x["sessions_per_cycle"] <= 5) & (x["q_peer"] > 0.4)).to_numpy()
    found = discover(x, y)
    assert found.boxes and found.boxes[0].density >= 0.8
