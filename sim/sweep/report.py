"""``report.md`` of a sweep folder: computed reading, heatmaps, curves, tables, failures.

Everything is regenerated from the stored results and the experiment text kept in the
manifest, so ``tis-sim report DIR`` works on a half-finished sweep, after a resume, or on a
copy of the folder on another machine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from sim.errors import UserError
from sim.params import PARAMS
from sim.study import discovery, figures
from sim.study.design import column
from sim.study.experiment import Experiment, parse_experiment
from sim.study.manifest import atomic_write
from sim.study.outputs import axis_label, is_share, param_label, percent_scale
from sim.study.provenance import describe
from sim.study.runner import load_daily, load_failures, load_summaries, read_manifest
from sim.study.survival import with_restricted
from sim.sweep import plots
from sim.sweep.analysis import band, cell_stats, fmt, md_table, select
from sim.sweep.reading import describe_range, label, reading
from sim.sweep.sensitivity import (
    is_sensitivity_dir,
    sensitivity_section,
    write_sensitivity_report,
)

REPORT = "report.md"
FIGURES, TABLES = "figures", "tables"
DEFAULT_OUTPUTS = ("final_users_share", "final_integrated_share", "time_troubleshooting",
                   "unreachable_share", "never_reached_share")
REACH = ("unreachable_share", "never_reached_share")
#: What ``tis-sim sweep/sensitivity/report`` list at the end (name, description).
OUTPUT_ENTRIES = [
    ("report.md", "the report: computed reading, figures, tables (start here)"),
    ("figures", "PNG figures (heatmaps, curves, sensitivity plots)"),
    ("tables", "CSV tables (per-cell n, mean, sd, se, 95% CI; indices)"),
    ("summary.parquet", "one row per finished run (Parquet)"),
    ("parts", "Parquet datasets summary/, daily/, failures/ (one table each)"),
    ("design.csv", "the design points"),
    ("manifest.json", "experiment text, parameters, seeds, tis-sim provenance, versions, times"),
    ("morris", "Morris screening runs (a sweep folder)"),
    ("sobol", "Sobol runs (a sweep folder)"),
]


class ReportError(UserError):
    """The folder cannot be reported on (not a sweep folder, or no finished runs)."""


def clear_report(out_dir: Path) -> None:
    """Remove a previous report (``--fresh``): report.md, figures/, tables/."""
    out_dir = Path(out_dir)
    (out_dir / REPORT).unlink(missing_ok=True)
    for name in (FIGURES, TABLES):
        shutil.rmtree(out_dir / name, ignore_errors=True)


def stored_experiment(out_dir: Path) -> tuple[Experiment, dict]:
    """The experiment as it was run (from the manifest's copy of the file) and manifest."""
    man = read_manifest(out_dir)
    if "experiment_text" not in man:
        raise ReportError(f"{out_dir}: no sweep manifest.json with an experiment here; "
                          "expected the output folder of `tis-sim sweep`")
    return parse_experiment(man["experiment_text"], Path(man["experiment_file"])), man


def _header(exp: Experiment, man: dict, df: pd.DataFrame, failures: pd.DataFrame) -> list[str]:
    swept = ", ".join(f"`{d.name}`" for d in exp.dims) or "nothing (replicates only)"
    return [
        f"# Sweep report: {exp.name}", "",
        exp.description, "",
        f"- experiment file: `{exp.path}` (its text at run time is in `manifest.json`)",
        f"- design: {exp.sampler} over {swept}; {exp.replicates} replicates per point; "
        f"{exp.days} school days; preset `{exp.preset}`; fixed: "
        + (", ".join(f"`{k} = {v}`" for k, v in exp.fixed.items()) or "none"),
        f"- runs: {len(df)} finished of {man.get('runs', '?')}, {len(failures)} failed; "
        f"status: {man.get('status', '?')}",
        f"- master seed {exp.seed}; replicate r of every point runs on the same seed "
        "(common random numbers), so cells are compared replicate by replicate",
        f"- made by {describe(man.get('tis_sim') or {})}; started {man.get('started')}, "
        f"finished {man.get('finished')}",
        "- intervals are 95% t-intervals over replicates; `tables/cells.csv` has n, mean, "
        "sd, se and CI of every output in every cell", "",
    ]


def _heatmaps(out_dir: Path, exp: Experiment, stats: pd.DataFrame, outputs: list[str],
              x: str, y: str, figure_format: str) -> list[str]:
    lines = ["## Heatmaps", "",
             "Shares are drawn in % on one 0-100% colour scale, so every share heatmap can be "
             "compared by colour; other outputs use their own range.", ""]
    others = [d.name for d in exp.dims if d.name not in (x, y)]
    if others:
        lines += [f"Each cell averages over {', '.join(others)}.", ""]
    xs, ys = column(x), column(y)
    for out in outputs:
        s = stats[stats["output"] == out]
        scale, name = percent_scale(out), axis_label(out)
        paths = {}
        for what in ("mean", "sd"):
            table = s.groupby([ys, xs])[what].mean().unstack(xs)
            shared = what == "mean" and is_share(out)
            paths[what] = plots.heatmap(
                table, out_dir / FIGURES / f"heatmap_{out}{'' if what == 'mean' else '_sd'}",
                title=f"{label(out)}: replicate {what}", xlabel=param_label(x),
                ylabel=param_label(y), limits=(0.0, 100.0) if shared else None,
                colorbar=name if what == "mean" else f"sd of {name}".replace("(%)", "(% pts)"),
                scale=scale, digits=0 if scale == 100 else 2, fmt=figure_format,
                cmap=figures.SEQUENTIAL if what == "mean" else "cividis")
        lines += [f"### {label(out)} (`{out}`)", "",
                  figures.embed(f"{FIGURES}/{paths['mean'].name}", out), "",
                  f"Replicate spread: [sd heatmap]({FIGURES}/{paths['sd'].name}).", ""]
    return lines


def _curve_cells(exp: Experiment, stats: pd.DataFrame) -> list[dict]:
    if exp.report["curve_cells"]:
        return [{column(k): v for k, v in c.items()} for c in exp.report["curve_cells"]]
    cols = [column(d.name) for d in exp.dims][:2]
    corners = stats[cols].drop_duplicates()
    extremes = [sorted(corners[c].unique()) for c in cols]
    cells = [{}]
    for c, values in zip(cols, extremes, strict=True):
        picks = sorted({values[0], values[len(values) // 2], values[-1]}) if len(cols) == 1 \
            else [values[0], values[-1]]
        cells = [{**cell, c: v} for cell in cells for v in picks]
    return cells


def _curves(out_dir: Path, exp: Experiment, daily: pd.DataFrame,
            stats: pd.DataFrame, figure_format: str) -> list[str]:
    measure = exp.report["curve_measure"]
    if daily.empty or measure not in daily:
        return []
    bands = []
    for cell in _curve_cells(exp, stats):
        rows = select(daily, cell)
        if len(rows):
            name = ", ".join(f"{k.removeprefix('param_')}={fmt(v)}" for k, v in cell.items())
            bands.append((f"{name} (n={rows['run_id'].nunique()})", band(rows, measure)))
    if not bands:
        return []
    share = "share" in measure
    path = plots.curves(bands, out_dir / FIGURES / f"curves_{measure}",
                        title=f"{measure}: mean over replicates, 95% CI band",
                        ylabel=f"{measure} (% of staff)" if share else measure,
                        scale=100.0 if share else 1.0, fmt=figure_format)
    return ["## Adoption curves", "",
            f"Daily `{measure}` (mean over live innovations of the share of staff using "
            "them), mean over replicates with its 95% interval, for selected cells.", "",
            figures.embed(f"{FIGURES}/{path.name}", "curves"), ""]


def _lines(out_dir: Path, exp: Experiment, stats: pd.DataFrame, outputs: list[str],
           x: str, figure_format: str) -> list[str]:
    group = next((d.name for d in exp.dims if d.name != x), None)
    wanted = [o for o in REACH if o in outputs] if group else outputs
    if not wanted:
        return []
    s = stats
    if group:  # at most four lines: the lowest, two middle and the highest value
        values = sorted(s[column(group)].unique())
        keep = sorted({values[round(i * (len(values) - 1) / 3)] for i in range(4)})
        s = select_in(s, column(group), keep)
    cols = [c for c in (column(group) if group else None,) if c]
    panels = [(axis_label(o), s[s["output"] == o].groupby([column(x), *cols], as_index=False)
               [["mean", "ci_low", "ci_high"]].mean(), percent_scale(o)) for o in wanted]
    name = f"{'reach' if group else 'outputs'}_vs_{x}"
    path = plots.lines(panels, column(x), cols[0] if cols else None, out_dir / FIGURES / name,
                       xlabel=param_label(x),
                       group_label=param_label(group) if group else "",
                       fmt=figure_format)
    title = "Teachers out of reach" if group else "Outputs"
    return [f"## {title} against {x}", "",
            "Mean over replicates with 95% CI band"
            + (f", one line per {group} value." if group else "."), "",
            figures.embed(f"{FIGURES}/{path.name}", name), ""]


def select_in(df: pd.DataFrame, col: str, values: list) -> pd.DataFrame:
    """Rows whose ``col`` is one of ``values``."""
    return df[df[col].isin(values)]


def _summary_table(stats: pd.DataFrame, exp: Experiment, outputs: list[str],
                   limit: int = 80) -> list[str]:
    cols = [column(d.name) for d in exp.dims]
    wide = stats[stats["output"].isin(outputs[:3])].copy()
    wide["value"] = [
        f"{m:.3f} [{lo:.3f}, {hi:.3f}] n={n}" + (f", {c} censored" if c else "")
        + (f", {mi} missing" if mi else "")
        for m, lo, hi, n, c, mi in zip(wide["mean"], wide["ci_low"], wide["ci_high"],
                                       wide["n"], wide["censored"], wide["missing"],
                                       strict=True)]
    table = wide.pivot_table(index=cols or None, columns="output", values="value",
                             aggfunc="first").reset_index() if cols else \
        wide.set_index("output")[["value"]].T
    table.columns = [str(c).removeprefix("param_") for c in table.columns]
    lines = ["## Summary table", "",
             f"Mean [95% CI] and runs used (n) per cell for the first outputs (times to a "
             f"threshold: restricted mean to the horizon, censored runs counted there); all "
             f"outputs in `{TABLES}/cells.csv`.", ""]
    if len(table) > limit:
        lines += [f"(first {limit} of {len(table)} rows)", ""]
    return [*lines, md_table(table.head(limit)), ""]


def _discovery(out_dir: Path, exp: Experiment, df: pd.DataFrame, condition: str,
               figure_format: str) -> list[str]:
    """Scenario discovery (PRIM) over the swept parameters for ``OUTPUT<THRESHOLD``."""
    output, op, threshold = discovery.parse_condition(condition)
    if output not in df:
        valid = [c for c in df if pd.api.types.is_numeric_dtype(df[c]) and c not in
                 ("seed", "point", "replicate") and not c.startswith(("param_", "censored_"))]
        raise ReportError(f"--discover {condition!r}: {output!r} is not an output of these "
                          f"runs; outputs are: {', '.join(valid)}")
    x = df[[column(d.name) for d in exp.dims]].rename(columns=lambda c: c.removeprefix(
        "param_"))
    found = discovery.discover(x, discovery.holds(df[output].to_numpy(float), op, threshold))
    table = pd.concat([b.limits.assign(box=i, coverage=b.coverage, density=b.density)
                       for i, b in enumerate(found.boxes, start=1)]) if found.boxes else \
        pd.DataFrame(columns=["parameter", "low", "high", "values", "box"])
    atomic_write(out_dir / TABLES / "discovery.csv", lambda p: table.to_csv(p, index=False))
    path = discovery.box_figure(found, out_dir / FIGURES / "discovery", figure_format,
                                f"Where {output} {op} {threshold:g}")
    return ["## Scenario discovery (PRIM)", "",
            f"Regions of the swept parameters where `{output} {op} {threshold:g}` (runs; "
            "times to a threshold restricted to the horizon). Boxes in "
            f"`{TABLES}/discovery.csv`.", "",
            *discovery.markdown(found, f"{output} {op} {threshold:g}"), "",
            *([figures.embed(f"{FIGURES}/{path.name}", "discovery"), ""] if path else [])]


def write_report(out_dir: Path, figure_format: str = "png",
                 discover: str | None = None) -> tuple[Path, list[str]]:
    """Write ``report.md`` (and figures/, tables/) for a sweep or sensitivity folder.

    Args:
        out_dir: the sweep's output folder.
        figure_format: png, svg or pdf.
        discover: ``OUTPUT<THRESHOLD`` (or >, <=, >=): add a scenario-discovery section.

    Returns:
        The report's path and its warnings (sensitivity self-checks).
    """
    out_dir = Path(out_dir)
    figures.check_format(figure_format)
    if discover is not None:
        discovery.parse_condition(discover)  # a malformed condition fails before any work
    if is_sensitivity_dir(out_dir):
        if discover is not None:
            raise ReportError(f"{out_dir}: --discover works on a sweep folder; for a "
                              f"sensitivity analysis give one design's folder, e.g. "
                              f"{out_dir / 'sobol'}")
        return write_sensitivity_report(out_dir, figure_format)
    exp, man = stored_experiment(out_dir)
    df, failures = load_summaries(out_dir), load_failures(out_dir)
    if df.empty:
        raise ReportError(f"{out_dir}: no finished runs yet; nothing to report")
    outputs = [o for o in (exp.report["outputs"] or DEFAULT_OUTPUTS) if o in df]
    df = with_restricted(df)
    by = [column(d.name) for d in exp.dims]
    stats = cell_stats(df, by, outputs)
    atomic_write(out_dir / TABLES / "cells.csv", lambda p: stats.to_csv(p, index=False))
    lines = _header(exp, man, df, failures)
    sentences = reading(df, exp, outputs) + describe_range(stats, outputs[:3],
                                                           dict.fromkeys(by, ""))
    lines += ["## Reading (computed from the numbers above)", "",
              *(f"- {s}" for s in sentences), ""]
    x = exp.report["x"]
    warnings: list[str] = []
    if exp.sampler == "grid" and len(exp.dims) >= 2:
        y = next(d.name for d in exp.dims if d.name != x)
        lines += _heatmaps(out_dir, exp, stats, outputs, x, y, figure_format)
    if exp.sampler == "grid" and exp.dims:
        lines += _curves(out_dir, exp, load_daily(out_dir), stats, figure_format)
        lines += _lines(out_dir, exp, stats, outputs, x, figure_format)
    if exp.sampler in ("morris", "sobol"):
        section, warnings = sensitivity_section(out_dir, exp, outputs,
                                                figure_format=figure_format)
        lines += section
    if discover is not None:
        lines += _discovery(out_dir, exp, df, discover, figure_format)
    lines += _summary_table(stats, exp, outputs)
    if len(failures):
        atomic_write(out_dir / TABLES / "failures.csv",
                     lambda p: failures.to_csv(p, index=False))
        lines += ["## Failed runs", "", f"{len(failures)} runs raised; each is listed with "
                  f"its seed in `{TABLES}/failures.csv` (first ones below).", "",
                  md_table(failures[["run_id", "seed", "error"]].head(10)), ""]
    lines += ["## Parameter labels", "",
              *(f"- `{d.name}`: {PARAMS[d.name].label} ({PARAMS[d.name].unit}) - "
                f"{PARAMS[d.name].help}" for d in exp.dims), ""]
    path = out_dir / REPORT
    atomic_write(path, lambda p: p.write_text("\n".join(lines)))
    return path, warnings
