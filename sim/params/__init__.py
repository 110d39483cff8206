"""Parameters: the one table of defaults, ranges, units, labels and presets, and its checks.

Layer 1 (above ``sim.errors``/``sim.rng``). Everything that takes parameters (the model,
the CLI, experiment files, the browser sliders) reads :data:`PARAMS`.
"""

from sim.params.definitions import (
    PARAMS,
    PRESETS,
    ParameterError,
    ParamSpec,
    parse_assignment,
    resolve,
    scaled_to,
    school_sizes,
    validate,
)

__all__ = ["PARAMS", "PRESETS", "ParamSpec", "ParameterError", "parse_assignment", "resolve",
           "scaled_to", "school_sizes", "validate"]
