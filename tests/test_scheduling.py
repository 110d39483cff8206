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
    """fte 0.2 of 7 periods = 1 free period; a teacher with k random free periods misses it
    with probability (7-k)/7: 6/7 for k=1 and 5/7 for k=2, so about 0.786 on average."""
    shares = [all_part_time(0.2, seed).summary()["unreachable_share"] for seed in range(6)]
    teachers = all_part_time(0.2).n_teachers
    se = np.sqrt(0.786 * 0.214 / (teachers * 6))
    assert np.mean(shares) == pytest.approx((6 / 7 + 5 / 7) / 2, abs=4 * se)


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
