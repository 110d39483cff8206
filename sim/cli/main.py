"""The ``tis-sim`` command line.

Each subcommand lives in its own module exposing ``register(subparsers)``; user errors
(bad parameters, files, configs) are printed as one line without a traceback, exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
from collections.abc import Sequence
from typing import NoReturn

from sim.errors import UserError
from sim.study.provenance import PACKAGE_DIR, package_version

#: Modules that register subcommands, in the order shown by ``tis-sim --help``.
COMMAND_MODULES = (
    "sim.cli.run",
    "sim.cli.sweep",
    "sim.cli.viz",
    "sim.cli.whatif",
    "sim.cli.examples",
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tis-sim`` console script."""
    args, extra = build_parser().parse_known_args(argv)
    if extra:  # reported for the subcommand, whose options the user was typing
        print(f"tis-sim {args.command}: error: unrecognized arguments: {' '.join(extra)} "
              f"(see 'tis-sim {args.command} --help')", file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except (UserError, FileNotFoundError) as exc:
        print(f"tis-sim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tis-sim {args.command}: interrupted; results already written are kept",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
