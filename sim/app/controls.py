"""The parameter form of the browser page, generated from ``sim.params.PARAMS``.

Every parameter of the table gets a control, grouped as in the table: the main ones (those
in :data:`MAIN`, when the table has them) open, the others under "More ... parameters".
Labels, units, choice labels, ranges, help texts, defaults and preset values all come from
the parameter table, so the page can never drift from the model, the CLI or the sweeps.

How a preset and the sliders work together: choosing a preset moves every control to that
preset's value, so the controls always show what the next Reset builds. Reset then builds
``DiffusionModel(seed=..., preset=..., **control values)``.

Controls marked "now" are policies (``dynamic`` parameters): a change applies to the
running model at once, from the current day, as ``model.set_params`` does for scripted
policies. The others take effect on Reset.

Layout stability: every control, heading and message slot is a keyed element that is always
rendered (an empty slot when there is no message), so a message never shifts or reorders
the controls (the browser test compares the order before and after each message).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import solara

from sim.app.text import plain
from sim.app.widgets import Disclosure, NativeSelect
from sim.model import coerce_seed
from sim.params import PARAMS, PRESETS, ParameterError, ParamSpec, resolve, school_sizes

rv = solara.v  # Vuetify components as Solara elements (reacton.ipyvuetify)

#: Parameters shown open (in table order within their group); all others sit under "More".
MAIN: tuple[str, ...] = (
    "n_schools", "school_size_min", "school_size_max", "specialists_per_school",
    "specialist_fte", "support_style", "priority_policy", "troubleshoot_cap", "caseload",
    "helpdesk_share", "tickets_per_user_month", "system_difficulty", "se_mean",
    "complexity_mean", "p_ext", "q_peer",
)
#: Integer ranges with more values than this get a number field.
MAX_SLIDER_VALUES = 200
#: A slider has at least this many positions over its range.
MIN_SLIDER_POSITIONS = 50
#: Districts above this many teachers take seconds to build: the form says so.
LARGE_DISTRICT = 20_000
#: The largest district the page builds. Measured on a 2-core machine: about 30 s from
#: Reset to the first picture at this size (see README); larger districts are for
#: ``tis-sim run`` and sweeps.
MAX_PAGE_TEACHERS = 250_000
DEFAULT_SEED = "1"


def _has_control(spec: ParamSpec) -> bool:
    return spec.kind != "text"  # file paths are for the command line


#: Every parameter with a control, in table order.
CONTROLS: tuple[str, ...] = tuple(n for n, s in PARAMS.items() if _has_control(s))
#: Groups in table order.
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(PARAMS[n].group for n in CONTROLS))


def control_kind(spec: ParamSpec) -> str:
    """Which input a parameter gets.

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


def _number(spec: ParamSpec, value: float) -> str:
    if spec.kind == "int":
        return f"{int(value):,}"
    return f"{value:.{_decimals(slider_step(spec))}f}" if spec.kind == "float" else str(value)


def _unit(spec: ParamSpec) -> str:
    unit = spec.unit if spec.kind in ("int", "float") else ""
    return "" if unit.rstrip("s").lower() in spec.label.lower() else unit


def format_value(name: str, value: Any) -> str:
    """A control's value in words: number with its unit, or the choice's label."""
    spec = PARAMS[name]
    if spec.kind == "choice":
        return spec.choice_label(value)
    if spec.kind == "bool":
        return "yes" if value else "no"
    return f"{_number(spec, value)} {_unit(spec)}".strip()


def allowed_words(spec: ParamSpec) -> str:
    """What a field accepts, in the page's words ("a whole number from 1 to 25,000 schools")."""
    if spec.kind in ("int", "float"):
        what = "a whole number" if spec.kind == "int" else "a number"
        return (f"{what} from {_number(spec, spec.low)} to {_number(spec, spec.high)} "
                f"{spec.unit}").strip()
    if spec.kind == "choice":
        return "one of: " + ", ".join(spec.choice_labels)
    return spec.allowed()


