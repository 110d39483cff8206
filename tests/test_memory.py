"""Finished models are freed however they were built (Mesa 3.3.1 kept every one alive).

Mesa 3.3.1's ``Agent._ids`` holds every model ever built (mesa issue #3179); our agents
keep their id counters per model weakly, so a model is freed when nothing refers to it:
in a loop as in the README's Python example, by ``simulate``, by the browser page's Reset.
"""

from __future__ import annotations

import gc
import weakref

import psutil
from mesa.agent import Agent

from sim.model import DiffusionModel
from sim.run import simulate

#: Growth allowed over 180 models after 20 warm-up ones. A default model run for a few
#: days holds about 0.5 MB, so keeping them alive grew memory by about 100 MB here.
BOUND_MB = 25


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def test_200_models_built_in_a_loop_keep_memory_flat():
    refs = []

    def build(seed: int) -> None:
        model = DiffusionModel(seed=seed)  # as in the README, no helper around it
        model.run(5)
        refs.append(weakref.ref(model))

    for seed in range(20):
        build(seed)
    gc.collect()  # a model and its agents refer to each other: the cycle collector frees them
    before = _rss_mb()
    for seed in range(20, 200):
        build(seed)
    gc.collect()
    grown = _rss_mb() - before
    assert grown < BOUND_MB, f"memory grew by {grown:.0f} MB over 180 models"
    assert not [r for r in refs if r() is not None]
    assert not any(isinstance(m, DiffusionModel) for m in getattr(Agent, "_ids", {}))


def test_ids_still_count_from_one_in_each_model():
    a, b = DiffusionModel(seed=1, preset="small_school"), DiffusionModel(seed=2,
                                                                        preset="small_school")
    for model in (a, b):
        ids = sorted(agent.unique_id for agent in model.agents)
        assert ids == list(range(1, len(ids) + 1))


def test_simulate_and_failed_builds_leave_nothing_behind():
    refs = []
    real = DiffusionModel.__init__

    def tracking(self, *args, **kwargs):
        refs.append(weakref.ref(self))
        real(self, *args, **kwargs)

    DiffusionModel.__init__ = tracking
    try:
        simulate({"preset": "small_school"}, 1, 3, daily_every=0)
        try:
            DiffusionModel(seed=1, caseload=0)
        except ValueError:
            pass
    finally:
        DiffusionModel.__init__ = real
    gc.collect()
    assert refs and not [r for r in refs if r() is not None]
