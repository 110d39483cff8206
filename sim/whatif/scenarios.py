"""Policy what-if studies: the scenario file, and the runs it asks for.

A scenario file (TOML; ``experiments/policies.toml`` is the annotated example) has:

- ``[study]``: name, horizon, replicates, master seed, how often to keep the daily curve
  and the outcome that ranks the scenarios;
- ``[costs]``: the currency, the price of one FTE for one school year, and the amount of
  money that cost-effectiveness is reported per;
- ``[baseline]``: today's district, a preset plus parameter values;
- ``[scenarios.NAME]``: a registered policy (``sim.policies``) with its settings, or raw
  overrides (``policy = "parameters"`` with a ``set`` table), plus its cost;
- ``[uncertainty]`` (optional): uncertain parameters and the number of worlds K drawn
  from them (:mod:`sim.whatif.uncertainty`).

Common random numbers: replicate r runs on the same seed in every scenario, so paired
differences compare the same districts, teachers and chance events. With K worlds, world
k has its own R seeds (``child_seeds(seed, K * R)[k * R:(k + 1) * R]``; world 0's are the
seeds of the same study without uncertainty) and every scenario runs on them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sim.errors import UserError, did_you_mean
from sim.files import parse_toml, read_text
from sim.params import PARAMS, PRESETS, ParameterError, school_sizes
from sim.policies import (
    POLICIES,
    Cost,
    Policy,
    PolicyError,
    full_params,
    make_policy,
    setting_names,
)
from sim.rng import child_seeds
from sim.study.bounds import over_limit
from sim.study.dicts import SOURCE, toml_text
from sim.study.paths import check_folder_name
from sim.study.runspec import RunSpec
from sim.whatif.stats import EFFECT_COUNTS, MEASURES
from sim.whatif.uncertainty import Uncertainty, parse_uncertainty

BASELINE = "baseline"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: [study] keys with their defaults (None: required); outcome names come from whatif_stats.
STUDY_KEYS: dict[str, Any] = {
    "name": None, "title": "", "description": "", "days": 540, "replicates": 30,
    "seed": 1, "curve_every": 5, "rank_by": "final_integrated_share",
}
COST_KEYS: dict[str, Any] = {"currency": None, "fte_price": None, "per_money": 100_000}
#: Optional [costs] keys: the willingness to pay per extra unit of the effect (net monetary
#: benefit, CEAC) and the effect it is paid for.
VALUE_KEYS: dict[str, Any] = {"willingness_to_pay": None, "effect": EFFECT_COUNTS[0]}
SCENARIO_KEYS = ("label", "description", "policy")


class ScenarioError(UserError, ValueError):
    """A scenario file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Scenario:
    """One arm of the study: parameters and mid-run changes, with its cost.

    Attributes:
        name: key in the scenario file (``baseline`` for the baseline).
        label: human name for tables and plots.
        description: what the scenario changes, generated from the parameters.
        params: model parameters at the start of the run.
        changes: mid-run parameter changes (``sim.run.simulate``'s ``changes``).
        cost: extra cost relative to the baseline.
        n_teachers: teachers in the district (turns shares into counts).
        setup_changed: the scenario changes the district at setup (parameters that are
            not dynamic), so its pairing with the baseline is weaker than pure CRN.
        policy: the policy object (None for the baseline).
    """

    name: str
    label: str
    description: str
    params: dict[str, Any]
    changes: tuple[tuple[int, dict[str, Any]], ...]
    cost: Cost
    n_teachers: int
    setup_changed: bool = False
    policy: Policy | None = None


