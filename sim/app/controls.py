"""The parameter form of the browser page, generated from ``sim.params.PARAMS``.

Only the names of the controls shown are listed here; labels, units, ranges, help texts,
defaults and preset values all come from the parameter table, so the page can never drift
from the model, the CLI or the sweeps.

How a preset and the sliders work together: choosing a preset moves every control to that
preset's value, so the controls always show what the next Reset builds. Reset then builds
``DiffusionModel(seed=..., preset=..., **control values)``; parameters without a control
take the preset's value. (Mesa's SolaraViz passes every slider's value on each rebuild,
which would silently replace a preset's values by the slider defaults.)

Controls marked "now" are policies (``dynamic`` parameters): a change applies to the
running model at once, from the current day, as ``model.set_params`` does for scripted
policies. The others take effect on Reset.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import solara

from sim.model import coerce_seed
from sim.params import PARAMS, PRESETS, ParameterError, ParamSpec, resolve, school_sizes

#: Parameters with a control, in page order (grouped by their ``group`` in the table).
CONTROLS: tuple[str, ...] = (
    "n_schools", "school_size_min", "school_size_max", "specialists_per_school",
    "specialist_fte", "support_style", "priority_policy", "troubleshoot_cap", "caseload",
    "helpdesk_share", "tickets_per_user_month", "system_difficulty", "se_mean",
    "complexity_mean", "p_ext", "q_peer",
)
#: Integer ranges with more values than this get a number field: a slider this fine
#: cannot be set to an exact value.
MAX_SLIDER_VALUES = 200
#: A slider has at least this many positions over its range.
MIN_SLIDER_POSITIONS = 50
#: Districts above this many teachers take seconds to build: the form says so.
LARGE_DISTRICT = 20_000
DEFAULT_SEED = "1"


def control_kind(spec: ParamSpec) -> str:
    """Which input a parameter gets: 'select', 'checkbox', 'number', 'slider_int', ...

    Returns one of 'select', 'checkbox', 'slider_int', 'slider_float', 'number', 'text'.
    """
    kind = spec.kind
    if kind == "choice":
        return "select"
    if kind == "bool":
        return "checkbox"
    if kind == "int":
        return "slider_int" if spec.high - spec.low <= MAX_SLIDER_VALUES else "number"
    if kind == "float":
        return "slider_float"
    return "text"


def _on_grid(x: float, step: float) -> bool:
    return abs(x / step - round(x / step)) < 1e-6


def slider_step(spec: ParamSpec) -> float:
    """The slider step of a number parameter.

    The coarsest "nice" step (1, 2 or 5 times a power of ten) that still lands exactly on
    the range ends, the default and every preset's value, with enough positions.
    """
    if spec.kind == "int":
        return 1
    span = spec.high - spec.low
    points = [spec.default, spec.high,
              *(p[spec.name] for p in PRESETS.values() if spec.name in p)]
    largest = span / MIN_SLIDER_POSITIONS
    for exponent in range(math.floor(math.log10(largest)), -7, -1):
        for mantissa in (5, 2, 1):
            step = mantissa * 10.0**exponent
            if step <= largest and all(_on_grid(v - spec.low, step) for v in points):
                return step
    return 1e-6


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step))) if step < 1 else 0


def format_value(name: str, value: Any) -> str:
    """A control's value for its label, with the unit and no float noise."""
    spec = PARAMS[name]
    if spec.kind == "float":
        text = f"{value:.{_decimals(slider_step(spec))}f}"
    else:
        text = str(value)
    unit = spec.unit if spec.kind in ("int", "float") else ""
    if unit.rstrip("s").lower() in spec.label.lower():
        unit = ""  # "Specialists per school: 1", not "... 1 specialists"
    return f"{text} {unit}".strip()


@dataclass(frozen=True)
class Checked:
    """The form checked: model arguments when valid, and messages per field.

    Attributes:
        kwargs: ``DiffusionModel(**kwargs)`` arguments, or None while any field is wrong.
        errors: field name ('seed', a parameter name, or 'form' for combinations) to message.
    """

    kwargs: dict[str, Any] | None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Form:
    """What the controls hold: a preset, the seed as typed, and one value per control.

    Number fields hold their text as typed, so a bad entry stays visible with its message.
    """

    preset: str
    seed: str
    values: Mapping[str, Any]

    @classmethod
    def for_preset(cls, preset: str = "default", seed: str = DEFAULT_SEED) -> Form:
        """Every control at the preset's value."""
        full = resolve(preset)
        values = {n: str(full[n]) if control_kind(PARAMS[n]) == "number" else full[n]
                  for n in CONTROLS}
        return cls(preset, seed, values)

    def with_preset(self, preset: str) -> Form:
        """Switch preset: controls move to its values, the seed stays."""
        return Form.for_preset(preset, self.seed)

    def with_value(self, name: str, value: Any) -> Form:
        """One control changed (slider values are rounded to the slider's step)."""
        if name == "seed":
            return replace(self, seed=str(value))
        spec = PARAMS[name]
        if control_kind(spec) == "slider_float":
            value = round(float(value), _decimals(slider_step(spec)))
        elif control_kind(spec) == "slider_int":
            value = int(value)
        return replace(self, values={**self.values, name: value})

    def parsed(self, name: str) -> Any:
        """One control's typed value; raises ParameterError naming the field if invalid."""
        spec, raw = PARAMS[name], self.values[name]
        if control_kind(spec) == "number":
            text = str(raw).strip()
            try:
                raw = int(text)
            except ValueError:
                raise ParameterError(f"parameter {name!r}: {text!r} is not allowed; "
                                     f"expected {spec.allowed()}") from None
        return spec.check(raw)

    def check(self) -> Checked:
        """Validate every field and the combination; never raises."""
        errors: dict[str, str] = {}
        kwargs: dict[str, Any] = {"preset": self.preset}
        try:
            kwargs["seed"] = coerce_seed(self.seed)
        except ParameterError as exc:
            errors["seed"] = str(exc)
        for name in self.values:
            try:
                kwargs[name] = self.parsed(name)
            except ParameterError as exc:
                errors[name] = str(exc)
        if not any(name in errors for name in self.values):
            values = {n: kwargs[n] for n in self.values}
            try:
                resolve(self.preset, **values)
            except ParameterError as exc:
                errors["form"] = str(exc)
                for name in _names_in(str(exc)):
                    errors[name] = "conflicts with another setting (see the message above)"
        return Checked(None if errors else kwargs, errors)

    def teachers(self) -> int | None:
        """Teachers in the district the form describes (None while invalid)."""
        checked = self.check()
        if checked.kwargs is None:
            return None
        params = resolve(self.preset, **{n: checked.kwargs[n] for n in self.values})
        return sum(school_sizes(params))


