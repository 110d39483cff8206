"""The staff network: who talks to whom about classroom technology (docs/ODD.md section 2).

Three sources, chosen by :func:`sim.network.build.build_network`:

* a generated district network (the default): schools, departments as blocks, small teams
  (cliques) that give the clustering, a few cross-school ties, specialists as hubs
  (construction in :mod:`sim.network.generate`);
* the complete network (the Bass limit): never materialised, only its layout;
* a real network read from CSV files (:func:`sim.network.files.load_network`).

Node ids are the integers 0..M-1 in insertion order (Mesa's network drawing assumes this):
teachers first (grouped by school, then department), then specialists (grouped by school).

The generator's three targets are statistics of teachers, measured on the whole graph
(:func:`network_stats`): mean degree (ties to specialists and to other schools included),
average local clustering (``nx.average_clustering`` over teachers) and the share of
teacher–teacher ties inside a department. The construction aims at them analytically and
misses by some percent (repeated pairs merge, small departments fill up, chance
triangles); a pilot build of at most ~4,000 teachers with the same mix of schools measures
the miss and corrects the inputs (:func:`_calibrated_knobs`), so the targets hold over the
parameter ranges (tests/test_network.py checks the corners). Combinations that no network
with these departments can have (e.g. 65% of six ties inside departments of three, or
three specialists each tied to every teacher with a mean degree of 2.5) get the closest
network the pilot finds.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.network.generate import generate_edges, layout
from sim.params import school_sizes

_PILOT_TEACHERS = 4000  # big enough for a stable estimate, small enough to be quick
_PILOT_SEED = 20_260_101  # fixed: the calibration is a property of the parameters, not the run
#: Parameters that shape the generated network (the calibration's cache key).
_SHAPE_PARAMS = ("mean_degree", "clustering", "same_department_share", "department_size",
                 "specialists_per_school", "specialist_ties", "cross_school_ties")
_PILOT_ROUNDS = 5  # the corrections interact (more team ties: more ties kept, more triangles)
# First-guess slopes of each statistic (degree as a ratio to its target, clustering, same-
# department share) in its own input, measured over the parameter ranges.
_SLOPE = (0.95, 0.7, 1.0)
# What counts as a miss (degree ratio, clustering, share) when comparing pilot rounds.
_TOLERANCE = np.array([0.03, 0.01, 0.02])


@dataclass(frozen=True)
class StaffNetwork:
    """The staff network and the layout of its nodes.

    Attributes:
        graph: undirected networkx graph, nodes 0..M-1 added in order; None when complete.
        n_teachers: teachers are nodes 0..n_teachers-1, specialists the rest.
        school: int32[M], school index 0..n_schools-1 of each node.
        department: int32[M], district-wide department id of each node; -1 for specialists.
        is_specialist: bool[M].
        adjacency: M x M float32 0/1 symmetric matrix without self loops; None when complete.
        complete: True for the complete network (everyone tied to everyone).
        labels: original node ids when loaded from a file (index = node), else None.
        adopted_day: float[M, k] observed first-use day of the first k day-0 innovations
            (NaN = never; 0 or less = a user at the start), from the node table; else None.
        school_labels: school names from the node table (index = school), else None.
    """

    graph: nx.Graph | None
    n_teachers: int
    school: np.ndarray
    department: np.ndarray
    is_specialist: np.ndarray
    adjacency: sp.csr_array | None
    complete: bool = False
    labels: tuple[str, ...] | None = None
    adopted_day: np.ndarray | None = None
    school_labels: tuple[str, ...] | None = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes M (teachers and specialists)."""
        return len(self.school)

    @property
    def n_specialists(self) -> int:
        """Number of specialists."""
        return self.n_nodes - self.n_teachers

    @property
    def n_schools(self) -> int:
        """Number of schools."""
        return int(self.school.max()) + 1 if self.n_nodes else 0

    @property
    def degree(self) -> np.ndarray:
        """Degree of every node (int64[M]); M - 1 everywhere for the complete network."""
        if self.complete:
            return np.full(self.n_nodes, self.n_nodes - 1, dtype=np.int64)
        return np.diff(self.adjacency.indptr).astype(np.int64)

    @classmethod
    def from_edges(
        cls,
        edges: np.ndarray,
        n_teachers: int,
        school: np.ndarray,
        department: np.ndarray,
        labels: tuple[str, ...] | None = None,
    ) -> StaffNetwork:
        """Assemble a network from an edge array (duplicates and both directions allowed).

        Args:
            edges: int array of shape (E, 2) with node ids in 0..M-1; self loops are dropped.
            n_teachers: number of teachers (nodes below it are teachers).
            school: school index per node.
            department: department id per node (-1 for specialists).
            labels: original node ids, if any.

        Returns:
            The network with graph and adjacency built from the merged, undirected edges.
        """
        n = len(school)
        edges = _canonical(np.asarray(edges, dtype=np.int64).reshape(-1, 2), n)
        adjacency = _adjacency(edges, n)
        graph = nx.Graph()
        graph.add_nodes_from(range(n))  # ids 0..M-1 in insertion order, isolated nodes kept
        graph.add_edges_from(edges.tolist())
        is_specialist = np.zeros(n, dtype=bool)
        is_specialist[n_teachers:] = True
        return cls(
            graph=graph,
            n_teachers=int(n_teachers),
            school=np.asarray(school, dtype=np.int32),
            department=np.asarray(department, dtype=np.int32),
            is_specialist=is_specialist,
            adjacency=adjacency,
            labels=labels,
        )


