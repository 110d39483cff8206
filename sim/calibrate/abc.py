"""The pyABC side of a calibration: priors, the model, the distance and the epsilon schedule.

ABC-SMC (Toni et al. 2009; Beaumont et al. 2009) with pyABC (Schälte et al. 2022): the
first generation samples the prior (epsilon = infinity); each later generation perturbs
the previous one with a multivariate normal kernel (pyABC's default, bandwidth by
Silverman's rule) and accepts particles whose distance is at most the ``quantile`` of the
previous generation's weighted distances. The distance is fixed (not adaptive): per-pattern
distances scaled by each target's tolerance, combined as a weighted root mean square.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyabc
from pyabc.epsilon import QuantileEpsilon

from sim.calibrate.particle import Plan, distance, evaluate
from sim.study.experiment import Dimension


def prior_rv(dim: Dimension) -> pyabc.RV:
    """The pyABC random variable of one prior (scipy.stats, as the sweep designs use)."""
    lo, hi, opt = dim.low, dim.high, dim.options
    if dim.distribution == "uniform":
        if dim.spec.kind == "int":  # every integer equally likely after rounding
            return pyabc.RV("uniform", lo - 0.5, hi - lo + 1.0)
        return pyabc.RV("uniform", lo, hi - lo)
    if dim.distribution == "loguniform":
        return pyabc.RV("loguniform", lo, hi)
    if dim.distribution == "triangular":
        return pyabc.RV("triang", (opt["mode"] - lo) / (hi - lo), loc=lo, scale=hi - lo)
    a, b = (lo - opt["mean"]) / opt["sd"], (hi - opt["mean"]) / opt["sd"]
    return pyabc.RV("truncnorm", a, b, loc=opt["mean"], scale=opt["sd"])


def prior(dims: tuple[Dimension, ...]) -> pyabc.Distribution:
    """The joint prior: independent marginals."""
    return pyabc.Distribution(**{d.name: prior_rv(d) for d in dims})


class PatternModel:
    """The model as pyABC sees it: parameters in, pattern values out.

    The run seed comes from numpy's global generator, which the sampler seeds per particle
    (:func:`sim.calibrate.sampler.particle_seed`), so a particle's runs are reproducible.
    """

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.__name__ = "tis-sim"

    def __call__(self, pars: Any) -> dict[str, float]:
        """Evaluate one parameter set (a pyABC Parameter, a dict)."""
        seed = int(np.random.randint(0, 2**62, dtype=np.int64))  # noqa: NPY002 (see above)
        return evaluate(self.plan, dict(pars), seed)


class PatternDistance(pyabc.Distance):
    """Per-pattern distances in tolerances, combined (:func:`sim.calibrate.particle.distance`).

    The targets live in the patterns, so pyABC's observed data are empty.
    """

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.patterns = plan.patterns

    def __call__(self, x: dict, x_0: dict, t: int | None = None,
                 par: dict | None = None) -> float:
        """The distance of simulated pattern values ``x``."""
        return distance(self.patterns, x)

    def get_config(self) -> dict:
        """Stored in pyABC's database with the run."""
        return {"name": "PatternDistance",
                "patterns": {p.name: [p.output, p.low, p.high, p.tolerance, p.weight]
                             for p in self.patterns}}


class ResumableQuantileEpsilon(QuantileEpsilon):
    """Epsilon: infinity, then the ``alpha`` quantile of the last generation's distances.

    pyABC's own schedule with a fixed initial value restarts at that value when a run is
    continued from its database; this one recomputes the quantile from the last stored
    generation, so a continued run takes the same epsilon as an uninterrupted one.
    """

    def __init__(self, alpha: float) -> None:
        super().__init__(initial_epsilon=np.inf, alpha=alpha, weighted=True)

    def requires_calibration(self) -> bool:
        """Never samples the prior separately (generation 0 is the prior sample)."""
        return False

    def initialize(self, t, get_weighted_distances, get_all_records, max_nr_populations,
                   acceptor_config) -> None:
        """Set epsilon for the first generation of this run (``t`` > 0 when continuing)."""
        if t == 0:
            self._look_up = {0: np.inf}
        else:
            self._update(t, get_weighted_distances())
