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
from sim.sweep import plots
from sim.sweep.analysis import fmt, md_table
from sim.sweep.reading import label
from sim.sweep.run import check_experiment, run_experiment

MARKER = "sensitivity.json"
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
                    worker_timeout: float = DEFAULT_WORKER_TIMEOUT) -> dict[str, ExecuteReport]:
    """Run every method's design, then write the sensitivity report."""
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
    write_sensitivity_report(out_dir)
    return reports


def point_means(results_dir: Path, exp: Experiment, output: str) -> tuple[np.ndarray, float]:
    """Replicate means of ``output`` per design point (in design order), and noise share.

    The noise share is the part of the variance of the point means that replicate noise
    explains: mean within-point variance / replicates, over the variance of the means.
    """
    n_points = len(unit_sample(exp))
    df = load_summaries(results_dir)
    grouped = df.groupby("point")[output]
    y = grouped.mean().reindex(range(n_points)).to_numpy(dtype=float)
    missing = int(np.isnan(y).sum())
    if missing:
        raise SensitivityError(
            f"{results_dir}: {missing} of {n_points} design points have no finished run with "
            f"a value of {output!r}; {exp.sampler} needs every point (re-run the same command"
            " to resume; see the failures in the report)")
    if grouped.count().min() < 2:  # one replicate: the noise cannot be estimated
        return y, float("nan")
    noise = float((grouped.var(ddof=1) / grouped.count()).mean())
    total = float(np.var(y, ddof=1))
    return y, (noise / total if total > 0 else float("nan"))


def analyze(results_dir: Path, exp: Experiment, output: str) -> tuple[pd.DataFrame, float]:
    """SALib indices of one output, ranked (most influential first), and the noise share."""
    from SALib.analyze import morris, sobol

    y, noise = point_means(results_dir, exp, output)
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


def _sentence(method: str, output: str, table: pd.DataFrame, noise: float) -> str:
    key = "mu_star" if method == "morris" else "ST"
    top = ", ".join(f"`{r.parameter}` ({getattr(r, key):.3f})"
                    for r in table.head(3).itertuples())
    text = f"Most influential for the {label(output)} ({key}): {top}."
    if method == "sobol":
        s1 = float(table["S1"].clip(lower=0).sum())
        if s1 <= 1.1:  # within estimation error of 1: say how much is left to interactions
            text += (f" First-order indices sum to {s1:.2f}: about {max(0.0, 1 - s1):.0%} of "
                     "the variance comes from interactions (or estimation error).")
        else:
            text += (f" First-order indices sum to {s1:.2f}, well over 1: at this sample "
                     "size the estimates are rough (see the intervals); trust the ranking "
                     "more than the values, or raise sobol_samples.")
    if np.isfinite(noise):
        text += (f" Replicate noise is about {noise:.0%} of the variance of the replicate "
                 "means" + (" - add replicates before trusting small indices."
                            if noise > 0.1 else "."))
    return text


def sensitivity_section(results_dir: Path, exp: Experiment, outputs: list[str],
                        report_dir: Path | None = None) -> list[str]:
    """Markdown for one method: per output, a computed sentence, ranked table and plot.

    Tables go to ``report_dir/tables`` and plots to ``report_dir/figures`` (default: the
    results folder itself).
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
    for out in outputs:
        try:
            table, noise = analyze(results_dir, exp, out)
        except SensitivityError as exc:
            lines += [f"### {label(out)} (`{out}`)", "", f"Not analysed: {exc}", ""]
            continue
        name = f"{method}_{out}"
        atomic_write(report_dir / "tables" / f"{name}.csv",
                     lambda p, t=table: t.to_csv(p, index=False))
        draw = plots.morris_plot if method == "morris" else plots.sobol_plot
        draw(table, report_dir / "figures" / f"{name}.png", title=f"{title}: {label(out)}")
        lines += [f"### {label(out)} (`{out}`)", "", _sentence(method, out, table, noise), "",
                  md_table(table), "", f"![{name}](figures/{name}.png)", ""]
    return lines


def write_sensitivity_report(out_dir: Path) -> Path:
    """``report.md`` of a ``tis-sim sensitivity`` folder."""
    out_dir = Path(out_dir)
    marker = read_json(out_dir / MARKER, "sensitivity marker")
    exp = parse_experiment(marker["experiment_text"], Path(marker["experiment_file"]))
    outputs = outputs_of(exp)
    rows = "\n".join(
        f"| `{d.name}` | "
        + (f"{fmt(d.low)} to {fmt(d.high)} ({d.distribution})" if d.values is None
           else ", ".join(map(fmt, d.values))) + " |" for d in exp.dims)
    lines = [f"# Sensitivity analysis: {exp.name}", "", exp.description, "",
             f"Experiment file `{exp.path}`; preset `{exp.preset}`; fixed "
             + (", ".join(f"`{k} = {v}`" for k, v in exp.fixed.items()) or "none")
             + f"; {exp.days} school days; master seed {exp.seed}.", "",
             "| parameter | range |", "|---|---|", rows, "",
             "To scale up, raise `morris_trajectories` and `sobol_samples` (a power of two) "
             "and `replicates` in the [sensitivity]/[experiment] tables: runs grow in "
             "proportion (Morris r(D+1), Sobol N(D+2) points, times replicates); run it on "
             "a Dask cluster with `--scheduler tcp://HOST:8786`.", ""]
    for method in marker["methods"]:
        results = out_dir / method
        if not results.is_dir() or load_summaries(results).empty:
            lines += [f"## {method}", "", "No finished runs yet.", ""]
            continue
        lines += sensitivity_section(results, as_method(exp, method), outputs, out_dir)
    path = out_dir / "report.md"
    atomic_write(path, lambda p: p.write_text("\n".join(lines)))
    return path
