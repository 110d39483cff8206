"""Staffing and support policies as objects with one interface (what-if studies).

A policy turns a baseline parameter set into a scenario: new parameters for the start of the
run and, for a policy that acts from a later day, parameter changes on that day (compiled to
``sim.run.simulate``'s ``changes``). Every policy

- has a registry ``name`` (what a scenario file writes as ``policy = "help_desk"``) and
  settings that map onto model parameters, validated against :data:`sim.params.PARAMS`;
- has a ``dose`` in [0, 1]: each parameter it sets moves that fraction of the way from the
  baseline value to the policy's value (integers rounded, choices switch for any dose > 0),
  so dose 0 is the baseline itself and dose 1 is the policy as written;
- acts from ``from_day`` (0: from the start; D > 0: from the start of day D, so days
  0..D-1 are the baseline's, draw for draw, thanks to the named random streams);
- never mutates its input: ``apply`` returns new objects;
- has a ``cost``: staff FTE and other spending per school year, declared in the scenario
  file, or for staffing policies derived from the specialist FTE the policy adds.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from sim.dynamics.state import specialist_fte
from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.errors import UserError, did_you_mean
from sim.params import PARAMS, ParameterError, ParamSpec, resolve, school_sizes

#: Dynamic parameters that the model reads only when it is built, so changing them
#: mid-run would have no effect; policies refuse to change them from a later day rather
#: than silently doing nothing. None at present (``champion_share`` is honoured mid-run).
SET_AT_SETUP: dict[str, str] = {}

Changes = tuple[tuple[int, dict[str, Any]], ...]


class PolicyError(UserError, ValueError):
    """A policy name, setting or value that is not allowed."""


@dataclass(frozen=True)
class Cost:
    """What a policy costs per school year while active, and for how many years.

    ``fte``: extra staff; ``money``: other spending; ``years``: school years active within
    the horizon; ``derived``: the FTE was computed from the specialist staffing it sets.
    """

    fte: float = 0.0
    money: float = 0.0
    years: float = 0.0
    derived: bool = False

    def fte_years(self, fte_price: float) -> float:
        """Staff FTE-years over the horizon, other spending converted at ``fte_price``."""
        return (self.fte + self.money / fte_price) * self.years

    def total(self, fte_price: float) -> float:
        """Total spending over the horizon, staff priced at ``fte_price`` per FTE-year."""
        return (self.fte * fte_price + self.money) * self.years


def setting(param: str, *, optional: bool = False) -> Any:
    """A policy setting that sets model parameter ``param`` (checked against its range).

    An ``optional`` setting may be left out (the baseline value is kept).
    """
    if param not in PARAMS:
        raise KeyError(f"setting maps to unknown parameter {param!r}")  # programming error
    meta = {"param": param}
    if optional:
        return field(default=None, metadata=meta)
    return field(metadata=meta)


def _toward(spec: ParamSpec, base: Any, target: Any, dose: float) -> Any:
    """``base`` moved a fraction ``dose`` of the way to ``target`` (see module docstring)."""
    if spec.kind in ("int", "float"):
        # (1-d)*b + d*t is exactly b at d=0 and exactly t at d=1 (b + d*(t-b) is not).
        value = (1.0 - dose) * base + dose * target
        return round(value) if spec.kind == "int" else float(value)
    return target if dose > 0 else base


def full_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter's value for a mapping of overrides (optionally with ``"preset"``)."""
    rest = dict(params)
    return resolve(rest.pop("preset", None), **rest)


def specialist_fte_total(params: Mapping[str, Any]) -> float:
    """Total specialist FTE of a district (NaN for a district loaded from files)."""
    p = full_params(params)
    if p["network_file"]:
        return float("nan")
    sizes = school_sizes(p)
    per_school = specialist_fte(p, np.asarray(sizes))
    return float(per_school.sum() * p["specialists_per_school"])


