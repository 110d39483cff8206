"""Posterior ensembles: weighted parameter sets, as written by ``tis-sim calibrate``.

A posterior ensemble is the result of a calibration (ABC-SMC): a population of parameter
sets ("particles") with importance weights. Sweeps, what-if studies and the Python API take
one as the source of parameter uncertainty: each sampled *world* is one particle, drawn
with probability proportional to its weight.

File format (Parquet, ``posterior.parquet`` in a calibration's results folder): one row
per particle; one column per fitted parameter, named as in :data:`sim.params.PARAMS`; a
column ``weight`` (non-negative, finite, not all zero; normalised on reading); any number of
further columns whose names start with ``distance_`` or ``meta_`` (per-pattern distances,
generation, ...), which are carried along but never used as parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UserError, did_you_mean
from sim.params import PARAMS, ParameterError, validate
from sim.rng import stream
from sim.study.manifest import atomic_write

POSTERIOR_FILE = "posterior.parquet"
WEIGHT = "weight"
EXTRA_PREFIXES = ("distance_", "meta_")


class PosteriorError(UserError, ValueError):
    """A posterior ensemble file that cannot be used (missing, unreadable, bad columns)."""


@dataclass(frozen=True)
class Posterior:
    """A weighted ensemble of parameter sets.

    Attributes:
        params: one row per particle, one column per fitted parameter (model units).
        weights: normalised weights, shape ``(len(params),)``, summing to 1.
        extra: the ``distance_*``/``meta_*`` columns, same rows as ``params``.
        path: the file it was read from (``None`` when built in memory).
    """

    params: pd.DataFrame
    weights: np.ndarray
    extra: pd.DataFrame
    path: Path | None = None

    @property
    def names(self) -> list[str]:
        """The fitted parameters' names."""
        return list(self.params.columns)

    @property
    def ess(self) -> float:
        """Kish's effective sample size, ``1 / sum(w**2)`` (Kish 1965)."""
        return float(1.0 / np.sum(self.weights**2))

    def sample(self, k: int, seed: int) -> list[dict[str, Any]]:
        """Draw ``k`` parameter sets with replacement, with probability = weight.

        Reproducible: the draw uses the named stream ``"posterior"`` of ``seed``, so the
        same seed gives the same worlds on every machine.

        Args:
            k: number of parameter sets (worlds), at least 1.
            seed: integer seed of the draw.

        Returns:
            ``k`` dicts ``{parameter: value}`` (ints for integer parameters).
        """
        if k < 1:
            raise PosteriorError(f"posterior sample size: {k} is not allowed; expected >= 1")
        rows = stream(seed, "posterior").choice(len(self.params), size=k, p=self.weights)
        return [_typed(self.params.iloc[int(i)].to_dict()) for i in rows]


def _typed(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        kind = PARAMS[name].kind
        out[name] = round(float(value)) if kind == "int" else (
            bool(value) if kind == "bool" else float(value) if kind == "float" else value)
    return out


def from_frame(frame: pd.DataFrame, path: Path | None = None) -> Posterior:
    """Check a table in the file format above and build a :class:`Posterior`.

    Raises:
        PosteriorError: no ``weight`` column, no parameter column, an unknown column, a
            value outside its parameter's range, or weights that are negative, not finite
            or all zero.
    """
    where = f"posterior {str(path)!r}" if path else "posterior"
    if WEIGHT not in frame.columns:
        raise PosteriorError(f"{where}: no {WEIGHT!r} column; expected one column per "
                             f"parameter plus {WEIGHT!r}")
    extra = [c for c in frame.columns if str(c).startswith(EXTRA_PREFIXES)]
    names = [c for c in frame.columns if c != WEIGHT and c not in extra]
    unknown = [c for c in names if c not in PARAMS]
    if unknown:
        raise PosteriorError(f"{where}: column {unknown[0]!r} is not a parameter"
                             f"{did_you_mean(unknown[0], PARAMS)}; columns "
                             f"are parameters, {WEIGHT!r}, or start with "
                             f"{' or '.join(EXTRA_PREFIXES)}")
    if not names:
        raise PosteriorError(f"{where}: no parameter columns")
    if frame.empty:
        raise PosteriorError(f"{where}: no rows (particles)")
    w = pd.to_numeric(frame[WEIGHT], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise PosteriorError(f"{where}: column {WEIGHT!r} must hold finite, non-negative "
                             "numbers, not all zero")
    params = frame[names].reset_index(drop=True)
    for i, row in enumerate(params.to_dict("records")):
        try:
            validate(_typed(row))
        except (ParameterError, ValueError, TypeError) as exc:
            raise PosteriorError(f"{where}: row {i + 1}: {exc}") from None
    return Posterior(params=params, weights=w / w.sum(),
                     extra=frame[extra].reset_index(drop=True), path=path)


def load_posterior(path: Path | str) -> Posterior:
    """Read a posterior ensemble from a Parquet file or a calibration results folder.

    Args:
        path: ``posterior.parquet`` itself, or the folder that holds it.

    Raises:
        PosteriorError: the file is missing or unreadable, or fails :func:`from_frame`.
    """
    path = Path(path)
    if path.is_dir():
        path = path / POSTERIOR_FILE
    if not path.is_file():
        raise PosteriorError(f"posterior {str(path)!r} does not exist; expected a "
                             f"{POSTERIOR_FILE} written by `tis-sim calibrate` or its folder")
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise PosteriorError(f"posterior {str(path)!r} is not a readable Parquet file "
                             f"({type(exc).__name__})") from None
    return from_frame(frame, path)


def posterior_path(table: Mapping[str, Any], fixed: Mapping[str, Any],
                   error: Callable[[str, str], Exception]) -> str | None:
    """The checked ``posterior`` of an experiment file's ``[uncertainty]`` table, or None.

    A sweep then runs replicate r in world r, drawn from the posterior by weight
    (``sim.study.design.worlds``); fixed parameters may not also be in the posterior.

    Args:
        table: the ``[uncertainty]`` table.
        fixed: the file's fixed parameters.
        error: makes the exception to raise from (key, message).
    """
    where = table.get("posterior")
    if where is None:
        return None
    if not isinstance(where, str) or not where:
        raise error("uncertainty.posterior", f"{where!r} is not allowed; expected the path "
                                             "of a posterior.parquet or its folder")
    try:
        both = sorted(set(load_posterior(where).names) & set(fixed))
    except PosteriorError as exc:
        raise error("uncertainty.posterior", str(exc)) from None
    if both:
        raise error(f"fixed.{both[0]}", f"parameter {both[0]!r} is fixed and also in the "
                                        f"posterior {where}; remove one of them")
    return where


def write_posterior(posterior: Posterior, path: Path | str) -> Path:
    """Write ``posterior`` in the file format above (atomically)."""
    path = Path(path)
    table = pd.concat([posterior.params, pd.Series(posterior.weights, name=WEIGHT),
                       posterior.extra], axis=1)
    atomic_write(path, lambda p: table.to_parquet(p, index=False))
    return path
