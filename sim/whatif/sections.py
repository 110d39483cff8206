"""Markdown sections of a what-if report, each generated from one table of the analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.study.discovery import markdown as discovery_markdown
from sim.study.intervals import LEVEL
from sim.study.outputs import label as output_label
from sim.whatif.stats import EFFECT_COUNTS, EFFECT_NAMES, MEASURES
from sim.whatif.text import fmt_ci, fmt_diff, fmt_level, markdown_table, money

if TYPE_CHECKING:
    from sim.whatif.analysis import Analysis

#: Outcomes shown as "difference [interval]" in the report's main table.
REPORT_OUTCOMES = ("integrated_teachers", "final_integrated_share", "final_users_share",
                   "independent_user_share", "days_to_50", "never_reached_share",
                   "time_troubleshooting")


def _labels(a: Analysis) -> dict[str, str]:
    return dict(zip(a.scenarios["scenario"], a.scenarios["label"], strict=True))


def _pct(p: float) -> str:
    return "n/a" if not np.isfinite(p) else f"{p:.0%}"


def robust(a: Analysis, ceac_figure: str | None) -> list[str]:
    """The robust answer: P(best), expected regret, P(cost-effective), and the CEAC."""
    s, t = a.study, a.decision
    labels, m = _labels(a), MEASURES[s.rank_by]
    factor = 100 if m.unit == "share" else 1
    unit = " pts" if m.unit == "share" else f" {m.unit}"  # shares: percentage points
    source = (f"over {s.n_worlds} parameter worlds (uncertain parameters and chance)"
              if a.draws == "worlds" else
              "over bootstrap resamples of the paired replicates (chance only: the file has "
              "no [uncertainty] table, so every parameter is taken as known)")
    best = t.sort_values(["p_best", "expected"], ascending=False).iloc[0]
    lines = ["## Robust answer", "",
             f"Probabilities {source}. **{labels[best['scenario']]}** is best on "
             f"{m.label} in {_pct(best['p_best'])} of draws. Expected regret: the average "
             f"shortfall against the best choice of each draw (in "
             f"{'percentage points' if factor == 100 else m.unit}); the "
             "expected value of perfect information (EVPI) is the smallest expected regret: "
             f"{a.evpi['rank_by'] * factor:.2f}{unit}.", ""]
    head = ["scenario", f"P(best: {m.label})", "expected regret"]
    wtp = s.willingness_to_pay
    if wtp is not None:
        head += [f"P(best net benefit at {money(wtp, s.currency)})",
                 f"expected NMB regret ({s.currency})", "P(cost-effective vs today)"]
    rows = []
    for r in t.sort_values("p_best", ascending=False).to_dict("records"):
        p = _pct(r["p_best"]) + (f"<br><small>{_pct(r['p_best_low'])} to "
                                 f"{_pct(r['p_best_high'])}</small>"
                                 if np.isfinite(r["p_best_low"]) else "")
        row = [labels[r["scenario"]], p, f"{r['expected_regret'] * factor:.2f}{unit}"]
        if wtp is not None:
            row += [_pct(r["p_best_nmb"]), f"{r['expected_regret_nmb']:,.0f}",
                    "" if r["scenario"] == "baseline" else _pct(r["p_cost_effective"])]
        rows.append(row)
    lines += [markdown_table(head, rows), ""]
    if a.draws == "worlds":
        lines += ["P(best) intervals: Wilson 95% intervals over the worlds. A world's best is "
                  "judged on its replicate means, so chance adds to close calls.", ""]
    if wtp is None:
        lines += ["Net monetary benefit needs `willingness_to_pay` in [costs] (currency per "
                  "extra teacher of the effect); the CEAC below spans a range instead.", ""]
    else:
        lines += [f"Net monetary benefit = {money(wtp, s.currency)} × extra "
                  f"{EFFECT_NAMES[s.effect][1]} − extra cost (EVPI on it: "
                  f"{money(a.evpi.get('nmb', np.nan), s.currency)}).", ""]
    if ceac_figure:
        lines += [ceac_figure, ""]
    return lines


def uncertainty(a: Analysis) -> list[str]:
    """What is uncertain, and how much of each difference's spread it explains."""
    s, u = a.study, a.study.uncertainty
    if u is None:
        return []
    labels = _labels(a)
    rank = MEASURES[s.rank_by]
    factor = 100 if rank.unit == "share" else 1
    d = a.differences[a.differences["outcome"] == s.rank_by].set_index("scenario")
    rows = [[labels[sc], f"{d.loc[sc, 'sd_chance'] * factor:.2f}",
             f"{d.loc[sc, 'sd_parameters'] * factor:.2f}", _pct(d.loc[sc, "parameter_share"]),
             f"{round(d.loc[sc, 'share_better'] * d.loc[sc, 'worlds'])} of "
             f"{d.loc[sc, 'worlds']}"] for sc in a.order]
    unit = "pts" if rank.unit == "share" else rank.unit
    return ["## Parameter uncertainty", "",
            f"{u.worlds} worlds ({u.sampler} sample, seeded by the study's seed); in each, "
            f"every scenario ran {s.replicates} replicates on common random numbers. "
            "Uncertain:", "", *(f"- {line}" for line in u.describe()), "",
            f"Two sources of spread in the difference in {rank.label} (sd of one run's "
            f"difference, {unit}): chance (within a world) and parameters (between worlds, "
            "one-way random-effects decomposition); 'parameters' is their share of the "
            "variance. Values per world: `worlds.csv`.", "",
            markdown_table(["scenario", "sd from chance", "sd from parameters",
                            "parameters' share", "better than today in"], rows), ""]