@dataclass(frozen=True)
class Study:
    """A parsed scenario file: the settings, the baseline and the scenarios (baseline first)."""

    path: Path
    name: str
    title: str
    description: str
    days: int
    replicates: int
    seed: int
    curve_every: int
    rank_by: str
    currency: str
    fte_price: float
    per_money: float
    scenarios: tuple[Scenario, ...]
    text: str = field(repr=False, default="")
    willingness_to_pay: float | None = None
    effect: str = EFFECT_COUNTS[0]
    uncertainty: Uncertainty | None = None
    #: Per world, the scenarios with the world's parameters (one world without uncertainty).
    worlds: tuple[tuple[Scenario, ...], ...] = field(repr=False, default=())
    #: Scenarios left out because they start after the horizon: (name, reason).
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def baseline(self) -> Scenario:
        """The baseline scenario."""
        return self.scenarios[0]

    @property
    def n_worlds(self) -> int:
        """K, the number of parameter worlds (1 without an ``[uncertainty]`` table)."""
        return self.uncertainty.worlds if self.uncertainty else 1

    def seeds(self, world: int = 0) -> list[int]:
        """World ``world``'s seed per replicate, the same in every scenario (CRN)."""
        r = self.replicates
        return child_seeds(self.seed, r * (world + 1))[r * world:]

    def world_scenarios(self, world: int) -> tuple[Scenario, ...]:
        """The scenarios as run in world ``world`` (its parameters, costs and teachers)."""
        return self.worlds[world] if self.worlds else self.scenarios

    def specs(self) -> list[RunSpec]:
        """Every run: worlds x scenarios x replicates, replicate r of a world on one seed."""
        specs = []
        for k in range(self.n_worlds):
            tag = f"-w{k:03d}" if self.uncertainty else ""
            world = {"world": k} if self.uncertainty else {}
            specs += [RunSpec(run_id=f"{sc.name}{tag}-r{r:04d}", params=dict(sc.params),
                              seed=seed, days=self.days, changes=sc.changes,
                              daily_every=self.curve_every,
                              labels={"scenario": sc.name, **world, "replicate": r})
                      for sc in self.world_scenarios(k) for r, seed in enumerate(self.seeds(k))]
        return specs

    @classmethod
    def from_file(cls, path: Path | str, **overrides: Any) -> Study:
        """Read a scenario file (same as :func:`load_study`)."""
        return load_study(path, **overrides)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], **overrides: Any) -> Study:
        """A study from the scenario file's tables as dicts, checked exactly like a file.

        ``data`` holds ``study``, ``costs``, ``baseline`` and ``scenarios`` (a dict of
        scenario tables); ``overrides`` as in :func:`parse_study`. The name defaults to
        ``"study"``; ``study.text`` is the equivalent file.

        Raises:
            ScenarioError: one line naming ``<dict>``, the table and key, and what is allowed.
        """
        table = data.get("study", {}) if isinstance(data, Mapping) else None
        if not (isinstance(table, Mapping) and "name" in table):
            overrides.setdefault("name", "study")
        return parse_study(toml_text(data, ScenarioError, SOURCE), Path(SOURCE), **overrides)


def n_teachers(params: dict[str, Any]) -> int:
    """Teachers in the district the parameters describe."""
    p = full_params(params)
    if p["network_file"]:
        from sim.model import DiffusionModel  # a loaded district: count what the model reads

        return DiffusionModel(seed=0, **p).n_teachers
    return int(sum(school_sizes(p)))


def _fail(path: Path, where: str, message: str) -> ScenarioError:
    return ScenarioError(f"{path}: [{where}] {message}")


def _check_keys(path: Path, where: str, table: Any, valid: list[str]) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise _fail(path, where, f"must be a table, got {table!r}")
    unknown = sorted(set(table) - set(valid))
    if unknown:
        raise _fail(path, where, f"unknown key(s) {', '.join(map(repr, unknown))}"
                                 f"{did_you_mean(unknown[0], valid)}; valid keys "
                                 f"are: {', '.join(valid)}")
    return table