def humanize(message: str) -> str:
    """A parameter-table message with parameter names replaced by their labels.

    ``school_size_min must not exceed school_size_max (got {'school_size_min': 90, ...})``
    becomes ``Smallest school must not exceed Largest school (now: Smallest school 90
    teachers, Largest school 50 teachers)``.
    """
    got = re.search(r"\(got (\{.*\})\)", message)
    now = ""
    if got:
        pairs = re.findall(r"'([a-z_]+)': ([^,}]+)", got.group(1))
        parts = []
        for name, raw in pairs:
            if name in PARAMS:
                try:
                    value = float(raw) if PARAMS[name].kind in ("int", "float") else raw
                    parts.append(f"{PARAMS[name].label} {format_value(name, value)}")
                except ValueError:
                    parts.append(f"{PARAMS[name].label} {raw}")
        now = f" (now: {', '.join(parts)})"
        message = message[: got.start()].rstrip()
    text = re.sub(r"\b([a-z]+(?:_[a-z]+)+|[a-z]+)\b",
                  lambda m: PARAMS[m.group(1)].label if m.group(1) in PARAMS else m.group(1),
                  message)
    return text[:1].upper() + text[1:] + now


@dataclass(frozen=True)
class Checked:
    """The form checked: model arguments when valid, and messages per field.

    Attributes:
        kwargs: ``DiffusionModel(**kwargs)`` arguments, or None while any field is wrong.
        errors: field name ('seed' or a parameter name) to its message, in the page's words.
        teachers: teachers in the district the form describes (None while invalid).
    """

    kwargs: dict[str, Any] | None
    errors: dict[str, str] = field(default_factory=dict)
    teachers: int | None = None


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
        """One control's typed value; raises ParameterError (page words) if invalid."""
        spec, raw = PARAMS[name], self.values[name]
        if control_kind(spec) == "number":
            text = str(raw).strip().replace(",", "")
            try:
                raw = int(text)
            except ValueError:
                raise ParameterError(f"{str(raw).strip()!r} is not allowed; expected "
                                     f"{allowed_words(spec)}") from None
        try:
            return spec.check(raw)
        except ParameterError:
            raise ParameterError(f"{raw!r} is not allowed; expected "
                                 f"{allowed_words(spec)}") from None

    def check(self) -> Checked:
        """Validate every field, the combination and the page's size cap; never raises."""
        errors: dict[str, str] = {}
        kwargs: dict[str, Any] = {"preset": self.preset}
        try:
            kwargs["seed"] = coerce_seed(self.seed)
        except ParameterError:
            errors["seed"] = (f"{self.seed.strip()!r} is not allowed; expected a whole number, "
                              "0 or more")
        for name in self.values:
            try:
                kwargs[name] = self.parsed(name)
            except ParameterError as exc:
                errors[name] = str(exc)
        teachers = None
        if not any(name in errors for name in self.values):
            values = {n: kwargs[n] for n in self.values}
            try:
                params = resolve(self.preset, **values)
            except ParameterError as exc:
                for name in _names_in(str(exc)):
                    errors[name] = humanize(str(exc))
            else:
                teachers = sum(school_sizes(params))
                if teachers > MAX_PAGE_TEACHERS:
                    errors["n_schools"] = (
                        f"This district has {teachers:,} teachers; the page builds at most "
                        f"{MAX_PAGE_TEACHERS:,} (about 30 s on 2 cores). Use fewer or smaller "
                        "schools here, or `tis-sim run` for larger districts.")
        return Checked(None if errors else kwargs, errors, teachers)


def _names_in(message: str) -> list[str]:
    """Controls named in a combination error such as 'a must not exceed b (got ...)'."""
    words = set(re.findall(r"[a-z_]+", message.split("(got")[0]))
    return [name for name in CONTROLS if name in words]


def field_label(name: str) -> str:
    """The label of a field ('seed' or a parameter name)."""
    return "Seed" if name == "seed" else PARAMS[name].label


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
def Message(text: str | None, kind: str = "error", ref: str = "") -> None:  # noqa: N802
    """A message slot that is always in the page (empty without a message).

    Announced by screen readers when it changes (``aria-live``); dark text on a light
    background (contrast above 7:1).
    """
    classes = ["tis-msg", f"tis-msg-{kind}"] + (["tis-msg-empty"] if not text else [])
    rv.Html(tag="div", children=[text or ""], class_=" ".join(classes),
            attributes={"aria-live": "polite"}).meta(ref=ref or None)


def field_tip(spec: ParamSpec) -> str:
    """A control's tooltip: the parameter's help (plain text) and what it allows."""
    return f"{plain(spec.help)} Allowed: {allowed_words(spec)}."


