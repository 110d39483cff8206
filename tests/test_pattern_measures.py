"""The measures that calibration patterns use (sim.dynamics.pattern_measures)."""

import numpy as np
import pytest

from sim.calibrate.observe import observe
from sim.dynamics import pattern_measures as pm
from sim.dynamics.submodels import DAYS_PER_YEAR, TRIAL
from sim.model import DiffusionModel


@pytest.fixture(scope="module")
def model():
    m = DiffusionModel(seed=3, preset="small_school", specialist_fte=0.6,
                       external_innovation_rate=2.0)
    m.run(DAYS_PER_YEAR + 40)
    return m


def test_levels_of_use_partition_the_staff(model):
    daily = model.daily_table()
    levels = daily[list(pm.LEVELS)].sum(axis=1)
    assert np.allclose(levels, 1.0)
    assert np.allclose(daily["frequent_use_share"],
                       daily["level_routine"] + daily["level_integrated"])
    top = model.staff.stage[: model.n_teachers, : model.cat.n].max(axis=1)
    assert daily["level_mechanical"].iloc[-1] == pytest.approx(np.mean(top == TRIAL))


def test_observables_agree_with_the_daily_measures(model):
    last = model.daily_table().iloc[-1]
    for name in ("users_share", "share_integrated", "any_user_share", "frequent_use_share",
                 *pm.LEVELS, "se_mean"):
        assert observe(model, name) == pytest.approx(last[name]), name
    assert observe(model, "tried_share", innovation=1) == pytest.approx(
        last["first_tried_share"])
    # one school is a subset: the district value is the size-weighted mean of the schools
    sizes = np.bincount(model.school_of_teacher)
    per_school = [observe(model, "users_share", school=s) for s in range(model.n_schools)]
    assert np.average(per_school, weights=sizes) == pytest.approx(last["users_share"])


def test_coaching_reach_counts_distinct_teachers_per_fte(model):
    (cycle, year), = pm.coaching_reach(model.world)
    last = model.staff.last_session
    fte = model.specs.fte.sum()
    assert cycle == pytest.approx(np.sum(last > model.day - pm.CYCLE_WINDOW) / fte)
    assert year == pytest.approx(np.sum(last > model.day - DAYS_PER_YEAR) / fte)
    assert year >= cycle


def test_funnel_is_recorded_once_per_innovation_a_year_after_arrival(model):
    s = model.summary()
    arrived = np.sum(model.cat.day[: model.cat.n] <= model.day - DAYS_PER_YEAR)
    assert s["funnel_innovations"] == arrived >= 1
    assert sum(s[k] for k in pm.FUNNEL) == pytest.approx(1.0)


def test_efficacy_rise_is_measured_in_day0_sds(model):
    daily, s = model.daily_table(), model.summary()
    expected = (daily["se_mean"].iloc[DAYS_PER_YEAR] - daily["se_mean"].iloc[0]) \
        / daily["se_sd"].iloc[0]
    assert s["efficacy_rise_sd_year1"] == pytest.approx(expected)


def test_coaching_effect_grows_with_the_coaching_effect_parameter():
    def effect(size):
        m = DiffusionModel(seed=5, preset="small_school", coaching_effect=size)
        m.run(120)
        return m.summary()

    weak, strong = effect(0.0), effect(1.0)
    assert weak["coaching_cycles_closed"] > 0 and strong["coaching_cycles_closed"] > 0
    # a cycle of full-size sessions adds about coaching_effect sds beyond the control drift
    assert strong["coaching_effect_sd"] > weak["coaching_effect_sd"] + 0.3


@pytest.mark.parametrize("p, q", [(0.03, 0.38), (0.01, 0.75), (0.2, 0.0)])
def test_bass_fit_recovers_known_curves(p, q):
    t = np.arange(6 * DAYS_PER_YEAR + 1) / DAYS_PER_YEAR
    e = np.exp(-(p + q) * t)
    curve = 0.9 * (1 - e) / (1 + (q / p) * e)
    p_hat, q_hat, inflection = pm.bass_fit(curve)
    assert p_hat == pytest.approx(p, rel=0.02, abs=1e-4)
    assert q_hat == pytest.approx(q, rel=0.02, abs=1e-3)
    assert inflection == pytest.approx(max(0.0, (q - p) / (2 * q)) if q else 0.0, abs=0.01)


def test_bass_fit_of_a_flat_curve_is_nan():
    assert all(np.isnan(pm.bass_fit(np.zeros(50))))
