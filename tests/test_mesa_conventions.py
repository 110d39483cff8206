"""Conventions Mesa users rely on: the horizon ends run_model(), rng=, reporters, remove(), cell.

Each convention is tested on a small district (the small_school preset, 20 teachers) so
the file runs in a few seconds.
"""

import inspect

import numpy as np
import pandas as pd
import pytest

from sim.agents import Teacher
from sim.dynamics.measures import DAILY_MEASURES
from sim.model import DEFAULT_DAYS, DiffusionModel
from sim.params import ParameterError

SMALL = {"preset": "small_school"}


def small(**kwargs):
    return DiffusionModel(**{**SMALL, **kwargs})


# --- the horizon: model.running and run_model() ------------------------------------------


@pytest.mark.parametrize("days", [0, 1, 37])
def test_run_model_stops_at_the_horizon(days):
    model = small(seed=3, days=days)
    assert model.running is (days > 0)
    model.run_model()
    assert model.day == model.steps == days and model.running is False
    assert len(model.daily_table()) == days + 1  # day 0 and every day run


def test_run_model_gives_the_run_that_run_gives():
    a, b = small(seed=3, days=40), small(seed=3)
    a.run_model()
    b.run(40)
    pd.testing.assert_frame_equal(a.daily_table(), b.daily_table())
    assert b.running is True  # below the default horizon


def test_default_horizon_is_three_school_years_and_run_can_pass_it():
    assert DEFAULT_DAYS == 540
    assert inspect.signature(DiffusionModel.__init__).parameters["days"].default == 540
    model = small(seed=1, days=2)
    model.run(3)  # explicit days go past the horizon; running stays False
    assert model.day == 3 and model.running is False


@pytest.mark.parametrize("bad", [-1, 2.5, "540", True, None])
def test_bad_horizon_is_a_named_error(bad):
    with pytest.raises(ParameterError, match=r"^days: .* whole number of school days"):
        small(seed=1, days=bad)


# --- rng= as for mesa.Model, one integer seed for every stream ---------------------------


def _daily(model, days=30):
    model.run(days)
    return model.daily_table()


def test_rng_integer_is_the_same_run_as_seed():
    pd.testing.assert_frame_equal(_daily(small(rng=11)), _daily(small(seed=11)))
    assert small(rng=11).seed == 11


@pytest.mark.parametrize("make", [
    lambda: np.random.default_rng(5),
    lambda: np.random.PCG64(5),
    lambda: np.random.SeedSequence(5),
    lambda: [5, 6],
], ids=["Generator", "BitGenerator", "SeedSequence", "int sequence"])
def test_rng_objects_give_one_integer_seed_that_repeats_the_run(make):
    a, b = small(rng=make()), small(rng=make())
    assert isinstance(a.seed, int) and 0 <= a.seed < 2**63 and a.seed == b.seed
    first = _daily(a)
    pd.testing.assert_frame_equal(first, _daily(b))
    pd.testing.assert_frame_equal(first, _daily(small(seed=a.seed)))  # model.seed says it all


def test_generator_advances_so_two_models_from_one_generator_differ():
    g = np.random.default_rng(5)
    assert small(rng=g).seed != small(rng=g).seed


def test_seed_and_rng_together_are_refused():
    with pytest.raises(ParameterError, match="not both"):
        small(seed=1, rng=2)


@pytest.mark.parametrize("bad", [1.5, -3, [], object(), "abc"])
def test_bad_rng_is_a_named_error(bad):
    with pytest.raises(ParameterError, match=r"^rng: "):
        small(rng=bad)


# --- reporters -------------------------------------------------------------------------


def test_reporters_add_columns_and_leave_summary_and_daily_table_alone():
    plain = small(seed=4, days=25)
    plain.run_model()
    model = small(seed=4, days=25,
                  model_reporters={"backlog_x2": lambda m: 2 * m.measures["backlog"],
                                   "today": "day"},
                  agent_reporters={"se": "self_efficacy", "school": "school"},
                  agenttype_reporters={Teacher: {"reliance": "reliance"}})
    model.run_model()
    # NaN-aware: pattern measures undefined in a 25-day run are NaN in both
    pd.testing.assert_series_equal(pd.Series(model.summary()), pd.Series(plain.summary()))
    daily = model.daily_table()
    assert list(daily.columns) == [*DAILY_MEASURES, "backlog_x2", "today"]
    pd.testing.assert_frame_equal(daily[list(DAILY_MEASURES)], plain.daily_table())
    assert (daily["backlog_x2"] == 2 * daily["backlog"]).all()
    assert (daily["today"] == daily["day"]).all()

    agents = model.datacollector.get_agent_vars_dataframe()
    n_agents = model.n_teachers + len(model.specialists)
    assert len(agents) == 26 * n_agents
    last = agents.loc[25]
    teachers = {t.unique_id: t for t in model.teachers}
    assert all(last.loc[uid, "se"] == t.self_efficacy for uid, t in teachers.items())
    assert last["se"].isna().sum() == len(model.specialists)  # specialists have none
    typed = model.datacollector.get_agenttype_vars_dataframe(Teacher)
    assert len(typed) == 26 * model.n_teachers
    assert typed.loc[25]["reliance"].tolist() == [t.reliance for t in model.teachers]


def test_reporter_named_like_a_built_in_measure_is_refused():
    with pytest.raises(ParameterError, match=r"model_reporters: \['backlog'\]"):
        small(seed=1, model_reporters={"backlog": lambda m: 0})


def test_reporters_that_are_not_a_mapping_are_refused():
    with pytest.raises(ParameterError, match="agent_reporters: expected a dict"):
        small(seed=1, agent_reporters=["self_efficacy"])


# --- agents cannot be removed ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["teacher", "specialist"])
def test_remove_raises_and_the_agent_stays(kind):
    model = small(seed=2)
    agent = model.teachers[3] if kind == "teacher" else model.specialists[0]
    before = len(model.agents)
    with pytest.raises(TypeError, match="cannot be removed: agents are rows"):
        agent.remove()
    assert agent in model.agents and len(model.agents) == before
    assert agent.cell is not None and agent in agent.cell.agents
    with pytest.raises(TypeError, match="cannot be removed"):
        model.remove_all_agents()
    assert len(model.agents) == before
    model.step()  # the run goes on with every agent
    assert model.day == 1


# --- cells: on the staff network; a clear error on the complete network -----------------


@pytest.mark.parametrize("kwargs", [
    {"preset": "bass", "n_schools": 1},
    {"network": "complete", "n_schools": 1, "school_size_min": 30, "school_size_max": 30},
], ids=["bass preset", "complete network with a specialist"])
def test_cell_on_the_complete_network_is_a_clear_error(kwargs):
    model = DiffusionModel(seed=1, **kwargs)
    assert model.grid is None
    for agent in [model.teachers[0], *model.specialists]:
        with pytest.raises(AttributeError, match=r"no cell: the network is complete"):
            _ = agent.cell
    model.run(2)  # the agents still work
    assert 0 <= model.teachers[0].self_efficacy <= 1