def discovery(a: Analysis, figure: str | None) -> list[str]:
    """Where in the uncertain parameters the top two scenarios swap places (PRIM)."""
    if a.flip_pair is None:
        return []
    labels = _labels(a)
    top, second = (labels[n] for n in a.flip_pair)
    lines = ["## Where the answer flips (scenario discovery)", "",
             f"Worlds in which **{second}** beats **{top}** on "
             f"{MEASURES[a.study.rank_by].label}, located with PRIM over the uncertain "
             "parameters (boxes in `discovery.csv`).", ""]
    if a.discovery is None:
        return [*lines, f"Not run: {a.discovery_note}.", ""]
    lines += discovery_markdown(a.discovery, f"{second} beats {top}")
    return [*lines, "", *([figure, ""] if figure else [])]


def differences(a: Analysis) -> list[str]:
    """The table of differences from the baseline with intervals, n and censoring."""
    many = a.study.n_worlds > 1
    head = ["scenario", "n pairs", *(MEASURES[k].label for k in REPORT_OUTCOMES)]
    labels = _labels(a)
    base = a.differences.drop_duplicates("outcome").set_index("outcome")["baseline_mean"]
    rows = [[f"{labels['baseline']} (level)", "",
             *(fmt_level(base.get(k, np.nan), MEASURES[k].unit) for k in REPORT_OUTCOMES)]]
    d = a.differences.set_index(["scenario", "outcome"])
    for sc in a.order:
        cells = []
        for k in REPORT_OUTCOMES:
            r = d.loc[(sc, k)]
            mark = {1: " ▲", -1: " ▼"}.get(int(r["better"]), "")
            low, high = (r["ui_low"], r["ui_high"]) if many else (r["ci_low"], r["ci_high"])
            note = ""
            if r["censored_baseline"] or r["censored_scenario"]:
                note = (f"<br><small>censored {int(r['censored_scenario'])} vs "
                        f"{int(r['censored_baseline'])}</small>")
            cells.append(f"{fmt_diff(r['difference'], MEASURES[k].unit)}{mark}<br><small>"
                         f"{fmt_ci(low, high, MEASURES[k].unit, 'UI' if many else 'CI')}"
                         f"</small>{note}")
        n = d.loc[(sc, REPORT_OUTCOMES[0])]
        rows.append([labels[sc], f"{int(n['n'])}" + (f" ({int(n['missing'])} missing)"
                                                     if n["missing"] else ""), *cells])
    what = ("the uncertainty interval (UI: parameters and chance, a random-effects "
            "prediction interval over the worlds)" if many else
            f"the {LEVEL:.0%} t-interval of the paired differences")
    return ["## Differences from the baseline", "",
            f"Mean paired difference (scenario − baseline) with {what}; shares in percentage "
            "points. ▲ better, ▼ worse (the interval excludes 0); no mark: undecided. 'No "
            "spread': every pair gave the same difference, so there is no interval and the "
            "exact sign test decides (at least 6 pairs, or worlds, of one sign). Days to "
            "50% users: restricted mean to the horizon (runs that never reach 50% count at "
            "the horizon; 'censored' gives how many in scenario vs baseline). n pairs: "
            "replicate pairs used.", "", markdown_table(head, rows), ""]


def survival(a: Analysis) -> list[str]:
    """Time to a threshold per scenario: share reaching it, KM median, restricted mean."""
    if a.survival.empty:
        return []
    labels = _labels(a)
    lines = ["## Time to the adoption thresholds", "",
             f"Per scenario over all its runs (every world): the share of runs reaching the "
             f"threshold within the {a.study.days}-day horizon (Wilson {LEVEL:.0%} interval), "
             "the Kaplan-Meier median (Brookmeyer-Crowley interval; '>' = not reached) and "
             "the restricted mean time to the horizon (RMST; Royston & Parmar 2013).", ""]
    for key, group in a.survival.groupby("output", sort=False):
        rows = []
        for r in group.to_dict("records"):
            med = (f"{r['median']:.0f}" if np.isfinite(r["median"]) else f"> {r['horizon']:.0f}")
            hi = f"{r['median_high']:.0f}" if np.isfinite(r["median_high"]) else "not reached"
            lo = f"{r['median_low']:.0f}" if np.isfinite(r["median_low"]) else "not reached"
            rows.append([labels[r["scenario"]], f"{r['n']}", f"{r['censored']}",
                         f"{r['reached']:.0%} ({r['reached_low']:.0%} to "
                         f"{r['reached_high']:.0%})", f"{med} ({lo} to {hi})",
                         f"{r['rmst']:.0f} ({r['rmst_low']:.0f} to {r['rmst_high']:.0f})"])
        lines += [f"**{output_label(key)}**", "",
                  markdown_table(["scenario", "runs", "censored", "reached", "median day",
                                  "restricted mean day"], rows), ""]
    return lines


