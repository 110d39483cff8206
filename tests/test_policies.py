"""Policy objects: the contract every registered policy passes, then policy specifics."""

from __future__ import annotations

import copy
from functools import cache

import pandas as pd
import pytest

from sim.params import PARAMS, resolve, school_sizes
from sim.policies import (
    POLICIES,
    SET_AT_SETUP,
    Policy,
    PolicyError,
    _toward,
    full_params,
    make_policy,
    specialist_fte_total,
)
from sim.run import simulate

TINY = {"preset": "small_school", "specialist_fte": 0.4}
TINY_DAYS = 120
SEED = 11


@cache
def _baseline(days: int, seed: int = SEED) -> tuple[pd.DataFrame, dict]:
    r = simulate(TINY, seed, days)
    return r.daily, r.summary


def _run(policy: Policy, days: int = TINY_DAYS, seed: int = SEED):
    params, changes = policy.apply(TINY)
    return simulate(params, seed, days, changes)


def same(a: dict, b: dict) -> bool:
    """Summaries equal value for value, NaN equal to NaN (days_to_50 may never be reached)."""
    return a.keys() == b.keys() and all(a[k] == b[k] or (a[k] != a[k] and b[k] != b[k])
                                        for k in a)


def _example(name: str, **extra) -> Policy:
    return make_policy(name, {**POLICIES[name].EXAMPLE, **extra})


NAMES = sorted(POLICIES)


# -- the contract: every registered policy ----------------------------------------------------


def test_registry_holds_the_policies_the_scenario_file_uses():
    assert {"parameters", "specialist_fte", "shared_specialists", "help_desk", "it_liaison",
            "support_style", "peer_champions", "training_days"} <= set(POLICIES)


@pytest.mark.parametrize("name", NAMES)
class TestPolicyContract:
    def test_apply_returns_new_objects_and_mutates_nothing(self, name):
        example = copy.deepcopy(POLICIES[name].EXAMPLE)
        base = copy.deepcopy(TINY)
        policy = _example(name)
        before = copy.deepcopy(policy)
        params, changes = policy.apply(base)
        assert base == TINY and policy == before and POLICIES[name].EXAMPLE == example
        assert params is not base and params != base
        params["specialist_fte"] = 0.9  # the caller owns the result ...
        for _, values in changes:
            values.clear()
        again, _ = policy.apply(base)  # ... so the policy and its input are unaffected
        assert base == TINY and again != params

    def test_same_seed_gives_identical_runs(self, name):
        a, b = _run(_example(name)), _run(_example(name))
        pd.testing.assert_frame_equal(a.daily, b.daily)
        assert same(a.summary, b.summary)

    def test_zero_dose_reproduces_the_baseline_exactly(self, name):
        policy = _example(name).with_dose(0.0)
        r = _run(policy)
        daily, summary = _baseline(TINY_DAYS)
        pd.testing.assert_frame_equal(r.daily, daily)
        assert same(r.summary, summary)
        cost = policy.cost_of(TINY, TINY_DAYS)
        assert cost.fte == 0 and cost.money == 0

    def test_full_dose_changes_the_outcome(self, name):
        # The default district for 200 days: long enough for every policy to act
        # (peer champions need INTEGRATED champions next to a waiting ticket).
        params, changes = _example(name).apply({})
        assert not same(simulate(params, SEED, 200, changes, daily_every=0).summary,
                        simulate({}, SEED, 200, daily_every=0).summary)

    def test_a_later_start_leaves_the_days_before_it_identical(self, name):
        day = 61
        policy = _example(name, from_day=day)
        touched = set(policy.changed(TINY))
        fixed = {k for k in touched if not PARAMS[k].dynamic or k in SET_AT_SETUP}
        if fixed:
            with pytest.raises(PolicyError, match=sorted(fixed)[0]):
                policy.apply(TINY)
            return
        # The default district for 200 days, so that every policy acts after its start
        # (peer champions need INTEGRATED champions next to a waiting ticket).
        params, changes = policy.apply({})
        r = simulate(params, SEED, 200, changes)
        daily = simulate({}, SEED, 200).daily
        pd.testing.assert_frame_equal(r.daily.iloc[:day], daily.iloc[:day])
        assert not r.daily.iloc[day:].equals(daily.iloc[day:])


# -- dose, timing, cost -------------------------------------------------------------------------


