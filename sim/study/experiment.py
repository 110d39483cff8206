"""Experiment files (TOML): parse and check them against the one parameter table.

An experiment file names fixed parameters (or a preset), the swept parameters (values,
ranges or distributions), the sampler, replicates, horizon, what to keep and the master
seed. Every mistake is one :class:`ExperimentFileError` naming the file, the key and what
is allowed (types and ranges from :data:`sim.params.PARAMS`); README "Parameter sweeps".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.errors import UserError, did_you_mean
from sim.files import parse_toml, read_text
from sim.params import PARAMS, PRESETS, ParamSpec
from sim.study.bounds import MAX_YEARS, YEARS_ALLOWED, over_limit
from sim.study.dicts import SOURCE, toml_text
from sim.study.paths import check_folder_name
from sim.study.posterior import posterior_path

SAMPLERS = ("grid", "lhs", "sobol", "morris")
DISTRIBUTIONS = ("uniform", "loguniform", "triangular", "truncnormal")
METHODS = ("morris", "sobol")
TABLES = {
    "experiment": ("name", "description", "preset", "sampler", "samples", "levels",
                   "second_order", "replicates", "days", "years", "seed"),
    "keep": ("daily_every",),
    "fixed": (),  # parameter names
    "sweep": (),  # parameter names, each a table of DIMENSION_KEYS
    "report": ("outputs", "x", "curve_cells", "curve_measure"),
    "sensitivity": ("methods", "outputs", "morris_trajectories", "morris_levels",
                    "sobol_samples", "sobol_second_order", "bootstrap"),
    "uncertainty": ("posterior",),
}
DIMENSION_KEYS = ("values", "range", "steps", "distribution", "mode", "mean", "sd")


class ExperimentFileError(UserError):
    """A mistake in an experiment file; the message names the file and the key."""


@dataclass(frozen=True)
class Dimension:
    """One swept parameter.

    Attributes:
        name: the parameter name (a key of PARAMS).
        values: explicit values (grid points, or a discrete factor for other samplers).
        low: lower end of a range (samplers draw in it; grids split it into ``steps``).
        high: upper end of a range.
        distribution: how samplers draw in the range (``uniform`` unless stated).
        options: distribution settings (``mode``; ``mean`` and ``sd``).
    """

    name: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    distribution: str = "uniform"
    options: dict[str, float] = field(default_factory=dict)

    spec = property(lambda self: PARAMS[self.name], doc="The parameter's metadata.")


@dataclass(frozen=True)
class Experiment:
    """A checked experiment file (see the module doc)."""

    path: Path
    text: str
    name: str
    description: str
    preset: str
    fixed: dict[str, Any]
    dims: tuple[Dimension, ...]
    sampler: str
    samples: int | None
    levels: int
    second_order: bool
    replicates: int
    days: int
    seed: int
    daily_every: int
    report: dict[str, Any]
    sensitivity: dict[str, Any]
    posterior: str | None = None

    def where(self, key: str) -> str:
        """``file: [key]`` prefix of error messages."""
        return f"{self.path}: [{key}]"

    @classmethod
    def from_file(cls, path: Path | str) -> Experiment:
        """Read and check an experiment file (same as :func:`load_experiment`)."""
        return load_experiment(Path(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, name: str | None = None) -> Experiment:
        """An experiment from the file's tables as dicts, checked exactly like a file.

        E.g. ``{"experiment": {"seed": 1, "days": 180}, "sweep": {"specialist_fte":
        {"values": [0.2, 0.8]}}}``. ``name`` (default ``data["experiment"]["name"]``, else
        ``"experiment"``) names the results folder; ``exp.text`` is the equivalent file.

        Raises:
            ExperimentFileError: one line naming ``<dict>``, the key and what is allowed.
        """
        table = data.get("experiment", {}) if isinstance(data, Mapping) else None
        if isinstance(table, Mapping) and (name is not None or "name" not in table):
            data = {**data, "experiment": {**table, "name": name or "experiment"}}
        return parse_experiment(toml_text(data, ExperimentFileError, SOURCE), Path(SOURCE))


def _err(path: Path, key: str, message: str) -> ExperimentFileError:
    return ExperimentFileError(f"{path}: [{key}] {message}")


def _only_keys(path: Path, key: str, table: Any, allowed: tuple[str, ...]) -> dict:
    if not isinstance(table, dict):
        raise _err(path, key, f"must be a table, got {table!r}")
    for k in table:
        if k not in allowed:
            raise _err(path, key, f"unknown key {k!r}{did_you_mean(k, list(allowed))}; valid "
                                  "keys are: " + ", ".join(allowed))
    return table


def _param(path: Path, key: str, name: str) -> ParamSpec:
    if name not in PARAMS:
        raise _err(path, key, f"unknown parameter {name!r}{did_you_mean(name, list(PARAMS))}; "
                              "`tis-sim params` lists the valid names: "
                              + ", ".join(sorted(PARAMS)))
    return PARAMS[name]


def _int(path: Path, key: str, value: Any, low: int, what: str, limit: str | None = None,
         high: float = math.inf) -> int:  # limit: a hard limit of sim.study.bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _err(path, key, f"{value!r} is not allowed; expected {what}")
    if limit and (problem := over_limit(limit, value)):
        raise _err(path, key, problem)
    return value


def _check(path: Path, key: str, spec: ParamSpec, value: Any) -> Any:
    try:
        return spec.check(value)
    except UserError as exc:
        raise _err(path, key, str(exc)) from None


def dimension(path: Path, name: str, table: Any, sampler: str, where: str = "sweep",
              key: str = "") -> Dimension:
    """One ``[sweep.NAME]`` table (``[uncertainty.NAME]``, a calibration prior: ``key``)."""
    key = key or f"{where}.{name}"
    spec = _param(path, key, name)
    table = _only_keys(path, key, table, DIMENSION_KEYS)
    has_values, has_range = "values" in table, "range" in table
    if has_values == has_range:
        raise _err(path, key, "give exactly one of 'values' (a list) or 'range' ([low, high])")
    if has_values:
        extra = sorted(set(table) - {"values"})
        if extra:
            raise _err(path, key, f"{extra[0]!r} cannot be combined with 'values'")
        raw = table["values"]
        if not isinstance(raw, list) or not raw:
            raise _err(path, key, f"values must be a non-empty list, got {raw!r}")
        values = tuple(_check(path, key, spec, v) for v in raw)
        if len(set(values)) != len(values):
            raise _err(path, key, f"values {raw!r} repeat an entry")
        return Dimension(name, values=values)
    if spec.kind not in ("int", "float"):
        raise _err(path, key, f"parameter {name!r} takes {spec.allowed()}: sweep it with "
                              "'values', not 'range'")
    bounds = table["range"]
    if (not isinstance(bounds, list) or len(bounds) != 2
            or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
            or not bounds[0] < bounds[1]):
        raise _err(path, key, f"range {bounds!r} is not allowed; expected [low, high] with "
                              "low < high")
    low, high = float(bounds[0]), float(bounds[1])
    if low < spec.low or high > spec.high:
        raise _err(path, key, f"range {bounds!r} is outside the allowed range of parameter "
                              f"{name!r} ({spec.allowed()})")
    if sampler == "grid":
        extra = sorted(set(table) - {"range", "steps"})
        if extra:
            raise _err(path, key, f"{extra[0]!r} is for sampled designs (lhs, sobol, morris);"
                                  " a grid splits the range into 'steps' values")
        steps = _int(path, f"{key}.steps", table.get("steps"), 2,
                     "an integer of at least 2 (grid points across the range)", "steps")
        values = [low + (high - low) * i / (steps - 1) for i in range(steps)]
        if spec.kind == "int":
            values = [round(v) for v in values]
            if len(set(values)) != len(values):
                raise _err(path, key, f"{steps} steps across {bounds!r} repeat integer "
                                      f"values; use at most {int(high - low) + 1} steps")
        else:
            values = [round(v, 12) for v in values]  # 0.30000000000000004 -> 0.3
        return Dimension(name, values=tuple(_check(path, key, spec, v) for v in values))
    if "steps" in table:
        raise _err(path, key, f"'steps' is for grids; the {sampler} sampler draws "
                              "points in the range")
    return _distribution(path, key, name, table, low, high)


def _distribution(path: Path, key: str, name: str, table: dict, low: float,
                  high: float) -> Dimension:
    dist = table.get("distribution", "uniform")
    if dist not in DISTRIBUTIONS:
        raise _err(path, f"{key}.distribution", f"{dist!r} is not allowed; expected one of "
                                                + ", ".join(DISTRIBUTIONS))
    needs = {"uniform": (), "loguniform": (), "triangular": ("mode",),
             "truncnormal": ("mean", "sd")}[dist]
    given = set(table) - {"range", "distribution"}
    if given != set(needs):
        raise _err(path, key, f"distribution {dist!r} takes "
                              + (" and ".join(repr(n) for n in needs) or "no further keys")
                              + f" besides 'range' (got {sorted(given)})")
    options = {}
    for n in needs:
        v = table[n]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise _err(path, f"{key}.{n}", f"{v!r} is not allowed; expected a number")
        options[n] = float(v)
    if dist == "loguniform" and low <= 0:
        raise _err(path, key, f"a loguniform range must be positive, got [{low}, {high}]")
    if dist == "triangular" and not low <= options["mode"] <= high:
        raise _err(path, f"{key}.mode", f"{options['mode']} is not inside the range "
                                        f"[{low}, {high}]")
    if dist == "truncnormal" and options["sd"] <= 0:
        raise _err(path, f"{key}.sd", f"{options['sd']} is not allowed; expected sd > 0")
    return Dimension(name, low=low, high=high, distribution=dist, options=options)


def load_experiment(path: Path) -> Experiment:
    """Read and check an experiment file.

    Raises:
        ExperimentFileError: naming the file, the key and what is allowed.
    """
    path = Path(path)
    return parse_experiment(read_text(path, "experiment file", error=ExperimentFileError), path)


def parse_experiment(text: str, path: Path) -> Experiment:
    """Check the text of an experiment file (``path`` names it in error messages).

    Reports use this on the text stored in a manifest, so they describe the experiment as
    it was run even if the file has changed since.
    """
    path = Path(path)
    data = parse_toml(text, path, ExperimentFileError)
    for k in data:
        if k not in TABLES:
            raise _err(path, k, f"unknown table{did_you_mean(k, list(TABLES))}; valid tables "
                                "are: " + ", ".join(f"[{t}]" for t in TABLES))
    exp = _only_keys(path, "experiment", data.get("experiment", {}), TABLES["experiment"])
    keep = _only_keys(path, "keep", data.get("keep", {}), TABLES["keep"])
    report = _only_keys(path, "report", data.get("report", {}), TABLES["report"])
    sens = _only_keys(path, "sensitivity", data.get("sensitivity", {}), TABLES["sensitivity"])
    unc = _only_keys(path, "uncertainty", data.get("uncertainty", {}), TABLES["uncertainty"])

    # A file with a [sensitivity] table samples with its first method unless told otherwise
    # (so `tis-sim sweep` on it runs that design, and ranges need no grid 'steps').
    sensitivity = _sensitivity(path, sens) if "sensitivity" in data else {}
    sampler = exp.get("sampler", sensitivity["methods"][0] if sensitivity else "grid")
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise _err(path, "experiment.sampler", f"{sampler!r} is not allowed; expected one "
                                               "of " + ", ".join(SAMPLERS))
    preset = exp.get("preset", "default")
    if not isinstance(preset, str) or preset not in PRESETS:
        raise _err(path, "experiment.preset", f"{preset!r} is not allowed; expected one of "
                                              + ", ".join(sorted(PRESETS)))
    samples = None
    if sampler == "grid":
        for k in ("samples", "levels", "second_order"):
            if k in exp:
                raise _err(path, f"experiment.{k}", "is for sampled designs (lhs, sobol, "
                                                    "morris), not for sampler = 'grid'")
    else:
        implied = {"morris": sensitivity.get("morris_trajectories"),
                   "sobol": sensitivity.get("sobol_samples")}.get(sampler)
        samples = _int(path, "experiment.samples", exp.get("samples", implied),
                       {"lhs": 1, "sobol": 2, "morris": 2}[sampler],
                       {"lhs": "an integer >= 1 (points drawn)",
                        "sobol": "a power of two >= 2 (base samples N; runs N*(D+2) points)",
                        "morris": "an integer >= 2 (trajectories; D+1 points each)"}[sampler],
                       "samples")
        if sampler == "sobol" and samples & (samples - 1):
            raise _err(path, "experiment.samples", f"{samples} is not allowed for sobol; "
                                                   "expected a power of two (16, 32, 64, ...)")
    levels = _int(path, "experiment.levels",
                  exp.get("levels", sensitivity.get("morris_levels", 4)), 2,
                  "an even integer >= 2", "levels")
    if levels % 2:
        raise _err(path, "experiment.levels", f"{levels} is not allowed; expected an even "
                                              "integer >= 2 (Morris grid levels)")
    second_order = exp.get("second_order", sensitivity.get("sobol_second_order", False))
    if not isinstance(second_order, bool):
        raise _err(path, "experiment.second_order", f"{second_order!r} is not allowed; "
                                                    "expected true or false")
    if "days" in exp and "years" in exp:
        raise _err(path, "experiment", "give 'days' or 'years', not both")
    if "years" in exp:
        # bounded and reported in years, the unit the user wrote
        days = DAYS_PER_YEAR * _int(path, "experiment.years", exp["years"], 1, YEARS_ALLOWED,
                                    high=MAX_YEARS)
    else:
        days = _int(path, "experiment.days", exp.get("days", 3 * DAYS_PER_YEAR), 1,
                    "an integer >= 1 (school days; 180 per year)", "days")

    fixed_table = data.get("fixed", {})
    if not isinstance(fixed_table, dict):
        raise _err(path, "fixed", "must be a table of parameter = value")
    fixed = {name: _check(path, f"fixed.{name}", _param(path, f"fixed.{name}", name), value)
             for name, value in fixed_table.items()}
    sweep = data.get("sweep", {})
    if not isinstance(sweep, dict):
        raise _err(path, "sweep", "must hold one table per swept parameter")
    dims = tuple(dimension(path, name, table, sampler) for name, table in sweep.items())
    both = sorted(set(fixed) & set(sweep))
    if both:
        raise _err(path, f"sweep.{both[0]}", f"parameter {both[0]!r} is both fixed and swept")
    if not dims and sampler != "grid":
        raise _err(path, "sweep", f"the {sampler} sampler needs at least one swept parameter")
    return Experiment(
        path=path, text=text,
        name=check_folder_name(exp.get("name", path.stem), f"{path}: [experiment] name"
                               + ("" if "name" in exp else " (default: the file name)"),
                               ExperimentFileError),
        description=str(exp.get("description", "")), preset=preset, fixed=fixed, dims=dims,
        sampler=sampler, samples=samples, levels=levels, second_order=second_order,
        replicates=_int(path, "experiment.replicates", exp.get("replicates", 1), 1,
                        "an integer >= 1", "replicates"), days=days,
        seed=_int(path, "experiment.seed", exp.get("seed"), 0, "a non-negative integer "
                  "below 2**63 (the master seed; required)", high=2**63 - 1),
        daily_every=_int(path, "keep.daily_every", keep.get("daily_every", 0), 0,
                         "an integer >= 0 (keep every k-th day; 0 keeps none)"),
        report=_report(path, report, dims), sensitivity=sensitivity,
        posterior=posterior_path(unc, fixed, lambda key, message: _err(path, key, message)),
    )


def _names(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise _err(path, key, f"{value!r} is not allowed; expected a non-empty list of names")
    return tuple(value)


def _report(path: Path, table: dict, dims: tuple[Dimension, ...]) -> dict[str, Any]:
    """What the report shows; output names are checked against the model's summary later."""
    out: dict[str, Any] = {"outputs": _names(path, "report.outputs", table["outputs"])
                           if "outputs" in table else None}
    swept = [d.name for d in dims]
    x = table.get("x", swept[0] if swept else None)
    if x is not None and x not in swept:
        raise _err(path, "report.x", f"{x!r} is not a swept parameter; expected one of "
                                     + ", ".join(swept))
    out["x"] = x
    out["curve_measure"] = table.get("curve_measure", "users_share")
    cells = table.get("curve_cells", [])
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise _err(path, "report.curve_cells", "expected a list of tables like "
                                               "{ specialist_fte = 0.1 }")
    for cell in cells:
        for name, value in cell.items():
            if name not in swept:
                raise _err(path, "report.curve_cells", f"{name!r} is not a swept parameter; "
                                                       "expected one of " + ", ".join(swept))
            _check(path, "report.curve_cells", PARAMS[name], value)
    out["curve_cells"] = [dict(c) for c in cells]
    return out