def costs(a: Analysis, plane_figure: str | None) -> list[str]:
    """Costs, ICERs with bootstrap intervals, the efficient frontier and the plane."""
    s = a.study
    labels = _labels(a)
    scen = a.scenarios.set_index("scenario")
    eff = a.effectiveness.set_index(["scenario", "effect"])
    head = ["scenario", "what changes", "cost a year", "years", f"total ({s.currency})",
            *(f"cost per extra {EFFECT_NAMES[k][0]}" for k in EFFECT_COUNTS),
            f"extra {EFFECT_NAMES[s.effect][1]} per {money(s.per_money, s.currency)}",
            "per added staff FTE-year"]
    rows = []
    for sc in a.order:
        r = scen.loc[sc]
        per_year = []
        if r["cost_fte_per_year"]:
            per_year.append(f"{r['cost_fte_per_year']:g} FTE"
                            + (" (derived)" if r["fte_derived"] else ""))
        if r["cost_other_per_year"]:
            per_year.append(money(r["cost_other_per_year"], s.currency))
        icers = [_icer_cell(eff.loc[(sc, k)], s.currency) for k in EFFECT_COUNTS]
        e = eff.loc[(sc, s.effect)]
        per_money = "" if not np.isfinite(e["effect_per_money"]) else (
            f"{e['effect_per_money']:+.1f}<br><small>"
            f"{fmt_ci(e['effect_per_money_low'], e['effect_per_money_high'], 'ratio')}</small>")
        fte = (f"{e['d_effect'] / r['fte_years']:+.1f}" if r["fte_years"] > 0 else "")
        rows.append([labels[sc], r["changes"], " + ".join(per_year) or "none",
                     f"{r['years_active']:.3g}", f"{e['d_cost']:,.0f}", *icers, per_money, fte])
    units = "worlds" if a.study.n_worlds > 1 else "paired replicates"
    lines = ["## Costs and cost-effectiveness", "",
             f"Costs are extra to today over the horizon (one FTE costs "
             f"{money(s.fte_price, s.currency)} a year; '(derived)': the specialist FTE the "
             "parameters add to this district). The incremental cost-effectiveness ratio "
             "(ICER) is extra cost / extra teachers against today, with a percentile bootstrap "
             f"interval over {units} (Drummond et al. 2015; Briggs, Claxton & Sculpher 2006); "
             "a ratio has no interval when the effect's resamples change sign. Rates per "
             "FTE-year only for policies that add staff.", "",
             markdown_table(head, rows), ""]
    f = a.frontier
    front_rows = [[labels[r.scenario], f"{r.cost:,.0f}", f"{r.effect:+.1f}", r.status,
                   labels.get(r.compared_with, ""),
                   money(r.icer, s.currency) if np.isfinite(r.icer) else ""]
                  for r in f.sort_values(["cost", "effect"]).itertuples()]
    lines += ["### Dominance and the efficient frontier", "",
              f"All options by mean extra cost and extra {EFFECT_NAMES[s.effect][1]}: "
              "*dominated* (another costs no more and achieves no less), *extendedly "
              "dominated* (a mix of two neighbours does better), or on the frontier with its "
              "ICER against the previous frontier step (Cantor 1994).", "",
              markdown_table(["option", f"extra cost ({s.currency})",
                              f"extra {EFFECT_NAMES[s.effect][1]}", "status",
                              "compared with / dominated by", "ICER on the frontier"],
                             front_rows), ""]
    if plane_figure:
        lines += [plane_figure, ""]
    return lines


def _icer_cell(e: pd.Series, currency: str) -> str:
    if e["status"] == "ICER":
        ci = (fmt_ci(e["icer_low"], e["icer_high"], "money")
              if np.isfinite(e["icer_low"]) else "interval undefined (effect may be 0)")
        return f"{money(e['icer'], currency)}<br><small>{ci}</small>"
    return {"dominant": "dominant (more for no extra cost)", "dominated": "dominated",
            "cheaper, less effective": f"saves {money(e['icer'], currency)} per unit lost",
            "no effect, no cost": "no cost"}.get(e["status"], e["status"])
