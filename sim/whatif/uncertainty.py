"""Parameter uncertainty in what-if studies: the ``[uncertainty]`` table and its worlds.

Most model parameters are assumed, not measured. A scenario file may declare how
uncertain some of them are::

    [uncertainty]
    worlds = 16                    # K parameter draws ("worlds"), at least 2
    sampler = "lhs"                # lhs (Latin hypercube, default) or random
    # posterior = "results/calibration/posterior.parquet"   # from `tis-sim calibrate`

    [uncertainty.coaching_effect]  # the same tables as [sweep.NAME] in experiment files:
    range = [0.1, 0.4]             #   range (+ distribution, mode, mean, sd) or values
    distribution = "triangular"
    mode = 0.25

Each world is one draw of the uncertain parameters: a posterior ensemble contributes a
particle (drawn with probability equal to its weight, :meth:`Posterior.sample`), each
table one value (Latin hypercube or independent draws in the unit cube, mapped through the
table's distribution by :func:`sim.study.design.to_values`). Every scenario then runs in
every world on common random numbers, so a world is a complete, paired version of the
study: the world's values replace the baseline's, and each scenario's own policy settings
are applied on top (a decision is not uncertain).

Relative ``posterior`` paths are taken from the working directory, like ``results/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import UserError
from sim.rng import stream
from sim.study.bounds import over_limit
from sim.study.design import to_values
from sim.study.experiment import Dimension, dimension
from sim.study.posterior import Posterior, PosteriorError, load_posterior

KEYS = ("worlds", "sampler", "posterior")
SAMPLERS = ("lhs", "random")


class UncertaintyError(UserError, ValueError):
    """A bad ``[uncertainty]`` table; the message names the file and the key."""


@dataclass(frozen=True)
class Uncertainty:
    """The checked ``[uncertainty]`` table and the worlds drawn from it.

    Attributes:
        worlds: K, the number of worlds.
        sampler: ``lhs`` or ``random`` (how the tables' values are drawn).
        dims: one :class:`Dimension` per ``[uncertainty.NAME]`` table.
        posterior: the posterior ensemble, or None.
        draws: K dicts ``{parameter: value}``, one per world, in world order.
    """

    worlds: int
    sampler: str
    dims: tuple[Dimension, ...]
    posterior: Posterior | None
    draws: tuple[dict[str, Any], ...] = field(repr=False)

    @property
    def names(self) -> list[str]:
        """The uncertain parameters: the posterior's, then the tables'."""
        return [*(self.posterior.names if self.posterior else []), *(d.name for d in self.dims)]

    def describe(self) -> list[str]:
        """One Markdown line per source of uncertainty, for the report."""
        lines = []
        if self.posterior is not None:
            lines.append(f"posterior ensemble `{self.posterior.path}` ({len(self.posterior.params)}"
                         f" particles, effective sample size {self.posterior.ess:.0f}): "
                         + ", ".join(f"`{n}`" for n in self.posterior.names))
        for d in self.dims:
            if d.values is not None:
                what = "one of " + ", ".join(map(str, d.values))
            else:
                opts = ", ".join(f"{k} {v:g}" for k, v in d.options.items())
                what = (f"{d.distribution} over {d.low:g} to {d.high:g}"
                        + (f" ({opts})" if opts else ""))
            lines.append(f"`{d.name}` ({d.spec.label}, {d.spec.unit or 'no unit'}): {what}")
        return lines


def _fail(path: Path, key: str, message: str) -> UncertaintyError:
    return UncertaintyError(f"{path}: [{key}] {message}")


def unit_draws(n: int, d: int, sampler: str, seed: int) -> np.ndarray:
    """``n`` points in the unit cube [0, 1)^d from the named stream ``"worlds"`` of ``seed``.

    ``lhs``: a Latin hypercube (each dimension's n strata hit once; McKay, Beckman &
    Conover 1979) from ``scipy.stats.qmc``; ``random``: independent uniforms.
    """
    rng = stream(seed, "worlds")
    if d == 0:
        return np.zeros((n, 0))
    if sampler == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d, rng=rng).random(n)
    return rng.random((n, d))


def draw_worlds(dims: tuple[Dimension, ...], posterior: Posterior | None, k: int,
                sampler: str, seed: int) -> list[dict[str, Any]]:
    """K parameter sets: posterior particles joined with draws from the tables."""
    u = unit_draws(k, len(dims), sampler, seed)
    columns = {d.name: to_values(d, u[:, j]) for j, d in enumerate(dims)}
    particles = posterior.sample(k, seed) if posterior is not None else [{}] * k
    return [{**particles[i], **{name: v[i] for name, v in columns.items()}} for i in range(k)]


def _integer(path: Path, key: str, value: Any, low: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _fail(path, key, f"{value!r} is not allowed; expected {what}")
    return value


def parse_uncertainty(path: Path, table: Any, seed: int) -> Uncertainty:
    """Check an ``[uncertainty]`` table and draw its worlds (seeded by the study's seed).

    Raises:
        UncertaintyError: an unknown key, a bad ``worlds``/``sampler``/``posterior``, or
            no uncertain parameter at all.
        ExperimentFileError: a bad ``[uncertainty.NAME]`` table (unknown parameter, range
            outside the parameter's, bad distribution), naming it.
    """
    if not isinstance(table, dict):
        raise _fail(path, "uncertainty", f"must be a table, got {table!r}")
    settings = {k: v for k, v in table.items() if not isinstance(v, dict)}
    unknown = sorted(set(settings) - set(KEYS))
    if unknown:
        raise _fail(path, "uncertainty", f"unknown key {unknown[0]!r}; valid keys are "
                    f"{', '.join(KEYS)}, and one [uncertainty.NAME] table per parameter")
    worlds = _integer(path, "uncertainty.worlds", table.get("worlds", 16), 2,
                      "an integer >= 2 (parameter draws; each runs every scenario)")
    if problem := over_limit("points", worlds):
        raise _fail(path, "uncertainty.worlds", f"worlds = {problem}")
    sampler = table.get("sampler", "lhs")
    if sampler not in SAMPLERS:
        raise _fail(path, "uncertainty.sampler", f"{sampler!r} is not allowed; expected one "
                                                 f"of {', '.join(SAMPLERS)}")
    posterior = None
    if "posterior" in table:
        where = table["posterior"]
        if not isinstance(where, str) or not where:
            raise _fail(path, "uncertainty.posterior", f"{where!r} is not allowed; expected "
                        "the path of a posterior.parquet (or its folder) from `tis-sim "
                        "calibrate`")
        try:
            posterior = load_posterior(where)
        except PosteriorError as exc:
            raise _fail(path, "uncertainty.posterior", str(exc)) from None
    dims = tuple(dimension(path, name, sub, "lhs", where="uncertainty")
                 for name, sub in table.items() if isinstance(sub, dict))
    both = sorted({d.name for d in dims} & set(posterior.names if posterior else []))
    if both:
        raise _fail(path, f"uncertainty.{both[0]}", f"parameter {both[0]!r} is in the "
                    "posterior ensemble already; drop its table (or its column)")
    if not dims and posterior is None:
        raise _fail(path, "uncertainty", "declares no uncertain parameter; add a posterior "
                    "or [uncertainty.NAME] tables (range = [low, high], ...)")
    draws = draw_worlds(dims, posterior, worlds, sampler, seed)
    return Uncertainty(worlds, sampler, dims, posterior, tuple(draws))