def _number(path: Path, where: str, key: str, value: Any, low: float, integer: bool,
            high: float = float("inf"), option: str | None = None) -> Any:
    """``value`` if allowed, else an error naming the ``option`` that set it, or the key."""
    ok = isinstance(value, int if integer else int | float) and not isinstance(value, bool)
    problem = None  # or what is wrong
    if not ok or not low <= value <= high or value in (float("inf"), float("-inf")):
        kind = "an integer" if integer else "a number"
        upper = f" and <= {high:g}" if high != float("inf") else ""
        problem = f"{value!r} is not allowed; expected {kind} >= {low:g}{upper}"
    elif integer and key in ("days", "replicates"):
        problem = over_limit(key, value)
    if problem and option:
        raise ScenarioError(f"{option}: {problem} (it overrides [{where}] {key} of {path})")
    if problem:
        raise _fail(path, where, f"{key} = {problem}")
    return value


def _typed(options: Mapping[str, str], key: str, value: Any, fallback: str) -> str:
    """How a setting reads in a message: as the user typed the option, else ``fallback``."""
    return f"{options[key]} {value}" if key in options else fallback


def _study_settings(path: Path, data: dict[str, Any], overrides: Mapping[str, Any],
                    options: Mapping[str, str]) -> dict[str, Any]:
    study = _check_keys(path, "study", data.get("study", {}), list(STUDY_KEYS))
    out = {k: study.get(k, v) for k, v in STUDY_KEYS.items()} | dict(overrides)
    given = out["name"] is not None  # in the file, or an override
    out["name"] = check_folder_name(out["name"] if given else path.stem, f"{path}: [study] name"
                                    + ("" if given else " (default: the file name)"),
                                    ScenarioError)
    for key, low in (("days", 1), ("replicates", 2), ("seed", 0), ("curve_every", 1)):
        _number(path, "study", key, out[key], low, integer=True,
                high=2**63 - 1 if key == "seed" else float("inf"), option=options.get(key))
    if not isinstance(out["rank_by"], str) or out["rank_by"] not in MEASURES:
        raise _fail(path, "study", f"rank_by = {out['rank_by']!r} is not an outcome; valid "
                                   f"outcomes are: {', '.join(MEASURES)}")
    costs = _check_keys(path, "costs", data.get("costs"), [*COST_KEYS, *VALUE_KEYS]) \
        if "costs" in data else None
    if costs is None:
        raise _fail(path, "costs", "missing; declare currency and fte_price (the cost of one "
                                   "FTE for one school year)")
    for key, default in COST_KEYS.items():
        value = costs.get(key, default)
        if value is None:
            raise _fail(path, "costs", f"{key} is missing; [costs] needs currency (e.g. "
                                       "'USD') and fte_price (one FTE for one school year)")
        if key == "currency":
            if not isinstance(value, str) or not value:
                raise _fail(path, "costs", f"currency = {value!r}: expected a name like 'USD'")
        else:
            _number(path, "costs", key, value, 0, integer=False)
            if value <= 0:
                raise _fail(path, "costs", f"{key} = {value!r} is not allowed; expected a "
                                           "number above 0")
        out[key] = value
    wtp = costs.get("willingness_to_pay")
    if wtp is not None:
        ok = isinstance(wtp, int | float) and not isinstance(wtp, bool) and wtp == wtp
        if not ok or wtp < 0 or wtp == float("inf"):
            raise _fail(path, "costs", f"willingness_to_pay = {wtp!r} is not allowed; expected "
                        f"a number >= 0 ({out['currency']} per extra teacher of the effect)")
        out["willingness_to_pay"] = float(wtp)
    effect = costs.get("effect", VALUE_KEYS["effect"])
    if effect not in EFFECT_COUNTS:
        raise _fail(path, "costs", f"effect = {effect!r} is not allowed; expected one of "
                                   f"{', '.join(EFFECT_COUNTS)}")
    out["effect"] = effect
    return out


