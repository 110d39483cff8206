"""One parameter set -> pattern values: what is measured, when, where, and in which arm."""

import math

import numpy as np
import pytest

from sim.calibrate.observe import observe
from sim.calibrate.particle import MISSING, Plan, distance, evaluate, scaled_distances
from sim.calibrate.patterns import Pattern
from sim.model import DiffusionModel
from sim.rng import child_seeds

PATTERNS = (
    Pattern("school2_users", "users_share", "observable", days=(12,), school=1, low=0.1,
            high=0.1, tolerance=0.05),
    Pattern("se_mean_days", "se_mean", "daily", days=(5, 6, 7), low=0.5, high=0.5,
            tolerance=0.1),
    Pattern("trouble", "time_troubleshooting", "summary", low=0.5, high=0.7, tolerance=0.1),
    Pattern("same", "tickets_created", "summary", arm="same", compare="ratio", low=1, high=1,
            tolerance=0.1),
)
PLAN = Plan(preset="default", fixed={"n_schools": 2},
            bounds={"caseload": (1, 30), "tickets_per_user_month": (0.0, 3.0)}, days=15,
            replicates=2, arms={"same": {"use_prob": 0.4}}, patterns=PATTERNS)


def test_values_are_replicate_means_of_what_each_pattern_names():
    values = evaluate(PLAN, {"caseload": 7.4, "tickets_per_user_month": 2.0}, seed=5)
    runs = []
    for s in child_seeds(5, 2):
        m = DiffusionModel(seed=s, n_schools=2, caseload=7, tickets_per_user_month=2.0)
        m.run(12)
        school = observe(m, "users_share", school=1)
        m.run(3)
        daily = m.daily_table()
        runs.append((school, daily["se_mean"].iloc[[5, 6, 7]].mean(),
                     m.summary()["time_troubleshooting"]))
    expected = np.mean(runs, axis=0)
    assert values["school2_users"] == pytest.approx(expected[0])
    assert values["se_mean_days"] == pytest.approx(expected[1])
    assert values["trouble"] == pytest.approx(expected[2])
    # the arm changes nothing and runs on the same seeds: the paired ratio is exactly 1
    assert values["same"] == 1.0


def test_a_parameter_set_the_model_refuses_gives_nan_everywhere():
    plan = Plan(preset="default", fixed={"school_size_min": 60, "school_size_max": 70},
                bounds={"school_size_min": (8, 120)}, days=2, replicates=1,
                patterns=PATTERNS[2:3])
    assert math.isnan(evaluate(plan, {"school_size_min": 100.0}, seed=1)["trouble"])


def test_scaled_distances_and_their_combination():
    p = PATTERNS[2]  # interval 0.5-0.7, tolerance 0.1
    assert scaled_distances([p], {"trouble": 0.6})[0] == 0
    assert scaled_distances([p], {"trouble": 0.3})[0] == pytest.approx(2.0)
    assert scaled_distances([p], {"trouble": 0.9})[0] == pytest.approx(2.0)
    assert scaled_distances([p], {"trouble": float("nan")})[0] == MISSING
    q = Pattern("q", "x", "summary", low=0, high=0, tolerance=1.0, weight=3.0)
    assert distance([p, q], {"trouble": 0.3, "q": 0.0}) == pytest.approx(np.sqrt(4 / 4))