def _sensitivity(path: Path, table: dict) -> dict[str, Any]:
    """Settings of ``tis-sim sensitivity`` (defaults sized for a 2-core machine)."""
    methods = _names(path, "sensitivity.methods", table.get("methods", list(METHODS)))
    for m in methods:
        if m not in METHODS:
            raise _err(path, "sensitivity.methods", f"{m!r} is not allowed; expected some of "
                                                    + ", ".join(METHODS))
    samples = _int(path, "sensitivity.sobol_samples", table.get("sobol_samples", 32), 2,
                   "a power of two >= 2 (Sobol base samples N)", "samples")
    if samples & (samples - 1):
        raise _err(path, "sensitivity.sobol_samples", f"{samples} is not allowed; expected "
                                                      "a power of two (16, 32, 64, ...)")
    levels = _int(path, "sensitivity.morris_levels", table.get("morris_levels", 4), 2,
                  "an even integer >= 2", "levels")
    if levels % 2:
        raise _err(path, "sensitivity.morris_levels", f"{levels} is not allowed; expected "
                                                      "an even integer >= 2")
    second = table.get("sobol_second_order", False)
    if not isinstance(second, bool):
        raise _err(path, "sensitivity.sobol_second_order", f"{second!r} is not allowed; "
                                                           "expected true or false")
    return {
        "methods": methods,
        "outputs": _names(path, "sensitivity.outputs", table["outputs"])
        if "outputs" in table else None,
        "morris_trajectories": _int(path, "sensitivity.morris_trajectories",
                                    table.get("morris_trajectories", 10), 2,
                                    "an integer >= 2", "samples"),
        "morris_levels": levels, "sobol_samples": samples, "sobol_second_order": second,
        "bootstrap": _int(path, "sensitivity.bootstrap", table.get("bootstrap", 1000), 10,
                          "an integer >= 10 (bootstrap resamples for the intervals)",
                          "bootstrap"),
    }
