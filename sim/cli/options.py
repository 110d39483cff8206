"""Command-line options shared by the commands that run many simulations.

``tis-sim sweep``, ``tis-sim sensitivity`` and ``tis-sim whatif`` take the same backend
options, defined once here so their names, help and checks never drift apart.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from sim.errors import require_extra
from sim.study.backends import BACKENDS, BackendError


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``low``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed; expected an integer "
                                             f">= {low}")
        return value

    return parse


def add_backend_options(p: argparse.ArgumentParser, *, fresh_help: str, out_help: str) -> None:
    """--backend, --scheduler, --workers, --fresh, --out and --quiet."""
    p.add_argument("--backend", choices=BACKENDS, default=None,
                   help="where runs execute: local = process pool over all cores (default),"
                        " serial = this process, dask = a Dask cluster (see --scheduler)")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="Dask scheduler address (tcp://HOST:8786), or 'local' to start a "
                        "LocalCluster here; implies --backend dask")
    p.add_argument("--workers", type=at_least(1), metavar="N",
                   help="worker processes for the local pool or a Dask LocalCluster "
                        "(default: all cores)")
    p.add_argument("--fresh", action="store_true", help=fresh_help)
    p.add_argument("--out", type=Path, metavar="DIR", help=out_help)
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
