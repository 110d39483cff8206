"""The ``tis-sim`` command line.

Each subcommand lives in its own module exposing ``register(subparsers)``. Errors are
printed as one line without a traceback: user errors (bad parameters, files, names, options)
with exit status 2, run failures (no space left, Dask workers lost) with exit status 1.
Ctrl-C and SIGTERM stop a command the same way (exit status 130 and 143): what finished is
written first, and the manifest records the session as interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import platform
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import NoReturn

from sim.errors import InputWarning, RunFailedError, UserError
from sim.study.provenance import PACKAGE_DIR, package_version

#: Modules that register subcommands, in the order shown by ``tis-sim --help``.
COMMAND_MODULES = (
    "sim.cli.run",
    "sim.cli.sweep",
    "sim.cli.viz",
    "sim.cli.whatif",
    "sim.cli.examples",
    "sim.cli.calibrate",
)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (no usage block), exit status 2.

    Subcommand parsers inherit the class, so ``tis-sim run --days abc`` names its own
    command: ``tis-sim run: error: argument --days: invalid int value: 'abc' (see ...)``.
    """

    def error(self, message: str) -> NoReturn:
        """Print ``PROG: error: MESSAGE (see 'PROG --help')`` and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = OneLineParser(
        prog="tis-sim",
        description="Agent-based simulation of classroom-technology diffusion through "
                    "technology integration specialists.",
        epilog="Start from a shipped example: `tis-sim examples` lists them.",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # also: --version unwrapped
    )
    parser.add_argument("--version", action="version",
                        version=f"tis-sim {package_version()} from {PACKAGE_DIR} "
                                f"(Python {platform.python_version()})",
                        help="show the version and where the package is imported from")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (a batch system ending the job, ``kill PID``): stop as on Ctrl-C."""


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while a command runs (main thread only)."""

    def stop(signum: int, frame: object) -> None:
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except (ValueError, OSError):  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _input_warnings_as_lines(command: str) -> Iterator[None]:
    """Show each :class:`InputWarning` once, as ``tis-sim COMMAND: warning: MESSAGE``.

    Other warnings keep Python's own display.
    """
    shown: set[str] = set()
    with warnings.catch_warnings():  # restores the filters and showwarning afterwards
        original = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None) -> None:
            if not issubclass(category, InputWarning):
                original(message, category, filename, lineno, file, line)
            elif (text := _one_line(message)) not in shown:
                shown.add(text)
                print(f"tis-sim {command}: warning: {text}", file=sys.stderr)

        warnings.simplefilter("always", InputWarning)  # repeats are dropped by `shown`
        warnings.showwarning = show
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tis-sim`` console script."""
    args, extra = build_parser().parse_known_args(argv)
    if extra:  # reported for the subcommand, whose options the user was typing
        print(f"tis-sim {args.command}: error: unrecognized arguments: {' '.join(extra)} "
              f"(see 'tis-sim {args.command} --help')", file=sys.stderr)
        return 2
    try:
        with _sigterm_as_interrupt(), _input_warnings_as_lines(args.command):
            return int(args.func(args) or 0)
    except (UserError, FileNotFoundError) as exc:
        print(f"tis-sim {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except RunFailedError as exc:
        print(f"tis-sim {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"tis-sim {args.command}: {what}; results already written are kept (run the "
              "same command again to resume)", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130


def _one_line(exc: BaseException, limit: int = 2000) -> str:
    """The message on one line (a value from a file may hold line breaks).

    A huge value can make it longer than ``limit``: then its middle is cut (the end says
    what is allowed).
    """
    text = " ".join(str(exc).splitlines())
    if len(text) > limit:
        text = f"{text[: limit // 2]} [...] {text[-limit // 2:]}"
    return text


if __name__ == "__main__":
    sys.exit(main())
