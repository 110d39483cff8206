"""The ``tis-sim`` command line: one module per subcommand, registered by ``sim.cli.main``."""

from sim.cli.main import main

__all__ = ["main"]
