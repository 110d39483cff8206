"""Names and units of the per-run summary outputs, for tables, text and figure axes.

The model's parameters carry their labels and units in the parameter table
(:data:`sim.params.PARAMS`); the summary outputs carry theirs here. Units decide how a
value is shown and which interval fits it: ``share`` (of staff, of time: shown in %,
intervals on the logit scale), ``0-1`` (bounded scores), ``days`` (time to an event:
censored at the horizon, see :mod:`sim.study.survival`), and counts.
"""

from __future__ import annotations

from sim.dynamics.state import ACTIVITIES
from sim.params import PARAMS
from sim.study.survival import is_time_to_event

#: key -> (label, unit). Unknown keys fall back to the key with spaces and no unit.
OUTPUTS: dict[str, tuple[str, str]] = {
    "final_users_share": ("Users, final", "share"),
    "final_any_user_share": ("Staff using any innovation, final", "share"),
    "final_integrated_share": ("INTEGRATED teachers, final", "share"),
    "final_abandoned_share": ("Abandoned, final", "share"),
    "final_dependent_share": ("Dependent users, final", "share"),
    "independent_user_share": ("Independent users", "share of users"),
    "unreachable_share": ("Unreachable one-to-one", "share"),
    "never_reached_share": ("Never reached by their specialist", "share"),
    "reach_staff": ("Reach", "share"),
    "reach_schools": ("Schools reached", "share"),
    "days_to_25": ("Days to 25% users (first innovation)", "days"),
    "days_to_50": ("Days to 50% users (first innovation)", "days"),
    "final_se_mean": ("Self-efficacy, final mean", "0-1"),
    "final_system_difficulty": ("System difficulty, final", "0-1"),
    "tickets_backlog": ("Tickets waiting at the end", "tickets"),
    "tickets_created": ("Tickets created", "tickets"),
    "tickets_per_user_month": ("Tickets per user-month (realised)", "tickets/month"),
    "reach_distance": ("Distance reached", "ties"),
    "integrated_teachers": ("INTEGRATED teachers", "teachers"),
    "user_teachers": ("Users", "teachers"),
    **{f"time_{a}": (f"Specialist time on {a}", "share") for a in ACTIVITIES},
}
#: Units whose values lie in [0, 1].
BOUNDED = ("share", "share of users", "0-1")


def unit(key: str) -> str:
    """The output's unit (``share``, ``days``, ...; ``""`` when unknown)."""
    if key in OUTPUTS:
        return OUTPUTS[key][1]
    return "days" if is_time_to_event(key) else ""


def label(key: str) -> str:
    """The output's human name, e.g. ``Users, final``."""
    return OUTPUTS[key][0] if key in OUTPUTS else key.replace("_", " ")


def is_share(key: str) -> bool:
    """True for outputs whose values lie in [0, 1] (shown in %, logit intervals)."""
    return unit(key) in BOUNDED


def axis_label(key: str) -> str:
    """An axis or legend label with its unit: ``Users, final (%)``, ``Days to ... (days)``.

    Works for outputs and for model parameters (label and unit from the parameter table).
    """
    if key in PARAMS and key not in OUTPUTS:  # parameters keep their own units
        return param_label(key)
    u = unit(key)
    if u in ("share", "share of users"):
        return f"{label(key)} ({'% of users' if u == 'share of users' else '%'})"
    return f"{label(key)} ({u})" if u else label(key)


def param_label(name: str) -> str:
    """A parameter's label with its unit from the parameter table: ``Part-time FTE (FTE)``.

    (Some names are both a parameter and a measured output, e.g. the nominal and the
    realised ``tickets_per_user_month``; this is the parameter's label.)
    """
    spec = PARAMS.get(name)
    if spec is None:
        return name
    return f"{spec.label} ({spec.unit})" if spec.unit else spec.label


def percent_scale(key: str) -> float:
    """100 for outputs shown in % (shares), else 1: multiply values by it to plot them."""
    if key in PARAMS and key not in OUTPUTS:
        return 1.0
    return 100.0 if unit(key) in ("share", "share of users") else 1.0
