"""Policy what-if studies: the scenario file, and the runs it asks for.

A scenario file (TOML; ``experiments/policies.toml`` is the annotated example) has:

- ``[study]``: name, horizon, replicates, master seed, how often to keep the daily curve
  and the outcome that ranks the scenarios;
- ``[costs]``: the currency, the price of one FTE for one school year, and the amount of
  money that cost-effectiveness is reported per;
- ``[baseline]``: today's district, a preset plus parameter values;
- ``[scenarios.NAME]``: a registered policy (``sim.policies``) with its settings, or raw
  overrides (``policy = "parameters"`` with a ``set`` table), plus its cost.

Common random numbers: replicate r runs on the same seed in every scenario, so paired
differences compare the same districts, teachers and chance events.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import UserError
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
from sim.whatif.stats import MEASURES

BASELINE = "baseline"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: [study] keys with their defaults (None: required); outcome names come from whatif_stats.
STUDY_KEYS: dict[str, Any] = {
    "name": None, "title": "", "description": "", "days": 540, "replicates": 30,
    "seed": 1, "curve_every": 5, "rank_by": "final_integrated_share",
}
COST_KEYS: dict[str, Any] = {"currency": None, "fte_price": None, "per_money": 100_000}
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

    @property
    def baseline(self) -> Scenario:
        """The baseline scenario."""
        return self.scenarios[0]

    def seeds(self) -> list[int]:
        """One seed per replicate, the same in every scenario (common random numbers)."""
        return child_seeds(self.seed, self.replicates)

    def specs(self) -> list[RunSpec]:
        """Every run: scenarios x replicates, replicate r on seed r in every scenario."""
        return [RunSpec(run_id=f"{sc.name}-r{r:04d}", params=dict(sc.params), seed=seed,
                        days=self.days, changes=sc.changes, daily_every=self.curve_every,
                        labels={"scenario": sc.name, "replicate": r})
                for sc in self.scenarios for r, seed in enumerate(self.seeds())]

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
        raise _fail(path, where, f"unknown key(s) {', '.join(map(repr, unknown))}; valid keys "
                                 f"are: {', '.join(valid)}")
    return table


def _number(path: Path, where: str, key: str, value: Any, low: float, integer: bool,
            high: float = float("inf")) -> Any:
    ok = isinstance(value, int if integer else int | float) and not isinstance(value, bool)
    if not ok or not low <= value <= high or value in (float("inf"), float("-inf")):
        kind = "an integer" if integer else "a number"
        upper = f" and <= {high:g}" if high != float("inf") else ""
        raise _fail(path, where, f"{key} = {value!r} is not allowed; expected {kind} "
                                 f">= {low:g}{upper}")
    if integer and key in ("days", "replicates") and (problem := over_limit(key, value)):
        raise _fail(path, where, f"{key} = {problem}")
    return value


def _study_settings(path: Path, data: dict[str, Any],
                    overrides: Mapping[str, Any]) -> dict[str, Any]:
    study = _check_keys(path, "study", data.get("study", {}), list(STUDY_KEYS))
    out = {k: study.get(k, v) for k, v in STUDY_KEYS.items()} | dict(overrides)
    given = out["name"] is not None  # in the file, or an override
    out["name"] = check_folder_name(out["name"] if given else path.stem, f"{path}: [study] name"
                                    + ("" if given else " (default: the file name)"),
                                    ScenarioError)
    for key, low in (("days", 1), ("replicates", 2), ("seed", 0), ("curve_every", 1)):
        _number(path, "study", key, out[key], low, integer=True,
                high=2**63 - 1 if key == "seed" else float("inf"))
    if not isinstance(out["rank_by"], str) or out["rank_by"] not in MEASURES:
        raise _fail(path, "study", f"rank_by = {out['rank_by']!r} is not an outcome; valid "
                                   f"outcomes are: {', '.join(MEASURES)}")
    costs = _check_keys(path, "costs", data.get("costs"), list(COST_KEYS)) \
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
    if policy.from_day >= days:
        raise _fail(path, where, f"from_day = {policy.from_day} is not allowed; the study "
                                 f"ends on day {days}, so the policy would never act")
    setup = any(not PARAMS[k].dynamic and v != full_params(base.params)[k]
                for k, v in policy.changed(base.params).items())
    label = table.get("label", name.replace("_", " "))
    if not isinstance(label, str):
        raise _fail(path, where, f"label = {label!r}: expected text")
    return Scenario(name, label, str(table.get("description", "")) or description, params,
                    changes, cost, n_teachers(params), setup, policy)


def parse_study(text: str, path: Path, **overrides: Any) -> Study:
    """Parse and validate the text of a scenario file (``path`` names it in errors).

    ``overrides`` replace ``[study]`` settings (e.g. ``replicates=5`` for a quick look)
    before validation, so every check runs on the values actually used.
    """
    path = Path(path)
    data = parse_toml(text, path, ScenarioError)
    _check_keys(path, "top level", data, ["study", "costs", BASELINE, "scenarios"])
    unknown = sorted(set(overrides) - set(STUDY_KEYS))
    if unknown:
        raise ValueError(f"unknown study override(s) {unknown}")  # programming error
    settings = _study_settings(path, data, overrides)
    base = _baseline(path, data)
    scenarios = _check_keys(path, "scenarios", data.get("scenarios", {}),
                            list(data.get("scenarios", {}) or []))
    if not scenarios:
        raise _fail(path, "scenarios", "no scenarios; add at least one [scenarios.NAME] table")
    arms = [_scenario(path, n, t, base, settings["days"]) for n, t in scenarios.items()]
    return Study(path=path, scenarios=(base, *arms), text=text, **settings)


def load_study(path: Path | str, **overrides: Any) -> Study:
    """Read, parse and validate a scenario file (``overrides`` as in :func:`parse_study`).

    Raises:
        ScenarioError: the file is missing, not TOML, or any key or value is not allowed;
            the message names the file, the table and key, and the valid choices.
    """
    path = Path(path)
    return parse_study(read_text(path, "scenario file", error=ScenarioError), path, **overrides)
