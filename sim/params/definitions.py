"""The one parameter definition: defaults, ranges, units, labels, help, presets, validation.

Everything that takes parameters (the model, the CLI, experiment files, the browser sliders)
reads :data:`PARAMS`, so a default or a range is written exactly once. Sources for the
defaults are in ``docs/ODD.md`` (section "Parameters").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.errors import UserError, did_you_mean
from sim.params.table import CHOICE_LABELS, SPEC_ROWS


class ParameterError(UserError, ValueError):
    """A parameter name, value or combination that the model does not accept."""


@dataclass(frozen=True)
class ParamSpec:
    """Metadata of one model parameter.

    Attributes:
        name: keyword name, as taken by ``DiffusionModel(**params)``.
        default: default value (its Python type is the parameter's type).
        low: smallest allowed value (numbers only).
        high: largest allowed value (numbers only).
        choices: allowed values (text choices only).
        unit: unit of the value, for labels ("share", "per year", "minutes").
        label: short human label for sliders and tables.
        help: one sentence on what the parameter does.
        group: section it belongs to (district, specialist, teachers, ...).
        dynamic: True when it may change during a run (policies that act from a given day).
        choice_labels: human label of each choice, in ``choices`` order (text choices only).
    """

    name: str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    label: str = ""
    help: str = ""
    group: str = ""
    dynamic: bool = False
    choice_labels: tuple[str, ...] = ()

    def choice_label(self, value: str) -> str:
        """The human label of one choice (the value itself when it has none)."""
        labels = dict(zip(self.choices, self.choice_labels, strict=False))
        return labels.get(value, str(value))

    @property
    def kind(self) -> str:
        """'bool', 'int', 'float', 'choice' or 'text'."""
        if isinstance(self.default, bool):
            return "bool"
        if isinstance(self.default, int):
            return "int"
        if isinstance(self.default, float):
            return "float"
        return "choice" if self.choices else "text"

    def allowed(self) -> str:
        """Describe the allowed values in words (used in every error message)."""
        kind = self.kind
        if kind in ("int", "float"):
            return f"{'an integer' if kind == 'int' else 'a number'} from {self.low} to {self.high}"
        if kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if kind == "bool":
            return "true or false"
        return "a text value (a file path, or empty)"

    def check(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise ParameterError."""
        kind = self.kind
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."  # one readable line
        bad = ParameterError(
            f"parameter {self.name!r}: {shown} is not allowed; expected {self.allowed()}"
        )
        if kind == "bool":
            if isinstance(value, bool):
                return value
            raise bad
        if kind in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad
            if kind == "int" and isinstance(value, float) and not value.is_integer():
                raise bad
            # Compared before converting: exact for huge integers (no OverflowError), and
            # False for NaN.
            if not (self.low <= value <= self.high):
                raise bad
            return int(value) if kind == "int" else float(value)
        if not isinstance(value, str):
            raise bad
        if kind == "choice" and value not in self.choices:
            raise bad
        return value


PARAMS: dict[str, ParamSpec] = {
    row[0]: ParamSpec(*row, choice_labels=tuple(CHOICE_LABELS.get(row[0], {}).get(c, c)
                                                for c in row[4]))
    for row in SPEC_ROWS
}

PRESETS: dict[str, dict[str, Any]] = {
    # About five schools of 15-80 teachers, one specialist each; schools under 40 teachers
    # share a part-time specialist role (docs/ODD.md section 8). These are the PARAMS defaults.
    "default": {},
    # One small school: a 0.4-FTE specialist who also teaches, 20 colleagues.
    "small_school": {
        "n_schools": 1,
        "school_size_min": 20,
        "school_size_max": 20,
        "specialist_fte": 0.4,
    },
    # The Bass limit (Bass 1969; Rand & Rust 2011; docs/ODD.md section 1): complete graph,
    # everyone aware of one external innovation, no specialist, no failures, no self-efficacy
    # or advantage effect, no abandonment. Users then follow
    # F(t) = (1-e^{-(p+q)t}) / (1+(q/p) e^{-(p+q)t}).
    "bass": {
        "network": "complete",
        "n_schools": 20,
        "school_size_min": 100,
        "school_size_max": 100,
        "specialists_per_school": 0,
        "n_external_at_start": 1,
        "max_innovations": 1,
        "external_innovation_rate": 0.0,
        "initial_aware_share": 1.0,
        "tickets_per_user_month": 0.0,
        "request_rate": 0.0,
        "se_weight": 0.0,
        "advantage_weight": 0.0,
        "abandon_rate": 0.0,
        "dependent_abandon_rate": 0.0,
        "p_ext": 0.03,
        "q_peer": 0.38,
    },
}


def _cross_checks(values: Mapping[str, Any]) -> None:
    """Reject combinations that are each in range but impossible together."""
    rules = [
        (
            values["school_size_min"] <= values["school_size_max"],
            "school_size_min must not exceed school_size_max",
        ),
        (
            values["free_periods_min"] <= values["free_periods_max"],
            "free_periods_min must not exceed free_periods_max",
        ),
        (
            values["free_periods_max"] < values["periods_per_day"],
            "free_periods_max must be below periods_per_day (teachers teach at least once)",
        ),
        (
            values["n_external_at_start"] <= values["max_innovations"],
            "n_external_at_start must not exceed max_innovations",
        ),
        (
            bool(values["network_file"]) == bool(values["nodes_file"]),
            "network_file and nodes_file must be given together",
        ),
    ]
    for ok, message in rules:
        if not ok:
            shown = {k: values[k] for k in values if k in message}
            raise ParameterError(f"{message} (got {shown})")


def validate(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check a full or partial parameter mapping and fill in defaults.

    Args:
        values: parameter names to values; names not given take their defaults.

    Returns:
        A new dict with every parameter, converted to its type.

    Raises:
        ParameterError: unknown name, wrong type, out-of-range value or impossible
            combination; the message names the parameter, the value and what is allowed.
    """
    unknown = sorted(set(values) - set(PARAMS))
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))}"
            f"{did_you_mean(unknown[0], PARAMS)}; valid names are: "
            + ", ".join(sorted(PARAMS))
        )
    out = {name: spec.default for name, spec in PARAMS.items()}
    for name, value in values.items():
        out[name] = PARAMS[name].check(value)
    _cross_checks(out)
    return out


def resolve(preset: str | None = None, **overrides: Any) -> dict[str, Any]:
    """Parameters of a preset with overrides applied, validated.

    Args:
        preset: a name from :data:`PRESETS` (None means ``"default"``).
        **overrides: parameter values that replace the preset's.

    Returns:
        The full validated parameter dict.
    """
    name = preset or "default"
    if name not in PRESETS:
        raise ParameterError(
            f"unknown preset {name!r}; valid presets are: {', '.join(sorted(PRESETS))}"
        )
    return validate({**PRESETS[name], **overrides})


def school_sizes(values: Mapping[str, Any]) -> list[int]:
    """Teachers per school: evenly spread from the smallest to the largest size.

    The spread keeps the same mix of small and large schools whatever the number of
    schools, so a district scaled up for benchmarks has the default's composition.
    """
    n, lo, hi = values["n_schools"], values["school_size_min"], values["school_size_max"]
    if n == 1:
        return [round((lo + hi) / 2)]
    return [round(lo + (hi - lo) * i / (n - 1)) for i in range(n)]


def scaled_to(values: Mapping[str, Any], n_teachers: int) -> dict[str, Any]:
    """The same district composition with about ``n_teachers`` teachers (more schools)."""
    mean_size = (values["school_size_min"] + values["school_size_max"]) / 2
    return validate({**values, "n_schools": max(1, round(n_teachers / mean_size))})


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``name=value`` from the command line into a typed, checked pair.

    Raises:
        ParameterError: not of the form name=value, unknown name or bad value.
    """
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep:
        raise ParameterError(f"{text!r} is not of the form name=value")
    if name not in PARAMS:
        raise ParameterError(f"unknown parameter {name!r}{did_you_mean(name, PARAMS)}; "
                             "`tis-sim params` lists the valid names")
    spec = PARAMS[name]
    value: Any = raw
    if spec.kind == "bool":
        value = {"true": True, "false": False}.get(raw.lower(), raw)
    elif spec.kind in ("int", "float"):
        try:
            value = float(raw)
        except ValueError:
            value = raw
        if spec.kind == "int" and isinstance(value, float) and value.is_integer():
            value = int(value)
    return name, spec.check(value)