def complete_network(params: Mapping[str, Any]) -> StaffNetwork:
    """The complete network: layout only, no graph or adjacency (everyone is a neighbour)."""
    lay = layout(school_sizes(params), params["department_size"],
                 params["specialists_per_school"])
    school, dept = lay.arrays()
    is_specialist = np.zeros(len(school), dtype=bool)
    is_specialist[lay.n_teachers:] = True
    return StaffNetwork(None, lay.n_teachers, school, dept, is_specialist, None, complete=True)


# --- generated district network -----------------------------------------------------------


def district_network(
    params: Mapping[str, Any], rng: np.random.Generator, calibrate: bool = True
) -> StaffNetwork:
    """Generate the district staff network (see the module docstring for the method).

    Args:
        params: validated parameters.
        rng: the only source of randomness.
        calibrate: correct the inputs by a pilot build (False only to study the method).
    """
    sizes = school_sizes(params)
    lay = layout(sizes, params["department_size"], params["specialists_per_school"])
    if calibrate:
        key = tuple((name, params[name]) for name in _SHAPE_PARAMS)
        knobs = dict(_calibrated_knobs(key, tuple(sizes)))  # a copy: the cache stays intact
    else:
        knobs = {"degree": params["mean_degree"], "clustering": params["clustering"],
                 "same": params["same_department_share"]}
    edges = generate_edges(params, lay, knobs, rng)
    school, dept = lay.arrays()
    return StaffNetwork.from_edges(edges, lay.n_teachers, school, dept)


