"""Model dynamics on arrays: state, the ODD submodels, the day's phases and the measures.

Layer 3: imports parameters and the network, never the model (``sim.model`` only under
``TYPE_CHECKING``, for annotations).
"""
