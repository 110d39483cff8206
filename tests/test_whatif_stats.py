"""Paired statistics: t-intervals from theory, exact zeros, pairing gain on real runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.policies import make_policy
from sim.rng import child_seeds
from sim.run import simulate
from sim.whatif.stats import (
    differences,
    paired,
    ranking,
    t_interval,
    unpaired_se,
    with_counts,
)


def frame(values: dict[str, list[float]], key: str = "final_users_share") -> pd.DataFrame:
    rows = [{"scenario": sc, "replicate": r, "run_id": f"{sc}-{r}", key: v}
            for sc, vs in values.items() for r, v in enumerate(vs)]
    return pd.DataFrame(rows)


def test_t_interval_matches_the_textbook_values():
    iv = t_interval([1.0, 2.0, 3.0, 4.0])
    # mean 2.5, sd sqrt(5/3), se sd/2, t(0.975, 3) = 3.182446305 (statistical tables)
    se = np.sqrt(5 / 3) / 2
    assert (iv.n, iv.mean) == (4, 2.5)
    assert iv.se == pytest.approx(se, rel=1e-12)
    assert iv.high - iv.mean == pytest.approx(3.182446305 * se, rel=1e-8)
    assert iv.mean - iv.low == pytest.approx(3.182446305 * se, rel=1e-8)


def test_t_interval_drops_nan_and_needs_two_values():
    assert t_interval([1.0, np.nan, 3.0]).n == 2
    one = t_interval([1.0, np.nan])
    assert one.n == 1 and np.isnan(one.low) and one.mean == 1.0


def test_differences_are_paired_by_replicate():
    data = frame({"baseline": [0.1, 0.5, 0.9], "a": [0.2, 0.6, 1.0], "b": [0.1, 0.5, 0.9]})
    d = differences(data, ["a", "b"], "baseline", ["final_users_share"]).set_index("scenario")
    # a is the baseline + 0.1 on every replicate: difference 0.1 with (near) zero spread
    assert d.loc["a", "difference"] == pytest.approx(0.1)
    assert d.loc["a", "se"] == pytest.approx(0.0, abs=1e-12)
    assert d.loc["a", "better"] == 1
    # b is a copy of the baseline: exactly zero, interval exactly [0, 0], no verdict
    assert (d.loc["b", "difference"], d.loc["b", "ci_low"], d.loc["b", "ci_high"]) == (0, 0, 0)
    assert d.loc["b", "better"] == 0
    # the unpaired SE ignores the pairing and sees the between-replicate spread
    assert d.loc["a", "se_unpaired"] == pytest.approx(np.sqrt(2 * 0.16 / 3))


def test_lower_is_better_outcomes_flip_the_verdict_and_the_ranking():
    data = frame({"baseline": [100.0, 120.0, 140.0], "fast": [90.0, 111.0, 129.0],
                  "slow": [110.0, 131.0, 149.0]}, key="days_to_50")
    d = differences(data, ["fast", "slow"], "baseline", ["days_to_50"])
    assert dict(zip(d["scenario"], d["better"], strict=True)) == {"fast": 1, "slow": -1}
    assert ranking(d, "days_to_50") == ["fast", "slow"]


def test_pairs_use_only_replicates_present_in_both_arms():
    data = frame({"baseline": [0.1, 0.2, np.nan, 0.4], "a": [0.2, np.nan, 0.3, 0.5]})
    base, arm = paired(data, "final_users_share", "a", "baseline")
    assert base.tolist() == [0.1, 0.4] and arm.tolist() == [0.2, 0.5]


def test_counts_are_shares_times_teachers():
    data = frame({"baseline": [0.10, 0.20], "a": [0.20, 0.40]}, key="final_integrated_share")
    data["final_users_share"] = 0.5
    counted = with_counts(data, {"baseline": 200, "a": 200})
    assert counted["integrated_teachers"].tolist() == pytest.approx([20, 40, 40, 80])
    assert (counted["world"] == 0).all()


def test_a_censored_arm_gives_the_restricted_mean_difference_with_its_counts():
    """The issue's case: the scenario reaches 50% on day 10 in all 6 runs, the baseline in
    1 of 6; dropping the censored runs would compare 1 pair. Restricted to the 540-day
    horizon, every pair counts and the scenario is faster by a lot, not 'no difference'."""
    base = [150.0, np.nan, np.nan, np.nan, np.nan, np.nan]
    data = frame({"baseline": base, "a": [10.0] * 6}, key="days_to_50")
    data["days"] = 540.0
    data["final_users_share"] = data["final_integrated_share"] = 0.5
    d = differences(with_counts(data, {"baseline": 100, "a": 100}), ["a"], "baseline",
                    ["days_to_50"]).iloc[0]
    restricted = np.array([150.0, *[540.0] * 5])
    assert (d["n"], d["missing"]) == (6, 0)
    assert (d["censored_baseline"], d["censored_scenario"]) == (5, 0)
    assert d["difference"] == pytest.approx(10.0 - restricted.mean())
    assert d["better"] == 1  # lower is better: a clear gain, with all 6 pairs


def test_common_random_numbers_make_the_paired_se_smaller_than_the_unpaired():
    """Same runs, two estimators: pairing removes the variance both arms share."""
    base = {"preset": "small_school"}
    params, _ = make_policy("help_desk", {"share": 0.5}).apply(base)
    rows = []
    for r, seed in enumerate(child_seeds(7, 8)):
        for sc, p in (("baseline", base), ("desk", params)):
            s = simulate(p, seed, 120, daily_every=0).summary
            rows.append({"scenario": sc, "replicate": r, **s})
    data = pd.DataFrame(rows)
    for key in ("final_users_share", "final_se_mean", "independent_user_share"):
        a, b = paired(data, key, "desk", "baseline")
        assert t_interval(b - a).se < unpaired_se(a, b), key
    # the shared variance is large: the same seed draws the same staff and network
    a, b = paired(data, "final_se_mean", "desk", "baseline")
    assert np.corrcoef(a, b)[0, 1] > 0.5
