"""The district staff network: generated from parameters (seeded) or loaded from CSV files.

Layer 2: imports only ``sim.params`` and ``sim.errors``.
"""

from sim.network.build import build_network
from sim.network.files import NetworkFileError, load_network
from sim.network.staff import StaffNetwork, network_stats

__all__ = ["NetworkFileError", "StaffNetwork", "build_network", "load_network",
           "network_stats"]
