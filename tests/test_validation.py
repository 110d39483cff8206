"""Validation against analytic and reference results (the patterns of docs/ODD.md section 1)."""

import networkx as nx
import numpy as np
import pytest

from sim.dynamics.submodels import DAYS_PER_YEAR, Stage
from sim.model import DiffusionModel


def bass_curve(t: np.ndarray, p: float, q: float) -> np.ndarray:
    """Closed-form Bass adoption share F(t), t in years."""
    e = np.exp(-(p + q) * t)
    return (1 - e) / (1 + (q / p) * e)


@pytest.mark.slow
def test_bass_limit_follows_the_closed_form():
    """Complete graph, everyone aware, no specialist/failures/self-efficacy: Bass.

    Tolerance: 0.02 is the acceptance bound. With 5,000 teachers one run's share has a
    pointwise sd of at most ~0.02 (binomial spread of a Bass path; measured 0.019), so the
    mean of 16 replicates has sd ~0.005 and 0.02 is about four standard errors. The
    discretisation bias of one-day steps is below 0.005 (checked with 50,000 teachers).
    """
    days, reps = 8 * DAYS_PER_YEAR, 16
    curves = []
    for seed in range(reps):
        model = DiffusionModel(seed=seed, preset="bass", n_schools=50)
        assert model.n_teachers == 5000 and not model.specialists
        model.run(days)
        curves.append(model.daily_table()["users_share"].to_numpy())
    mean = np.mean(curves, axis=0)
    expected = bass_curve(np.arange(days + 1) / DAYS_PER_YEAR, 0.03, 0.38)
    assert np.abs(mean - expected).max() <= 0.02
    # The test can fail: the same curve with q halved is far off.
    assert np.abs(mean - bass_curve(np.arange(days + 1) / DAYS_PER_YEAR, 0.03, 0.19)).max() > 0.1


def linear_threshold_cascade(graph: nx.Graph, theta: np.ndarray, seeds: np.ndarray,
                             steps: int) -> list[np.ndarray]:
    """Synchronous linear-threshold model (Granovetter 1978; Watts 2002), step by step."""
    adj = nx.to_scipy_sparse_array(graph, nodelist=range(graph.number_of_nodes()))
    degree = np.maximum(np.asarray(adj.sum(axis=1)).ravel(), 1)
    active = seeds.copy()
    history = [active.copy()]
    for _ in range(steps):
        frac = adj @ active.astype(float) / degree
        active = active | (frac >= theta)
        history.append(active.copy())
    return history


def test_threshold_limit_matches_linear_threshold_cascade():
    """Threshold rule, no specialist, no noise: the same cascade as an LT model, day by day."""
    model = DiffusionModel(
        seed=3, trial_rule="threshold", threshold_noise=0.0, specialists_per_school=0,
        n_schools=12, n_external_at_start=1, max_innovations=1, external_innovation_rate=0.0,
        initial_aware_share=1.0, initial_user_share=0.15, tickets_per_user_month=0.0,
        request_rate=0.0, abandon_rate=0.0, dependent_abandon_rate=0.0,
        threshold_mean=0.3, threshold_sd=0.2,
    )
    n = model.n_teachers
    seeds = model.staff.stage[:n, 0] >= Stage.TRIAL
    days = 40
    expected = linear_threshold_cascade(model.network.graph, model.staff.threshold[:n], seeds,
                                        days)
    for day in range(1, days + 1):
        model.step()
        users = model.staff.stage[:n, 0] >= Stage.TRIAL
        assert np.array_equal(users, expected[day]), f"day {day}"
    assert expected[-1].sum() > 2 * seeds.sum()  # a real cascade, not just the seeds


@pytest.mark.slow
def test_adoption_of_the_first_innovation_is_s_shaped():
    """ODD section 1, 'S-shaped adoption curves': over ten years the first innovation's
    users accelerate (peer influence grows with users) and then saturate. Half-year
    increments of the replicate mean must rise to an interior peak and fall well below it by
    the end."""
    from sim.run import simulate

    days = 10 * DAYS_PER_YEAR
    curves = [simulate({}, seed, days, daily_every=1).daily["first_users_share"].to_numpy()
              for seed in range(4)]
    mean = np.mean(curves, axis=0)
    increments = np.diff(mean[:: DAYS_PER_YEAR // 2])[1:]  # skip the first half-year jump
    peak = int(np.argmax(increments))
    assert 0 < peak < len(increments) - 1
    assert increments[peak] > 1.2 * increments[0]  # acceleration
    assert increments[-1] < increments[peak] / 3  # saturation
    assert mean[-1] > 0.9
