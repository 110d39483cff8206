"""Tests of the staff network: generator targets, structure, complete network, CSV loader."""

from __future__ import annotations

import random
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import sim.params
from sim.network import StaffNetwork, build_network, network_stats
from sim.network.files import NetworkFileError, load_network

DATA = Path(__file__).parent / "data"
TINY_EDGES = DATA / "tiny_edges.csv"
TINY_NODES = DATA / "tiny_nodes.csv"


def _edge_set(net: StaffNetwork) -> set[tuple[int, int]]:
    return {(min(u, v), max(u, v)) for u, v in net.graph.edges()}


def _build(seed: int = 7, **overrides) -> StaffNetwork:
    return build_network(sim.params.resolve(**overrides), np.random.default_rng(seed))


# --- generated district: reproducibility ---------------------------------------------------


def test_same_seed_same_edges_different_seed_different_edges():
    a, b, c = _build(1), _build(1), _build(2)
    assert _edge_set(a) == _edge_set(b)
    assert _edge_set(a) != _edge_set(c)


def test_generator_leaves_global_random_state_alone():
    random.seed(3)
    np.random.seed(3)  # noqa: NPY002 - checking that nobody else draws from it
    py_state, np_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    _build(5)
    assert random.getstate() == py_state
    after = np.random.get_state()  # noqa: NPY002
    assert all(np.array_equal(x, y) for x, y in zip(np_state, after, strict=True))


# --- generated district: targets ----------------------------------------------------------

# Tolerances: over 8 seeds at each of these 9 settings (40 schools, about 1,900 teachers)
# the worst misses were 3% (degree), 0.023 (clustering) and 0.036 (share); a network of
# this size has a sampling sd of about 0.01 in clustering and 0.015 in the share. The
# tolerances are about twice the worst miss, so a failure means a real change.
DEGREE_TOL, CLUSTERING_TOL, SHARE_TOL = 0.10, 0.05, 0.08
SETTINGS = [(4.5, 0.28, 0.5)] + [
    (d, c, s) for d in (2.5, 6.0) for c in (0.15, 0.35) for s in (0.3, 0.65)
]


@pytest.mark.parametrize(("degree", "clustering", "share"), SETTINGS)
def test_generated_network_hits_targets(degree, clustering, share):
    net = _build(11, n_schools=40, mean_degree=degree, clustering=clustering,
                 same_department_share=share)
    teachers = range(net.n_teachers)
    mean_degree = np.mean([d for _, d in net.graph.degree(teachers)])
    avg_clustering = nx.average_clustering(net.graph, nodes=teachers)
    tt = [(u, v) for u, v in net.graph.edges() if u < net.n_teachers and v < net.n_teachers]
    same = np.mean([net.department[u] == net.department[v] for u, v in tt])
    assert mean_degree == pytest.approx(degree, rel=DEGREE_TOL)
    assert avg_clustering == pytest.approx(clustering, abs=CLUSTERING_TOL)
    assert same == pytest.approx(share, abs=SHARE_TOL)
    # The fast statistics used by the calibration agree with networkx.
    stats = network_stats(net)
    assert stats["degree"] == pytest.approx(mean_degree)
    assert stats["clustering"] == pytest.approx(avg_clustering)
    assert stats["same"] == pytest.approx(same)


@pytest.mark.parametrize("share", [0.0, 0.05, 0.2])
def test_cross_school_share(share):
    net = _build(3, n_schools=40, cross_school_ties=share)
    got = network_stats(net)["cross_school"]
    assert got == pytest.approx(share, abs=0.01)
    # Each such teacher has exactly one tie to another school (one district team).
    cross = [(u, v) for u, v in net.graph.edges() if net.school[u] != net.school[v]]
    assert all(u < net.n_teachers and v < net.n_teachers for u, v in cross)
    ends = np.bincount(np.ravel(cross).astype(int), minlength=net.n_nodes)
    assert ends.max(initial=0) <= 1


# --- generated district: structure --------------------------------------------------------