@dataclass(frozen=True, kw_only=True)
class Policy:
    """One staffing or support policy (see the module docstring for the contract).

    Attributes:
        dose: 0 is the baseline, 1 the policy as written, in between interpolates.
        from_day: first day the policy acts (0: from the start).
        cost_fte: extra staff FTE per school year at dose 1 (None: derived from the
            specialist staffing the policy sets).
        cost: other spending per school year at dose 1, in the study's currency.
    """

    #: Registry name, as written in scenario files.
    name: ClassVar[str] = ""
    #: Settings of a typical use: documentation, and what the contract tests run.
    EXAMPLE: ClassVar[dict[str, Any]] = {}

    dose: float = 1.0
    from_day: int = 0
    cost_fte: float | None = None
    cost: float = 0.0

    def __post_init__(self) -> None:
        if not self.name:
            raise TypeError("Policy is a base class; use a registered policy")
        self._check_common()
        for f in fields(self):
            param = f.metadata.get("param")
            value = getattr(self, f.name)
            if param and value is not None:
                object.__setattr__(self, f.name, self._check_setting(f.name, param, value))

    # -- validation ----------------------------------------------------------------------
    def _fail(self, key: str, value: Any, allowed: str) -> PolicyError:
        return PolicyError(f"policy {self.name!r}: {key} = {value!r} is not allowed; "
                           f"expected {allowed}")

    def _check_common(self) -> None:
        def number(v: Any) -> bool:
            return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)

        if not number(self.dose) or not 0 <= self.dose <= 1:
            raise self._fail("dose", self.dose, "a number from 0 to 1")
        if isinstance(self.from_day, bool) or not isinstance(self.from_day, int) \
                or self.from_day < 0:
            raise self._fail("from_day", self.from_day, "an integer day, 0 or more")
        if self.cost_fte is not None and (not number(self.cost_fte) or self.cost_fte < 0):
            raise self._fail("cost_fte", self.cost_fte, "a number of FTE, 0 or more")
        if not number(self.cost) or self.cost < 0:
            raise self._fail("cost", self.cost, "an amount of money, 0 or more")

    def _check_setting(self, key: str, param: str, value: Any) -> Any:
        try:
            return PARAMS[param].check(value)
        except ParameterError:
            raise self._fail(key, value, PARAMS[param].allowed()) from None

    # -- what the policy sets ------------------------------------------------------------
    def targets(self, base: Mapping[str, Any]) -> dict[str, Any]:
        """Parameter values at dose 1, given the full baseline parameters.

        The default maps each given setting onto its parameter; policies that set more
        (or derived values) extend it.
        """
        return {f.metadata["param"]: getattr(self, f.name) for f in fields(self)
                if f.metadata.get("param") and getattr(self, f.name) is not None}

    def changed(self, base_params: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters the policy sets, at its dose, from ``base_params`` (a new dict)."""
        base = full_params(base_params)
        return {k: _toward(PARAMS[k], base[k], v, self.dose)
                for k, v in self.targets(base).items()}

    def apply(self, base_params: Mapping[str, Any]) -> tuple[dict[str, Any], Changes]:
        """Scenario parameters and mid-run changes for ``base_params`` (inputs untouched).

        Args:
            base_params: baseline model parameters (overrides, optionally with "preset").

        Returns:
            ``(params, changes)``: new model parameters for the start of the run, and
            ``((from_day, {name: value}),)`` when the policy acts from a later day.

        Raises:
            PolicyError: the result is not a valid parameter set, or a parameter that is
                fixed at setup would have to change mid-run.
        """
        new = self.changed(base_params)
        try:
            full_params({**base_params, **new})
        except ParameterError as exc:
            raise PolicyError(f"policy {self.name!r}: {exc}") from None
        if self.from_day == 0:
            return {**base_params, **new}, ()
        fixed = sorted(k for k in new if not PARAMS[k].dynamic)
        late = sorted(k for k in new if k in SET_AT_SETUP)
        if fixed or late:
            why = "; ".join([f"{k} is fixed when the model is built" for k in fixed]
                            + [f"{k}: {SET_AT_SETUP[k]}" for k in late])
            raise PolicyError(f"policy {self.name!r} cannot start on day {self.from_day} "
                              f"({why}); use from_day = 0")
        return dict(base_params), ((self.from_day, new),)

    def with_dose(self, dose: float) -> Policy:
        """The same policy at another dose (a new object)."""
        return dataclasses.replace(self, dose=dose)

    def describe(self, base_params: Mapping[str, Any]) -> str:
        """What the policy changes, in words generated from the parameters."""
        base = full_params(base_params)
        parts = [f"{PARAMS[k].label or k} {base[k]!s} → {v!s}"
                 for k, v in self.changed(base_params).items() if v != base[k]]
        text = "; ".join(parts) or "no change"
        if self.from_day:
            text += f" (from day {self.from_day})"
        if self.dose != 1:
            text += f" (dose {self.dose:g})"
        return text

    # -- cost ------------------------------------------------------------------------------
    def cost_of(self, base_params: Mapping[str, Any], days: int) -> Cost:
        """The policy's cost over a horizon of ``days`` school days.

        Declared costs are for dose 1 and scale linearly with the dose. Without a declared
        ``cost_fte`` the FTE is the specialist FTE the policy adds to the district.
        """
        active = max(0, int(days) - max(self.from_day, 1) + 1)
        years = active / DAYS_PER_YEAR
        if self.cost_fte is not None:
            fte, derived = self.cost_fte * self.dose, False
        else:
            new = {**base_params, **self.changed(base_params)}
            fte = specialist_fte_total(new) - specialist_fte_total(base_params)
            derived = fte != 0
            if math.isnan(fte):
                raise PolicyError(f"policy {self.name!r}: the district is loaded from files, "
                                  "so the specialist FTE cannot be derived; declare cost_fte")
        return Cost(fte=float(fte), money=self.cost * self.dose, years=years, derived=derived)


# -- registry ------------------------------------------------------------------------------

#: Policy classes by registry name.
POLICIES: dict[str, type[Policy]] = {}


def register(cls: type[Policy]) -> type[Policy]:
    """Class decorator: add a policy to :data:`POLICIES` under its ``name``."""
    if not cls.name or cls.name in POLICIES:
        raise ValueError(f"policy name {cls.name!r} is empty or taken")  # programming error
    POLICIES[cls.name] = cls
    return cls


def setting_names(name: str) -> list[str]:
    """Every key a policy accepts (its settings, then dose, timing and cost)."""
    cls = POLICIES[name]
    own = [f.name for f in fields(cls) if f.name not in {g.name for g in fields(Policy)}]
    return own + [f.name for f in fields(Policy)]


def make_policy(name: str, settings: Mapping[str, Any]) -> Policy:
    """Build a registered policy from its name and settings.

    Raises:
        PolicyError: unknown policy, unknown or missing setting, or a bad value; the message
            names the policy, the key and the valid choices.
    """
    if name not in POLICIES:
        raise PolicyError(f"unknown policy {name!r}{did_you_mean(name, POLICIES)}; valid "
                          "policies are: "
                          + ", ".join(sorted(POLICIES)))
    valid = setting_names(name)
    unknown = sorted(set(settings) - set(valid))
    if unknown:
        raise PolicyError(f"policy {name!r} has no setting(s) {', '.join(map(repr, unknown))}"
                          f"{did_you_mean(unknown[0], valid)}; "
                          f"valid settings are: {', '.join(valid)}")
    cls = POLICIES[name]
    missing = [f.name for f in fields(cls) if f.name not in settings
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise PolicyError(f"policy {name!r} needs setting(s) {', '.join(map(repr, missing))}; "
                          f"valid settings are: {', '.join(valid)}")
    return cls(**settings)


# -- the policies --------------------------------------------------------------------------


@register
@dataclass(frozen=True, kw_only=True)
class Parameters(Policy):
    """Raw parameter overrides: ``set = {name = value, ...}`` (any model parameter)."""

    name: ClassVar[str] = "parameters"
    EXAMPLE: ClassVar[dict[str, Any]] = {"set": {"liaison_share": 0.1, "caseload": 12}}

    set: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.set, Mapping) or not self.set:
            raise self._fail("set", self.set, "a table of parameter = value pairs")
        checked = {}
        for key, value in self.set.items():
            if key not in PARAMS:
                raise PolicyError(f"policy {self.name!r}: set.{key} is not a model parameter"
                                  f"{did_you_mean(key, PARAMS)}; valid names are: "
                                  + ", ".join(sorted(PARAMS)))
            checked[key] = self._check_setting(f"set.{key}", key, value)
        # A private copy: the caller's table is never shared or changed.
        object.__setattr__(self, "set", checked)

    def targets(self, base: Mapping[str, Any]) -> dict[str, Any]:
        """The overrides as given."""
        return dict(self.set)


@register
@dataclass(frozen=True, kw_only=True)
class SpecialistFTE(Policy):
    """Part-time specialists get more time (``fte = 1.0``: full-time specialists)."""

    name: ClassVar[str] = "specialist_fte"
    EXAMPLE: ClassVar[dict[str, Any]] = {"fte": 1.0}

    fte: float = setting("specialist_fte")


@register
@dataclass(frozen=True, kw_only=True)
class SharedSpecialists(Policy):
    """Every school gets ``count`` specialists at ``fte`` each, sharing its teachers.

    ``specialists_per_school`` is one district-wide number fixed at setup, so "a second
    half-time specialist" is expressed as: every school has ``count`` specialists, all
    part-time at ``fte`` (``part_time_below`` raised to its maximum), and the school's
    teachers are split round-robin between them. ``count = 2, fte = 0.5`` gives each
    school 1.0 FTE in two people with different teaching timetables.
    """

    name: ClassVar[str] = "shared_specialists"
    EXAMPLE: ClassVar[dict[str, Any]] = {"count": 2, "fte": 0.5}

    count: int = setting("specialists_per_school")
    fte: float = setting("specialist_fte")

    def targets(self, base: Mapping[str, Any]) -> dict[str, Any]:
        """Count and FTE, and every school part-time (the largest ``part_time_below``)."""
        return {**super().targets(base), "part_time_below": int(PARAMS["part_time_below"].high)}


@register
@dataclass(frozen=True, kw_only=True)
class HelpDesk(Policy):
    """A help desk takes ``share`` of new tickets, solving up to ``capacity`` a day."""

    name: ClassVar[str] = "help_desk"
    EXAMPLE: ClassVar[dict[str, Any]] = {"share": 0.5, "capacity": 5.0}

    share: float = setting("helpdesk_share")
    capacity: float | None = setting("helpdesk_capacity", optional=True)


@register
@dataclass(frozen=True, kw_only=True)
class ITLiaison(Policy):
    """Specialists spend ``share`` of their time advocating with IT staff."""

    name: ClassVar[str] = "it_liaison"
    EXAMPLE: ClassVar[dict[str, Any]] = {"share": 0.10}

    share: float = setting("liaison_share")


@register
@dataclass(frozen=True, kw_only=True)
class SupportStyle(Policy):
    """Specialists support with another ``style`` (``coach`` or ``fade`` for ``do_for``)."""

    name: ClassVar[str] = "support_style"
    EXAMPLE: ClassVar[dict[str, Any]] = {"style": "coach"}

    style: str = setting("support_style")


@register
@dataclass(frozen=True, kw_only=True)
class PeerChampions(Policy):
    """A ``share`` of teachers become peer champions (answer tickets once INTEGRATED)."""

    name: ClassVar[str] = "peer_champions"
    EXAMPLE: ClassVar[dict[str, Any]] = {"share": 0.1}

    share: float = setting("champion_share")
    help: float | None = setting("champion_help", optional=True)


@register
@dataclass(frozen=True, kw_only=True)
class TrainingDays(Policy):
    """Whole-staff training every ``every_days`` school days (20: monthly)."""

    name: ClassVar[str] = "training_days"
    EXAMPLE: ClassVar[dict[str, Any]] = {"every_days": 20}

    every_days: int = setting("training_every_days")
    attendance: float | None = setting("training_attendance", optional=True)