def _baseline(path: Path, data: dict[str, Any]) -> Scenario:
    table = _check_keys(path, BASELINE, data.get(BASELINE, {}), ["preset", *PARAMS])
    preset = table.get("preset", "default")
    if not isinstance(preset, str) or preset not in PRESETS:
        raise _fail(path, BASELINE, f"preset = {preset!r} is not a preset; valid presets are: "
                                    + ", ".join(sorted(PRESETS)))
    params = {"preset": preset, **{k: v for k, v in table.items() if k != "preset"}}
    try:
        full_params(params)
    except ParameterError as exc:
        raise _fail(path, BASELINE, str(exc)) from None
    return Scenario(BASELINE, "Baseline (today)", "today's district", params, (), Cost(),
                    n_teachers(params))


def _scenario(path: Path, name: str, table: Any, base: Scenario, days: int) -> Scenario:
    where = f"scenarios.{name}"
    if not _NAME.match(name) or name == BASELINE:
        raise _fail(path, where, f"scenario name {name!r} is not allowed; expected a letter "
                                 "then letters, digits or '_' (and not 'baseline')")
    if not isinstance(table, dict):
        raise _fail(path, where, f"must be a table, got {table!r}")
    policy_name = table.get("policy", "parameters" if "set" in table else None)
    if not isinstance(policy_name, str) or policy_name not in POLICIES:
        raise _fail(path, where, f"policy = {policy_name!r} is not a policy; valid policies "
                                 f"are: {', '.join(sorted(POLICIES))}")
    _check_keys(path, where, table, [*SCENARIO_KEYS, *setting_names(policy_name)])
    settings = {k: v for k, v in table.items() if k not in SCENARIO_KEYS}
    try:
        policy = make_policy(policy_name, settings)
        params, changes = policy.apply(base.params)
        cost = policy.cost_of(base.params, days)
        description = policy.describe(base.params)
    except PolicyError as exc:
        raise _fail(path, where, str(exc)) from None
    setup = any(not PARAMS[k].dynamic and v != full_params(base.params)[k]
                for k, v in policy.changed(base.params).items())
    label = table.get("label", name.replace("_", " "))
    if not isinstance(label, str):
        raise _fail(path, where, f"label = {label!r}: expected text")
    return Scenario(name, label, str(table.get("description", "")) or description, params,
                    changes, cost, n_teachers(params), setup, policy)


