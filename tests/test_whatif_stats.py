"""Paired statistics: t-intervals from theory, exact zeros, pairing gain on real runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.policies import make_policy
from sim.rng import child_seeds
from sim.run import simulate
from sim.study.intervals import direction, share_interval
from sim.sweep.reading import _verb
from sim.whatif.economics import incremental
from sim.whatif.stats import (
    differences,
    paired,
    ranking,
    t_interval,
    unpaired_se,
    with_counts,
)
from sim.whatif.text import VERDICT, _verdict, fmt_ci, icer_text


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
    # a is the baseline + 0.1 on every replicate (up to rounding): no spread, so no
    # interval, and 3 pairs of one sign are too few for the sign test (p = 0.25)
    assert d.loc["a", "difference"] == pytest.approx(0.1)
    assert d.loc["a", "se"] == 0 and d.loc["a", "ci_low"] == d.loc["a", "ci_high"]
    assert d.loc["a", "no_spread"] and d.loc["a", "better"] == 0
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


# A zero-width interval (every replicate or world gives the same difference) says nothing
# about precision: the verdict comes from the exact sign test, 2 * 0.5**n < 0.05 (n >= 6).
FLAT = [  # (differences, verdict if higher is better)
    ([0.1] * 2, 0), ([0.1] * 5, 0), ([0.1] * 6, 1), ([-0.02] * 6, -1), ([0.0] * 40, 0),
    ([0.6 - 0.5, 0.2 - 0.1, 1.0 - 0.9] * 2, 1),  # equal up to floating-point rounding
    ([0.25] * 3, 0),
]


@pytest.mark.parametrize(("values", "verdict"), FLAT)
def test_an_interval_without_spread_is_decided_by_the_sign_test(values, verdict):
    for iv in (t_interval(values), share_interval(np.abs(values))):
        assert iv.no_spread and iv.low == iv.high
        assert "no interval" in iv.text() and "CI" not in iv.text()
    iv = t_interval(values)
    assert direction(iv.n, iv.mean, iv.low, iv.high) == verdict
    assert iv.excludes_zero == bool(verdict)
    assert _verb(iv) == "does not clearly change" or verdict  # the sweep reading's words


@pytest.mark.parametrize("worlds", [1, 3])
@pytest.mark.parametrize(("values", "verdict"), FLAT)
def test_a_what_if_difference_without_spread_gets_no_false_verdict(values, verdict, worlds):
    """Through differences(): one world (pairs) or worlds (world means); both directions."""
    n = len(values)
    rows = []
    for w in range(worlds):
        base = np.linspace(0.2, 0.6, n) + 0.01 * w  # the baseline itself varies
        for r in range(n):
            for sc, v in (("baseline", base[r]), ("a", base[r] + values[r]),
                          ("b", base[r] - values[r])):
                rows.append({"scenario": sc, "world": w, "replicate": r,
                             "final_users_share": v, "final_dependent_share": v})
    data = pd.DataFrame(rows)
    keys = ["final_users_share", "final_dependent_share"]  # higher / lower is better
    d = differences(data, ["a", "b"], "baseline", keys).set_index(["scenario", "outcome"])
    units = n if worlds == 1 else worlds  # the sign test counts what the interval is over
    want = verdict if units == n else 0
    for sc, sign in (("a", 1), ("b", -1)):
        for key, better in zip(keys, (1, -1), strict=True):
            r = d.loc[(sc, key)]
            assert r["no_spread"], (sc, key)
            assert r["better"] == want * sign * better, (sc, key)
    r = d.loc[("a", "final_users_share")].to_dict()
    bounds = ("ui_low", "ui_high") if worlds > 1 else ("ci_low", "ci_high")
    assert fmt_ci(r[bounds[0]], r[bounds[1]], "share") == "no spread: no interval"
    words = _verdict(r)
    assert words == VERDICT[want] if want else ("pair" in words and "detectable" not in words)


def test_a_bootstrap_interval_without_spread_is_shown_as_none():
    """ICER and net benefit from replicates that all give +2 teachers at a fixed cost."""
    effect = np.array([[[10.0] * 4], [[12.0] * 4]])  # (scenario, world, replicate)
    row = incremental(effect, np.array([[0.0], [1000.0]]), seed=1, wtp=100.0)[0]
    assert row["icer"] == 500 and row["icer_low"] == row["icer_high"] == 500
    assert icer_text(row, "USD", "teacher") == "USD 500 per extra teacher (no spread: no interval)"
    assert fmt_ci(row["inmb_low"], row["inmb_high"], "money") == "no spread: no interval"
