"""Choose and build the staff network that the parameters ask for, and say what was used."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.network.files import load_network
from sim.network.staff import StaffNetwork, complete_network, district_network
from sim.params import school_sizes

#: Parameters that shape a generated district; a loaded network (``network_file`` and
#: ``nodes_file``) fixes schools, staff, specialists and ties, so these have no effect then.
GENERATOR_PARAMS = ("n_schools", "school_size_min", "school_size_max", "department_size",
                    "mean_degree", "clustering", "same_department_share", "cross_school_ties",
                    "specialist_ties", "network", "specialists_per_school")


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


def ignored_with_files(given: Mapping[str, Any]) -> dict[str, Any]:
    """The given parameters that a loaded network makes irrelevant (empty without files).

    Args:
        given: parameters the user set (a preset's, a file's, swept ones), not the full
            validated set, so that defaults are not reported.
    """
    if not given.get("network_file"):
        return {}
    return {k: given[k] for k in GENERATOR_PARAMS if k in given}


def district_used(params: Mapping[str, Any], net: StaffNetwork | None = None) -> dict[str, Any]:
    """The district a run actually has: source, teachers, schools, specialists, degree.

    For a loaded network the files are read (or ``net`` is used) and the values are
    counted; for a generated one they follow from the parameters (the mean degree is the
    generator's target; each seed's network meets it closely).

    Args:
        params: validated parameters.
        net: the network already built from them, if at hand.
    """
    if params.get("network_file"):
        net = net or load_network(params["network_file"], params["nodes_file"])
        deg = np.asarray(net.degree)[: net.n_teachers]
        return {"source": "files", "network_file": str(params["network_file"]),
                "nodes_file": str(params["nodes_file"]), "teachers": net.n_teachers,
                "schools": net.n_schools, "specialists": net.n_specialists,
                "mean_degree": round(float(deg.mean()), 4) if len(deg) else 0.0}
    teachers = int(sum(school_sizes(params)))
    return {"source": params["network"], "teachers": teachers, "schools": params["n_schools"],
            "specialists": params["n_schools"] * params["specialists_per_school"],
            "mean_degree": float(teachers - 1) if params["network"] == "complete"
            else params["mean_degree"]}
