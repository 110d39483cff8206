"""The state of one or many runs of one district shape, as one set of arrays.

A ``World`` holds B runs (B = 1 for a single model) as a disjoint union: every run has
the same parameters and shape (N teachers, S specialists, C schools, K catalogue places)
and its own seed, network, staff, catalogue, tickets and named random streams. Rows of
the per-node arrays are the teachers of run 0, 1, ..., B-1 (row ``r * N + i``), then the
specialists of run 0, 1, ... (row ``B * N + r * S + s``); specialists and schools are
numbered ``r * S + s`` and ``r * C + c``. With B = 1 this is the single model's layout.

Every random draw is made per run from that run's own streams (``sim.rng``), with the
shape the run alone would draw (``draw``, ``draw_pairs``): a run's results are identical
whether it runs alone or in a batch. Reductions per run (measures) are row reductions of
(B, ...) arrays, which numpy computes exactly as it would for the run alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from sim.dynamics.state import (
    CHANNELS,
    Catalogue,
    Specialists,
    Staff,
    Tickets,
    free_periods,
    init_specialists,
    init_staff,
    introduce,
    reach_share,
    specialist_fte,
)
from sim.dynamics.submodels import Stage
from sim.dynamics.uniforms import Uniforms
from sim.memory import keep_freed_memory
from sim.network import StaffNetwork, build_network
from sim.params import ParameterError
from sim.rng import Streams


@dataclass
class Catalogues:
    """The B runs' catalogues: traits (B, K), live count and blocked inventions per run."""

    complexity: np.ndarray
    advantage: np.ndarray
    origin: np.ndarray
    day: np.ndarray
    n: np.ndarray  # int64[B] live innovations of each run
    blocked: np.ndarray  # int64[B]
    first_users: list[list[np.ndarray]] = field(default_factory=list)  # run's own node ids

    def run(self, r: int) -> Catalogue:
        """Run ``r``'s catalogue as the single model's ``Catalogue`` (views of the arrays)."""
        return Catalogue(self.complexity[r], self.advantage[r], self.origin[r], self.day[r],
                         int(self.n[r]), self.first_users[r], int(self.blocked[r]))


def _setup_run(p: dict[str, Any], seed: int) -> tuple[Streams, StaffNetwork, Staff,
                                                      Specialists, Catalogue]:
    """One run's initial state, exactly as the single model builds it (ODD 7.1)."""
    rs = Streams(seed)
    net = build_network(p, rs["network"])
    staff = init_staff(p, net, rs)
    specs = init_specialists(p, net, staff, rs)
    cat = Catalogue.empty(p["max_innovations"])
    g = rs["innovation_traits"]
    for _ in range(p["n_external_at_start"]):
        introduce(cat, staff, specs, np.zeros(0, np.int64), 0, p, g)
    n_specs, room = len(specs.node), p["max_innovations"] - cat.n
    for origins in [np.arange(i, n_specs, room) for i in range(min(room, n_specs))]:
        introduce(cat, staff, specs, origins, 0, p, g)
    n = net.n_teachers
    u = rs["initial_state"].random((2, n, cat.n))
    stage = staff.stage[:n, : cat.n]
    stage[u[0] < p["initial_aware_share"]] = Stage.AWARE
    stage[u[1] < p["initial_user_share"]] = Stage.TRIAL
    _observed_initial_users(p, net, stage)
    return rs, net, staff, specs, cat


def _observed_initial_users(p: dict[str, Any], net: StaffNetwork, stage: np.ndarray) -> None:
    """Teachers the node table marks as users at the start (adopted day <= 0).

    They use the matching external day-0 innovation (innovation k = column k - 1).

    Raises:
        ParameterError: the table marks more innovations than ``n_external_at_start``.
    """
    observed = net.adopted_day
    if observed is None:
        return
    k = observed.shape[1]
    if k > p["n_external_at_start"]:
        raise ParameterError(
            f"nodes_file {p['nodes_file']!r} marks first use of {k} innovation(s), "
            f"but n_external_at_start = {p['n_external_at_start']}; observed "
            f"innovations are external ones present on day 0: set n_external_at_start "
            f">= {k}")
    stage[:, :k][observed[: net.n_teachers] <= 0] = Stage.TRIAL


def _union_adjacency(nets: list[StaffNetwork], node_of: Any) -> sp.csr_array | None:
    """Block-diagonal adjacency in the union's row order (column order kept per row)."""
    if nets[0].adjacency is None:
        return None
    rows, cols, data = [], [], []
    for r, net in enumerate(nets):
        a = sp.coo_array(net.adjacency)
        rows.append(node_of(r, a.row))
        cols.append(node_of(r, a.col))
        data.append(a.data)
    row, col, val = np.concatenate(rows), np.concatenate(cols), np.concatenate(data)
    order = np.lexsort((col, row))
    m = sum(net.n_nodes for net in nets)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=m))])
    return sp.csr_array((val[order], col[order], indptr), shape=(m, m))


