"""Global sensitivity analysis with SALib: Morris screening and Sobol indices.

``tis-sim sensitivity FILE`` runs one sweep per method of the file's ``[sensitivity]``
table (``<out>/morris``, ``<out>/sobol``; each resumable like any sweep) and analyses the
replicate-averaged outputs with SALib's own analyzers, seeded from the master seed.

Inputs are sampled in the unit cube and mapped to parameter values by each swept
dimension (see :mod:`sim.study.design`), so the analyzers see the unit-cube matrix their
samplers made: Morris mu* is in output units per full swing of a parameter's range (times
the Morris step), comparable across parameters whatever their units.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.files import read_json
from sim.params import PARAMS
from sim.study import figures
from sim.study.backends import DEFAULT_WORKER_TIMEOUT
from sim.study.bounds import Work
from sim.study.design import (
    as_method,
    check_outputs,
    design_seed,
    problem,
    unit_sample,
    work,
)
from sim.study.experiment import Experiment, ExperimentFileError, parse_experiment
from sim.study.manifest import atomic_write, write_json
from sim.study.runner import ExecuteReport, load_summaries
from sim.study.survival import CENSORED, with_restricted
from sim.sweep import plots
from sim.sweep.analysis import fmt, md_table
from sim.sweep.reading import label
from sim.sweep.run import check_experiment, run_experiment

MARKER = "sensitivity.json"
#: Sobol base samples below which the report warns that the indices are rough.
MIN_SOBOL_N = 512
DEFAULT_OUTPUTS = ("final_users_share", "final_integrated_share", "time_troubleshooting",
                   "never_reached_share")
CONF = 0.95


class SensitivityError(UserError):
    """The design is incomplete or the output cannot be analysed."""


def is_sensitivity_dir(out_dir: Path) -> bool:
    """True for the output folder of ``tis-sim sensitivity``."""
    return (Path(out_dir) / MARKER).is_file()


def outputs_of(exp: Experiment) -> list[str]:
    """The outputs to analyse ([sensitivity] outputs, else the defaults)."""
    return list(exp.sensitivity.get("outputs") or DEFAULT_OUTPUTS)


def _check_table(exp: Experiment) -> None:
    if not exp.sensitivity:
        raise ExperimentFileError(f"{exp.path}: [sensitivity] table missing; `tis-sim "
                                  "sensitivity` needs one (methods, outputs, sizes)")
    check_outputs(exp, "sensitivity.outputs", tuple(outputs_of(exp)))


def check_sensitivity(exp: Experiment) -> Work:
    """Every check short of running each method's design; their total size.

    Raises:
        ExperimentFileError: no [sensitivity] table, unknown outputs, impossible points.
        WorkLimitError: a design over the hard limits.
    """
    _check_table(exp)
    total = Work(0, 0.0, 0.0)
    for method in exp.sensitivity["methods"]:
        total = total + work(as_method(exp, method))
        check_experiment(as_method(exp, method))
    return total


def run_sensitivity(exp: Experiment, out_dir: Path, *, backend: str = "local",
                    scheduler: str | None = None, workers: int | None = None,
                    fresh: bool = False, progress: bool = True,
                    worker_timeout: float = DEFAULT_WORKER_TIMEOUT,
                    figure_format: str = "png") -> tuple[dict[str, ExecuteReport], list[str]]:
    """Run every method's design, then write the sensitivity report.

    Returns:
        The runner's report per method, and the report's self-check warnings.
    """
    _check_table(exp)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / MARKER, {"experiment_file": str(exp.path),
                                  "experiment_text": exp.text,
                                  "methods": list(exp.sensitivity["methods"])})
    reports = {}
    for method in exp.sensitivity["methods"]:
        reports[method] = run_experiment(as_method(exp, method), out_dir / method,
                                         backend=backend, scheduler=scheduler,
                                         workers=workers, fresh=fresh, progress=progress,
                                         worker_timeout=worker_timeout)
    _, warnings = write_sensitivity_report(out_dir, figure_format)
    return reports, warnings


def point_means(results_dir: Path, exp: Experiment, output: str) -> tuple[np.ndarray, float,
                                                                          int]:
    """Replicate means of ``output`` per design point (in design order), noise, censored.

    A time to a threshold is restricted to the horizon first (runs that never reach it
    count at the horizon; :mod:`sim.study.survival`), so SALib never sees a NaN; any other
    output with a missing (NaN) value is refused rather than averaged over fewer runs.

    Returns:
        ``(y, noise, censored)``: y has one finite value per design point; noise is the
        part of the variance of the point means that replicate noise explains (mean
        within-point variance / replicates, over the variance of the means); censored
        counts the runs restricted at the horizon.

    Raises:
        SensitivityError: a point without a finished run, or NaN values of ``output``.
    """
    n_points = len(unit_sample(exp))
    df = with_restricted(load_summaries(results_dir), [output])
    censored = int(df[CENSORED + output].sum()) if CENSORED + output in df else 0
    nan = int(df[output].isna().sum())
    if nan:
        raise SensitivityError(
            f"{results_dir}: {nan} of {len(df)} runs have no value (NaN) of {output!r}; "
            "averaging the others would bias the indices, so this output is not analysed")
    grouped = df.groupby("point")[output]
    y = grouped.mean().reindex(range(n_points)).to_numpy(dtype=float)
    missing = int(np.isnan(y).sum())
    if missing:
        raise SensitivityError(
            f"{results_dir}: {missing} of {n_points} design points have no finished run with "
            f"a value of {output!r}; {exp.sampler} needs every point (re-run the same command"
            " to resume; see the failures in the report)")
    if grouped.count().min() < 2:  # one replicate: the noise cannot be estimated
        return y, float("nan"), censored
    noise = float((grouped.var(ddof=1) / grouped.count()).mean())
    total = float(np.var(y, ddof=1))
    return y, (noise / total if total > 0 else float("nan")), censored


def analyze(results_dir: Path, exp: Experiment, output: str) -> tuple[pd.DataFrame, float]:
    """SALib indices of one output, ranked (most influential first), and the noise share."""
    from SALib.analyze import morris, sobol

    y, noise, _ = point_means(results_dir, exp, output)
    prob, seed = problem(exp), design_seed(exp)
    boot = exp.sensitivity.get("bootstrap", 1000)
    if np.ptp(y) == 0:
        raise SensitivityError(f"{output!r} is constant over the design; nothing to apportion")
    if exp.sampler == "morris":
        res = morris.analyze(prob, unit_sample(exp), y, num_resamples=boot, conf_level=CONF,
                             num_levels=exp.levels, seed=seed)
        table = pd.DataFrame({"parameter": prob["names"], "mu_star": res["mu_star"],
                              "mu_star_conf": res["mu_star_conf"], "mu": res["mu"],
                              "sigma": res["sigma"]}).sort_values("mu_star", ascending=False)
    elif exp.sampler == "sobol":
        res = sobol.analyze(prob, y, calc_second_order=exp.second_order, num_resamples=boot,
                            conf_level=CONF, seed=seed)
        table = pd.DataFrame({"parameter": prob["names"], "ST": res["ST"],
                              "ST_conf": res["ST_conf"], "S1": res["S1"],
                              "S1_conf": res["S1_conf"]}).sort_values("ST", ascending=False)
    else:
        raise SensitivityError(f"sampler {exp.sampler!r} has no sensitivity indices; use "
                               "morris or sobol")
    return table.reset_index(drop=True), noise


def checks(exp: Experiment, output: str, table: pd.DataFrame, noise: float) -> list[str]:
    """Self-checks of one output's indices: every reason not to trust them at face value.

    - Sobol with N < :data:`MIN_SOBOL_N` base samples (the intervals are then wide;
      Saltelli et al. 2010 work with N in the thousands);
    - an index whose interval half-width exceeds the index itself (not distinguishable
      from 0 or from twice its value);
    - a total index above 1 or any negative index: impossible for variance shares, so
      estimation error, not a property of the model;
    - replicate noise above 10% of the variance of the point means.
    """
    where = f"{exp.sampler} {output}"
    out = []
    pairs = [("mu_star", "mu_star_conf")] if exp.sampler == "morris" else \
        [("S1", "S1_conf"), ("ST", "ST_conf")]
    if exp.sampler == "sobol" and exp.samples < MIN_SOBOL_N:
        out.append(f"{where}: Sobol N = {exp.samples} base samples (< {MIN_SOBOL_N}): the "
                   "indices are rough; raise sobol_samples")
    for key, conf in pairs:
        wide = table[table[conf] > table[key].abs()]
        if len(wide):
            out.append(f"{where}: the 95% interval is wider than the index for {key} of "
                       + ", ".join(f"{r.parameter} ({r[key]:.2f} ± {r[conf]:.2f})"
                                   for _, r in wide.iterrows()))
    if exp.sampler == "sobol":
        above = table[table["ST"] > 1]
        if len(above):
            out.append(f"{where}: total index above 1 (estimation error) for "
                       + ", ".join(f"{r.parameter} ({r.ST:.2f})" for r in above.itertuples()))
        for key in ("S1", "ST"):
            below = table[table[key] < 0]
            if len(below):
                out.append(f"{where}: negative {key} (estimation error) for "
                           + ", ".join(f"{r.parameter} ({r[key]:.2f})"
                                       for _, r in below.iterrows()))
    if np.isfinite(noise) and noise > 0.1:
        out.append(f"{where}: replicate noise is {noise:.0%} of the variance of the point "
                   "means; add replicates before trusting small indices")
    return out


def _sentence(method: str, output: str, table: pd.DataFrame, noise: float,
              trusted: bool) -> str:
    key = "mu_star" if method == "morris" else "ST"
    top = ", ".join(f"`{r.parameter}` ({getattr(r, key):.3f})"
                    for r in table.head(3).itertuples())
    text = f"Most influential for the {label(output)} ({key}): {top}."
    if method == "sobol":
        s1 = float(table["S1"].clip(lower=0).sum())
        if trusted and s1 <= 1:
            text += (f" First-order indices sum to {s1:.2f}: about {1 - s1:.0%} of the "
                     "variance comes from interactions.")
        else:
            text += (f" First-order indices sum to {s1:.2f}; at this sample size the "
                     "estimates are too rough (see the checks) to say how much comes from "
                     "interactions: trust the ranking more than the values.")
    if np.isfinite(noise):
        text += f" Replicate noise is {noise:.0%} of the variance of the replicate means."
    return text


def sensitivity_section(results_dir: Path, exp: Experiment, outputs: list[str],
                        report_dir: Path | None = None,
                        figure_format: str = "png") -> tuple[list[str], list[str]]:
    """Markdown for one method, and its self-check warnings.

    Per output: the self-checks, a computed sentence, the ranked table and a plot. Tables
    go to ``report_dir/tables`` and plots to ``report_dir/figures`` (default: the results
    folder itself).
    """
    report_dir = Path(report_dir or results_dir)
    method = exp.sampler
    runs = len(load_summaries(results_dir))
    n_points = len(unit_sample(exp))
    title = "Morris screening" if method == "morris" else "Sobol indices"
    how = (f"{exp.samples} trajectories x (D+1) = {n_points} points, {exp.levels} levels"
           if method == "morris" else
           f"N = {exp.samples} base samples x (D+2) = {n_points} points"
           + (", with second order" if exp.second_order else ""))
    lines = [f"## {title}", "", f"{how}; {exp.replicates} replicates per point "
             f"({runs} runs); outputs averaged over replicates; 95% intervals by bootstrap "
             f"({exp.sensitivity.get('bootstrap', 1000)} resamples).", ""]
    warnings: list[str] = []
    for out in outputs:
        try:
            table, noise = analyze(results_dir, exp, out)
            censored = point_means(results_dir, exp, out)[2]
        except SensitivityError as exc:
            lines += [f"### {label(out)} (`{out}`)", "", f"Not analysed: {exc}", ""]
            continue
        name = f"{method}_{out}"
        atomic_write(report_dir / "tables" / f"{name}.csv",
                     lambda p, t=table: t.to_csv(p, index=False))
        draw = plots.morris_plot if method == "morris" else plots.sobol_plot
        path = draw(table, report_dir / "figures" / name, title=f"{title}: {label(out)}",
                    fmt=figure_format)
        found = checks(exp, out, table, noise)
        warnings += found
        shown = table.assign(label=[PARAMS[p].label if p in PARAMS else p
                                    for p in table["parameter"]])
        lines += [f"### {label(out)} (`{out}`)", ""]
        if censored:
            lines += [f"Restricted mean to the horizon: {censored} of {runs} runs never "
                      "reached the threshold and count at the horizon (censored).", ""]
        if found:
            lines += ["**Self-checks:**", "", *(f"- ⚠ {w}" for w in found), ""]
        lines += [_sentence(method, out, table, noise, trusted=not found), "",
                  md_table(shown[["parameter", "label", *table.columns[1:]]]), "",
                  figures.embed(f"figures/{path.name}", name), ""]
    return lines, warnings


def write_sensitivity_report(out_dir: Path,
                             figure_format: str = "png") -> tuple[Path, list[str]]:
    """``report.md`` of a ``tis-sim sensitivity`` folder, and its self-check warnings."""
    out_dir = Path(out_dir)
    marker = read_json(out_dir / MARKER, "sensitivity marker")
    exp = parse_experiment(marker["experiment_text"], Path(marker["experiment_file"]))
    outputs = outputs_of(exp)
    warnings: list[str] = []
    rows = "\n".join(
        f"| `{d.name}` | {d.spec.label} ({d.spec.unit or 'no unit'}) | "
        + (f"{fmt(d.low)} to {fmt(d.high)} ({d.distribution})" if d.values is None
           else ", ".join(map(fmt, d.values))) + " |" for d in exp.dims)
    lines = [f"# Sensitivity analysis: {exp.name}", "", exp.description, "",
             f"Experiment file `{exp.path}`; preset `{exp.preset}`; fixed "
             + (", ".join(f"`{k} = {v}`" for k, v in exp.fixed.items()) or "none")
             + f"; {exp.days} school days; master seed {exp.seed}.", "",
             "| parameter | label (unit) | range |", "|---|---|---|", rows, "",
             "To scale up, raise `morris_trajectories` and `sobol_samples` (a power of two) "
             "and `replicates` in the [sensitivity]/[experiment] tables: runs grow in "
             "proportion (Morris r(D+1), Sobol N(D+2) points, times replicates); run it on "
             "a Dask cluster with `--scheduler tcp://HOST:8786`.", ""]
    head = len(lines)
    for method in marker["methods"]:
        results = out_dir / method
        if not results.is_dir() or load_summaries(results).empty:
            lines += [f"## {method}", "", "No finished runs yet.", ""]
            continue
        section, found = sensitivity_section(results, as_method(exp, method), outputs,
                                             out_dir, figure_format)
        lines += section
        warnings += found
    checked = ["## Self-checks", "", *(f"- ⚠ {w}" for w in warnings)] if warnings else \
        ["## Self-checks", "", "All passed: no Sobol design below N = 512, every interval "
         "narrower than its index, no total index above 1 and no negative index, replicate "
         "noise at most 10% of the variance."]
    lines[head:head] = [*checked, ""]
    path = out_dir / "report.md"
    atomic_write(path, lambda p: p.write_text("\n".join(lines)))
    return path, warnings