def _names_in(message: str) -> list[str]:
    """Controls named in a combination error such as 'a must not exceed b (got ...)'."""
    words = set(re.findall(r"[a-z_]+", message))
    return [name for name in CONTROLS if name in words]


def pending_changes(form: Form, model_params: Mapping[str, Any], seed: int,
                    preset: str) -> list[str]:
    """Labels of valid form values that differ from the running model (applied on Reset)."""
    checked = form.check()
    if checked.kwargs is None:
        return []
    out = ["Preset"] if form.preset != preset else []
    if checked.kwargs["seed"] != seed:
        out.append("Seed")
    out += [PARAMS[n].label for n in form.values if checked.kwargs[n] != model_params[n]]
    return out


# --- components -------------------------------------------------------------------------------


@solara.component
def ParamControl(  # noqa: N802 (Solara components are PascalCase)
    name: str,
    form: solara.Reactive[Form],
    error: str | None,
    on_live: Callable[[str, Any], None],
) -> None:
    """One parameter's input, labelled with its value and unit; help text on hover."""
    spec = PARAMS[name]
    kind = control_kind(spec)
    value = form.value.values[name]

    def set_value(new: Any) -> None:
        form.set(form.value.with_value(name, new))
        if spec.dynamic:
            try:
                on_live(name, form.value.parsed(name))
            except ParameterError:
                pass  # the field shows the message; the running model keeps its value

    when = "now" if spec.dynamic else "on Reset"
    tip = f"{spec.help} Allowed: {spec.allowed()}. Applies {when}."
    with solara.Tooltip(tip), solara.Column(gap="0px", style={"margin-bottom": "6px"}):
        if kind in ("slider_int", "slider_float"):
            solara.Text(f"{spec.label}: {format_value(name, value)}" + (" · now" if
                        spec.dynamic else ""), style={"font-size": "0.85em"})
            slider = solara.SliderInt if kind == "slider_int" else solara.SliderFloat
            slider("", value=value, min=spec.low, max=spec.high, step=slider_step(spec),
                   on_value=set_value, thumb_label=False).meta(ref=f"param-{name}")
        elif kind == "select":
            solara.Select(spec.label + (" · now" if spec.dynamic else ""),
                          values=list(spec.choices), value=value,
                          on_value=set_value).meta(ref=f"param-{name}")
        elif kind == "checkbox":
            solara.Checkbox(label=spec.label, value=value,
                            on_value=set_value).meta(ref=f"param-{name}")
        else:
            solara.InputText(f"{spec.label} ({spec.low}-{spec.high})" if kind == "number"
                             else spec.label, value=str(value), on_value=set_value,
                             error=error or False).meta(ref=f"param-{name}")
        if error and kind != "number" and kind != "text":
            solara.Text(error, style={"color": "#b00020", "font-size": "0.8em"}).meta(
                ref=f"error-{name}")


@solara.component
def ParamsPanel(  # noqa: N802 (Solara components are PascalCase)
    form: solara.Reactive[Form],
    checked: Checked,
    pending: list[str],
    on_live: Callable[[str, Any], None],
) -> None:
    """Preset, seed and the parameter controls, grouped as in the parameter table."""
    solara.Select("Preset", values=sorted(PRESETS), value=form.value.preset,
                  on_value=lambda p: form.set(form.value.with_preset(p))).meta(ref="preset")
    solara.InputText("Seed (a whole number)", value=form.value.seed,
                     on_value=lambda s: form.set(form.value.with_value("seed", s)),
                     error=checked.errors.get("seed", False)).meta(ref="seed")
    if "form" in checked.errors:
        solara.Error(checked.errors["form"], dense=True).meta(ref="form-error")
    teachers = form.value.teachers()
    if teachers is not None and teachers > LARGE_DISTRICT:
        solara.Warning(f"{teachers:,} teachers: building this district takes a few seconds "
                       "and the network is shown school by school.", dense=True)
    if pending:
        solara.Info("Reset applies: " + ", ".join(pending), dense=True).meta(ref="pending")
    solara.Text("Controls marked 'now' change the running model at once; the others "
                "apply on Reset.", style={"font-size": "0.8em", "color": "#555555"})
    group = None
    for name in CONTROLS:
        spec = PARAMS[name]
        if spec.group != group:
            group = spec.group
            solara.Text(group.capitalize(), style={"font-weight": "bold", "margin-top": "8px"})
        ParamControl(name, form, checked.errors.get(name), on_live)
