"""Directional validation (docs/ODD.md section 1): raise a parameter, the outcome moves.

Each comparison is paired by seed (common random numbers) over eight replicates of the
default district for three school years. A direction holds when the mean paired difference
exceeds three standard errors of that mean (a one-sided t statistic > 3 with 7 degrees of
freedom, p < 0.01): the tolerance comes from the replicate spread, not from the output.
"""

import numpy as np
import pytest

from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.run import simulate

SEEDS = range(100, 108)
DAYS = 3 * DAYS_PER_YEAR


def runs(**params):
    return [simulate(params, seed, DAYS, daily_every=1) for seed in SEEDS]


def assert_larger(high: list[float], low: list[float]) -> None:
    diff = np.asarray(high) - np.asarray(low)
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert diff.mean() > 3 * se, f"mean difference {diff.mean():.4f}, se {se:.4f}"


def outcome(results, key):
    return [r.summary[key] for r in results]


@pytest.mark.slow
def test_more_fte_gives_more_users_and_more_integrated():
    # part_time_below=1000: every specialist works at the given fte.
    low = runs(specialist_fte=0.2, part_time_below=1000)
    high = runs(specialist_fte=1.0, part_time_below=1000)
    assert_larger(outcome(high, "final_users_share"), outcome(low, "final_users_share"))
    assert_larger(outcome(high, "final_integrated_share"), outcome(low, "final_integrated_share"))


@pytest.mark.slow
def test_more_tickets_give_fewer_coaching_minutes_and_fewer_users():
    calm = runs(tickets_per_user_month=0.5)
    busy = runs(tickets_per_user_month=3.0)
    coaching = [r.daily[["min_coaching", "min_coteaching"]].to_numpy().sum() for r in calm]
    coaching_busy = [r.daily[["min_coaching", "min_coteaching"]].to_numpy().sum() for r in busy]
    assert_larger(coaching, coaching_busy)
    assert_larger(outcome(calm, "final_users_share"), outcome(busy, "final_users_share"))


@pytest.mark.slow
def test_coaching_gives_more_integrated_than_doing_for_them():
    do_for = runs(support_style="do_for")
    coach = runs(support_style="coach")
    assert_larger(outcome(coach, "final_integrated_share"),
                  outcome(do_for, "final_integrated_share"))


def tickets_per_user_day(daily, first_day: int, last_day: int) -> float:
    year = daily[(daily["day"] >= first_day) & (daily["day"] <= last_day)]
    user_pairs = (year["users_share"] * year["live_innovations"]).sum()
    return float(year["tickets_created"].sum() / user_pairs)


@pytest.mark.slow
def test_it_liaison_gives_fewer_tickets_per_user_in_year_three_than_year_one():
    liaison = runs(liaison_share=0.1)
    year1 = [tickets_per_user_day(r.daily, 1, 180) for r in liaison]
    year3 = [tickets_per_user_day(r.daily, 361, 540) for r in liaison]
    assert_larger(year1, year3)
    # ... and the drop is larger than without liaison (skill growth alone also helps).
    none = runs(liaison_share=0.0)
    ratio_liaison = np.divide(year3, year1)
    ratio_none = np.divide([tickets_per_user_day(r.daily, 361, 540) for r in none],
                           [tickets_per_user_day(r.daily, 1, 180) for r in none])
    assert_larger(list(ratio_none), list(ratio_liaison))
