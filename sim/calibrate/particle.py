"""One parameter set ("particle") -> the value of every pattern, and its distances.

:func:`evaluate` runs the model ``replicates`` times (and once more per arm a pattern
uses, on the same seeds), measures each pattern's output on the days it names, averages
over replicates and compares arms with the base model. :func:`scaled_distances` turns the
values into per-pattern distances in units of each pattern's tolerance; :func:`distance`
combines them. Everything here is plain data and module-level functions, so worker
processes and Dask workers can run it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.calibrate.observe import observe
from sim.calibrate.spec import Calibration, Pattern
from sim.errors import UserError
from sim.model import DiffusionModel
from sim.params import PARAMS
from sim.rng import child_seeds

#: Distance (in tolerances) of a pattern whose output is undefined in a run (NaN: e.g. no
#: coaching cycle closed) or whose parameter set the model refuses.
MISSING = 10.0


@dataclass(frozen=True)
class Plan:
    """What evaluating a parameter set needs (picklable, shipped to workers).

    Attributes:
        preset: the preset the fixed parameters apply to.
        fixed: fixed parameter values.
        bounds: fitted parameter -> (low, high) of its prior; proposals are rounded (integer
            parameters) and clipped to it.
        days: horizon in school days.
        replicates: runs per parameter set (pattern values are their means).
        arms: arm name -> parameter overrides (only arms some pattern uses).
        patterns: the patterns.
    """

    preset: str
    fixed: dict[str, Any]
    bounds: dict[str, tuple[float, float]]
    days: int
    replicates: int
    arms: dict[str, dict[str, Any]] = field(default_factory=dict)
    patterns: tuple[Pattern, ...] = ()

    @classmethod
    def of(cls, cal: Calibration) -> Plan:
        """The plan of a checked calibration file."""
        used = {p.arm for p in cal.patterns if p.arm}
        return cls(preset=cal.preset, fixed=dict(cal.fixed),
                   bounds={d.name: (d.low, d.high) for d in cal.priors}, days=cal.days,
                   replicates=cal.replicates,
                   arms={a: v for a, v in cal.arms.items() if a in used},
                   patterns=cal.patterns)


def model_params(plan: Plan, theta: Mapping[str, float]) -> dict[str, Any]:
    """Model parameters of a particle: integers rounded, values clipped to the prior."""
    out: dict[str, Any] = {}
    for name, value in theta.items():
        low, high = plan.bounds[name]
        value = min(max(float(value), low), high)
        out[name] = round(value) if PARAMS[name].kind == "int" else value
    return out


def _measure(model: DiffusionModel, p: Pattern, values: dict[str, list[float]]) -> None:
    """Record today's value of an observable pattern (called on each of its days)."""
    if model.day in p.days:
        values[p.name].append(observe(model, p.output, p.school, p.innovation))


def run_once(plan: Plan, params: Mapping[str, Any], seed: int,
             patterns: Sequence[Pattern]) -> dict[str, float]:
    """One run: the value of each pattern's output (before comparing arms)."""
    values: dict[str, list[float]] = defaultdict(list)
    probes = [p for p in patterns if p.kind == "observable"]
    # the model frees itself (sim.agents keeps Mesa's id counters weakly, mesa #3179)
    model = DiffusionModel(seed=seed, days=plan.days, preset=plan.preset, **params)
    for p in probes:
        _measure(model, p, values)
    for _ in range(plan.days):
        model.step()
        for p in probes:
            _measure(model, p, values)
    daily = model.daily_table() if any(p.kind == "daily" for p in patterns) else None
    summary = model.summary()
    out: dict[str, float] = {}
    for p in patterns:
        if p.kind == "summary":
            out[p.name] = float(summary[p.output])
        elif p.kind == "daily":
            out[p.name] = float(daily[p.output].iloc[list(p.days)].mean())
        else:
            out[p.name] = float(np.mean(values[p.name]))
    return out


def _mean(xs: list[float]) -> float:
    finite = [x for x in xs if math.isfinite(x)]
    return float(np.mean(finite)) if finite else math.nan


def evaluate(plan: Plan, theta: Mapping[str, float], seed: int) -> dict[str, float]:
    """Pattern values of one parameter set: means over ``plan.replicates`` runs.

    Replicate r runs on ``child_seeds(seed, replicates)[r]`` in the base model and in every
    arm (common random numbers), so arm comparisons are paired. A parameter set the model
    refuses (an impossible combination) gives NaN for every pattern.
    """
    params = {**plan.fixed, **model_params(plan, theta)}
    seeds = child_seeds(seed, plan.replicates)
    arm_of = {p.name: p.arm for p in plan.patterns}
    groups: dict[str | None, list[Pattern]] = defaultdict(list)
    for p in plan.patterns:
        groups[p.arm].append(p)
        if p.compare:  # the same measurement in the base model
            groups[None].append(_base_twin(p))
    means: dict[tuple[str | None, str], float] = {}
    try:
        for arm, patterns in groups.items():
            arm_params = {**params, **plan.arms.get(arm, {})}
            runs = [run_once(plan, arm_params, s, patterns) for s in seeds]
            for p in patterns:
                means[arm, p.name] = _mean([r[p.name] for r in runs])
    except UserError:
        return {p.name: math.nan for p in plan.patterns}
    out = {}
    for p in plan.patterns:
        value = means[arm_of[p.name], p.name]
        if p.compare:
            base = means[None, _base_twin(p).name]
            value = value - base if p.compare == "difference" else (
                value / base if base != 0 else math.nan)
        out[p.name] = value
    return out


def _base_twin(p: Pattern) -> Pattern:
    """The base-model measurement that a compared pattern is set against."""
    from dataclasses import replace

    return replace(p, name=f"{p.name}__base", arm=None, compare=None)


def scaled_distances(patterns: Sequence[Pattern], values: Mapping[str, float]) -> np.ndarray:
    """Per-pattern distance: how far the value lies outside its target, in tolerances.

    0 inside the target interval (or at a point target); ``MISSING`` for NaN values.
    """
    out = np.empty(len(patterns))
    for i, p in enumerate(patterns):
        x = values.get(p.name, math.nan)
        x = float(x) if x is not None else math.nan
        out[i] = MISSING if not math.isfinite(x) else max(p.low - x, 0.0, x - p.high) \
            / p.tolerance
    return out


def distance(patterns: Sequence[Pattern], values: Mapping[str, float]) -> float:
    """Weighted root mean square of the scaled distances (0 = every pattern on target)."""
    d = scaled_distances(patterns, values)
    w = np.array([p.weight for p in patterns])
    return float(np.sqrt(np.sum(w * d**2) / np.sum(w)))
