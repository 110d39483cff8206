"""From a checked experiment to run specs: design points, replicate seeds, run ids.

Samplers work in the unit cube and each swept dimension maps its column to parameter
values (inverse CDF of its distribution, or an even split over explicit values), so the
same transform serves LHS, Sobol and Morris, and the SALib analyzers can be given the
very unit-cube matrix their samplers produced.

Seeds (common random numbers): replicate r of *every* design point uses the same seed,
``child_seeds(master_seed, replicates)[r]``. Differences between points are then not
blurred by different chance events, which makes heatmaps smoother and lets the report
compare two cells replicate by replicate (paired intervals).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from sim.errors import UserError
from sim.params import resolve
from sim.rng import child_seeds, stream
from sim.study.batching import auto_batch_size
from sim.study.bounds import SIZE_PARAMS, Work, check_limit, teachers_of
from sim.study.experiment import Dimension, Experiment, ExperimentFileError
from sim.study.runspec import RunSpec

#: Prefix of the label columns that hold a run's swept parameter values (keeps them apart
#: from summary keys such as the measured ``tickets_per_user_month``).
PARAM_PREFIX = "param_"


def column(name: str) -> str:
    """Results column of swept parameter ``name``."""
    return PARAM_PREFIX + name


def problem(exp: Experiment) -> dict:
    """The SALib problem: every swept dimension on the unit interval."""
    return {"num_vars": len(exp.dims), "names": [d.name for d in exp.dims],
            "bounds": [[0.0, 1.0]] * len(exp.dims)}


def design_seed(exp: Experiment) -> int:
    """Seed of the sampler, from its own stream of the master seed (not a replicate's)."""
    return int(stream(exp.seed, "design").integers(2**63))


def unit_sample(exp: Experiment) -> np.ndarray:
    """The sampler's points in the unit cube, one row per design point (not for grids)."""
    from SALib.sample import latin, sobol
    from SALib.sample.morris import sample as morris_sample

    prob, seed = problem(exp), design_seed(exp)
    if exp.sampler == "lhs":
        return latin.sample(prob, exp.samples, seed=seed)
    if exp.sampler == "sobol":
        return sobol.sample(prob, exp.samples, calc_second_order=exp.second_order,
                            scramble=True, seed=seed)
    if exp.sampler == "morris":
        return morris_sample(prob, exp.samples, num_levels=exp.levels, seed=seed)
    raise ValueError(f"no unit sample for sampler {exp.sampler!r}")


def to_values(dim: Dimension, u: np.ndarray) -> list:
    """Map unit-interval draws to the dimension's parameter values.

    Integer parameters give every integer in the range the same share of the unit
    interval: the distribution is spread over [low - 0.5, high + 0.5] and rounded half
    up, so a uniform range 1-3 draws 1, 2 and 3 a third of the time each (plain rounding
    of a draw over [low, high] would give the two ends half weight).
    """
    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    if dim.values is not None:
        # An even split of [0, 1] into len(values) bins: a discrete uniform factor.
        idx = np.minimum((u * len(dim.values)).astype(int), len(dim.values) - 1)
        return [dim.values[i] for i in idx]
    lo, hi, opt = dim.low, dim.high, dim.options
    integer = dim.spec.kind == "int"
    if integer:
        lo_int, hi_int = math.ceil(lo), math.floor(hi)
        lo, hi = lo_int - 0.5, hi_int + 0.5
        if dim.distribution == "loguniform" and lo <= 0:
            lo = lo_int  # a log scale cannot start at or below 0
    if dim.distribution == "uniform":
        x = lo + (hi - lo) * u
    elif dim.distribution == "loguniform":
        x = np.exp(np.log(lo) + (np.log(hi) - np.log(lo)) * u)
    elif dim.distribution == "triangular":
        x = stats.triang.ppf(u, (opt["mode"] - lo) / (hi - lo), loc=lo, scale=hi - lo)
    else:  # truncnormal, truncated to the range
        a, b = (lo - opt["mean"]) / opt["sd"], (hi - opt["mean"]) / opt["sd"]
        x = stats.truncnorm.ppf(u, a, b, loc=opt["mean"], scale=opt["sd"])
    if integer:
        return [int(v) for v in np.clip(np.floor(x + 0.5), lo_int, hi_int)]
    x = np.clip(x, lo, hi)  # guard against the last ulp of a ppf
    return [float(v) for v in x]


def points(exp: Experiment) -> pd.DataFrame:
    """The design points: one row per point, one column per swept parameter (by name)."""
    names = [d.name for d in exp.dims]
    if exp.sampler == "grid":
        rows = list(itertools.product(*(d.values for d in exp.dims)))
        return pd.DataFrame(rows, columns=names) if names else pd.DataFrame(index=[0])
    u = unit_sample(exp)
    return pd.DataFrame({d.name: to_values(d, u[:, j]) for j, d in enumerate(exp.dims)})


def check_design(exp: Experiment) -> None:
    """Refuse designs that cannot say anything, before any point is drawn.

    A sampled design (or a sensitivity analysis) needs every swept factor to vary; Sobol
    second-order indices need two factors; a truncated normal needs some of its mass
    inside its range (else every draw sits on the bound).

    Raises:
        ExperimentFileError: naming the file and the key.
    """
    for d in exp.dims if exp.sampler != "grid" or exp.sensitivity else ():
        if d.values is not None and len(d.values) < 2:
            raise ExperimentFileError(f"{exp.where('sweep.' + d.name)} has one value, so a "
                                      "sampled design cannot vary it; move it to [fixed]")
        if d.distribution == "truncnormal":
            mean, sd = d.options["mean"], d.options["sd"]
            a, b = ((x - mean) / (sd * math.sqrt(2)) for x in (d.low, d.high))
            if math.erf(b) - math.erf(a) < 2e-9:  # the normal's mass inside the range
                raise ExperimentFileError(f"{exp.where('sweep.' + d.name)} the range holds "
                                          f"almost none of a normal distribution of mean "
                                          f"{mean} and sd {sd}")
    pairs = exp.second_order if exp.sampler == "sobol" else \
        exp.sensitivity.get("sobol_second_order", False)
    if pairs and len(exp.dims) < 2:
        raise ExperimentFileError(f"{exp.where('sweep')} Sobol second-order indices are about "
                                  "pairs of parameters; sweep at least two, or set "
                                  "second_order = false")


def planned_points(exp: Experiment) -> int:
    """How many design points the experiment has, counted without making them.

    Raises:
        ExperimentFileError: a degenerate design (:func:`check_design`).
        WorkLimitError: more points, or points x replicates more runs, than the hard
            limits of :mod:`sim.study.bounds` allow (checked before anything is allocated).
    """
    check_design(exp)
    d = len(exp.dims)
    n = {"grid": lambda: math.prod(len(dim.values) for dim in exp.dims),
         "lhs": lambda: exp.samples,
         "sobol": lambda: exp.samples * ((2 * d + 2) if exp.second_order else (d + 2)),
         "morris": lambda: exp.samples * (d + 1)}[exp.sampler]()
    check_limit("points", n, f"{exp.path}: the {exp.sampler} design")
    check_limit("runs", n * exp.replicates, f"{exp.path}: {n:,} points x {exp.replicates:,} "
                                            "replicates")
    return n


def work(exp: Experiment, workers: int = 1, batch_size: int | None = None) -> Work:
    """The experiment's size and estimated CPU time (district size per design point).

    The replicates of a design point run in batches as the runner makes them
    (``sim.study.batching``: ``batch_size``, or chosen from the runs, ``workers`` and the
    district's size), which shares each day's fixed cost among them.
    """
    planned_points(exp)
    pts = points(exp)
    keys = [k for k in SIZE_PARAMS if k in pts.columns]
    groups = pts.groupby(keys).size().items() if keys else [((), len(pts))]
    total = len(pts) * exp.replicates
    out = []
    for combo, count in groups:
        values = dict(zip(keys, combo if isinstance(combo, tuple) else (combo,), strict=True))
        teachers = teachers_of({**exp.fixed, **values}, exp.preset)
        batch = min(exp.replicates, batch_size or auto_batch_size(total, workers, teachers))
        out.append((teachers, exp.days, int(count) * exp.replicates, batch))
    return Work.of(out)


def run_specs(exp: Experiment) -> list[RunSpec]:
    """Every run of the experiment: design points x replicates, seeds drawn up front.

    Every point's full parameter set is validated first, so an impossible combination
    (e.g. free periods >= periods per day) fails before any run, naming the point.
    The size is checked against the hard limits before the points are made. With a
    posterior (``[uncertainty]``), replicate r runs in world r (see :func:`worlds`).
    """
    planned_points(exp)
    pts = points(exp)
    seeds = child_seeds(exp.seed, exp.replicates)
    world = worlds(exp)
    width = max(3, len(str(len(pts) - 1)))
    specs = []
    for i, row in enumerate(pts.to_dict("records")):
        params = {**exp.fixed, **row}
        for each in (dict(pairs) for pairs in {tuple(x.items()) for x in world}):
            try:
                resolve(exp.preset, **{**each, **params})
            except UserError as exc:
                shown = ", ".join(f"{k}={v!r}" for k, v in row.items())
                in_world = f" in posterior world {each}" if each else ""
                raise ExperimentFileError(f"{exp.path}: [sweep] design point {i} ({shown})"
                                          f"{in_world} is not a valid model: {exc}") from None
        labels = {"point": i, **{column(k): v for k, v in row.items()}}
        for r, seed in enumerate(seeds):
            specs.append(RunSpec(
                run_id=f"p{i:0{width}d}-r{r:03d}",
                params={"preset": exp.preset, **world[r], **params},
                seed=seed, days=exp.days, daily_every=exp.daily_every,
                labels={**labels, "replicate": r,
                        **{f"world_{k}": v for k, v in world[r].items()}}))
    return specs


def worlds(exp: Experiment) -> list[dict]:
    """Parameter worlds of the replicates: empty without a posterior.

    With ``[uncertainty] posterior``, ``replicates`` parameter sets are drawn from the
    posterior by weight, seeded by the master seed's ``"worlds"`` stream; replicate r of
    every design point runs in world r (and on seed r), so comparisons between points stay
    paired while parameter uncertainty spreads the replicates.
    """
    if not exp.posterior:
        return [{}] * exp.replicates
    from sim.study.posterior import load_posterior

    seed = int(stream(exp.seed, "worlds").integers(2**62))
    return load_posterior(exp.posterior).sample(exp.replicates, seed=seed)


def as_method(exp: Experiment, method: str) -> Experiment:
    """The experiment sampled with one sensitivity method's design (morris or sobol)."""
    s = exp.sensitivity
    if method == "morris":
        return replace(exp, sampler="morris", samples=s["morris_trajectories"],
                       levels=s["morris_levels"])
    return replace(exp, sampler="sobol", samples=s["sobol_samples"],
                   second_order=s["sobol_second_order"])


@lru_cache(maxsize=1)
def summary_keys() -> tuple[str, ...]:
    """The model's per-run summary keys, asked from the model itself (a 1-day tiny run)."""
    from sim.run import simulate

    return tuple(simulate({"preset": "small_school"}, 0, 1, daily_every=0).summary)


def check_outputs(exp: Experiment, key: str, names: tuple[str, ...] | None) -> None:
    """Reject output names that are not summary keys, before hours of runs."""
    valid = summary_keys()
    for name in names or ():
        if name not in valid:
            raise ExperimentFileError(f"{exp.path}: [{key}] unknown output {name!r}; valid "
                                      "outputs are: " + ", ".join(valid))
