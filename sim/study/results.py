"""A results folder as one Python object: what notebooks and scripts work with.

::

    res = sim.load_results("results/headline")   # or what sim.run_sweep / run_whatif return
    res.summaries        # one row per finished run: run_id, seed, labels, summary measures
    res.daily            # the kept daily rows of those runs
    res.failures         # runs whose latest attempt failed
    res.to_xarray()      # design point x replicate (x day) arrays (needs xarray)

The handle reads the folder on every access (never a stale copy while a sweep is still
writing to it). It opens the folder of a sweep, of one sensitivity design (``morris/``,
``sobol/``), of a what-if study (its runs are in ``runs/``) or any folder ``execute()``
wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.errors import UserError
from sim.study.design import summary_keys
from sim.study.layout import PARTS, SUMMARY_FILE
from sim.study.runner import ExecuteReport, read_manifest
from sim.study.storage import load_daily, load_failures, load_summaries

if TYPE_CHECKING:
    import xarray as xr

#: Label columns that name a run's design point (first found wins), in sweeps
#: (``point``), what-if studies (``scenario``) and hand-made run specs (``cell``).
POINT_LABELS = ("point", "scenario", "cell")
KINDS = ("all", "summary", "daily")


class ResultsError(UserError):
    """A folder that holds no results, or a request the results cannot answer."""


def _is_results(folder: Path) -> bool:
    return (folder / PARTS).is_dir()


def runs_folder(path: Path) -> Path:
    """The folder holding the runs of ``path`` (``path`` itself, or its ``runs/``).

    Raises:
        ResultsError: ``path`` does not exist or holds no results; for a sensitivity
            folder, the message names its design folders.
    """
    path = Path(path)
    if not path.is_dir():
        raise ResultsError(f"results folder {str(path)!r} does not exist")
    if _is_results(path):
        return path
    if _is_results(path / "runs"):
        return path / "runs"
    inside = sorted(d.name for d in path.iterdir() if d.is_dir() and _is_results(d))
    if inside:
        raise ResultsError(f"{path} holds no runs itself but results folders "
                           f"{', '.join(inside)}: open one of those, e.g. "
                           f"load_results({str(path / inside[0])!r})")
    raise ResultsError(f"{path} holds no results; expected a folder written by tis-sim "
                       "sweep, sensitivity or whatif (or by sim.study.runner.execute)")


class Results:
    """The results of a sweep, sensitivity design or what-if study (see the module doc).

    Args:
        path: the folder given to the run (``results/<name>``).
        report: what the session that produced the handle did (run functions set it).
        analysis: the what-if analysis (``sim.run_whatif`` sets it).

    Attributes:
        path: the folder given.
        runs_dir: the folder that holds the runs (``path`` or ``path/runs``).
        report: an ``ExecuteReport`` or None.
        analysis: a ``sim.whatif.report.Analysis`` or None.

    Raises:
        ResultsError: the folder does not exist or holds no results.
    """

    def __init__(self, path: Path | str, *, report: ExecuteReport | None = None,
                 analysis: Any = None) -> None:
        self.path = Path(path)
        self.runs_dir = runs_folder(self.path)
        self.report = report
        self.analysis = analysis

    @property
    def manifest(self) -> dict[str, Any]:
        """The runs' manifest (what was run, seeds, versions, sessions)."""
        return read_manifest(self.runs_dir)

    @property
    def summaries(self) -> pd.DataFrame:
        """One row per finished run, by run_id (``load_summaries``)."""
        return load_summaries(self.runs_dir)

    @property
    def daily(self) -> pd.DataFrame:
        """run_id, labels, day and the daily measures, by run_id and day (``load_daily``)."""
        return load_daily(self.runs_dir)

    @property
    def failures(self) -> pd.DataFrame:
        """Runs whose latest attempt failed: run_id, seed, labels, error, traceback."""
        return load_failures(self.runs_dir)

    @property
    def summary_file(self) -> Path | None:
        """``summary.parquet`` (for other tools), or None while a session is unfinished."""
        path = self.runs_dir / SUMMARY_FILE
        return path if path.is_file() else None

    @property
    def design(self) -> pd.DataFrame | None:
        """A sweep's design points (``design.csv``, indexed by point), else None."""
        path = self.path / "design.csv"
        return pd.read_csv(path, index_col="point") if path.is_file() else None

    def tables(self) -> list[str]:
        """Names of the CSV tables the report wrote (for :meth:`table`)."""
        found = [*self.path.glob("*.csv"), *(self.path / "tables").glob("*.csv")]
        return sorted(p.stem for p in found)

    def table(self, name: str) -> pd.DataFrame:
        """A CSV table of the report, e.g. ``differences`` (what-if) or ``cells`` (sweep).

        Raises:
            ResultsError: no such table (the message lists the tables there are).
        """
        for path in (self.path / f"{name}.csv", self.path / "tables" / f"{name}.csv"):
            if path.is_file():
                return pd.read_csv(path)
        raise ResultsError(f"{self.path}: no table {name!r}; the tables are: "
                           + (", ".join(self.tables()) or "none (no report written yet)"))

    def to_xarray(self, kind: str = "all") -> xr.Dataset:
        """The results as an ``xarray.Dataset`` over design point x replicate (x day).

        Dimensions: the design point (``point`` in sweeps, ``scenario`` in what-if
        studies), ``replicate`` and, for daily measures, ``day``; runs without a result
        are NaN. Summary measures are variables over (point, replicate), daily measures
        over (point, replicate, day); with ``kind="all"`` a daily measure that is also a
        summary measure is named ``daily_<name>`` (``tickets_created``). Other labels
        (swept ``param_*`` values, ``seed``) become coordinates on the dimension they
        vary along. Folders whose runs have no (point, replicate) labels get one
        dimension, ``run_id``.

        Args:
            kind: ``all``, ``summary`` or ``daily``.

        Raises:
            ValueError: an unknown ``kind``.
            ResultsError: xarray is not installed (the ``analysis`` extra), or there are
                no rows of that kind.
        """
        if kind not in KINDS:
            raise ValueError(f"kind {kind!r} is not allowed; expected one of {KINDS}")
        try:
            import xarray as xr
        except ImportError:
            raise ResultsError("Results.to_xarray needs xarray; install the analysis "
                               "extra: pip install 'tis-sim[analysis]'") from None
        s = self.summaries
        if s.empty:
            raise ResultsError(f"{self.runs_dir}: no finished runs yet")
        known = set(summary_keys())
        measures = [c for c in s.columns if c in known]
        dims = _dims(s)
        parts = []
        if kind in ("all", "summary"):
            parts.append(s.set_index(dims)[measures].to_xarray())
        if kind in ("all", "daily"):
            d = self.daily
            if d.empty:
                if kind == "daily":
                    raise ResultsError(f"{self.runs_dir}: no daily rows were kept")
            else:
                labels = set(s.columns) - set(measures)
                names = [c for c in d.columns if c not in labels and c != "day"]
                table = d.set_index([*dims, "day"])[names]
                if kind == "all":
                    table = table.rename(columns={c: f"daily_{c}" for c in names
                                                  if c in measures})
                parts.append(table.to_xarray())
        ds = xr.merge(parts, join="outer", compat="no_conflicts")
        for name in [c for c in s.columns if c not in measures and c not in dims]:
            ds = ds.assign_coords({name: _coordinate(s, dims, name)})
        man = self.manifest
        ds.attrs.update({k: man[k] for k in ("kind", "experiment", "study", "days")
                         if man.get(k) is not None})
        ds.attrs["source"] = str(self.runs_dir)
        return ds

    def __repr__(self) -> str:
        man = self.manifest
        name = man.get("experiment") or man.get("study") or self.path.name
        return (f"<Results {man.get('kind', 'runs')} {name!r} in {self.path}: "
                f"{man.get('done', '?')} of {man.get('runs', '?')} runs done, "
                f"{man.get('failed', '?')} failed, status {man.get('status', '?')}>")


def _dims(s: pd.DataFrame) -> list[str]:
    """(point label, replicate) when they identify the runs, else run_id."""
    point = next((c for c in POINT_LABELS if c in s.columns), None)
    if point and "replicate" in s.columns and not s.duplicated([point, "replicate"]).any():
        return [point, "replicate"]
    return ["run_id"]


def _coordinate(s: pd.DataFrame, dims: list[str], name: str) -> tuple[Any, Any]:
    """A label as a coordinate on the dimension(s) it varies along."""
    for dim in dims:
        if s.groupby(dim, sort=True)[name].nunique(dropna=False).le(1).all():
            values = s.groupby(dim, sort=True)[name].first()
            return dim, values.to_numpy()
    return tuple(dims), s.set_index(dims)[name].to_xarray().to_numpy()


def load_results(path: Path | str) -> Results:
    """Open a results folder (see :class:`Results`).

    Raises:
        ResultsError: the folder does not exist or holds no results.
    """
    return Results(path)
