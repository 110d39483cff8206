"""Mesa agents are faces over the model arrays: reading and writing their rows."""

import math

import pytest

from sim.dynamics.state import ACTIVITIES
from sim.dynamics.submodels import Stage
from sim.model import DiffusionModel


@pytest.fixture(scope="module")
def model():
    m = DiffusionModel(seed=8)
    m.run(60)
    return m


def test_one_teacher_agent_per_teacher_on_the_network(model):
    assert len(model.teachers) == model.n_teachers
    assert len(model.specialists) == len(model.specs.node)
    teacher = model.teachers[3]
    assert teacher.cell.coordinate == teacher.node == 3
    neighbours = {a.node for a in teacher.cell.neighborhood.agents}
    assert neighbours == set(model.network.graph.neighbors(3))


def test_teacher_attributes_read_the_arrays(model):
    t = model.teachers[10]
    assert t.self_efficacy == model.staff.se[10]
    assert t.skill == model.staff.skill[10] and t.reliance == model.staff.reliance[10]
    assert t.school == model.network.school[10] and t.department == model.network.department[10]
    assert [int(s) for s in t.stages] == model.staff.stage[10, : model.cat.n].tolist()
    assert t.stage(0) == Stage(model.staff.stage[10, 0])
    assert t.specialist.school == t.school


def test_writing_an_attribute_changes_the_simulation_state(model):
    t = model.teachers[5]
    t.self_efficacy = 0.25
    assert model.staff.se[5] == 0.25
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        t.reliance = 1.5


def test_specialist_attributes(model):
    s = model.specialists[0]
    assert 0 < s.fte <= 1
    assert len(s.available_periods) == max(1, math.ceil(s.fte * 7 - 1e-9))
    assert set(s.periods_today) <= set(s.available_periods)
    assert s.minutes_today == len(s.periods_today) * 50
    assert set(s.ledger) == set(ACTIVITIES)
    assert sum(s.ledger.values()) <= s.minutes_today + 1e-9
    assert s.support_style == "do_for" and s.priority_policy == "requests"
    assert all(t.specialist is s for t in s.caseload)
    assert model.staff.stage[s.node, : model.cat.n].max() == Stage.INTEGRATED  # lead user


def test_stage_of_a_missing_innovation_is_a_clear_error(model):
    with pytest.raises(IndexError, match="not live"):
        model.teachers[0].stage(99)

