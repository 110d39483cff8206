"""Part-time allocation: scheduling clashes leave some teachers out of one-to-one reach."""

import numpy as np
import pytest

from sim.model import DiffusionModel


def all_part_time(fte: float, seed: int = 1) -> DiffusionModel:
    return DiffusionModel(seed=seed, specialist_fte=fte, part_time_below=1000)


def test_low_fte_leaves_a_positive_share_unreachable_one_to_one():
    model = all_part_time(0.2)
    assert model.summary()["unreachable_share"] > 0.2


def test_full_time_specialists_reach_everyone():
    model = all_part_time(1.0)
    assert model.summary()["unreachable_share"] == 0.0


def test_unreachable_means_no_common_free_period():
    model = all_part_time(0.2)
    for teacher in model.teachers[:60]:
        common = set(teacher.free_periods) & set(teacher.specialist.available_periods)
        assert teacher.reachable_one_to_one == bool(common)


def test_unreachable_share_matches_the_combinatorial_expectation():
    """fte 0.2 of 7 periods = 1.4 periods a day: two periods are free on some days. A
    teacher with k random free periods misses both with probability C(5,k)/C(7,k): 5/7 for
    k=1 and 10/21 for k=2 (k is 1 or 2 with equal chance), so 25/42 on average."""
    shares = [all_part_time(0.2, seed).summary()["unreachable_share"] for seed in range(6)]
    teachers = all_part_time(0.2).n_teachers
    expected = (5 / 7 + 10 / 21) / 2
    se = np.sqrt(expected * (1 - expected) / (teachers * 6))
    assert np.mean(shares) == pytest.approx(expected, abs=4 * se)


def test_part_time_periods_average_to_the_fte():
    from sim.dynamics.state import periods_on_day
    fte = np.array([0.1, 0.2, 0.5, 1.0])
    days = np.array([periods_on_day(fte, 7, d) for d in range(1, 181)])
    assert np.allclose(days.mean(axis=0), fte * 7, atol=1 / 180)
    assert set(days[:, 1]) == {1, 2} and set(days[:, 0]) == {0, 1}


def test_a_tenth_fte_specialist_still_holds_sessions_when_nothing_else_takes_the_period():
    """0.7 periods a day: sessions on the days with a period, if tickets leave (nearly) a
    whole period; the default liaison sliver trims the session but does not cancel it."""
    model = DiffusionModel(seed=1, specialist_fte=0.1, part_time_below=1000,
                           tickets_per_user_month=0.0, request_rate=0.0)
    model.run(180)
    s = model.summary()
    assert s["time_coaching"] + s["time_coteaching"] > 0.3


def test_unreachable_teachers_are_never_coached_one_to_one():
    model = all_part_time(0.2)
    model.run(180)
    unreachable = ~model.reachable
    st = model.staff
    assert unreachable.any() and st.coached[~unreachable].sum() > 0
    assert st.coached[unreachable].sum() == 0  # one-to-one needs a common free period
    assert st.cotaught[unreachable].sum() > 0  # co-teaching still reaches them


def test_raising_fte_mid_run_keeps_every_free_period():
    model = all_part_time(0.3)
    before = model.specs.free.copy()
    model.set_params(specialist_fte=0.8)
    assert (model.specs.free | ~before).all()  # nested schedules
    assert model.specs.free.sum() > before.sum()
