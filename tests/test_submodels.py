"""Each ODD submodel alone: small pure functions with known values and directions."""

import numpy as np
import pytest

from sim.dynamics import submodels as sm
from sim.dynamics.specialist_day import fifo_served


def test_trial_modifier_is_one_when_both_effects_are_off():
    se = np.array([[0.1], [0.9]])
    g = sm.trial_modifier(se, np.array([0.2, 0.8]), np.array([0.1, 0.9]), 0.0, 0.0)
    assert np.allclose(g, 1.0)


def test_trial_modifier_grows_with_self_efficacy_and_advantage_falls_with_complexity():
    g = lambda se, c, a: sm.trial_modifier(np.array(se), np.array(c), np.array(a), 1.5, 1.0)  # noqa: E731
    assert g(0.8, 0.5, 0.5) > g(0.4, 0.5, 0.5)
    assert g(0.6, 0.2, 0.5) > g(0.6, 0.8, 0.5)
    assert g(0.6, 0.5, 0.9) > g(0.6, 0.5, 0.1)
    # the logistic form: 2 / (1 + exp(-z)) with z = w_se (se - c) + w_a (a - 0.5)
    z = 1.5 * (0.7 - 0.4) + 1.0 * (0.8 - 0.5)
    assert g(0.7, 0.4, 0.8) == pytest.approx(2 / (1 + np.exp(-z)))


def test_trial_hazard_is_the_bass_daily_hazard():
    h = sm.trial_hazard(np.array([0.0, 0.5]), 0.03, 0.38, np.array([1.0, 1.0]))
    assert h == pytest.approx(1 - np.exp(-np.array([0.03, 0.03 + 0.19]) / 180))


def test_threshold_rule_tries_at_threshold_or_by_noise():
    x = np.array([0.2, 0.5, 0.1])
    tried = sm.threshold_trial(x, np.array([0.5, 0.5, 0.5]), np.array([0.9, 0.9, 0.001]), 0.01)
    assert tried.tolist() == [False, True, True]


def test_awareness_probability_combines_independent_channels():
    k = np.array([0, 1, 3])
    p = sm.awareness_prob(k, 0.002, 0.05)
    assert p == pytest.approx(1 - (1 - 0.002) * (1 - 0.05) ** k)


def test_failure_scale_is_one_at_reference_and_monotone():
    assert sm.failure_scale(0.5, 0.5, 0.5) == pytest.approx(1.0)
    assert sm.failure_scale(0.8, 0.5, 0.5) > 1 > sm.failure_scale(0.5, 0.5, 0.9)
    assert sm.failure_scale(0.5, 0.9, 0.5) > 1


def test_base_failure_prob_gives_the_target_tickets_for_a_reference_user():
    p = sm.base_failure_prob(1.0, 0.4, 0.3)
    tickets_per_month = sm.DAYS_PER_MONTH * 0.4 * p * (1 - 0.3)
    assert tickets_per_month == pytest.approx(1.0)


def test_self_solve_rises_with_efficacy_and_skill_falls_with_reliance():
    f = sm.self_solve_prob
    assert f(0.9, 0.5, 0.2, 0.8) > f(0.3, 0.5, 0.2, 0.8)
    assert f(0.5, 0.9, 0.2, 0.8) > f(0.5, 0.3, 0.2, 0.8)
    assert f(0.5, 0.5, 0.8, 0.8) < f(0.5, 0.5, 0.2, 0.8)
    assert f(1.0, 1.0, 0.0, 0.8) == pytest.approx(0.8)


def test_efficacy_change_directions_and_bounds():
    se = np.array([0.5, 0.5, 0.5, 0.999, 0.001])
    new = sm.efficacy_change(se, np.array([3, 0, 0, 50, 0]), np.array([0, 3, 0, 0, 50]),
                             np.array([0, 0, 1, 0, 1]), np.zeros(5), 0.004, 0.006, 0.002, 0.0)
    assert new[0] > 0.5 and new[1] < 0.5 and new[2] < 0.5
    assert ((new >= 0) & (new <= 1)).all()
    vic = sm.efficacy_change(np.array([0.5]), np.zeros(1), np.zeros(1), np.zeros(1),
                             np.array([1.0]), 0.004, 0.006, 0.002, 0.002)
    assert vic[0] == pytest.approx(0.5 + 0.002 * 0.5)


def test_reliance_drifts_towards_its_trait_level():
    r = sm.reliance_change(np.array([0.9, 0.1]), np.array([0.6, 0.6]), np.zeros(2),
                           np.zeros(2), 0.1, 0.0)
    assert r[0] < 0.9 and r[1] > 0.1
    assert r == pytest.approx([0.9 + 0.1 * (0.4 - 0.9), 0.1 + 0.1 * (0.4 - 0.1)])


def test_liaison_cuts_difficulty_by_the_effect_per_term_with_diminishing_returns():
    d, floor, day = np.array([0.5]), 0.1, 350.0
    term_minutes = sm.TERM_DAYS * 0.1 * day
    one = sm.liaison_difficulty(d, np.array([term_minutes]), 0.2, floor, day)
    assert one - floor == pytest.approx(0.8 * (0.5 - floor))
    two = sm.liaison_difficulty(one, np.array([term_minutes]), 0.2, floor, day)
    assert (0.5 - one) > (one - two) > 0  # diminishing returns
    assert sm.liaison_difficulty(np.array([0.05]), np.array([1e6]), 0.2, floor, day) == 0.05


def test_invention_probability_grows_with_exploration():
    p = sm.invention_prob(np.array([0.0, 50.0, 500.0]), 1000.0)
    assert p[0] == 0 and 0 < p[1] < p[2] < 1


def test_session_gain_spreads_the_cycle_effect_over_its_sessions():
    assert sm.session_gain(0.25, 0.2, 5) * 5 == pytest.approx(0.25 * 0.2)


def test_beta_params_reproduce_mean_and_sd():
    a, b = sm.beta_params(0.65, 0.2)
    mean, var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
    assert mean == pytest.approx(0.65) and np.sqrt(var) == pytest.approx(0.2)


def test_fifo_serves_the_oldest_tickets_of_each_queue_up_to_capacity():
    owner = np.array([0, 0, 0, 1, 1, 0])
    day = np.array([5, 1, 3, 2, 2, 1])
    key = np.array([0.1, 0.5, 0.2, 0.9, 0.3, 0.4])
    served = fifo_served(owner, day, key, np.array([2, 1]))
    # queue 0: days 1 (key .4), 1 (key .5) served; queue 1: day 2 key .3 served
    assert served.tolist() == [False, True, False, False, True, True]


@pytest.mark.parametrize("name", ["complexity_mean", "advantage_mean"])
@pytest.mark.parametrize("value", [0.0, 1.0])
def test_innovation_traits_at_the_ends_of_their_range_are_point_masses(name, value):
    """A mean of 0 or 1 is allowed; the Beta distribution then degenerates to that value
    (found by the fuzz suite: it divided by a zero variance)."""
    from sim.model import DiffusionModel

    model = DiffusionModel(seed=3, **{name: value})
    model.run(5)
    traits = getattr(model.cat, name.removesuffix("_mean"))[: model.cat.n]
    assert model.cat.n > 0 and (traits == value).all()