def test_node_ids_and_order():
    net = _build(4, specialists_per_school=2)
    n, m = net.n_teachers, net.n_nodes
    assert list(net.graph.nodes) == list(range(m))
    assert not net.is_specialist[:n].any() and net.is_specialist[n:].all()
    assert net.n_specialists == 2 * net.n_schools == 2 * 5
    assert list(np.bincount(net.school[:n])) == sim.params.school_sizes(sim.params.resolve())
    assert (np.diff(net.school[:n]) >= 0).all() and (np.diff(net.school[n:]) >= 0).all()
    assert (net.department[n:] == -1).all()
    # Departments are district-wide ids, each inside one school, of about department_size.
    for d in np.unique(net.department[:n]):
        members = net.department[:n] == d
        assert len(np.unique(net.school[:n][members])) == 1
        assert 7 <= members.sum() <= 14


def test_adjacency_matches_graph():
    net = _build(9)
    a = net.adjacency
    assert a.shape == (net.n_nodes, net.n_nodes) and a.dtype == np.float32
    assert (a != a.T).nnz == 0
    assert a.diagonal().sum() == 0
    assert set(np.unique(a.data)) == {1.0}
    rows, cols = a.nonzero()
    assert {(u, v) for u, v in zip(rows, cols, strict=True) if u < v} == _edge_set(net)
    assert list(net.degree) == [d for _, d in net.graph.degree()]


def test_specialists_are_hubs_of_their_own_school():
    params = sim.params.resolve(n_schools=10, specialists_per_school=2, specialist_ties=0.3)
    net = build_network(params, np.random.default_rng(8))
    sizes = sim.params.school_sizes(params)
    mean_teacher_degree = net.degree[: net.n_teachers].mean()
    for s in np.flatnonzero(net.is_specialist):
        neighbours = list(net.graph.neighbors(s))
        assert (net.school[neighbours] == net.school[s]).all()
        teachers = [v for v in neighbours if not net.is_specialist[v]]
        assert len(teachers) == max(1, round(0.3 * sizes[net.school[s]]))
        assert net.degree[s] > mean_teacher_degree
    for school in range(net.n_schools):
        a, b = np.flatnonzero(net.is_specialist & (net.school == school))
        assert net.graph.has_edge(a, b)


def test_specialist_with_tiny_share_still_has_a_tie():
    net = _build(2, school_size_min=8, school_size_max=10, specialist_ties=0.05)
    assert (net.degree[net.is_specialist] >= 1).all()


@pytest.mark.parametrize(
    "overrides",
    [
        {"specialists_per_school": 0},
        {"n_schools": 1, "school_size_min": 8, "school_size_max": 8},
        {"department_size": 3},
        {"department_size": 40},
        {"cross_school_ties": 0.3, "specialists_per_school": 3, "specialist_ties": 1.0},
    ],
)
def test_edge_cases_build_valid_networks(overrides):
    net = _build(6, **overrides)
    assert list(net.graph.nodes) == list(range(net.n_nodes))
    assert nx.number_of_selfloops(net.graph) == 0
    assert (net.degree[: net.n_teachers] > 0).all()


def test_ten_thousand_teachers_build_quickly():
    params = sim.params.scaled_to(sim.params.resolve(), 10_000)
    start = time.perf_counter()
    net = build_network(params, np.random.default_rng(0))
    # About 0.2 s on a 2-core machine; the bound only catches accidental O(n^2) steps.
    assert time.perf_counter() - start < 5.0
    assert net.n_teachers > 9_000


# --- complete network ------------------------------------------------------------------------


def test_complete_network_is_layout_only():
    params = sim.params.resolve("bass", specialists_per_school=1)
    net = build_network(params, np.random.default_rng(0))
    assert net.complete and net.graph is None and net.adjacency is None
    assert net.n_teachers == 20 * 100 and net.n_specialists == 20
    assert (net.degree == net.n_nodes - 1).all()
    assert list(np.bincount(net.school)) == [101] * 20
    assert (net.department[: net.n_teachers] >= 0).all()
    assert (net.department[net.n_teachers :] == -1).all()
    with pytest.raises(ValueError, match="complete"):
        network_stats(net)


# --- loader ------------------------------------------------------------------------------------


