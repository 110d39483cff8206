"""Compare mode: today's district against the same district under one policy.

The policy comes from the registry that ``tis-sim whatif`` uses (``sim.policies``), with its
settings and start day, and is applied the same way (``Policy.apply``): new starting
parameters, or parameter changes from ``from_day``. Both arms run on the same seed (common
random numbers) and step together with the page's Run controls.

With replicates, R pairs run in the background on the seeds ``tis-sim whatif`` gives a
study with the page's seed as master seed (``child_seeds(seed, R)``), to the horizon, each
with ``sim.run.simulate``; the page then shows their 10-90% bands and, for the key outcomes,
the mean paired difference with its 95% t-interval (``sim.whatif.stats``). The scenario file
the page writes runs exactly these runs: ``tis-sim whatif`` reports the same numbers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

import numpy as np

from sim.app.builder import CLOCK, Job, new_model
from sim.app.charts import remember_initial_state
from sim.app.runs import LiveRun
from sim.app.text import summary
from sim.app.views import Views, build_run
from sim.params import PARAMS, resolve
from sim.policies import POLICIES, Policy, make_policy
from sim.rng import child_seeds
from sim.run import simulate
from sim.whatif.stats import MEASURES, Interval, t_interval

#: Policies offered (all of the registry but raw parameter sets: the sidebar does those).
OFFERED = tuple(n for n in sorted(POLICIES) if n != "parameters")
#: Key outcomes shown, from the what-if measures that the run summary has.
OUTCOMES = ("final_users_share", "final_integrated_share", "independent_user_share",
            "final_dependent_share", "never_reached_share", "time_troubleshooting",
            "time_coaching", "tickets_backlog")
#: Daily curves overlaid and differenced.
CURVES = {"users_share": "users (mean over innovations)",
          "share_integrated": "INTEGRATED (mean over innovations)"}
#: Most replicates per arm the page runs (a what-if study can run more).
MAX_REPLICATES = 50


def policy_label(name: str) -> str:
    """A policy's name in words, from its docstring's first sentence (plain text)."""
    return f"{name.replace('_', ' ')}: {summary(POLICIES[name].__doc__, name)}"


def setting_fields(name: str) -> list[tuple[str, str, bool]]:
    """(setting, parameter, optional) for each setting of a policy that maps to a parameter."""
    out = []
    for f in fields(POLICIES[name]):
        param = f.metadata.get("param")
        if param and param in PARAMS:
            out.append((f.name, param, f.default is None))
    return out


def default_settings(name: str, base: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's example settings, completed with today's values for the others."""
    example = dict(POLICIES[name].EXAMPLE)
    full = resolve(base.get("preset"), **{k: v for k, v in base.items()
                                          if k not in ("preset", "seed")})
    return {s: example.get(s, full[p]) for s, p, _ in setting_fields(name)}