@solara.component
def ParamControl(  # noqa: N802 (Solara components are PascalCase)
    name: str,
    form: solara.Reactive[Form],
    error: str | None,
    on_live: Callable[[str, Any], None],
    live: bool,
    note: str | None = None,
) -> None:
    """One parameter's input, labelled with its value and unit, and its message slot."""
    spec = PARAMS[name]
    kind = control_kind(spec)
    value = form.value.values[name]

    def set_value(new: Any) -> None:
        form.set(form.value.with_value(name, new))
        if spec.dynamic and live:
            try:
                on_live(name, form.value.parsed(name))
            except ParameterError:
                pass  # the field shows the message; the running model keeps its value

    when = " · now" if spec.dynamic and live else ""
    tip = f"{field_tip(spec)} Applies {'now' if when else 'on Reset'}."
    with rv.Html(tag="div", class_="tis-field", attributes={"title": tip}):
        if kind in ("slider_int", "slider_float"):
            rv.Html(tag="div", class_="tis-field-label",
                    children=[f"{spec.label}: {format_value(name, value)}{when}"])
            rv.Slider(v_model=value, on_v_model=set_value, label=spec.label, min=spec.low,
                      max=spec.high, step=slider_step(spec), thumb_label=False,
                      hide_details=True, class_="tis-slider").meta(ref=f"param-{name}")
        elif kind == "select":
            NativeSelect(spec.label + when, list(zip(spec.choices, spec.choice_labels,
                                                     strict=True)),
                         value, set_value, error=bool(error)).meta(ref=f"param-{name}")
        elif kind == "checkbox":
            rv.Checkbox(label=spec.label + when, v_model=value, on_v_model=set_value,
                        hide_details=True).meta(ref=f"param-{name}")
        else:
            solara.InputText(f"{spec.label} ({allowed_words(spec)})", value=str(value),
                             on_value=set_value,
                             error=bool(error)).meta(ref=f"param-{name}")
        Message(error or note, kind="error" if error else "info", ref=f"error-{name}")


@solara.component
def ParamGroup(  # noqa: N802
    group: str,
    form: solara.Reactive[Form],
    errors: Mapping[str, str],
    notes: Mapping[str, str],
    on_live: Callable[[str, Any], None],
    live: bool,
) -> None:
    """One group's heading, its main controls, and the rest under "More"."""
    names = [n for n in CONTROLS if PARAMS[n].group == group]
    main = [n for n in names if n in MAIN]
    more = [n for n in names if n not in MAIN]
    rv.Html(tag="h3", children=[group.capitalize()], class_="tis-h3")
    for name in main:
        ParamControl(name, form, errors.get(name), on_live, live, notes.get(name)).key(name)
    if more:  # the table decides; the same on every render
        with Disclosure(f"More {group} parameters ({len(more)})").key(f"more-{group}"):
            for name in more:
                ParamControl(name, form, errors.get(name), on_live, live).key(name)


@solara.component
def ParamsPanel(  # noqa: N802 (Solara components are PascalCase)
    form: solara.Reactive[Form],
    checked: Checked,
    on_live: Callable[[str, Any], None],
    live: bool = True,
) -> None:
    """Preset, seed and the parameter controls, grouped as in the parameter table."""
    NativeSelect("Preset", [(p, p.replace("_", " ")) for p in sorted(PRESETS)],
                 form.value.preset, lambda p: form.set(form.value.with_preset(p))).meta(
        ref="preset")
    solara.InputText("Seed (a whole number)", value=form.value.seed,
                     on_value=lambda s: form.set(form.value.with_value("seed", s)),
                     error=bool(checked.errors.get("seed"))).meta(ref="seed")
    Message(checked.errors.get("seed"), ref="error-seed")
    rv.Html(tag="p", class_="tis-hint", children=[
        "Controls marked 'now' change the running model at once; the others apply on Reset."
        if live else "While comparing, changes apply when a comparison starts."])
    notes = {}
    if checked.teachers is not None and checked.teachers > LARGE_DISTRICT:
        notes["n_schools"] = (f"{checked.teachers:,} teachers: building takes a while (with "
                              "a progress bar); the network is shown as a map of schools.")
    for group in GROUPS:
        ParamGroup(group, form, checked.errors, notes, on_live, live).key(f"group-{group}")
