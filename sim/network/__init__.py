"""The district staff network: generated from parameters (seeded) or loaded from CSV files.

Layer 2: imports only ``sim.params`` and ``sim.errors``.
"""

from sim.network.build import GENERATOR_PARAMS, build_network, district_used, ignored_with_files
from sim.network.files import NetworkFileError, load_network
from sim.network.staff import StaffNetwork, network_stats

__all__ = ["GENERATOR_PARAMS", "NetworkFileError", "StaffNetwork", "build_network",
           "district_used", "ignored_with_files", "load_network", "network_stats"]
