"""tis-sim: technology diffusion through technology integration specialists (Mesa 3).

The public API::

    import sim
    model = sim.DiffusionModel(seed=1, days=180)   # a Mesa model
    model.run_model()
    result = sim.simulate({"n_schools": 2}, seed=1, days=180)   # plain data in and out
    sim.PARAMS["specialist_fte"].label
    sim.__version__                    # "0.2.0": the version of the code imported

    exp = sim.Experiment.from_dict({"experiment": {"seed": 1, "days": 180},
                                    "sweep": {"specialist_fte": {"values": [0.2, 0.8]}}})
    res = sim.run_sweep(exp, "results/fte")          # a sweep: a Results handle
    res.summaries, res.daily, res.to_xarray()
    res = sim.run_whatif(sim.Study.from_file("experiments/policies.toml"), replicates=5)
    sim.load_results("results/fte")                  # a folder written earlier
    worlds = sim.load_posterior("results/calibration").sample(20, seed=1)  # parameter sets

Attributes are imported on first use, so ``import sim`` stays cheap (the command line
and worker processes import only what they need).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    "Experiment": "sim.study.experiment",
    "Study": "sim.whatif.scenarios",
    "Results": "sim.study.results",
    "load_results": "sim.study.results",
    "run_sweep": "sim.api",
    "run_whatif": "sim.api",
    "load_posterior": "sim.study.posterior",
}

#: The package's modules, imported on first attribute access (``sim.policies``).
_SUBMODULES = ("agents", "api", "app", "calibrate", "cli", "dynamics", "errors", "files",
               "model", "network", "palette", "params", "policies", "rng", "run", "single",
               "study", "sweep", "whatif")

__all__ = ["PARAMS", "PRESETS", "DiffusionModel", "Experiment", "ParameterError", "Results",
           "RunResult", "Specialist", "Study", "Teacher", "UserError", "__version__",
           "load_posterior", "load_results", "run_sweep", "run_whatif", "simulate"]

if TYPE_CHECKING:
    __version__: str
    from sim.agents import Specialist, Teacher
    from sim.api import run_sweep, run_whatif
    from sim.errors import UserError
    from sim.model import DiffusionModel
    from sim.params import PARAMS, PRESETS, ParameterError
    from sim.run import RunResult, simulate
    from sim.study.experiment import Experiment
    from sim.study.posterior import load_posterior
    from sim.study.results import Results, load_results
    from sim.whatif.scenarios import Study


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # The version of the code imported: the checkout's pyproject.toml when run from a
        # source tree, else the installed distribution's metadata (sim.study.provenance).
        from sim.study.provenance import package_version

        globals()[name] = package_version()
        return globals()[name]
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:  # `import sim; sim.policies.make_policy(...)`, as numpy/scipy do
        return importlib.import_module(f"sim.{name}")
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC) | set(_SUBMODULES) | {"__version__"})
