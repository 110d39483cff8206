"""Calibration files (TOML): priors, patterns, observed data and the ABC-SMC budget.

``experiments/calibration.toml`` is the annotated example; the README section
"Calibration" lists every key. Parameter names, types and ranges come from
:data:`sim.params.PARAMS`, output names from the model itself, so every mistake is one
:class:`CalibrationFileError` naming the file, the key and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.calibrate.observed import Observation, load_observed
from sim.calibrate.patterns import (
    NAME,
    CalibrationFileError,
    Pattern,
    as_float,
    as_int,
    err,
    parse_pattern,
)
from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.errors import UserError
from sim.files import parse_toml, read_text
from sim.params import PARAMS, PRESETS, resolve
from sim.study.bounds import MAX_YEARS, YEARS_ALLOWED, over_limit
from sim.study.experiment import Dimension, ExperimentFileError
from sim.study.experiment import _only_keys as only_keys  # shared key checks
from sim.study.experiment import _param as param_spec
from sim.study.experiment import dimension as parse_dimension  # shared with sweeps
from sim.study.paths import check_folder_name

TABLES = ("calibration", "fixed", "parameters", "arms", "observed", "patterns")
SETTINGS = ("name", "description", "preset", "days", "years", "replicates", "seed",
            "population", "generations", "quantile", "min_epsilon", "predictive")
@dataclass(frozen=True)
class Calibration:
    """A checked calibration file (see the module doc)."""

    path: Path
    text: str
    name: str
    description: str
    preset: str
    fixed: dict[str, Any]
    priors: tuple[Dimension, ...]
    patterns: tuple[Pattern, ...]
    arms: dict[str, dict[str, Any]] = field(default_factory=dict)
    days: int = 3 * DAYS_PER_YEAR
    replicates: int = 1
    seed: int = 0
    population: int = 100
    generations: int = 6
    quantile: float = 0.5
    min_epsilon: float = 0.0
    predictive: int = 100
    observed_file: Path | None = None

    @property
    def names(self) -> list[str]:
        """The fitted parameters' names."""
        return [d.name for d in self.priors]


def _checked(path: Path, key: str, name: str, value: Any) -> Any:
    spec = param_spec(path, key, name)
    try:
        return spec.check(value)
    except UserError as exc:
        raise err(path, key, str(exc)) from None


def _prior(path: Path, name: str, table: Any) -> Dimension:
    key = f"parameters.{name}"
    spec = param_spec(path, key, name)
    if spec.kind not in ("int", "float"):
        raise err(path, key, f"parameter {name!r} takes {spec.allowed()}; only numeric "
                              "parameters can be fitted (fix it in [fixed] instead)")
    table = dict(only_keys(path, key, table, ("range", "distribution", "mode", "mean", "sd")))
    table.setdefault("range", [spec.low, spec.high])
    dim = parse_dimension(path, name, table, "lhs", key=key)
    if dim.low == dim.high:
        raise err(path, key, "the prior range must not be a single value")
    return dim


def load_calibration(path: Path | str) -> Calibration:
    """Read and check a calibration file.

    Raises:
        CalibrationFileError: naming the file, the key and what is allowed (also for a
            missing or malformed observed-data file it names).
    """
    path = Path(path)  # the one input reader: missing, folder, encoding, size, ...
    return parse_calibration(read_text(path, "calibration file", error=CalibrationFileError),
                             path)


def parse_calibration(text: str, path: Path) -> Calibration:
    """Check the text of a calibration file (``path`` names it and anchors relative paths)."""
    try:
        return _parse(text, Path(path))
    except ExperimentFileError as exc:  # from the checks shared with experiment files
        raise CalibrationFileError(str(exc)) from None