class World:
    """B runs of one district shape advanced together (see the module docstring).

    Raises:
        ValueError: runs whose districts differ in shape (teachers, specialists, schools).
    """

    def __init__(self, p: dict[str, Any], seeds: list[int]) -> None:
        self.p, self.seeds, self.B = p, [int(s) for s in seeds], len(seeds)
        if self.B > 1:  # a batch's daily arrays are large: reuse freed memory (sim.memory)
            keep_freed_memory()
        runs = [_setup_run(p, s) for s in self.seeds]
        self.streams = [r[0] for r in runs]
        self._generators: dict[str, list[np.random.Generator]] = {}
        self._uniforms: dict[str, Uniforms] = {}
        self._unbuffered: set[str] = set()
        self.networks = nets = [r[1] for r in runs]
        shape = {(n.n_teachers, n.n_nodes, n.n_schools) for n in nets}
        if len(shape) != 1:
            raise ValueError(f"runs of one batch must share the district shape; got {shape}")
        B = self.B
        N, S, C = nets[0].n_teachers, nets[0].n_nodes - nets[0].n_teachers, nets[0].n_schools
        self.N, self.S, self.C = N, S, C
        self.n_teachers, self.n_nodes, self.n_schools = B * N, B * (N + S), B * C
        self.adjacency = _union_adjacency(nets, self.node_of)
        self.degree = self._nodes([np.asarray(n.degree) for n in nets])
        self.degree_safe = np.maximum(self.degree, 1).astype(np.float32)
        self.school_of_teacher = np.concatenate(
            [n.school[:N].astype(np.int64) + r * C for r, n in enumerate(nets)])
        self.school_sizes = np.bincount(self.school_of_teacher, minlength=B * C)
        self.day_minutes = p["periods_per_day"] * p["period_minutes"]
        self.staff = self._merge_staff([r[2] for r in runs])
        self.specs = self._merge_specs([r[3] for r in runs])
        cats = [r[4] for r in runs]
        self.cat = Catalogues(
            *(np.stack([getattr(c, a) for c in cats]) for a in
              ("complexity", "advantage", "origin", "day")),
            n=np.array([c.n for c in cats], np.int64),
            blocked=np.array([c.blocked for c in cats], np.int64),
            first_users=[c.first_users for c in cats])
        self.tickets = Tickets.for_runs(B, N)
        self.difficulty = np.full(B * C, p["system_difficulty"])
        self.peak_share = np.zeros((B, p["max_innovations"]))
        self.user_days = np.zeros(B)
        #: What the pattern measures remember (``pattern_measures.Tracks``; from day 0).
        self.pattern_tracks: Any = None
        self.request_totals = {k: np.zeros(B, np.int64) for k in ("created", "served",
                                                                   "lapsed")}
        self.ticket_totals = {k: np.zeros(B, np.int64) for k in ("created", *CHANNELS)}
        self.day = 0
        self.update_reach()

    def set_params(self, p: dict[str, Any], changed: set[str]) -> None:
        """New (validated) parameters during the runs; ``changed`` names what changed.

        Champions stay champions as the share grows (nested draws); a new specialist FTE
        keeps the periods that were free before (nesting) and updates the reach.
        """
        self.p = p
        if "champion_share" in changed:
            self.staff.champion = self.staff.champion_u < p["champion_share"]
        if {"specialist_fte", "part_time_below"} & changed:
            self.specs.fte = specialist_fte(p, self.school_sizes[self.specs.school])
            self.specs.free = free_periods(self.specs.fte, self.specs.rank)
            self.update_reach()

    # -- layout --------------------------------------------------------------------------
    def node_of(self, r: int, local: np.ndarray) -> np.ndarray:
        """Union rows of run ``r``'s local node ids (teachers 0..N-1, specialists N..)."""
        local = np.asarray(local, np.int64)
        return np.where(local < self.N, r * self.N + local,
                        self.B * self.N + r * self.S + local - self.N)

    def _nodes(self, parts: list[np.ndarray]) -> np.ndarray:
        """Per-node arrays of the runs (local order) joined in the union's row order."""
        N = self.N
        return np.concatenate([x[:N] for x in parts] + [x[N:] for x in parts])

    def run_of_node(self, nodes: np.ndarray) -> np.ndarray:
        """Run index of union node rows."""
        BN = self.B * self.N
        return np.where(nodes < BN, nodes // self.N, (nodes - BN) // max(self.S, 1))

    def by_run(self, x: np.ndarray) -> np.ndarray:
        """Per-node array (rows first) as (B, M, ...) in each run's local node order."""
        BN, tail = self.B * self.N, x.shape[1:]
        return np.concatenate([x[:BN].reshape(self.B, self.N, *tail),
                               x[BN:].reshape(self.B, self.S, *tail)], axis=1)

    def _merge_staff(self, parts: list[Staff]) -> Staff:
        S, N = self.S, self.N
        out = {}
        for name, value in vars(parts[0]).items():
            arrays = [getattr(s, name) for s in parts]
            out[name] = (self._nodes(arrays) if len(value) == N + S and value is not None
                         and name in _PER_NODE else np.concatenate(arrays))
        out["spec_of"] = np.concatenate([np.where(s.spec_of >= 0, s.spec_of + r * S, -1)
                                         for r, s in enumerate(parts)])
        return Staff(**out)

    def _merge_specs(self, parts: list[Specialists]) -> Specialists:
        out = {name: np.concatenate([getattr(s, name) for s in parts])
               for name in vars(parts[0])}
        out["node"] = np.concatenate([self.node_of(r, s.node) for r, s in enumerate(parts)])
        out["school"] = np.concatenate([s.school + r * self.C for r, s in enumerate(parts)])
        return Specialists(**out)

    # -- random draws, each from the run's own stream ------------------------------------
    def generators(self, name: str) -> list[np.random.Generator]:
        """Stream ``name`` of every run, in run order (created on first use)."""
        gens = self._generators.get(name)
        if gens is None:
            gens = self._generators[name] = [s[name] for s in self.streams]
        return gens

    def draw(self, name: str, run: np.ndarray, rows: int = 1) -> np.ndarray:
        """Uniforms for elements belonging to runs ``run`` (any order), ``rows`` per element.

        Run r draws ``random((rows, k_r))`` (``random(k_r)`` for one row) from its stream
        ``name``, k_r its number of elements, in the elements' order: exactly what the run
        alone draws for the same elements. Runs without elements draw nothing. Shape
        (rows, len(run)), or (len(run),) for one row.

        In a batch, a stream whose first draw is small (a few numbers per run, such as
        tickets) is served from read-ahead buffers (``sim.dynamics.uniforms``) from then
        on, so a stream drawn here must not be read any other way; large draws go to
        the runs' generators one by one.
        """
        if self.B == 1:
            shape = (rows, len(run)) if rows > 1 else len(run)
            return self.streams[0][name].random(shape) if len(run) else np.empty(shape)
        run = np.asarray(run, np.int64)
        buffer = self._uniforms.get(name)
        if buffer is None and name not in self._unbuffered:
            if len(run) * rows <= _SMALL_DRAW * self.B:
                buffer = self._uniforms[name] = Uniforms(self.generators(name))
            else:
                self._unbuffered.add(name)
        if buffer is not None:
            return buffer.draw(run, rows)
        counts = np.bincount(run, minlength=self.B)
        gens = self.generators(name)
        end = np.cumsum(counts).tolist()
        u = np.empty((rows, len(run)) if rows > 1 else len(run))
        for r in np.flatnonzero(counts).tolist():
            k = int(counts[r])
            if rows == 1:  # straight into place
                gens[r].random(out=u[end[r] - k:end[r]])
            else:
                u[:, end[r] - k:end[r]] = gens[r].random((rows, k))
        if (run[1:] >= run[:-1]).all():  # elements already in run order (the usual case)
            return u
        out = np.empty_like(u)
        out[..., np.argsort(run, kind="stable")] = u
        return out

    def draw_pairs(self, name: str, rows: slice, n: np.ndarray, width: int,
                   fill: float = 2.0) -> np.ndarray:
        """Uniforms per (node, innovation) pair: run r draws (rows of r, n[r]) from ``name``.

        ``rows`` is ``slice(None)`` (all nodes) or the teachers (``slice(0, B * N)``);
        columns n[r].. (not live in run r) hold ``fill``. Runs with no live innovation draw
        nothing. Shape (len(rows), width).
        """
        per_run = self.N + (self.S if rows.stop is None else 0)
        if self.B == 1:
            u = self.streams[0][name].random((per_run, int(n[0])))
            if width == n[0]:
                return u
            out = np.full((per_run, width), fill)
            out[:, : n[0]] = u
            return out
        N, S, BN = self.N, self.S, self.B * self.N
        shape = (BN + (self.B * S if rows.stop is None else 0), width)
        # Where every run draws every column, nothing is left to fill; draws go straight
        # into place (``random(out=...)`` fills in the order ``random(shape)`` returns).
        out = np.empty(shape) if (n == width).all() else np.full(shape, fill)
        gens = self.generators(name)
        buf = np.empty((per_run, width))
        for r in np.flatnonzero(n > 0).tolist():
            k = int(n[r])
            if k == width and rows.stop is not None:
                gens[r].random(out=out[r * N:(r + 1) * N])
                continue
            u = gens[r].random(out=buf) if k == width else gens[r].random((per_run, k))
            out[r * N:(r + 1) * N, :k] = u[:N]
            if rows.stop is None:
                out[BN + r * S:BN + (r + 1) * S, :k] = u[N:]
        return out

    # -- derived state ---------------------------------------------------------------------
    def update_reach(self) -> None:
        """One-to-one reach of every teacher (``state.reach_share``) and its mask."""
        self.reach = reach_share(self.staff, self.specs)
        self.reachable = self.reach > 0.0

    @property
    def n_live(self) -> int:
        """Live catalogue columns worked on today: the most of any run."""
        return int(self.cat.n.max(initial=0))


#: Numbers per run up to which a stream's first draw makes it buffered (``World.draw``).
_SMALL_DRAW = 80

#: Staff fields with one row per node (teachers, then specialists).
_PER_NODE = ("se", "skill", "reliance", "reliance_offset", "threshold", "stage", "successes")
