"""Choose and build the staff network that the parameters ask for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.network.files import load_network
from sim.network.staff import StaffNetwork, complete_network, district_network


def build_network(params: Mapping[str, Any], rng: np.random.Generator) -> StaffNetwork:
    """Build the staff network that the parameters ask for.

    Args:
        params: validated parameters (``sim.params.resolve``).
        rng: the generator of the run's network stream; the only source of randomness.

    Returns:
        The network from ``network_file``/``nodes_file`` if given, else the complete
        network if ``network == "complete"``, else a generated district network.
    """
    if params.get("network_file"):
        return load_network(params["network_file"], params["nodes_file"])
    if params["network"] == "complete":
        return complete_network(params)
    return district_network(params, rng)
