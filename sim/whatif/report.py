"""Write a what-if study's report, tables and figures from its analysis.

Everything in the report, including the plain-language summary, is generated from the
numbers in the tables next to it; nothing is asserted by hand. The report leads with the
robust answer (P(best), expected regret, CEAC), then the ranked summary, where the answer
flips, parameter uncertainty, differences, times to thresholds, costs, figures, method.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.study import figures as fig
from sim.study.discovery import box_figure
from sim.study.manifest import atomic_write, manifest, now, write_json
from sim.whatif import sections
from sim.whatif.analysis import Analysis, analyse, scenario_table
from sim.whatif.plots import adoption_figure, ceac_figure, forest_figure, plane_figure
from sim.whatif.scenarios import BASELINE
from sim.whatif.stats import CURVES, EFFECT_NAMES, LEVEL, MEASURES
from sim.whatif.text import summary_lines

__all__ = ["OUTPUT_FILES", "Analysis", "analyse", "clear_outputs", "report_markdown",
           "scenario_table", "write_report"]

#: Outcomes drawn in the forest plot (besides the ranking outcome, first).
FOREST = ("final_users_share", "independent_user_share", "never_reached_share",
          "time_troubleshooting", "days_to_50")
#: Curve figures (without suffix), in the order of ``stats.CURVES``.
FIGURES = ("adoption", "integrated")
OTHER_FIGURES = ("forest", "plane", "ceac", "discovery")
TABLES = ("scenarios.csv", "means.csv", "differences.csv", "cost_effectiveness.csv",
          "frontier.csv", "decision.csv", "ceac.csv", "survival.csv", "curves.csv",
          "worlds.csv", "discovery.csv")
#: Every file the report writes (``--fresh`` removes them before running again).
OUTPUT_FILES = ("report.md", *TABLES, "manifest.json", "scenarios.toml",
                *(f"{n}.{x}" for n in (*FIGURES, *OTHER_FIGURES) for x in fig.FORMATS))


def clear_outputs(out_dir: Path) -> None:
    """Remove an earlier report, so an interrupted fresh start never leaves a stale one."""
    for name in OUTPUT_FILES:
        (Path(out_dir) / name).unlink(missing_ok=True)


def _header(a: Analysis) -> list[str]:
    s = a.study
    years = s.days / DAYS_PER_YEAR
    worlds = (f" in each of {s.n_worlds} parameter worlds ({s.n_worlds * s.replicates} runs "
              "per scenario)" if s.n_worlds > 1 else "")
    lines = [f"# What-if study: {s.title or s.name}", "",
             *([s.description.strip(), ""] if s.description else []),
             f"{len(s.scenarios) - 1} scenarios against the baseline, {s.replicates} "
             f"replicates each{worlds}; horizon run: **{s.days} school days** "
             f"({years:.3g} years); master seed {s.seed}; every scenario runs replicate r on "
             f"the same seed (common random numbers). Scenario file: `{s.path}`. "
             f"Generated {now()}.", ""]
    for name, reason in s.skipped:
        lines += [f"**Skipped:** scenario `{name}` {reason}; run a longer horizon to "
                  "include it.", ""]
    if a.missing:
        lines += [f"**Incomplete:** {len(a.missing)} of {len(s.specs())} runs have no result "
                  "(failed or not yet run); the statistics use the replicates present in "
                  "both arms of each comparison (n in each table).", ""]
    return lines


def _method(a: Analysis) -> list[str]:
    s = a.study
    gain = a.differences.loc[a.differences["outcome"] == s.rank_by, "pairing_gain"]
    n_arms = len(s.scenarios) - 1
    setup = ", ".join(a.scenarios.loc[a.scenarios["setup_changed"], "label"]) or "none"
    lines = [
        "## Method and caveats", "",
        "- Paired comparisons: replicate r of every scenario uses the same seed, so the same "
        "network, teachers and chance events (`differences.csv` also gives the unpaired "
        "Welch SE).",
        f"- Pairing gain for '{MEASURES[s.rank_by].label}' (unpaired SE / paired SE): median "
        f"{np.nanmedian(gain) if gain.notna().any() else float('nan'):.1f}×.",
        f"- Scenarios that change the district at setup ({setup}) build a different staff "
        "network for the same seed, so their pairing is weaker.",
        "- Shares of staff are averaged over innovations; teacher counts are those shares "
        "times the district's teachers.",
        "- Times to a threshold: runs that never reach it within the horizon are censored "
        "there, never dropped (Kaplan-Meier, restricted mean; scipy.stats.ecdf).",
        f"- Intervals are per comparison, not adjusted for the {n_arms} scenarios × "
        f"{len(MEASURES)} outcomes: about 1 in 20 intervals misses its true difference."]
    if s.n_worlds > 1:
        lines.append("- With worlds, the expected difference's interval (`ci_low`/`ci_high` "
                     "in differences.csv) is a t-interval over the world means; verdicts "
                     "use the wider uncertainty interval (`ui_low`/`ui_high`).")
    else:
        lines.append("- All parameters are taken as known: add an [uncertainty] table to "
                     "see how the answer depends on the assumed ones.")
    return [*lines, ""]


def report_markdown(a: Analysis, figures: bool = True, figure_format: str = "png") -> str:
    """The report as Markdown (``figures``: embed the figures written next to it)."""

    def show(name: str, alt: str) -> str | None:
        return fig.embed(f"{name}.{figure_format}", alt) if figures else None

    found = a.discovery is not None and a.discovery.boxes
    lines = [*_header(a),
             *sections.robust(a, show("ceac", "Cost-effectiveness acceptability curves")),
             "## Summary", "", *summary_lines(a), "", *sections.uncertainty(a),
             *sections.discovery(a, show("discovery", "PRIM boxes") if found else None),
             *sections.differences(a), *sections.survival(a),
             *sections.costs(a, show("plane", "Cost-effectiveness plane"))]
    if figures and a.curves is not None:
        lines += ["## Figures", "", show("adoption", "Users by scenario"), "",
                  show("integrated", "INTEGRATED teachers by scenario"), "",
                  show("forest", "Forest plot"), ""]
    lines += [*_method(a), "## Files", "",
              ", ".join(f"`{t}`" for t in TABLES) + ", the figures, `manifest.json`, and "
              "`runs/` (every run's summary and daily rows, Parquet).", ""]
    return "\n".join(lines)


def _figures(a: Analysis, out_dir: Path, figure_format: str) -> list[Path]:
    s = a.study
    labels = dict(zip(a.scenarios["scenario"], a.scenarios["label"], strict=True))
    written = []
    if a.curves is not None:
        for (column, what), name in zip(CURVES.items(), FIGURES, strict=True):
            written.append(adoption_figure(a.curves[a.curves["measure"] == column], a.order,
                                           labels, BASELINE, out_dir / name, what,
                                           figure_format))
        written.append(forest_figure(a.differences, a.order, labels, (s.rank_by, *FOREST),
                                     out_dir / "forest", figure_format))
    name = EFFECT_NAMES[s.effect][1]
    written.append(plane_figure(a.plane, a.frontier, labels, s.willingness_to_pay, s.currency,
                                name, out_dir / "plane", figure_format))
    order = list(a.decision.sort_values("p_best", ascending=False)["scenario"])
    written.append(ceac_figure(a.ceac, order, labels, s.willingness_to_pay, s.currency,
                               EFFECT_NAMES[s.effect][0], out_dir / "ceac", figure_format))
    if a.discovery is not None and a.flip_pair:
        top, second = (labels[n] for n in a.flip_pair)
        path = box_figure(a.discovery, out_dir / "discovery", figure_format,
                          f"Worlds where {second} beats {top}")
        written += [path] if path else []
    return written


def write_report(a: Analysis, out_dir: Path, figure_format: str = "png") -> list[Path]:
    """Write report.md, the CSV tables, the figures and manifest.json (atomically)."""
    out_dir = Path(out_dir)
    fig.check_format(figure_format)
    s = a.study
    tables = {"scenarios.csv": a.scenarios, "means.csv": a.means,
              "differences.csv": a.differences, "cost_effectiveness.csv": a.effectiveness,
              "frontier.csv": a.frontier, "decision.csv": a.decision, "ceac.csv": a.ceac,
              "survival.csv": a.survival, "curves.csv": a.curves, "worlds.csv": a.worlds}
    if a.discovery is not None:
        tables["discovery.csv"] = pd.concat(
            [b.limits.assign(box=i, coverage=b.coverage, density=b.density)
             for i, b in enumerate(a.discovery.boxes, start=1)]) if a.discovery.boxes else None
    written = []
    for name, table in tables.items():
        if table is not None and len(table.columns):
            atomic_write(out_dir / name, lambda p, t=table: t.to_csv(p, index=False))
            written.append(out_dir / name)
    written += _figures(a, out_dir, figure_format)
    text = report_markdown(a, True, figure_format)
    atomic_write(out_dir / "report.md", lambda p: p.write_text(text, encoding="utf-8"))
    write_json(out_dir / "manifest.json", manifest(
        kind="what-if study", study=s.name, scenario_file=str(s.path),
        scenario_file_sha256=hashlib.sha256(s.text.encode()).hexdigest(),
        days=s.days, replicates=s.replicates, master_seed=s.seed,
        seeds=s.seeds() if s.n_worlds == 1 else {k: s.seeds(k) for k in range(s.n_worlds)},
        worlds=list(s.uncertainty.draws) if s.uncertainty else [],
        skipped=[{"scenario": n, "reason": r} for n, r in s.skipped],
        scenarios={sc.name: {"params": sc.params, "changes": sc.changes}
                   for sc in s.scenarios},
        interval_level=LEVEL, runs_missing=a.missing, generated=now()))
    atomic_write(out_dir / "scenarios.toml", lambda p: p.write_text(s.text, encoding="utf-8"))
    return [*written, out_dir / "report.md", out_dir / "manifest.json"]
