"""Analyse a what-if study's runs: every table its report is generated from.

Order of work: restrict times to a threshold and add teacher counts; paired differences
(with the two sources of spread when there are worlds); Kaplan-Meier summaries; the
draws for robust choice (worlds, or bootstrap resamples of the replicates); P(best) and
expected regret on ``rank_by`` and on net monetary benefit; ICERs, the efficient frontier
and the CEAC; and, with worlds, PRIM boxes where the top two scenarios swap places.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.errors import MissingExtraError
from sim.study.discovery import Discovery, DiscoveryError, discover
from sim.study.survival import is_time_to_event, survival_table
from sim.whatif import economics
from sim.whatif.robust import decision_table, draws, flips
from sim.whatif.scenarios import BASELINE, Study
from sim.whatif.stats import (
    EFFECT_COUNTS,
    MEASURES,
    cube,
    curves,
    differences,
    means,
    ranking,
    with_counts,
)

#: Draws per scenario drawn on the cost-effectiveness plane (bootstrap: the first ones).
PLANE_DRAWS = 400


@dataclass(frozen=True)
class Analysis:
    """The tables of a study, computed from its runs (see the module doc)."""

    study: Study
    summaries: pd.DataFrame
    scenarios: pd.DataFrame
    means: pd.DataFrame
    differences: pd.DataFrame
    effectiveness: pd.DataFrame
    curves: pd.DataFrame | None
    order: list[str]
    missing: list[str]
    survival: pd.DataFrame = field(default_factory=pd.DataFrame)
    frontier: pd.DataFrame = field(default_factory=pd.DataFrame)
    decision: pd.DataFrame = field(default_factory=pd.DataFrame)
    ceac: pd.DataFrame = field(default_factory=pd.DataFrame)
    plane: pd.DataFrame = field(default_factory=pd.DataFrame)
    draws: str = "bootstrap"
    evpi: dict[str, float] = field(default_factory=dict)
    worlds: pd.DataFrame = field(default_factory=pd.DataFrame)
    discovery: Discovery | None = None
    discovery_note: str = ""
    flip_pair: tuple[str, str] | None = None


def scenario_table(study: Study) -> pd.DataFrame:
    """What each scenario changes and what it costs (per year and over the horizon).

    Costs are those of the parameters as written (world costs may differ when the
    district itself is uncertain; the economics use each world's).
    """
    rows = []
    for sc in study.scenarios:
        c = sc.cost
        rows.append({
            "scenario": sc.name, "label": sc.label, "changes": sc.description,
            "policy": sc.policy.name if sc.policy else "", "teachers": sc.n_teachers,
            "cost_fte_per_year": c.fte, "fte_derived": c.derived,
            "cost_other_per_year": c.money, "years_active": c.years,
            "fte_years": c.fte * c.years, "cost_total": c.total(study.fte_price),
            "setup_changed": sc.setup_changed,
        })
    return pd.DataFrame(rows)


def world_costs(study: Study) -> np.ndarray:
    """Extra cost over the horizon per (scenario, world), the baseline's 0."""
    return np.array([[study.world_scenarios(k)[i].cost.total(study.fte_price)
                      for k in range(study.n_worlds)] for i in range(len(study.scenarios))])


def _economics(study: Study, data: pd.DataFrame, names: list[str],
               cost: np.ndarray, sizes: tuple[int, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, frontiers = [], []
    for key in EFFECT_COUNTS:
        effect = cube(data, key, names, *sizes)
        for name, row in zip(names[1:], economics.incremental(
                effect, cost, study.seed, wtp=study.willingness_to_pay if key == study.effect
                else None, per_money=study.per_money), strict=True):
            rows.append({"scenario": name, "effect": key, **row})
        if key == study.effect:
            inc = pd.DataFrame(rows)
            inc = inc[inc["effect"] == key].set_index("scenario")
            frontiers.append(economics.frontier(
                names, np.array([0.0, *inc.loc[names[1:], "d_cost"]]),
                np.array([0.0, *inc.loc[names[1:], "d_effect"]])))
    return pd.DataFrame(rows), frontiers[0]


def _decision(study: Study, data: pd.DataFrame, names: list[str], cost: np.ndarray,
              sizes: tuple[int, int], icers: np.ndarray) -> tuple[
                  pd.DataFrame, pd.DataFrame, pd.DataFrame, str, dict[str, float], np.ndarray]:
    """P(best) and regret on rank_by and on NMB, the CEAC and the plane's draws.

    Also returns the kind of draws, the EVPIs and, when the draws are worlds, the rank_by
    draws (scenario, world).
    """
    sign = 1.0 if MEASURES[study.rank_by].better == "higher" else -1.0
    ranked, kind = draws(sign * cube(data, study.rank_by, names, *sizes), study.seed)
    table, evpi_rank = decision_table(ranked, names, kind)
    evpi = {"rank_by": evpi_rank}
    effect, _ = draws(cube(data, study.effect, names, *sizes), study.seed)
    costs = cost if kind == "worlds" else cost[:, :1]
    wtp = study.willingness_to_pay
    if wtp is not None:
        value = economics.nmb(effect, np.broadcast_to(costs, effect.shape), wtp)
        nmb, evpi["nmb"] = decision_table(value, names, kind)
        table = table.merge(nmb.drop(columns=["draws"]).add_suffix("_nmb").rename(
            columns={"scenario_nmb": "scenario"}), on="scenario")
        gain = (value - value[:1])[:, np.isfinite(value).all(axis=0)]
        table["p_cost_effective"] = (gain > 0).mean(axis=1) if gain.size else np.nan
    grid = economics.wtp_grid(wtp, icers)
    full = np.broadcast_to(costs, effect.shape)
    ceac = economics.ceac(effect, full, names, grid)
    keep = slice(0, PLANE_DRAWS)
    plane = pd.concat([pd.DataFrame({"scenario": name,
                                     "d_effect": effect[i, keep] - effect[0, keep],
                                     "d_cost": full[i, keep] - full[0, keep]})
                       for i, name in enumerate(names) if i])
    return table, ceac, plane, kind, evpi, ranked if kind == "worlds" else np.empty((0, 0))


def _discovery(study: Study, decision: pd.DataFrame,
               ranked: np.ndarray) -> tuple[Discovery | None, str, tuple[str, str] | None]:
    if study.uncertainty is None or not len(ranked):
        return None, "", None
    top, second = decision.sort_values("expected", ascending=False)["scenario"][:2]
    names = list(decision["scenario"])
    x = pd.DataFrame(list(study.uncertainty.draws))
    y = flips(ranked, names.index(top), names.index(second))
    try:
        return discover(x, y), "", (top, second)
    except (DiscoveryError, MissingExtraError) as exc:  # the rest of the report stands
        return None, str(exc), (top, second)


def analyse(study: Study, summaries: pd.DataFrame,
            daily: pd.DataFrame | None = None) -> Analysis:
    """Compute every table of the report from the study's run results.

    Args:
        study: the parsed scenario file.
        summaries: one row per run with ``run_id``, ``scenario``, ``replicate`` (and
            ``world``) and the summary measures (rows of other run ids are ignored).
        daily: daily rows (``scenario``, ``replicate``, ``day``, ``users_share``) or None.
    """
    ids = {s.run_id for s in study.specs()}
    summaries = summaries[summaries["run_id"].isin(ids)]
    missing = sorted(ids - set(summaries["run_id"]))
    names = [sc.name for sc in study.scenarios]
    teachers = {sc.name: sc.n_teachers for sc in study.scenarios}
    data = with_counts(summaries, teachers)
    sizes = (study.n_worlds, study.replicates)
    diff = differences(data, names[1:], BASELINE)
    cost = world_costs(study)
    eff, front = _economics(study, data, names, cost, sizes)
    decision, ceac, plane, kind, evpi, ranked = _decision(study, data, names, cost, sizes,
                                                   front["icer"].to_numpy(float))
    found, note, pair = _discovery(study, decision, ranked)
    surv = [survival_table(data, key, ["scenario"]) for key in data
            if is_time_to_event(key) and key in MEASURES]
    worlds = pd.DataFrame()
    if study.uncertainty is not None:
        worlds = pd.DataFrame(list(study.uncertainty.draws)).rename_axis("world")
        if len(ranked):
            sign = 1.0 if MEASURES[study.rank_by].better == "higher" else -1.0
            for i, name in enumerate(names):
                worlds[f"{study.rank_by}:{name}"] = sign * ranked[i]
    curve = None
    if daily is not None and len(daily):
        curve = curves(daily[daily["run_id"].isin(ids)])
    return Analysis(study, data, scenario_table(study), means(data, names), diff, eff, curve,
                    ranking(diff, study.rank_by), missing,
                    survival=pd.concat(surv, ignore_index=True) if surv else pd.DataFrame(),
                    frontier=front, decision=decision, ceac=ceac, plane=plane, draws=kind,
                    evpi=evpi,
                    worlds=worlds.reset_index() if len(worlds) else worlds,
                    discovery=found, discovery_note=note, flip_pair=pair)
