"""The Python front end: sweeps and what-if studies from notebooks and scripts.

The same machinery as ``tis-sim sweep`` and ``tis-sim whatif`` (resumable, seeded, any
backend, the same report), driven from Python objects and returning a
:class:`~sim.study.results.Results` handle instead of printing::

    import sim

    exp = sim.Experiment.from_dict({"experiment": {"seed": 1, "days": 180},
                                    "sweep": {"specialist_fte": {"values": [0.2, 0.8]}}})
    res = sim.run_sweep(exp, "results/fte")
    res.summaries.groupby("param_specialist_fte")["final_users_share"].mean()

    res = sim.run_whatif("experiments/policies.toml", replicates=5)
    res.table("differences")

In a script (not a notebook), keep these calls under ``if __name__ == "__main__":``: the
local process pool starts its workers by importing the script.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.study.experiment import Experiment
from sim.study.results import Results
from sim.sweep.report import clear_report, write_report
from sim.sweep.run import default_out, run_experiment
from sim.whatif.run import default_out as default_study_out
from sim.whatif.run import run_study
from sim.whatif.scenarios import Study, load_study, parse_study

__all__ = ["run_sweep", "run_whatif"]


def _experiment(experiment: Experiment | Mapping[str, Any] | str | Path) -> Experiment:
    if isinstance(experiment, Experiment):
        return experiment
    if isinstance(experiment, Mapping):
        return Experiment.from_dict(experiment)
    return Experiment.from_file(experiment)


def _study(study: Study | Mapping[str, Any] | str | Path, overrides: dict[str, Any]) -> Study:
    if isinstance(study, Study):
        return parse_study(study.text, study.path, **overrides) if overrides else study
    if isinstance(study, Mapping):
        return Study.from_dict(study, **overrides)
    return load_study(study, **overrides)


def run_sweep(experiment: Experiment | Mapping[str, Any] | str | Path,
              out_dir: Path | str | None = None, *, backend: str = "local",
              scheduler: str | None = None, workers: int | None = None, fresh: bool = False,
              report: bool = True, progress: bool = True) -> Results:
    """Run (or resume) every run of an experiment, write its report, return the results.

    Like ``tis-sim sweep``: runs already in ``out_dir`` are skipped and failed ones retried;
    a folder holding different runs is refused (``fresh=True`` starts over).

    Args:
        experiment: an :class:`Experiment`, a dict of the file's tables
            (``Experiment.from_dict``) or the path of an experiment file.
        out_dir: results folder (default ``results/<experiment name>``).
        backend: ``local`` (process pool over all cores), ``serial`` or ``dask``.
        scheduler: Dask scheduler address, or ``local`` for a LocalCluster.
        workers: worker processes (default: all cores).
        fresh: discard earlier results and report in ``out_dir`` first.
        report: write ``report.md``, figures and tables (when any run finished).
        progress: show a progress bar on stderr.

    Returns:
        The :class:`Results` of ``out_dir``; ``.report`` says what this call ran; failed
        runs are in ``.failures`` (they are recorded, never raised).

    Raises:
        ExperimentFileError: the experiment is not valid (one line naming the key).
        StoreMismatchError: ``out_dir`` holds results of other runs.
    """
    exp = _experiment(experiment)
    out = Path(out_dir) if out_dir is not None else default_out(exp)
    if fresh:
        clear_report(out)
    done = run_experiment(exp, out, backend=backend, scheduler=scheduler, workers=workers,
                          fresh=fresh, progress=progress)
    if report and done.ran + done.skipped:
        write_report(out)
    return Results(out, report=done)


def run_whatif(study: Study | Mapping[str, Any] | str | Path,
               out_dir: Path | str | None = None, *, replicates: int | None = None,
               days: int | None = None, worlds: int | None = None, backend: str = "local",
               scheduler: str | None = None, workers: int | None = None, fresh: bool = False,
               progress: bool = True) -> Results:
    """Run (or resume) a what-if study, write its report, return the results.

    Like ``tis-sim whatif``: every scenario x replicate against the baseline on common
    random numbers; finished runs in ``out_dir`` are kept.

    Args:
        study: a :class:`Study`, a dict of the scenario file's tables
            (``Study.from_dict``) or the path of a scenario file.
        out_dir: results folder (default ``results/<study name>``, or
            ``results/<name>-<N>rep-<N>d[-<K>w]`` when ``replicates``, ``days`` or
            ``worlds`` are given).
        replicates: override the study's replicates (at least 2).
        days: override the study's horizon (school days).
        worlds: override the ``[uncertainty]`` table's number of parameter worlds.
        backend: ``local``, ``serial`` or ``dask`` (as in :func:`run_sweep`).
        scheduler: Dask scheduler address, or ``local``.
        workers: worker processes (default: all cores).
        fresh: discard the study's earlier runs first.
        progress: show a progress bar on stderr.

    Returns:
        The :class:`Results` of ``out_dir`` (runs in ``out_dir/runs``), with ``.analysis``
        (the report's tables as DataFrames) and ``.table("differences")`` and the like.

    Raises:
        ScenarioError: the study is not valid (one line naming the table and key).
        UserError: no run finished, so there is nothing to report.
    """
    overrides = {k: v for k, v in (("replicates", replicates), ("days", days),
                                   ("worlds", worlds)) if v is not None}
    st = _study(study, overrides)
    out = Path(out_dir) if out_dir is not None else default_study_out(st, bool(overrides))
    done, analysis, _ = run_study(st, out, backend=backend, scheduler=scheduler,
                                  workers=workers, fresh=fresh, progress=progress)
    return Results(out, report=done, analysis=analysis)
