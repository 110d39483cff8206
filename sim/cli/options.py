"""Command-line options shared by the commands that run simulations.

``tis-sim sweep``, ``tis-sim sensitivity`` and ``tis-sim whatif`` take the same backend
options, and every command that runs the model takes ``--yes`` and ``--dry-run``; they are
defined once here so their names, help and checks never drift apart.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sim.errors import require_extra
from sim.network import ignored_with_files, load_network
from sim.study.backends import BACKENDS, DEFAULT_WORKER_TIMEOUT, BackendError, default_workers
from sim.study.bounds import LIMITS, MAX_YEARS, SOFT_CPU_HOURS, YEARS_UNIT, Work, check_work
from sim.study.paths import check_out_dir


def at_least(low: int, high: int | None = None, unit: str = "") -> Callable[[str], int]:
    """An argparse type: an integer of at least ``low`` (and at most ``high``).

    The message names the value as typed and the range in the option's own unit
    (``unit``, e.g. "school years of 180 days"), never in an internal one.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low or (high is not None and value > high):
            allowed = f">= {low}" if high is None else f"from {low} to {high:,}"
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed; expected an integer "
                                             f"{allowed}{f' {unit}' if unit else ''}")
        return value

    return parse


def within_limit(name: str, low: int) -> Callable[[str], int]:
    """An argparse type: an integer from ``low`` to the hard limit ``name`` (``LIMITS``)."""
    return at_least(low, LIMITS[name].high, LIMITS[name].what)


def school_years() -> Callable[[str], int]:
    """An argparse type: whole school years, at most the hard limit on days."""
    return at_least(1, MAX_YEARS, YEARS_UNIT)


def positive_seconds(text: str) -> float:
    """An argparse type: a number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; expected a number of "
                                         "seconds above 0")
    return value


def add_work_options(p: argparse.ArgumentParser) -> None:
    """--yes and --dry-run: the soft limit on work, and checking without running."""
    p.add_argument("--yes", action="store_true",
                   help=f"run even when the estimated CPU time is above {SOFT_CPU_HOURS:g} "
                        "CPU-hours (the soft limit)")
    p.add_argument("--dry-run", action="store_true",
                   help="check the input and print the number of runs and the estimated "
                        "CPU time; run nothing and write nothing")


def _workers(args: argparse.Namespace) -> int | None:
    """Workers the request will have (None: a Dask cluster's, unknown here)."""
    if getattr(args, "backend", None) == "serial":
        return 1
    if getattr(args, "scheduler", None) is None:
        return getattr(args, "workers", None) or default_workers()
    return None


def check_request(args: argparse.Namespace, work: Work) -> None:
    """Refuse work over the soft limit unless --yes; print the estimate of large work."""
    note = check_work(work, yes=args.yes, workers=_workers(args))
    if note and not args.dry_run:
        print(f"tis-sim {args.command}: {note}", file=sys.stderr)


def dry_run_done(args: argparse.Namespace, work: Work) -> int:
    """End a dry run whose checks all passed: say what would run (exit status 0)."""
    print(f"dry run: {work.describe(_workers(args))}; nothing was run or written")
    return 0


def out_folder(text: str) -> Path:
    """``--out``'s type: a folder name; empty (which would mean the current folder) refused."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is empty; expected a folder to write the "
                                         "results into (it is created if missing)")
    return Path(text)


def checked_out(args: argparse.Namespace, out: Path, option: str = "--out") -> Path:
    """The output folder, checked (and created) before any work (looked at in a dry run)."""
    return check_out_dir(out, option if args.out is not None else "results folder",
                         create=not args.dry_run)


def warn_ignored(args: argparse.Namespace, given: Mapping[str, Any], origin: str) -> None:
    """Say once which of the given parameters a loaded network makes irrelevant.

    A loaded network is read here, before any run, so its own warnings (a node table
    without specialists: :class:`sim.errors.InputWarning`) are said once, even in a dry run.
    """
    files = given.get("network_file"), given.get("nodes_file")
    if all(isinstance(f, str | Path) and f and f != "(swept)" for f in files):
        load_network(*files)
    ignored = ignored_with_files(given)
    if ignored:
        shown = ", ".join(f"{k}={v!r}" for k, v in ignored.items())
        print(f"tis-sim {args.command}: warning: {origin} loads the staff network from "
              f"{given['nodes_file']} and {given['network_file']}, so {shown} "
              f"{'has' if len(ignored) == 1 else 'have'} no effect (the files fix schools, "
              "staff, specialists and ties; the manifest records the values used)",
              file=sys.stderr)


def add_backend_options(p: argparse.ArgumentParser, *, fresh_help: str, out_help: str) -> None:
    """The options of where and how runs execute, and of the output folder."""
    p.add_argument("--backend", choices=BACKENDS, default=None,
                   help="where runs execute: local = process pool over all cores (default),"
                        " serial = this process, dask = a Dask cluster (see --scheduler)")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="Dask scheduler address (tcp://HOST:8786), or 'local' to start a "
                        "LocalCluster here; implies --backend dask")
    p.add_argument("--workers", type=at_least(1), metavar="N",
                   help="worker processes for the local pool or a Dask LocalCluster "
                        "(default: all cores)")
    p.add_argument("--worker-timeout", type=positive_seconds, metavar="SECONDS",
                   default=DEFAULT_WORKER_TIMEOUT,
                   help="Dask: stop with an error when no worker has been connected for "
                        "this long, at the start or mid-sweep (default: %(default)g; "
                        "finished runs are kept, so rerun once workers are back)")
    p.add_argument("--batch-size", type=at_least(1), metavar="N", default=None,
                   help="replicates of a cell run together as one array program per task "
                        "(each run's results are identical to the run alone; default: "
                        "chosen from the runs, workers and district size; 1 = each alone)")
    p.add_argument("--fresh", action="store_true", help=fresh_help)
    p.add_argument("--out", type=out_folder, metavar="DIR", help=out_help)
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def backend_from_args(args: argparse.Namespace) -> str:
    """The backend the options ask for: a scheduler address implies Dask.

    Raises:
        BackendError: ``--scheduler`` with a backend other than Dask.
        MissingExtraError: Dask is asked for but the ``dask`` extra is not installed.
    """
    backend = args.backend or ("dask" if args.scheduler else "local")
    if args.scheduler and backend != "dask":
        raise BackendError(f"--scheduler {args.scheduler!r} needs --backend dask "
                           f"(got --backend {args.backend})")
    if backend == "dask":  # checked before any output folder is touched
        require_extra("dask", "--backend dask", "distributed")
    return backend
