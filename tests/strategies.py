"""Hypothesis strategies for valid model inputs, generated from the parameter metadata."""

from __future__ import annotations

from hypothesis import strategies as st

from sim.params import PARAMS

#: Parameters varied by the property tests (structure kept small so examples run fast).
VARIED = (
    "specialist_fte", "part_time_below", "specialists_per_school", "support_style",
    "priority_policy", "troubleshoot_cap", "minutes_per_ticket", "first_contact_resolution",
    "lesson_prob", "liaison_share", "caseload", "sessions_per_cycle", "coteach_share",
    "explore_share", "invention_minutes", "training_every_days", "helpdesk_share",
    "helpdesk_capacity", "peer_help", "champion_share", "champion_help", "max_innovations",
    "external_innovation_rate", "initial_aware_share", "initial_user_share", "se_mean",
    "se_sd", "trial_rule", "p_ext", "q_peer", "se_weight", "aware_peer", "use_prob",
    "tickets_per_user_month", "request_rate", "reliance_cut", "system_difficulty",
    "abandon_rate", "dependent_abandon_rate", "reliance_drift", "mastery_gain",
    "failure_loss", "wait_loss", "duty_share", "training_prep", "help_request_rate",
    "request_patience", "routine_mastery", "do_for_reliance", "coach_reliance",
    "fade_reliance", "fade_success", "session_spacing",
)


def value_of(name: str) -> st.SearchStrategy:
    """Any allowed value of one parameter, from its ParamSpec."""
    spec = PARAMS[name]
    if spec.kind == "float":
        return st.floats(spec.low, spec.high, allow_nan=False)
    if spec.kind == "int":
        return st.integers(int(spec.low), int(spec.high))
    if spec.kind == "choice":
        return st.sampled_from(spec.choices)
    if spec.kind == "bool":
        return st.booleans()
    raise ValueError(f"no strategy for {name}")


@st.composite
def small_districts(draw: st.DrawFn) -> dict:
    """Valid parameter sets for districts of 1-3 schools of 8-40 teachers."""
    params = {name: draw(value_of(name)) for name in VARIED}
    lo = draw(st.integers(8, 40))
    params.update(
        n_schools=draw(st.integers(1, 3)),
        school_size_min=lo,
        school_size_max=draw(st.integers(lo, 40)),
        n_external_at_start=draw(st.integers(0, params["max_innovations"])),
    )
    return params
