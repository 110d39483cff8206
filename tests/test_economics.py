"""Cost-effectiveness: ICERs and bootstrap intervals by hand, dominance, NMB, CEAC, P(best)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.whatif.economics import ceac, frontier, incremental, status
from sim.whatif.robust import best_shares, decision_table, draws


def cubes(arms: list[list[float]], costs: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Effects (scenario, 1 world, replicate) and costs (scenario, 1 world)."""
    return np.array(arms, float)[:, None, :], np.array(costs, float)[:, None]


def test_icer_and_its_bootstrap_interval_by_hand():
    """Two replicate pairs with differences 2 and 4 teachers, cost 12,000.

    ICER = 12,000 / mean(2, 4) = 4,000. Bootstrap means of the pairs are 2 (p = 1/4),
    3 (1/2) and 4 (1/4): the 2.5th and 97.5th percentiles are exactly 2 and 4, so the
    interval is [12,000 / 4, 12,000 / 2] = [3,000, 6,000]; per 100,000: 25 (16.7 to 33.3).
    """
    effect, cost = cubes([[10, 20], [12, 24]], [0, 12_000])
    row = incremental(effect, cost, seed=1, wtp=5000)[0]
    assert (row["d_cost"], row["d_effect"], row["status"]) == (12_000, 3.0, "ICER")
    assert row["icer"] == pytest.approx(4000)
    assert (row["icer_low"], row["icer_high"]) == pytest.approx((3000, 6000))
    assert row["effect_per_money"] == pytest.approx(25)
    assert (row["effect_per_money_low"], row["effect_per_money_high"]) == \
        pytest.approx((100 / 6, 100 / 3))
    # NMB at 5,000 per teacher: 5,000 * 3 - 12,000; its interval from the same resamples
    assert row["inmb"] == pytest.approx(3000)
    assert (row["inmb_low"], row["inmb_high"]) == pytest.approx((-2000, 8000))


def test_an_effect_that_may_be_zero_has_no_ratio_interval():
    effect, cost = cubes([[10, 20, 30], [13, 19, 31]], [0, 9000])
    row = incremental(effect, cost, seed=1)[0]
    assert row["status"] == "ICER" and row["icer"] == pytest.approx(9000 / 1)
    assert np.isnan(row["icer_low"]) and "includes 0" in row["icer_note"]


@pytest.mark.parametrize(("d_cost", "d_effect", "expected"), [
    (100, 2, "ICER"), (0, 2, "dominant"), (-5, 2, "dominant"), (100, -1, "dominated"),
    (0, -1, "dominated"), (-100, -1, "cheaper, less effective"), (100, 0, "no effect"),
    (0, 0, "no effect, no cost"),
])
def test_quadrants_of_the_plane(d_cost, d_effect, expected):
    assert status(d_cost, d_effect) == expected


def test_dominance_and_extended_dominance():
    """A (0, 0); B (10, 2); C (20, 1.5) dominated by B; D (30, 12); E (50, 13); F = B again.

    ICER B vs A = 5, D vs B = 2 < 5: B is extendedly dominated (mixing A and D gives more
    for the same cost). Frontier A -> D (30 / 12 = 2.5 per unit) -> E (20 / 1 = 20).
    """
    names = ["A", "B", "C", "D", "E", "F"]
    f = frontier(names, np.array([0, 10, 20, 30, 50, 10.0]),
                 np.array([0, 2, 1.5, 12, 13, 2.0])).set_index("scenario")
    assert f["status"].to_dict() == {"A": "frontier", "B": "extendedly dominated",
                                     "C": "dominated", "D": "frontier", "E": "frontier",
                                     "F": "identical"}
    assert f.loc["C", "compared_with"] == "B" and f.loc["F", "compared_with"] == "B"
    assert f.loc["B", "compared_with"] == "D"
    assert f.loc["D", "icer"] == pytest.approx(2.5) and f.loc["D", "compared_with"] == "A"
    assert f.loc["E", "icer"] == pytest.approx(20.0)
    assert np.isnan(f.loc["A", "icer"])


def test_ceac_probabilities_sum_to_one_and_follow_the_willingness_to_pay():
    # B costs 1,000 more for 1 extra teacher in every draw: below 1,000 per teacher A wins
    effect = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    cost = np.array([[0.0], [1000.0]])
    table = ceac(effect, cost, ["A", "B"], np.array([0, 500, 999, 1001, 5000]))
    wide = table.pivot(index="wtp", columns="scenario", values="probability")
    assert np.allclose(wide.sum(axis=1), 1)
    assert wide["B"].tolist() == [0, 0, 0, 1, 1]


def test_ties_are_split_and_p_best_sums_to_one():
    values = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 3.0], [0.0, 1.0, 1.0]])
    shares = best_shares(values)
    assert shares[:, 0].tolist() == [0.5, 0.5, 0.0]
    table, evpi = decision_table(values, ["a", "b", "c"], "worlds")
    assert table["p_best"].sum() == pytest.approx(1)
    assert table.set_index("scenario")["p_best"].to_dict() == \
        pytest.approx({"a": (0.5 + 1 + 0.5) / 3, "b": (0.5 + 0 + 0.5) / 3, "c": 0.0})
    # regret of a: 0, 0, 0; of b: 0, 2, 0; of c: 1, 1, 2 -> EVPI = 0
    assert table["expected_regret"].tolist() == pytest.approx([0, 2 / 3, 4 / 3])
    assert evpi == 0


def test_draws_are_worlds_or_paired_bootstrap_resamples():
    y = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)
    values, kind = draws(y, seed=3)
    assert kind == "worlds" and np.allclose(values, y.mean(axis=2))
    one = y[:, :1, :]
    values, kind = draws(one, seed=3, b=500)
    assert kind == "bootstrap" and values.shape == (2, 500)
    # the same replicates are resampled for both scenarios (paired): constant offset 12
    assert np.allclose(values[1] - values[0], 12.0)
    again, _ = draws(one, seed=3, b=500)
    assert np.array_equal(values, again)


def test_worlds_resample_worlds_for_the_icer():
    """With worlds, the bootstrap unit is the world (each world's mean difference)."""
    base = np.zeros((1, 2, 3))
    arm = np.stack([np.full((2, 3), 0.0)])
    arm[0, 0, :] = 2.0
    arm[0, 1, :] = 6.0
    rows = incremental(np.concatenate([base, arm]), np.array([[0, 0], [8000, 8000.0]]), 1)
    assert rows[0]["units"] == "worlds" and rows[0]["icer"] == pytest.approx(2000)
    assert (rows[0]["icer_low"], rows[0]["icer_high"]) == pytest.approx((8000 / 6, 4000))
    assert isinstance(pd.DataFrame(rows), pd.DataFrame)