@dataclass
class Replicates:
    """Finished replicate pairs: daily curves and summaries per arm."""

    seeds: list[int]
    days: int
    curves: dict[str, dict[str, list[np.ndarray]]] = field(default_factory=dict)
    summaries: dict[str, list[dict[str, float]]] = field(default_factory=dict)

    def band(self, arm: str, curve: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, 10th and 90th percentile of one curve over the replicates."""
        x = np.vstack(self.curves[arm][curve])
        return x.mean(axis=0), np.percentile(x, 10, axis=0), np.percentile(x, 90, axis=0)

    def difference_band(self, curve: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, 10th and 90th percentile of the paired difference of one curve."""
        d = np.vstack(self.curves["policy"][curve]) - np.vstack(self.curves["baseline"][curve])
        return d.mean(axis=0), np.percentile(d, 10, axis=0), np.percentile(d, 90, axis=0)

    def paired(self, outcome: str) -> Interval:
        """Mean paired difference (policy - baseline) at the horizon, with its t-interval."""
        return t_interval(p[outcome] - b[outcome] for p, b in
                          zip(self.summaries["policy"], self.summaries["baseline"], strict=True))


@dataclass
class Arms:
    """A comparison: the policy arm stepping with the page's run, and its replicates."""

    name: str
    settings: dict[str, Any]
    policy: Policy
    base_params: dict[str, Any]
    seed: int
    horizon: int
    replicates: int
    run: LiveRun
    description: str
    label: str
    views: Any = None
    batch: Replicates | None = None
    job: Job | None = None

    def step(self, days: int) -> None:
        """Step the policy arm as far as the page's run went."""
        self.run.step(days)

    def close(self) -> None:
        """Stop the replicates (the policy arm's model is freed with this object)."""
        if self.job is not None:
            self.job.cancel(timeout=30)

    def scenario_toml(self) -> str:
        """The equivalent scenario file for ``tis-sim whatif`` (same seeds and horizon)."""
        base = dict(self.base_params)
        preset = base.pop("preset", "default")
        preset_values = resolve(preset)
        lines = [f"# Written by the tis-sim page on {date.today().isoformat()}: today's "
                 "district against one policy.",
                 f"# Run it with: tis-sim whatif page_{self.name}.toml",
                 "", "[study]", f'name = "page_{self.name}"', f"days = {self.horizon}",
                 f"replicates = {max(self.replicates, 2)}", f"seed = {self.seed}",
                 "curve_every = 5", 'rank_by = "final_integrated_share"', "",
                 "[costs]  # tis-sim whatif needs prices: these are assumptions, use yours",
                 'currency = "USD"', "fte_price = 75000", "", "[baseline]",
                 f"preset = {json.dumps(preset)}"]
        lines += [f"{k} = {_toml(v)}" for k, v in base.items() if v != preset_values[k]]
        lines += ["", f"[scenarios.{self.name}]", f"label = {json.dumps(self.label)}",
                  f'policy = "{self.name}"']
        lines += [f"{k} = {_toml(v)}" for k, v in self.settings.items() if v is not None]
        if self.policy.from_day:
            lines.append(f"from_day = {self.policy.from_day}")
        return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def plan(name: str, settings: Mapping[str, Any], from_day: int, kwargs: Mapping[str, Any],
         horizon: int, replicates: int) -> tuple[Policy, dict[str, Any], tuple, str]:
    """Check a comparison before building anything.

    Returns the policy, the baseline parameters (with "preset"), the policy arm's changes
    and its description. Raises PolicyError (one line naming the setting) when invalid.
    """
    base = {k: v for k, v in kwargs.items() if k != "seed"}
    policy = make_policy(name, {**{k: v for k, v in settings.items() if v is not None},
                                "from_day": from_day})
    params, changes = policy.apply(base)
    return policy, base, (params, changes), policy.describe(base)


def build_arms(job: Job, name: str, settings: dict[str, Any], from_day: int,
               kwargs: dict[str, Any], horizon: int, replicates: int,
               teachers: int) -> tuple[LiveRun, Arms]:
    """Both arms at day 0 on the page's seed (in a Job's worker thread)."""
    policy, base, (params, changes), description = plan(name, settings, from_day, kwargs,
                                                        horizon, replicates)
    baseline, _ = build_run(kwargs, None, teachers)
    holder: list[Any] = []
    job.expect(0.45, 0.9, CLOCK.estimate(teachers), "Building the policy arm")
    rest = dict(params)
    model = new_model({"seed": kwargs["seed"], "preset": rest.pop("preset", None), **rest},
                      holder)
    remember_initial_state(model)
    run = LiveRun.scheduled(model, changes)
    label = policy_label(name).split(":")[0].capitalize()
    arms = Arms(name, dict(settings), policy, base, int(kwargs["seed"]), horizon,
                replicates, run, description, label)
    job.report(0.9, "Drawing")
    arms.views = (Views.of(baseline, "Today's district"), Views.of(run, label))
    return baseline, arms


def run_replicates(job: Job, arms: Arms) -> Replicates:
    """R paired runs of both arms to the horizon (in a Job's worker thread)."""
    seeds = child_seeds(arms.seed, arms.replicates)
    out = Replicates(seeds, arms.horizon)
    policy_params, changes = arms.policy.apply(arms.base_params)
    specs = {"baseline": (arms.base_params, ()), "policy": (policy_params, changes)}
    total, done, start = 2 * len(seeds), 0, time.perf_counter()
    for r, seed in enumerate(seeds):
        for arm, (params, arm_changes) in specs.items():
            left = (time.perf_counter() - start) / done * (total - done) if done else None
            job.report(done / total, f"run {done + 1} of {total} (replicate {r + 1}, {arm})"
                       + (f", about {left:.0f} s left" if left and left >= 1 else ""))
            result = simulate(params, seed, arms.horizon, arm_changes, daily_every=1)
            for curve in CURVES:
                out.curves.setdefault(arm, {}).setdefault(curve, []).append(
                    result.daily[curve].to_numpy(dtype=float))
            out.summaries.setdefault(arm, []).append(result.summary)
            done += 1
    return out


def outcome_rows(baseline: LiveRun, arms: Arms) -> list[tuple[str, str, str, str, str]]:
    """(outcome, today, policy, difference, replicates' mean difference [95% CI]) rows."""
    with baseline.lock, arms.run.lock:
        b, p = baseline.model.summary(), arms.run.model.summary()
    rows = []
    for key in OUTCOMES:
        measure = MEASURES[key]
        fmt = _fmt(measure.unit)
        diff = p[key] - b[key]
        sign = "▲ " if (diff > 0) == (measure.better == "higher") and diff else ""
        sign = sign or ("▼ " if diff else "")
        paired = ""
        if arms.batch is not None and len(arms.batch.seeds) >= 2:
            iv = arms.batch.paired(key)
            paired = (f"{fmt(iv.mean, True)} (the same in all {iv.n} pairs: no interval)"
                      if iv.no_spread else
                      f"{fmt(iv.mean, True)} [{fmt(iv.low, True)}, {fmt(iv.high, True)}]")
        rows.append((f"{measure.label} ({measure.better} is better)", fmt(b[key]),
                     fmt(p[key]), sign + fmt(diff, True), paired))
    return rows


def _fmt(unit: str):
    def share(x: float, signed: bool = False) -> str:
        return f"{100 * x:+.1f} pts" if signed else f"{100 * x:.1f}%"

    def count(x: float, signed: bool = False) -> str:
        return f"{x:+.1f}" if signed else f"{x:.0f}"

    return share if unit == "share" else count


__all__ = ["OFFERED", "Arms", "Replicates", "build_arms", "default_settings",
           "outcome_rows", "plan", "policy_label", "run_replicates", "setting_fields"]