def parse_study(text: str, path: Path, *, options: Mapping[str, str] | None = None,
                **overrides: Any) -> Study:
    """Parse and validate the text of a scenario file (``path`` names it in errors).

    ``overrides`` replace ``[study]`` settings (e.g. ``replicates=5`` for a quick look)
    before validation, so every check runs on the values actually used; ``worlds=K``
    replaces ``[uncertainty] worlds``. ``options`` maps an overridden key to the
    command-line option the user typed (``{"replicates": "--replicates"}``): a message
    about that value names the option, not the file's key.
    """
    path = Path(path)
    options = {k: v for k, v in (options or {}).items() if k in overrides}
    data = parse_toml(text, path, ScenarioError)
    _check_keys(path, "top level", data, ["study", "costs", BASELINE, "scenarios",
                                          "uncertainty"])
    overrides = dict(overrides)
    worlds = overrides.pop("worlds", None)
    unknown = sorted(set(overrides) - set(STUDY_KEYS))
    if unknown:
        raise ValueError(f"unknown study override(s) {unknown}")  # programming error
    if worlds is not None:
        if not isinstance(data.get("uncertainty"), dict):
            typed = _typed(options, "worlds", worlds, f"worlds = {worlds}")
            raise _fail(path, "uncertainty", f"missing; {typed} needs an [uncertainty] table "
                        "of uncertain parameters")
        data["uncertainty"] = {**data["uncertainty"], "worlds": worlds}
    settings = _study_settings(path, data, overrides, options)
    base = _baseline(path, data)
    scenarios = _check_keys(path, "scenarios", data.get("scenarios", {}),
                            list(data.get("scenarios", {}) or []))
    if not scenarios:
        raise _fail(path, "scenarios", "no scenarios; add at least one [scenarios.NAME] table")
    days = settings["days"]
    arms, skipped = [], []
    for name, table in scenarios.items():
        sc = _scenario(path, name, table, base, days)
        if sc.policy.from_day < days:
            arms.append(sc)
        elif "days" in overrides:  # a shorter look than the file's: leave it out, say so
            skipped.append((name, f"starts on day {sc.policy.from_day}, after the "
                                  f"{days}-day horizon"))
        else:
            raise _fail(path, f"scenarios.{name}", f"from_day = {sc.policy.from_day} is not "
                        f"allowed; the study ends on day {days}, so the policy would never act")
    if not arms:
        typed = _typed(options, "days", days, f"[study] days = {days}")
        raise ScenarioError(f"{path}: {typed}: every scenario starts after the horizon, so "
                            "there is nothing to compare")
    if isinstance(data.get("uncertainty"), dict):  # K worlds x R replicates x arms: bounded
        k = data["uncertainty"].get("worlds", 16)
        if isinstance(k, int) and not isinstance(k, bool) and (problem := over_limit(
                "runs", k * settings["replicates"] * (len(arms) + 1))):
            if not {"worlds", "replicates"} & set(options):
                raise _fail(path, "uncertainty.worlds", f"worlds = {k} gives {problem}")
            given = (_typed(options, "worlds", k, f"[uncertainty] worlds = {k}"),
                     _typed(options, "replicates", settings["replicates"],
                            f"[study] replicates = {settings['replicates']}"))
            raise ScenarioError(f"{given[0]} x {given[1]} x {len(arms) + 1} arms of {path} "
                                f"gives {problem}")
    uncertainty = (parse_uncertainty(path, data["uncertainty"], settings["seed"])
                   if "uncertainty" in data else None)
    arms_all = (base, *arms)
    worlds = tuple(_in_world(path, arms_all, k, w, days)
                   for k, w in enumerate(uncertainty.draws)) if uncertainty else ()
    return Study(path=path, scenarios=arms_all, text=text, uncertainty=uncertainty,
                 worlds=worlds, skipped=tuple(skipped), **settings)


def _in_world(path: Path, arms: tuple[Scenario, ...], k: int, world: dict[str, Any],
              days: int) -> tuple[Scenario, ...]:
    """The scenarios with world ``k``'s parameter values under each policy's settings."""
    base = arms[0]
    params = {**base.params, **world}
    shown = ", ".join(f"{n}={v!r}" for n, v in world.items())
    try:
        full_params(params)
    except ParameterError as exc:
        raise _fail(path, "uncertainty", f"world {k} ({shown}) is not a valid model: "
                                         f"{exc}") from None
    setup = any(not PARAMS[n].dynamic for n in world)  # the district itself is uncertain
    out = [replace(base, params=params,
                   n_teachers=n_teachers(params) if setup else base.n_teachers)]
    for sc in arms[1:]:
        try:
            p, changes = sc.policy.apply(params)
            cost = sc.policy.cost_of(params, days)
            full_params(p)
        except (PolicyError, ParameterError) as exc:
            raise _fail(path, f"scenarios.{sc.name}", f"in world {k} ({shown}): "
                                                      f"{exc}") from None
        out.append(replace(sc, params=p, changes=changes, cost=cost,
                           n_teachers=n_teachers(p) if setup else sc.n_teachers))
    return tuple(out)


def load_study(path: Path | str, *, options: Mapping[str, str] | None = None,
               **overrides: Any) -> Study:
    """Read, parse and validate a scenario file (``overrides`` as in :func:`parse_study`).

    Raises:
        ScenarioError: the file is missing, not TOML, or any key or value is not allowed;
            the message names the file, the table and key, and the valid choices.
    """
    path = Path(path)
    return parse_study(read_text(path, "scenario file", error=ScenarioError), path,
                       options=options, **overrides)