def test_dose_interpolates_numbers_rounds_integers_and_switches_choices():
    assert _toward(PARAMS["helpdesk_share"], 0.0, 0.5, 0.5) == 0.25
    assert _toward(PARAMS["liaison_share"], 0.05, 0.1, 1.0) == 0.1  # exactly the target
    assert _toward(PARAMS["liaison_share"], 0.05, 0.1, 0.0) == 0.05  # exactly the base
    assert _toward(PARAMS["training_every_days"], 45, 20, 0.5) == 32  # round(32.5) -> 32
    assert _toward(PARAMS["support_style"], "do_for", "coach", 0.01) == "coach"
    assert _toward(PARAMS["support_style"], "do_for", "coach", 0.0) == "do_for"


def test_half_dose_help_desk_from_day_181():
    policy = make_policy("help_desk", {"share": 0.5, "from_day": 181, "dose": 0.5})
    params, changes = policy.apply(TINY)
    assert params == TINY
    assert changes == ((181, {"helpdesk_share": 0.25}),)


def test_derived_cost_is_the_specialist_fte_added_to_the_district():
    p = resolve()
    part_time = [s for s in school_sizes(p) if s < p["part_time_below"]]
    expected = len(part_time) * (1.0 - p["specialist_fte"])
    cost = make_policy("specialist_fte", {"fte": 1.0}).cost_of({}, 540)
    assert cost.derived and cost.fte == pytest.approx(expected) and cost.years == 3.0
    shared = make_policy("shared_specialists", {"count": 2, "fte": 0.5}).cost_of({}, 540)
    assert shared.fte == pytest.approx(p["n_schools"] * 2 * 0.5 - specialist_fte_total({}))


def test_declared_cost_scales_with_dose_and_counts_only_active_years():
    policy = make_policy("help_desk", {"share": 0.5, "cost": 55000, "from_day": 181})
    cost = policy.cost_of({}, 540)
    assert (cost.fte, cost.money, cost.years) == (0.0, 55000, 2.0)
    assert cost.total(fte_price=75000) == 110000
    assert policy.with_dose(0.5).cost_of({}, 540).money == 27500
    declared = make_policy("specialist_fte", {"fte": 1.0, "cost_fte": 0.8}).cost_of({}, 540)
    assert declared.fte == 0.8 and not declared.derived


def test_describe_is_generated_from_the_parameters():
    text = make_policy("it_liaison", {"share": 0.1, "from_day": 181}).describe({})
    base = full_params({})["liaison_share"]
    assert text == f"{PARAMS['liaison_share'].label} {base} → 0.1 (from day 181)"


def test_peer_champions_can_start_mid_run():
    """champion_share is honoured from the day it changes (so it is not in SET_AT_SETUP)."""
    assert "champion_share" not in SET_AT_SETUP
    base = {"champion_help": 1.0}
    params, changes = make_policy("peer_champions", {"share": 0.3, "from_day": 2}).apply(base)
    late = simulate(params, SEED, 300, changes, daily_every=0)
    plain = simulate(base, SEED, 300, daily_every=0)
    assert not same(late.summary, plain.summary)


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "settings", "words"), [
    ("help_dsk", {}, ["unknown policy 'help_dsk'", "help_desk", "training_days"]),
    ("help_desk", {"shares": 0.5}, ["no setting(s) 'shares'", "valid settings are: share"]),
    ("help_desk", {}, ["needs setting(s) 'share'"]),
    ("help_desk", {"share": 1.5}, ["share = 1.5", "from 0.0 to 1.0"]),
    ("help_desk", {"share": 0.5, "cost": -1}, ["cost = -1", "0 or more"]),
    ("help_desk", {"share": 0.5, "cost_fte": -0.5}, ["cost_fte = -0.5"]),
    ("help_desk", {"share": 0.5, "dose": 2}, ["dose = 2", "from 0 to 1"]),
    ("help_desk", {"share": 0.5, "from_day": -3}, ["from_day = -3"]),
    ("support_style", {"style": "nag"}, ["style = 'nag'", "'do_for', 'coach', 'fade'"]),
    ("parameters", {"set": {"specialist_ftee": 1}}, ["set.specialist_ftee", "specialist_fte"]),
    ("parameters", {"set": {}}, ["set = {}", "parameter = value"]),
])
def test_bad_policies_name_the_key_and_the_valid_choices(name, settings, words):
    with pytest.raises(PolicyError) as err:
        make_policy(name, settings)
    for word in words:
        assert word in str(err.value)


def test_a_setup_parameter_cannot_change_mid_run():
    policy = make_policy("shared_specialists", {"count": 2, "fte": 0.5, "from_day": 30})
    with pytest.raises(PolicyError, match="specialists_per_school is fixed"):
        policy.apply({})


def test_parameters_policy_copies_its_table():
    table = {"caseload": 12}
    policy = make_policy("parameters", {"set": table})
    table["caseload"] = 3
    assert policy.apply({})[0] == {"caseload": 12}
