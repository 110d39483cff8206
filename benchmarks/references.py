"""Reference timings that the project benchmark prints its own timings against.

Three references, all meant to run in the same process as the project's model timings so
that ratios are meaningful:

* :func:`time_mesa_virus` -- Mesa's own ``virus_on_network`` example (shipped inside the
  ``mesa`` package), i.e. what "plain Mesa" costs per agent-step.
* :func:`time_starsim_sir` -- Starsim's SIR model on the same network (CPU seconds), the
  field's vectorised agent-based framework.
* :func:`time_numpy_threshold` -- a bare numpy/scipy vectorised linear-threshold step on a
  sparse random graph of the same size, i.e. a lower bound for this kind of model.

Both return ``{"name", "agents", "steps", "seconds", "us_per_agent_step",
"setup_seconds"}``; ``seconds`` covers only the timed steps, never construction.

Run ``python benchmarks/references.py`` to print both.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp


def _result(name: str, n_agents: int, steps: int, seconds: float, setup: float) -> dict:
    """Build the common result dictionary.

    Args:
        name: Human-readable name of the reference.
        n_agents: Number of agents (graph nodes).
        steps: Number of timed steps.
        seconds: Wall-clock seconds spent in the timed steps.
        setup: Wall-clock seconds spent building the model (not part of ``seconds``).

    Returns:
        The result dictionary shared by both references.
    """
    return {
        "name": name,
        "agents": n_agents,
        "steps": steps,
        "seconds": seconds,
        "us_per_agent_step": seconds / (n_agents * steps) * 1e6 if n_agents * steps else 0.0,
        "setup_seconds": setup,
    }


class _FastGnpNetworkx:
    """Stand-in for the ``networkx`` module as seen by the virus example's ``model`` module.

    Every attribute is delegated to the real ``networkx`` except ``erdos_renyi_graph``, which
    is answered by the O(n + m) ``fast_gnp_random_graph`` (same G(n, p) distribution) with a
    fixed seed, because the example calls the O(n^2) generator without a seed.
    """

    def __init__(self, seed: int) -> None:
        self._seed = seed

    def erdos_renyi_graph(
        self, n: int, p: float, seed: Any = None, directed: bool = False
    ) -> nx.Graph:
        """Return ``nx.fast_gnp_random_graph(n, p)`` seeded with our seed (``seed`` is ignored)."""
        return nx.fast_gnp_random_graph(n, p, seed=self._seed, directed=directed)

    def __getattr__(self, name: str) -> Any:
        return getattr(nx, name)


@contextlib.contextmanager
def _fast_gnp_in_virus_example(seed: int) -> Iterator[None]:
    """Temporarily make the virus example build its graph with ``fast_gnp_random_graph``.

    Only the ``nx`` attribute of ``mesa.examples.basic.virus_on_network.model`` is replaced
    (and restored on exit, even on error); the global ``networkx`` module is left untouched.

    Args:
        seed: Seed passed to ``nx.fast_gnp_random_graph``.

    Yields:
        Nothing; the substitution is active inside the ``with`` block.
    """
    from mesa.examples.basic.virus_on_network import model as virus_model

    original = virus_model.nx
    virus_model.nx = _FastGnpNetworkx(seed)  # type: ignore[assignment]
    try:
        yield
    finally:
        virus_model.nx = original


def time_mesa_virus(n_agents: int = 10_000, steps: int = 100, seed: int = 42) -> dict:
    """Time Mesa's own ``virus_on_network`` example model.

    The example (``mesa.examples.basic.virus_on_network.model.VirusOnNetwork``) runs with its
    own step logic, untouched: every step is ``agents.shuffle_do("step")`` followed by its
    ``DataCollector.collect`` (which counts states over all cells, so it is part of what a
    step costs in the example). Only the graph generator is swapped, during construction, for
    ``nx.fast_gnp_random_graph`` with the same ``p = avg_node_degree / n`` and seed ``seed``
    (``erdos_renyi_graph`` is O(n^2): about 4.5 s at 10,000 nodes).

    Parameters are the example's defaults (``avg_node_degree=3``,
    ``virus_spread_chance=0.4``, ``virus_check_frequency=0.4``, ``recovery_chance=0.3``,
    ``gain_resistance_chance=0.5``) except ``initial_outbreak_size``: the example's default
    is 1 infected node out of 10 (10 %), so it is scaled to ``max(1, n_agents // 10)`` to keep
    the same initial prevalence (a single seed among 10,000 nodes would usually die out and
    leave the steps doing almost nothing).

    Args:
        n_agents: Number of nodes, one agent per node.
        steps: Number of timed ``model.step()`` calls.
        seed: Seed of the Mesa model and of the graph generator.

    Returns:
        Dict with ``name``, ``agents``, ``steps``, ``seconds`` (timed steps only),
        ``us_per_agent_step`` and ``setup_seconds`` (model construction).
    """
    from mesa.examples.basic.virus_on_network.model import VirusOnNetwork

    t0 = time.perf_counter()
    with _fast_gnp_in_virus_example(seed):
        model = VirusOnNetwork(
            num_nodes=n_agents,
            avg_node_degree=3,
            initial_outbreak_size=max(1, n_agents // 10),
            seed=seed,
        )
    setup = time.perf_counter() - t0

    t0 = time.perf_counter()
    for _ in range(steps):
        model.step()
    seconds = time.perf_counter() - t0
    return _result("mesa virus_on_network example", n_agents, steps, seconds, setup)


def time_numpy_threshold(
    n_agents: int = 10_000,
    steps: int = 100,
    mean_degree: float = 4.5,
    seed: int = 42,
    noise: float = 0.001,
) -> dict:
    """Time a bare numpy/scipy linear-threshold model on a sparse random graph.

    Setup: a G(n, p) graph from ``nx.fast_gnp_random_graph`` with
    ``p = mean_degree / (n_agents - 1)`` (seeded), its CSR adjacency (float64), degrees
    (isolated nodes count as degree 1 to avoid division by zero), thresholds
    ``theta ~ Beta(2, 5)`` (mean about 0.29), and a boolean ``active`` vector with 1 % of
    agents initially active. One step is::

        frac = (A @ active) / degree
        active |= frac >= theta
        active |= rng.random(n) < noise

    so each step draws one uniform per agent, as the agent-based models do.

    Args:
        n_agents: Number of nodes (agents).
        steps: Number of timed steps.
        mean_degree: Expected node degree of the random graph.
        seed: Seed of the numpy Generator (the graph gets an int drawn from it).
        noise: Per-step probability that an agent activates spontaneously.

    Returns:
        Dict with ``name``, ``agents``, ``steps``, ``seconds`` (timed steps only),
        ``us_per_agent_step`` and ``setup_seconds`` (graph, matrix and state construction).
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    p = mean_degree / (n_agents - 1) if n_agents > 1 else 0.0
    graph_seed = int(rng.integers(0, 2**31 - 1))
    graph = nx.fast_gnp_random_graph(n_agents, p, seed=graph_seed)
    A = sp.csr_array(
        nx.to_scipy_sparse_array(graph, nodelist=range(n_agents), format="csr"), dtype=np.float64
    )
    degree = np.maximum(np.asarray(A.sum(axis=1)).ravel(), 1.0)
    theta = rng.beta(2.0, 5.0, size=n_agents)
    active = rng.random(n_agents) < 0.01
    setup = time.perf_counter() - t0

    t0 = time.perf_counter()
    for _ in range(steps):
        frac = (A @ active) / degree
        active |= frac >= theta
        active |= rng.random(n_agents) < noise
    seconds = time.perf_counter() - t0
    return _result("numpy/scipy linear threshold", n_agents, steps, seconds, setup)


def time_starsim_sir(graph: nx.Graph, steps: int = 540, seed: int = 1) -> dict:
    """CPU time of Starsim's SIR model on a static network (``starsim`` 3.x, dev extra).

    The agents are the graph's nodes (one per node: pass the district's own advice network
    for "the same agents"), the disease is ``ss.SIR()`` at its defaults on
    ``ss.StaticNet(graph=graph)``, and the simulation takes ``steps`` steps of one day
    (``start=0, stop=steps, dt=1``). Only ``sim.run()`` is timed, in CPU seconds of this
    process (``time.process_time``), never ``sim.init()``.

    Returns:
        Dict as the other references, ``seconds`` being CPU seconds.
    """
    import os

    os.environ.setdefault("STARSIM_INSTALL_FONTS", "0")  # no font-cache rebuild on import
    import starsim as ss

    t0 = time.process_time()
    sim = ss.Sim(n_agents=graph.number_of_nodes(), diseases=ss.SIR(),
                 networks=ss.StaticNet(graph=graph), start=0, stop=steps, dt=1,
                 verbose=0, rand_seed=seed)
    sim.init()
    setup = time.process_time() - t0
    t0 = time.process_time()
    sim.run()
    seconds = time.process_time() - t0
    return _result("starsim SIR (static network)", graph.number_of_nodes(), steps, seconds,
                   setup)


def _print(result: dict) -> None:
    """Print one result on a line."""
    print(
        f"{result['name']:<32} agents={result['agents']:>7,} steps={result['steps']:>4} "
        f"setup={result['setup_seconds']:7.3f}s run={result['seconds']:8.3f}s "
        f"{result['us_per_agent_step']:9.3f} us/agent-step"
    )


if __name__ == "__main__":
    _print(time_mesa_virus())
    _print(time_numpy_threshold())