def test_tiny_files_load_with_teachers_first():
    net = load_network(TINY_EDGES, TINY_NODES)
    assert net.n_teachers == 12 and net.n_specialists == 2 and net.n_schools == 2
    assert net.labels == (*(f"T{i:02d}" for i in range(1, 13)), "S1", "S2")
    assert list(net.school) == [0] * 6 + [1] * 6 + [0, 1]
    # Departments per (school, label) in order of first appearance: "math" in South is not
    # "math" in North; specialists get -1 even when the file gives one (S2: "arts").
    assert list(net.department) == [0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, -1, -1]
    node = {label: i for i, label in enumerate(net.labels)}
    # 20 rows, "T02,T01" repeats "T01,T02" and is merged.
    assert net.graph.number_of_edges() == 19
    assert net.graph.has_edge(node["S1"], node["T05"])
    assert net.graph.has_edge(node["T06"], node["T08"])  # the cross-school tie
    assert list(net.graph.nodes) == list(range(14))
    assert (net.adjacency != net.adjacency.T).nnz == 0


def test_build_network_reads_files_when_given():
    params = sim.params.resolve(network_file=str(TINY_EDGES), nodes_file=str(TINY_NODES),
                                network="complete")
    net = build_network(params, np.random.default_rng(0))
    assert not net.complete and net.n_nodes == 14


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD_NODES = "id,school,department,role\na,s1,d1,teacher\nb,s1,d1,teacher\nc,s1,,specialist\n"
GOOD_EDGES = "source,target\na,b\n"


def _error(tmp_path: Path, edges: str | None, nodes: str | None) -> NetworkFileError:
    edges_path = _write(tmp_path, "edges.csv", edges) if edges is not None \
        else tmp_path / "edges.csv"
    nodes_path = _write(tmp_path, "nodes.csv", nodes) if nodes is not None \
        else tmp_path / "nodes.csv"
    with pytest.raises(NetworkFileError) as info:
        load_network(edges_path, nodes_path)
    return info.value


def test_error_missing_file(tmp_path):
    err = _error(tmp_path, None, GOOD_NODES)
    assert "edges.csv" in str(err) and "does not exist" in str(err)
    assert err.line is None  # no line to point at


def test_error_empty_file(tmp_path):
    err = _error(tmp_path, GOOD_EDGES, "\n  \n")
    assert "nodes.csv, line 1" in str(err) and "empty" in str(err)
    assert "id,school,department,role" in str(err)


def test_error_wrong_header(tmp_path):
    err = _error(tmp_path, "from,to\na,b\n", GOOD_NODES)
    assert "edges.csv, line 1" in str(err)
    assert "lacks column(s) source, target" in str(err)
    assert "expected the columns source,target" in str(err)


def test_error_duplicate_node(tmp_path):
    err = _error(tmp_path, GOOD_EDGES, GOOD_NODES + "b,s1,d2,teacher\n")
    assert "nodes.csv, line 5" in str(err)
    assert "duplicate node id 'b' (first on line 3)" in str(err)


def test_error_unknown_role(tmp_path):
    err = _error(tmp_path, GOOD_EDGES, GOOD_NODES + "d,s1,d1,principal\n")
    assert "nodes.csv, line 5" in str(err)
    assert "unknown role 'principal'" in str(err) and "teacher, specialist" in str(err)


def test_error_unknown_node_in_edge(tmp_path):
    err = _error(tmp_path, GOOD_EDGES + "a,zz\n", GOOD_NODES)
    assert "edges.csv, line 3" in str(err)
    assert "unknown node id 'zz'" in str(err) and "nodes.csv" in str(err)


def test_error_self_loop(tmp_path):
    err = _error(tmp_path, GOOD_EDGES + "\nc,c\n", GOOD_NODES)  # blank line still counts
    assert "edges.csv, line 4" in str(err) and "self loop" in str(err) and "'c'" in str(err)


def test_error_wrong_field_count(tmp_path):
    err = _error(tmp_path, GOOD_EDGES, GOOD_NODES + "d,s1,teacher\n")
    assert "nodes.csv, line 5" in str(err) and "expected 4 fields" in str(err)
    assert "found 3" in str(err)


def test_error_school_without_teachers(tmp_path):
    err = _error(tmp_path, GOOD_EDGES, GOOD_NODES + "e,s2,,specialist\n")
    assert "nodes.csv, line 5" in str(err)
    assert "school 's2' has a specialist but no teachers" in str(err)


def test_error_is_a_value_error(tmp_path):
    assert isinstance(_error(tmp_path, None, None), ValueError)
