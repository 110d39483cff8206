"""Analyse a what-if study's runs and write its report, tables and figures.

Everything in the report, including the plain-language summary, is generated from the
numbers in the tables next to it; nothing is asserted by hand.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.study.manifest import atomic_write, manifest, now, write_json
from sim.whatif.plots import adoption_figure, forest_figure
from sim.whatif.scenarios import BASELINE, Study
from sim.whatif.stats import (
    CURVES,
    LEVEL,
    MEASURES,
    cost_effectiveness,
    curves,
    differences,
    means,
    ranking,
    with_counts,
)
from sim.whatif.text import (
    fmt_ci,
    fmt_diff,
    fmt_level,
    markdown_table,
    money,
    summary_lines,
)

#: Outcomes drawn in the forest plot (besides the ranking outcome, first).
FOREST = ("final_users_share", "independent_user_share", "never_reached_share",
          "time_troubleshooting")
#: Outcomes shown as "difference [interval]" in the report's main table.
REPORT_OUTCOMES = ("integrated_teachers", "final_integrated_share", "final_users_share",
                   "independent_user_share", "days_to_50", "never_reached_share",
                   "time_troubleshooting")


#: Curve figures, in the order of ``whatif_stats.CURVES``.
FIGURES = ("adoption.png", "integrated.png")
#: Every file the report writes (``--fresh`` removes them before running again).
OUTPUT_FILES = ("report.md", "scenarios.csv", "means.csv", "differences.csv",
                "cost_effectiveness.csv", "curves.csv", "adoption.png", "integrated.png",
                "forest.png",
                "manifest.json", "scenarios.toml")


def clear_outputs(out_dir: Path) -> None:
    """Remove an earlier report, so an interrupted fresh start never leaves a stale one."""
    for name in OUTPUT_FILES:
        (Path(out_dir) / name).unlink(missing_ok=True)


@dataclass(frozen=True)
class Analysis:
    """The tables of a study, computed from its runs."""

    study: Study
    summaries: pd.DataFrame
    scenarios: pd.DataFrame
    means: pd.DataFrame
    differences: pd.DataFrame
    effectiveness: pd.DataFrame
    curves: pd.DataFrame | None
    order: list[str]
    missing: list[str]


def scenario_table(study: Study) -> pd.DataFrame:
    """What each scenario changes and what it costs (per year and over the horizon)."""
    rows = []
    for sc in study.scenarios:
        c = sc.cost
        rows.append({
            "scenario": sc.name, "label": sc.label, "changes": sc.description,
            "policy": sc.policy.name if sc.policy else "", "teachers": sc.n_teachers,
            "cost_fte_per_year": c.fte, "fte_derived": c.derived,
            "cost_other_per_year": c.money, "years_active": c.years,
            "fte_years": c.fte_years(study.fte_price), "cost_total": c.total(study.fte_price),
            "setup_changed": sc.setup_changed,
        })
    return pd.DataFrame(rows)


def analyse(study: Study, summaries: pd.DataFrame,
            daily: pd.DataFrame | None = None) -> Analysis:
    """Compute every table of the report from the study's run results.

    Args:
        study: the parsed scenario file.
        summaries: one row per run with ``run_id``, ``scenario``, ``replicate`` and the
            summary measures (rows of other run ids are ignored).
        daily: daily rows (``scenario``, ``replicate``, ``day``, ``users_share``) or None.
    """
    ids = {s.run_id for s in study.specs()}
    summaries = summaries[summaries["run_id"].isin(ids)]
    missing = sorted(ids - set(summaries["run_id"]))
    names = [sc.name for sc in study.scenarios]
    teachers = {sc.name: sc.n_teachers for sc in study.scenarios}
    summaries = with_counts(summaries, teachers)
    diff = differences(summaries, names[1:], BASELINE)
    scen = scenario_table(study)
    costs = {r.scenario: (r.fte_years, r.cost_total) for r in scen.itertuples()
             if r.scenario != BASELINE}
    eff = cost_effectiveness(diff, costs, study.per_money)
    curve = None
    if daily is not None and len(daily):
        curve = curves(daily[daily["run_id"].isin(ids)])
    return Analysis(study, summaries, scen, means(summaries, names), diff, eff, curve,
                    ranking(diff, study.rank_by), missing)


def _differences_markdown(a: Analysis) -> str:
    head = ["scenario", *(MEASURES[k].label for k in REPORT_OUTCOMES)]
    labels = dict(zip(a.scenarios["scenario"], a.scenarios["label"], strict=True))
    base = a.differences.drop_duplicates("outcome").set_index("outcome")["baseline_mean"]
    rows = [[f"{labels[BASELINE]} (level)",
             *(fmt_level(base.get(k, np.nan), MEASURES[k].unit) for k in REPORT_OUTCOMES)]]
    d = a.differences.set_index(["scenario", "outcome"])
    for sc in a.order:
        cells = []
        for k in REPORT_OUTCOMES:
            r = d.loc[(sc, k)]
            mark = {1: " ▲", -1: " ▼"}.get(int(r["better"]), "")
            cells.append(f"{fmt_diff(r['difference'], MEASURES[k].unit)}{mark}<br>"
                         f"<small>{fmt_ci(r['ci_low'], r['ci_high'], MEASURES[k].unit)}</small>")
        rows.append([labels[sc], *cells])
    return markdown_table(head, rows)


def _costs_markdown(a: Analysis) -> str:
    s = a.study
    head = ["scenario", "what changes", "cost a year", "years", f"total ({s.currency})",
            "FTE-years", "extra INTEGRATED per FTE-year",
            f"per {money(s.per_money, s.currency)}"]
    eff = a.effectiveness.set_index("scenario")
    scen = a.scenarios.set_index("scenario")
    rows = []
    for sc in a.order:
        r, e = scen.loc[sc], eff.loc[sc]
        per_year = []
        if r["cost_fte_per_year"]:
            per_year.append(f"{r['cost_fte_per_year']:g} FTE"
                            + (" (derived)" if r["fte_derived"] else ""))
        if r["cost_other_per_year"]:
            per_year.append(money(r["cost_other_per_year"], s.currency))
        k = "integrated_teachers"
        rows.append([
            r["label"], r["changes"], " + ".join(per_year) or "none", f"{r['years_active']:.3g}",
            f"{r['cost_total']:,.0f}", f"{r['fte_years']:.2f}",
            _ratio(e, f"{k}_per_fte_year"), _ratio(e, f"{k}_per_money"),
        ])
    return markdown_table(head, rows)


def _ratio(e: pd.Series, key: str) -> str:
    if not np.isfinite(e.get(key, np.nan)):
        return "no extra cost"
    return f"{e[key]:+.2f}<br><small>{fmt_ci(e[key + '_low'], e[key + '_high'], 'ratio')}</small>"


def report_markdown(a: Analysis, figures: bool = True) -> str:
    """The report as Markdown: summary, scenarios and costs, differences, method."""
    s = a.study
    years = s.days / DAYS_PER_YEAR
    n_arms = len(s.scenarios) - 1
    lines = [
        f"# What-if study: {s.title or s.name}", "",
        *( [s.description.strip(), ""] if s.description else []),
        f"{n_arms} scenarios against the baseline, {s.replicates} replicates each, "
        f"{s.days} school days ({years:.3g} years), master seed {s.seed}; every scenario runs "
        f"replicate r on the same seed (common random numbers). Scenario file: "
        f"`{s.path}`. Generated {now()}.", "",
    ]
    if a.missing:
        lines += [f"**Incomplete:** {len(a.missing)} of {len(s.specs())} runs have no result "
                  "(failed or not yet run); the statistics use the replicates present in "
                  "both arms of each comparison.", ""]
    lines += ["## Summary", "", *summary_lines(a), "",
              "## Differences from the baseline", "",
              f"Mean paired difference (scenario − baseline) over replicates, with the "
              f"{LEVEL:.0%} t-interval; shares in percentage points. ▲ better, ▼ worse "
              "with 95% confidence; no mark: the interval includes 0.", "",
              _differences_markdown(a), "",
              "## Costs and cost-effectiveness", "",
              f"Costs are extra to today, per school year while the policy is active; one FTE "
              f"costs {money(s.fte_price, s.currency)} a year. FTE-years count other spending "
              "at that price. '(derived)': the specialist FTE the parameters add to this "
              "district.", "",
              _costs_markdown(a), ""]
    if figures:
        lines += ["## Figures", "", "![Users by scenario](adoption.png)", "",
                  "![INTEGRATED teachers by scenario](integrated.png)", "",
                  "![Forest plot](forest.png)", ""]
    gain = a.differences.loc[a.differences["outcome"] == s.rank_by, "pairing_gain"]
    lines += [
        "## Method and caveats", "",
        "- Paired comparisons: replicate r of every scenario uses the same seed, so the same "
        "network, teachers and chance events; the interval is a t-interval on the "
        "per-replicate differences (`differences.csv` also gives the unpaired Welch SE).",
        f"- Pairing gain for '{MEASURES[s.rank_by].label}' (unpaired SE / paired SE): median "
        f"{np.nanmedian(gain) if gain.notna().any() else float('nan'):.1f}×.",
        "- Scenarios that change the district at setup (" + (", ".join(
            a.scenarios.loc[a.scenarios["setup_changed"], "label"]) or "none") + ") build "
        "a different staff network for the same seed, so their pairing is weaker.",
        "- Shares of staff are averaged over innovations; teacher counts are those shares "
        "times the district's teachers.",
        f"- Intervals are per comparison, not adjusted for the {n_arms} scenarios × "
        f"{len(MEASURES)} outcomes: about 1 in 20 intervals misses its true difference.",
        "", "## Files", "",
        "`scenarios.csv` (changes and costs), `means.csv`, `differences.csv`, "
        "`cost_effectiveness.csv`, `curves.csv`, `adoption.png`, `integrated.png`, "
        "`forest.png`, "
        "`manifest.json`, and `runs/` (every run's summary and daily rows, Parquet).", ""]
    return "\n".join(lines)


def write_report(a: Analysis, out_dir: Path) -> list[Path]:
    """Write report.md, the CSV tables, the figures and manifest.json (atomically)."""
    out_dir = Path(out_dir)
    s = a.study
    labels = dict(zip(a.scenarios["scenario"], a.scenarios["label"], strict=True))
    tables = {"scenarios.csv": a.scenarios, "means.csv": a.means,
              "differences.csv": a.differences, "cost_effectiveness.csv": a.effectiveness}
    if a.curves is not None:
        tables["curves.csv"] = a.curves
    written = []
    for name, table in tables.items():
        atomic_write(out_dir / name, lambda p, t=table: t.to_csv(p, index=False))
        written.append(out_dir / name)
    figures = a.curves is not None
    if figures:
        for (column, what), name in zip(CURVES.items(), FIGURES, strict=True):
            adoption_figure(a.curves[a.curves["measure"] == column], a.order, labels,
                            BASELINE, out_dir / name, what)
            written.append(out_dir / name)
        forest_figure(a.differences, a.order, labels, (s.rank_by, *FOREST),
                      out_dir / "forest.png")
        written.append(out_dir / "forest.png")
    text = report_markdown(a, figures)
    atomic_write(out_dir / "report.md", lambda p: p.write_text(text, encoding="utf-8"))
    write_json(out_dir / "manifest.json", manifest(
        kind="what-if study", study=s.name, scenario_file=str(s.path),
        scenario_file_sha256=hashlib.sha256(s.text.encode()).hexdigest(),
        days=s.days, replicates=s.replicates, master_seed=s.seed, seeds=s.seeds(),
        scenarios={sc.name: {"params": sc.params, "changes": sc.changes}
                   for sc in s.scenarios},
        runs_missing=a.missing, generated=now()))
    atomic_write(out_dir / "scenarios.toml", lambda p: p.write_text(s.text, encoding="utf-8"))
    return [*written, out_dir / "report.md", out_dir / "manifest.json"]