def _parse(text: str, path: Path) -> Calibration:
    data = parse_toml(text, path, error=CalibrationFileError)
    for k in data:
        if k not in TABLES:
            raise err(path, k, "unknown table; valid tables are: "
                                + ", ".join(f"[{t}]" for t in TABLES))
    cal = only_keys(path, "calibration", data.get("calibration", {}), SETTINGS)
    preset = cal.get("preset", "default")
    if preset not in PRESETS:
        raise err(path, "calibration.preset", f"{preset!r} is not allowed; expected one of "
                                               + ", ".join(sorted(PRESETS)))
    if "days" in cal and "years" in cal:
        raise err(path, "calibration", "give 'days' or 'years', not both")
    if "years" in cal:  # bounded and reported in years, the unit the user wrote
        years = as_int(path, "calibration.years", cal["years"], 1, YEARS_ALLOWED)
        if years > MAX_YEARS:
            raise err(path, "calibration.years", f"{years!r} is not allowed; expected "
                                                 f"{YEARS_ALLOWED}")
        days = years * DAYS_PER_YEAR
    else:
        days = as_int(path, "calibration.days", cal.get("days", 3 * DAYS_PER_YEAR), 1,
                      "an integer >= 1 (school days; 180 per year)")
        if over_limit("days", days):
            raise err(path, "calibration.days", f"{over_limit('days', days)}")
    fixed = {n: _checked(path, f"fixed.{n}", n, v)
             for n, v in only_keys(path, "fixed", data.get("fixed", {}), tuple(PARAMS)).items()}
    priors_table = data.get("parameters", {})
    if not isinstance(priors_table, dict) or not priors_table:
        raise err(path, "parameters", "give at least one fitted parameter, as a table "
                                       "[parameters.NAME] (empty: its full range, uniform)")
    priors = tuple(_prior(path, n, t) for n, t in priors_table.items())
    both = sorted(set(fixed) & {d.name for d in priors})
    if both:
        raise err(path, f"parameters.{both[0]}", f"parameter {both[0]!r} is both fixed and "
                                                  "fitted")
    _check_model(path, preset, fixed, priors)
    arms = _arms(path, data.get("arms", {}), preset, fixed)
    observed_file, observed = _observed(path, data.get("observed"))
    base = resolve(preset, **fixed)
    patterns_table = data.get("patterns", {})
    if not isinstance(patterns_table, dict) or not patterns_table:
        raise err(path, "patterns", "give at least one pattern, as a table [patterns.NAME]")
    patterns = tuple(parse_pattern(path, n, t, days, arms, observed, base)
                     for n, t in patterns_table.items())
    population = _bounded(path, "calibration.population", cal.get("population", 100),
                          "samples", "particles per generation", low=10)
    return Calibration(
        path=path, text=text,
        name=check_folder_name(cal.get("name", path.stem), f"{path}: [calibration] name"
                               + ("" if "name" in cal else " (default: the file name)"),
                               CalibrationFileError),
        description=str(cal.get("description", "")), preset=preset, fixed=fixed,
        priors=priors, patterns=patterns, arms=arms, days=days,
        replicates=_bounded(path, "calibration.replicates", cal.get("replicates", 1),
                            "replicates", "runs per parameter set, averaged"),
        seed=as_int(path, "calibration.seed", cal.get("seed"), 0,
                  "a non-negative integer (the master seed; required)"),
        population=population,
        generations=as_int(path, "calibration.generations", cal.get("generations", 6), 1,
                         "an integer >= 1 (ABC-SMC generations; the first samples the prior)"),
        quantile=as_float(path, "calibration.quantile", cal.get("quantile", 0.5),
                        "a number between 0 and 1 (exclusive)", lambda v: 0 < v < 1),
        min_epsilon=as_float(path, "calibration.min_epsilon", cal.get("min_epsilon", 0.0),
                           "a number >= 0", lambda v: v >= 0),
        predictive=as_int(path, "calibration.predictive", cal.get("predictive", population), 0,
                        "an integer >= 0 (posterior predictive runs for the report)"),
        observed_file=observed_file,
    )


def _check_model(path: Path, preset: str, fixed: dict, priors: tuple[Dimension, ...]) -> None:
    """The fixed parameters with every prior at its midpoint must make a valid model."""
    mid = {d.name: (d.low + d.high) / 2 for d in priors}
    mid = {n: round(v) if PARAMS[n].kind == "int" else v for n, v in mid.items()}
    try:
        resolve(preset, **fixed, **mid)
    except UserError as exc:
        raise err(path, "parameters", f"the fixed parameters with the priors' midpoints are "
                                       f"not a valid model: {exc}") from None


def _arms(path: Path, table: Any, preset: str, fixed: dict) -> dict[str, dict[str, Any]]:
    if not isinstance(table, dict):
        raise err(path, "arms", "must hold one table per arm: [arms.NAME] parameter = value")
    arms = {}
    for name, values in table.items():
        key = f"arms.{name}"
        if not NAME.match(name):
            raise err(path, key, "arm names start with a letter and hold letters, digits, _")
        values = only_keys(path, key, values, tuple(PARAMS))
        if not values:
            raise err(path, key, "an arm changes at least one parameter")
        arms[name] = {n: _checked(path, f"{key}.{n}", n, v) for n, v in values.items()}
        try:
            resolve(preset, **{**fixed, **arms[name]})
        except UserError as exc:
            raise err(path, key, f"not a valid model: {exc}") from None
    return arms


def _observed(path: Path, table: Any) -> tuple[Path | None, list[Observation]]:
    if table is None:
        return None, []
    table = only_keys(path, "observed", table, ("file",))
    if not isinstance(table.get("file"), str) or not table["file"]:
        raise err(path, "observed.file", "expected the path of a CSV file (relative to "
                                          "this calibration file)")
    file = Path(table["file"])
    file = file if file.is_absolute() else path.parent / file
    try:
        return file, load_observed(file)
    except UserError as exc:
        raise err(path, "observed.file", str(exc)) from None




def _bounded(path: Path, key: str, value: Any, limit: str, what: str, low: int = 1) -> int:
    """An integer from ``low`` up to the hard limit ``limit`` of :mod:`sim.study.bounds`."""
    value = as_int(path, key, value, low, f"an integer >= {low} ({what})")
    problem = over_limit(limit, value)
    if problem:
        raise err(path, key, f"{problem}; expected an integer >= {low} ({what})")
    return value
