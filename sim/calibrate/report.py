"""``report.md`` of a calibration: pattern fit, identifiability, ESS, budget and run time.

Everything is computed from the files next to it (posterior, prior and posterior
predictive tables, generations, manifest), so ``tis-sim calibrate FILE --report-only``
rewrites it at any time.

Definitions used in the report:

* a pattern is **reproduced** by a run when its value lies within one tolerance of the
  target (scaled distance <= 1);
* the **posterior predictive** interval is the 5-95% range of the pattern over runs of
  parameter sets drawn from the posterior with fresh seeds (the accepted runs themselves
  were selected for closeness and would flatter the fit);
* the **width ratio** of a parameter is the width of its posterior 90% interval divided by
  that of its prior: below 0.5 the patterns identify it, 0.5-0.8 weakly, above 0.8 not;
* **ESS** is Kish's effective sample size of the final weights, ``1 / sum(w^2)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pyabc.weighted_statistics import weighted_quantile

from sim.calibrate import plots
from sim.calibrate.abc import prior_rv
from sim.calibrate.particle import MISSING
from sim.calibrate.run import GENERATIONS, MANIFEST, PREDICTIVE, PRIOR, stored_calibration
from sim.calibrate.spec import Calibration
from sim.files import read_json
from sim.params import PARAMS
from sim.study.manifest import atomic_write
from sim.study.posterior import Posterior, load_posterior
from sim.study.provenance import describe

REPORT = "report.md"
FIGURES = "figures"
IDENTIFIED, WEAK = 0.5, 0.8


def _fmt(x: float, digits: int = 3) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.{digits}g}"


def _target(p) -> str:
    return _fmt(p.low) if p.low == p.high else f"{_fmt(p.low)}–{_fmt(p.high)}"


def _scaled(p, values: np.ndarray) -> np.ndarray:
    d = np.abs(plots.signed_distance(p, values))
    return np.where(np.isfinite(d), d, MISSING)


def fit_table(cal: Calibration, prior: pd.DataFrame,
              predictive: pd.DataFrame | None) -> pd.DataFrame:
    """Per pattern: target, prior and posterior predictive intervals, share reproduced."""
    rows = []
    for p in cal.patterns:
        row = {"pattern": p.name, "output": p.output, "measured": p.where(),
               "target": _target(p), "tolerance": p.tolerance, "evidence": p.evidence or "–",
               "source": p.source or "–"}
        for label, table in (("prior", prior), ("posterior", predictive)):
            v = table[f"value_{p.name}"].to_numpy(float) if table is not None else np.array([])
            finite = v[np.isfinite(v)]
            q = np.quantile(finite, [0.05, 0.5, 0.95]) if len(finite) else [np.nan] * 3
            row.update({f"{label}_low": q[0], f"{label}_median": q[1], f"{label}_high": q[2],
                        f"{label}_reproduced": float(np.mean(_scaled(p, v) <= 1))
                        if len(v) else np.nan})
        lo, hi = p.low - p.tolerance, p.high + p.tolerance
        if not np.isfinite(row["posterior_median"]):
            verdict = "not measured"
        elif lo <= row["posterior_median"] <= hi:
            verdict = "reproduced"
        elif row["posterior_high"] < lo or row["posterior_low"] > hi:
            verdict = "conflict"
        else:
            verdict = "partly"
        rows.append({**row, "verdict": verdict})
    return pd.DataFrame(rows)


def at_once(cal: Calibration, predictive: pd.DataFrame) -> pd.Series:
    """Per posterior predictive run, how many patterns it reproduces at once."""
    hits = np.column_stack([_scaled(p, predictive[f"value_{p.name}"].to_numpy(float)) <= 1
                            for p in cal.patterns])
    return pd.Series(hits.sum(axis=1), name="patterns_reproduced")


def parameter_table(cal: Calibration, post: Posterior) -> pd.DataFrame:
    """Per fitted parameter: prior, posterior median and 90% interval, width ratio."""
    rows = []
    for dim in cal.priors:
        rv = prior_rv(dim).distribution
        p_lo, p_hi = rv.ppf([0.05, 0.95])
        x = post.params[dim.name].to_numpy(float)
        q = [weighted_quantile(x, weights=post.weights, alpha=a) for a in (0.05, 0.5, 0.95)]
        ratio = (q[2] - q[0]) / (p_hi - p_lo)
        default = PARAMS[dim.name].default
        rows.append({
            "parameter": dim.name,
            "prior": f"{dim.distribution} [{_fmt(dim.low)}, {_fmt(dim.high)}]",
            "prior_low": p_lo, "prior_high": p_hi, "posterior_low": q[0],
            "posterior_median": q[1], "posterior_high": q[2], "width_ratio": ratio,
            "identified": "yes" if ratio < IDENTIFIED else ("weakly" if ratio < WEAK else "no"),
            "default": default, "default_inside": bool(q[0] <= default <= q[2]),
        })
    return pd.DataFrame(rows)


def _md(table: pd.DataFrame) -> str:
    head = "| " + " | ".join(table.columns) + " |\n|" + "---|" * len(table.columns) + "\n"
    body = "".join("| " + " | ".join(_fmt(v) if isinstance(v, float) else str(v)
                                     for v in row) + " |\n" for row in table.to_numpy())
    return head + body


def write_report(out_dir: Path) -> Path:
    """Write ``report.md`` and ``figures/*.png`` from the files in ``out_dir``."""
    out_dir = Path(out_dir)
    cal = stored_calibration(out_dir)
    meta = read_json(out_dir / MANIFEST, "results manifest")
    post = load_posterior(out_dir)
    prior = pd.read_parquet(out_dir / PRIOR)
    predictive = pd.read_parquet(out_dir / PREDICTIVE) if (out_dir / PREDICTIVE).is_file() \
        else None
    gens = pd.read_csv(out_dir / GENERATIONS)
    fit, params = fit_table(cal, prior, predictive), parameter_table(cal, post)
    figs = out_dir / FIGURES
    bounds = {d.name: (d.low, d.high) for d in cal.priors}
    plots.fit_figure(cal.patterns, prior, predictive, figs / "fit.png")
    plots.marginals_figure(cal.names, post.params, post.weights,
                           {d.name: prior_rv(d).distribution.pdf for d in cal.priors},
                           bounds, figs / "marginals.png")
    plots.pairwise_figure(cal.names, post.params, post.weights, prior, bounds,
                          figs / "pairwise.png")
    text = _text(cal, meta, post, gens, fit, params, predictive)
    atomic_write(out_dir / REPORT, lambda p: p.write_text(text))
    atomic_write(out_dir / "fit.csv", lambda p: fit.to_csv(p, index=False))
    atomic_write(out_dir / "parameters.csv", lambda p: params.to_csv(p, index=False))
    return out_dir / REPORT


def _text(cal: Calibration, meta: dict, post: Posterior, gens: pd.DataFrame,
          fit: pd.DataFrame, params: pd.DataFrame, predictive: pd.DataFrame | None) -> str:
    arms = len({p.arm for p in cal.patterns if p.arm})
    per_set = cal.replicates * (1 + arms)
    evaluations = int(gens["evaluations"].sum())
    n_pred = 0 if predictive is None else len(predictive)
    seconds = float(gens["seconds"].sum())  # pyABC's wall time per generation
    known = gens["cpu_seconds"].notna() if "cpu_seconds" in gens else gens["seconds"] < 0
    cpu = float(gens.loc[known, "cpu_seconds"].sum()) if known.any() else 0.0
    pred_cpu = float(predictive["cpu_seconds"].sum()) if predictive is not None \
        and "cpu_seconds" in predictive else 0.0
    lines = [f"# Calibration `{cal.name}`", "", cal.description, "",
             f"File `{cal.path}`; ABC-SMC with pyABC {meta['versions'].get('pyabc')}; "
             + (describe(meta["tis_sim"]) if "tis_sim" in meta
                else f"git {meta.get('git_commit')}") + ".", "", "## Budget and run time", "",
             f"- {len(gens)} of {cal.generations} generations of {cal.population} particles "
             f"(epsilon = the {cal.quantile:g} quantile of the previous generation's "
             "distances); the first generation samples the prior.",
             f"- {cal.replicates} replicate(s) per parameter set"
             + (f" in the base model and {arms} arm(s)" if arms else "")
             + f" = {per_set} run(s) of {cal.days} days each.",
             f"- {evaluations} parameter sets evaluated ({evaluations * per_set} runs), plus "
             f"{n_pred} posterior predictive parameter sets ({n_pred * per_set} runs).",
             f"- Wall time of the generations {seconds / 60:.1f} min over "
             f"{len(meta.get('sessions', []))} session(s), backend(s) "
             + ", ".join(sorted({str(s.get('backend')) for s in meta.get("sessions", [])}))
             + ". CPU time of the model evaluations "
             + (f"{cpu / 60:.1f} min ({int(known.sum())} of {len(gens)} generations "
                "recorded)" if known.any() else "not recorded")
             + (f", posterior predictive {pred_cpu / 60:.1f} min" if pred_cpu else "")
             + (f": about {(cpu + pred_cpu) / 120:.1f} min on 2 free cores." if cpu else "."),
             f"- Effective sample size of the posterior (Kish): {post.ess:.0f} of "
             f"{len(post.params)} particles.", "", _md(gens.round(4)), ""]
    lines += ["## Pattern fit", "",
              "Posterior predictive: runs of parameter sets drawn from the posterior with "
              "fresh seeds; *reproduced* = share of runs within one tolerance of the target.",
              "", "![Pattern fit](figures/fit.png)", "",
              _md(fit[["pattern", "output", "measured", "target", "tolerance", "evidence",
                       "prior_median", "posterior_low", "posterior_median", "posterior_high",
                       "posterior_reproduced", "verdict"]]), ""]
    if predictive is not None and len(predictive):
        counts = at_once(cal, predictive)
        dist = counts.value_counts(normalize=True).sort_index()
        lines += [f"**How many patterns at once.** Of the {len(cal.patterns)} patterns, a "
                  f"posterior predictive run reproduces {counts.mean():.1f} on average "
                  f"(median {counts.median():.0f}); {np.mean(counts == len(cal.patterns)):.0%}"
                  " of runs reproduce all of them. Distribution: "
                  + ", ".join(f"{k}: {v:.0%}" for k, v in dist.items()) + ".", ""]
    conflicts = fit[fit["verdict"] == "conflict"]
    if len(conflicts):
        lines += ["**Conflicts.** The posterior predictive 90% interval lies entirely "
                  "outside target ± tolerance for: "
                  + ", ".join(f"`{r.pattern}` (target {r.target}, model "
                              f"{_fmt(r.posterior_low)}–{_fmt(r.posterior_high)})"
                              for r in conflicts.itertuples())
                  + ". Within these priors the model cannot reproduce them together with "
                    "the other patterns.", ""]
    lines += ["Sources:", ""] + [f"- `{p.name}`: {p.source or '–'}" + (
        f" (evidence {p.evidence})" if p.evidence else "") for p in cal.patterns] + [""]
    ident = params[params["identified"] == "yes"]["parameter"].tolist()
    not_ident = params[params["identified"] == "no"]["parameter"].tolist()
    lines += ["## Parameters", "",
              "Width ratio = posterior 90% interval width / prior 90% interval width "
              f"(identified below {IDENTIFIED}, weakly below {WEAK}).", "",
              _md(params.drop(columns=["prior_low", "prior_high"])), "",
              f"Identified by the patterns: {', '.join(ident) or 'none'}. "
              f"Not identified: {', '.join(not_ident) or 'none'}.", "",
              "![Marginal posteriors](figures/marginals.png)", "",
              "![Pairwise posterior](figures/pairwise.png)", "",
              "## Files", "",
              "- `posterior.parquet`: the final generation (parameters, `weight`, "
              "`distance_<pattern>` in tolerances, `meta_*`); use it with "
              "`sim.study.posterior.load_posterior` or `[uncertainty] posterior` in a sweep.",
              "- `prior.parquet`, `predictive.parquet`: prior and posterior predictive runs.",
              "- `generations.csv`, `fit.csv`, `parameters.csv`, `figures/`, `manifest.json`,"
              " `abc.db` (pyABC's history; a rerun continues it).", ""]
    return "\n".join(lines)
