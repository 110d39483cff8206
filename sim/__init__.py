"""tis-sim: technology diffusion through technology integration specialists (Mesa 3).

The public API::

    import sim
    model = sim.DiffusionModel(seed=1, days=180)   # a Mesa model
    model.run_model()
    result = sim.simulate({"n_schools": 2}, seed=1, days=180)   # plain data in and out
    sim.PARAMS["specialist_fte"].label

Attributes are imported on first use, so ``import sim`` stays cheap (the command line
and worker processes import only what they need).
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__: str = version("tis-sim")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

#: Public name -> module that defines it.
_PUBLIC = {
    "DiffusionModel": "sim.model",
    "Teacher": "sim.agents",
    "Specialist": "sim.agents",
    "PARAMS": "sim.params",
    "PRESETS": "sim.params",
    "ParameterError": "sim.params",
    "UserError": "sim.errors",
    "simulate": "sim.run",
    "RunResult": "sim.run",
}

__all__ = ["PARAMS", "PRESETS", "DiffusionModel", "ParameterError", "RunResult", "Specialist",
           "Teacher", "UserError", "__version__", "simulate"]

if TYPE_CHECKING:
    from sim.agents import Specialist, Teacher
    from sim.errors import UserError
    from sim.model import DiffusionModel
    from sim.params import PARAMS, PRESETS, ParameterError
    from sim.run import RunResult, simulate


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