@functools.lru_cache(maxsize=64)
def _calibrated_knobs(
    key: tuple[tuple[str, Any], ...], sizes: tuple[int, ...]
) -> dict[str, float]:
    """Generator inputs corrected by pilot builds so that the statistics meet the targets.

    The pilot district has the same mix of school sizes as the real one (every school when
    the district is small, an even subsample when it is large; repeated up to about
    ``_PILOT_TEACHERS`` teachers, so its statistics are stable). Each round builds it with
    the same fixed pilot seed (common random numbers) and takes a quasi-Newton (Broyden)
    step on the three inputs; the best round's inputs are returned. The calibration depends
    only on the parameters that shape the network (``key``), not on the run's seed, so it is
    computed once per process and reused by every run of a sweep (an LRU cache).
    """
    params = dict(key)
    names = ("degree", "clustering", "same")
    targets = (params["mean_degree"], params["clustering"], params["same_department_share"])
    scale = np.array([targets[0], 1.0, 1.0])  # the degree is handled as a ratio to its target
    goal = np.array(targets) / scale
    step_ = max(1, round(sum(sizes) / _PILOT_TEACHERS))
    pilot_sizes = sorted(sizes)[step_ // 2 :: step_]
    pilot_sizes = pilot_sizes * max(1, round(_PILOT_TEACHERS / sum(pilot_sizes)))
    lay = layout(pilot_sizes, params["department_size"], params["specialists_per_school"])
    pilot_seed = _PILOT_SEED
    k = goal.copy()
    jac = np.diag(_SLOPE)  # first guess; Broyden updates learn the cross effects
    damp = 1.0
    best: tuple[float, np.ndarray, np.ndarray] = (np.inf, k, goal)
    last: tuple[np.ndarray, np.ndarray] | None = None
    for _ in range(_PILOT_ROUNDS):
        # The same pilot seed every round: the rounds then differ only by their inputs.
        knobs = dict(zip(names, (k * scale).tolist(), strict=True))
        edges = generate_edges(params, lay, knobs, np.random.default_rng(pilot_seed))
        school, dept = lay.arrays()
        got = _stats(_adjacency(edges, len(school)), lay.n_teachers, school, dept)
        f = np.array([got[name] for name in names]) / scale
        miss = float(np.sum(((goal - f) / _TOLERANCE) ** 2))
        if miss < best[0]:
            best = (miss, k, f)
        elif last is not None:
            # Worse than before (targets out of reach, or a bad Jacobian): go back to the
            # best inputs with the first-guess slopes and shorter steps.
            _, k, f = best
            jac, last, damp = np.diag(_SLOPE), None, damp / 2
        if last is not None:
            dk, df = k - last[0], f - last[1]
            if dk @ dk > 1e-10:
                jac = jac + np.outer(df - jac @ dk, dk) / (dk @ dk)
        last = (k, f)
        try:
            step = np.linalg.solve(jac, goal - f)
        except np.linalg.LinAlgError:
            step = (goal - f) / np.array(_SLOPE)
        # Bounded steps: the pilot is a little noisy and the response a little curved.
        k = np.clip(k + damp * np.clip(step, -0.25, 0.25), [0.3, 0, 0], [3.0, 1, 1])
    return dict(zip(names, (best[1] * scale).tolist(), strict=True))


def _canonical(edges: np.ndarray, n_nodes: int) -> np.ndarray:
    """Unique undirected edges (u < v), self loops dropped, sorted."""
    u = np.minimum(edges[:, 0], edges[:, 1])
    v = np.maximum(edges[:, 0], edges[:, 1])
    code = np.unique((u * n_nodes + v)[u != v])
    return np.column_stack([code // n_nodes, code % n_nodes])


def _adjacency(edges: np.ndarray, n_nodes: int) -> sp.csr_array:
    """Symmetric 0/1 float32 adjacency matrix of canonical or raw edges."""
    edges = _canonical(np.asarray(edges, dtype=np.int64).reshape(-1, 2), n_nodes)
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    data = np.ones(len(rows), dtype=np.float32)
    adjacency = sp.csr_array((data, (rows, cols)), shape=(n_nodes, n_nodes))
    adjacency.sort_indices()
    return adjacency


def network_stats(net: StaffNetwork) -> dict[str, float]:
    """Teacher statistics of a network: what the generator's parameters aim at.

    Returns:
        ``degree``: mean degree of teachers (all their ties, specialists included);
        ``clustering``: average local clustering over teachers (equal to
        ``nx.average_clustering(graph, nodes=teachers)``: 0 below degree 2);
        ``same``: share of teacher–teacher ties inside a department;
        ``cross_school``: share of teachers with a tie to a teacher of another school.
    """
    if net.complete:
        raise ValueError("network_stats needs a materialised network, not the complete one")
    return _stats(net.adjacency, net.n_teachers, net.school, net.department)


def _stats(
    a: sp.csr_array, t: int, school: np.ndarray, department: np.ndarray
) -> dict[str, float]:
    """:func:`network_stats` from the adjacency matrix (t teachers first)."""
    deg = np.diff(a.indptr)[:t].astype(float)
    triangles = (a @ a).multiply(a).sum(axis=1)[:t] / 2  # tied pairs of neighbours
    pairs = deg * (deg - 1) / 2
    clustering = np.divide(triangles, pairs, out=np.zeros(t), where=pairs > 0)
    tt = sp.triu(a[:t][:, :t], 1).tocoo()
    same = department[tt.row] == department[tt.col]
    other = school[tt.row] != school[tt.col]
    has_cross = np.zeros(t, bool)
    has_cross[tt.row[other]] = True
    has_cross[tt.col[other]] = True
    return {
        "degree": float(deg.mean()) if t else 0.0,
        "clustering": float(clustering.mean()) if t else 0.0,
        "same": float(same.mean()) if len(same) else 0.0,
        "cross_school": float(has_cross.mean()) if t else 0.0,
    }
