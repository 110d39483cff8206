"""Censored times to a threshold and bounded intervals, against hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.study.intervals import share_interval, t_interval, wilson
from sim.study.survival import kaplan_meier, restricted, survival_table, with_restricted

NAN = float("nan")


def test_restricted_times_count_censored_runs_at_the_horizon():
    t, event = restricted([10.0, NAN, 60.0, 75.0], 60)
    assert t.tolist() == [10.0, 60.0, 60.0, 60.0]
    assert event.tolist() == [True, False, True, False]  # day 75 lies beyond the horizon


def test_kaplan_meier_by_hand():
    """Events on days 10, 20, 20, 35; four runs censored at 60 (the horizon).

    S(t): 1 to day 10, 7/8 to 20, 5/8 to 35, 4/8 after: median 35 (first S <= 0.5);
    RMST = 10*1 + 10*7/8 + 15*5/8 + 25*4/8 = 40.625 = mean(min(T, 60)).
    """
    times = [10, 20, 20, 35, NAN, NAN, NAN, NAN]
    s = kaplan_meier(times, 60)
    assert (s.n, s.events, s.censored) == (8, 4, 4)
    assert s.median == 35
    assert s.rmst == pytest.approx(10 + 10 * 7 / 8 + 15 * 5 / 8 + 25 * 4 / 8)
    assert s.rmst == pytest.approx(restricted(times, 60)[0].mean())
    assert s.median_low <= s.median <= s.median_high
    assert s.reached == 0.5
    assert (s.reached_low, s.reached_high) == pytest.approx(wilson(4, 8))
    assert 0 <= s.rmst_low <= s.rmst <= s.rmst_high <= 60


def test_nobody_reaching_the_threshold_is_all_censored_not_missing():
    s = kaplan_meier([NAN] * 5, 90)
    assert (s.n, s.events, s.censored, s.reached) == (5, 0, 5, 0.0)
    assert s.median == float("inf") and s.rmst == 90
    assert s.reached_low == 0.0 and 0 < s.reached_high < 1


def test_with_restricted_and_the_survival_table_agree():
    df = pd.DataFrame({"arm": ["a"] * 4 + ["b"] * 4, "days": 100.0,
                       "days_to_50": [5, 7, NAN, NAN, 50, NAN, NAN, NAN],
                       "final_users_share": 0.3})
    r = with_restricted(df)
    assert r["censored_days_to_50"].tolist() == [False, False, True, True, False, True,
                                                 True, True]
    assert r["days_to_50"].notna().all() and "censored_final_users_share" not in r
    from_raw = survival_table(df, "days_to_50", ["arm"])
    from_restricted = survival_table(r, "days_to_50", ["arm"])
    pd.testing.assert_frame_equal(from_raw, from_restricted)
    assert from_raw["censored"].tolist() == [2, 3]


def test_wilson_matches_scipy():
    for k, n in [(0, 8), (3, 8), (8, 8), (17, 40), (1, 3)]:
        expected = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
        assert wilson(k, n) == pytest.approx((expected.low, expected.high), abs=1e-12)


@pytest.mark.parametrize("seed", range(30))
def test_share_intervals_stay_inside_zero_and_one(seed):
    """Small samples near the edges: a plain t-interval leaves [0, 1], logit never does."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 6))
    centre = rng.choice([0.02, 0.5, 0.97])
    x = np.clip(rng.normal(centre, 0.1, n), 0, 1)
    iv = share_interval(x)
    assert 0 <= iv.low <= iv.mean <= iv.high <= 1
    assert iv.mean == pytest.approx(t_interval(x).mean)


def test_share_interval_example_from_the_issue_would_have_left_zero_to_one():
    x = np.array([0.74, 0.98, 1.0])
    assert t_interval(x).high > 1  # the printed "0.74 to 1.14" kind of interval
    iv = share_interval(x)
    assert iv.high < 1 and iv.low > 0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        share_interval([0.5, 1.2])
