"""Construction of the generated district staff network (used by :mod:`sim.network`).

The method, in the order of :func:`generate_edges`:

1. Cross-school ties and specialist ties come first, so that every teacher's number of ties
   outside its school's teacher body is known before the within-school ties are made.
2. Each teacher gets a within-school degree ``w`` (a floor of two plus a Poisson spread,
   like measured staff networks) so that the teacher mean degree, all ties included,
   meets the degree input.
3. Triangle budget: a teacher of degree k at the clustering input c has local clustering c
   when c k (k - 1) / 2 pairs of its neighbours are tied. Triangles through its specialists
   are subtracted; the rest is carried by *teams*: cliques of q members (q a fractional
   mean size, the smallest that carries the budget with at most 80% of the ties), each
   membership giving q - 1 ties and (q - 1)(q - 2) / 2 triangles. Teachers with degree
   below two have no clustering; the others' budgets are raised to make up for them.
4. A membership is a department team with probability pi (the same-department input, raised
   for cross-school ties, which are never inside the department), otherwise a team across
   departments of the school, whose members are dealt from different departments.
5. The remaining ties are single ties, inside the department with probability pi. They are
   paired across two halves of each department (or school), so single ties form no
   triangles of their own and the teams set the clustering.
6. Top-up: ties lost to merged repeats or unmatched stubs are re-paired once or twice, so
   that every teacher gets close to its planned degree.

What remains (chance triangles, department saturation) is corrected by the pilot
calibration in :mod:`sim.network`. Everything is vectorised over the whole district and
linear in its size: pairing and dealing sort stubs by pool, never scan pairs of teachers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

_TEAM_SHARE = 0.8  # largest share of a teacher's ties that teams may take
_MAX_TEAM = 8.0  # largest mean team size


@dataclass(frozen=True)
class Layout:
    """Schools and departments of the teachers, and the specialists' schools."""

    t_school: np.ndarray  # int64[N] school of each teacher (teachers sorted by school, dept)
    t_dept: np.ndarray  # int64[N] district-wide department of each teacher
    school_n: np.ndarray  # int64[S] teachers per school
    dept_n: np.ndarray  # int64[D] teachers per department
    dept_school: np.ndarray  # int64[D] school of each department
    s_school: np.ndarray  # int64[P*S] school of each specialist

    @property
    def n_teachers(self) -> int:
        """Number of teachers N."""
        return len(self.t_school)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """School and department per node, specialists last with department -1."""
        school = np.concatenate([self.t_school, self.s_school]).astype(np.int32)
        dept = np.concatenate([self.t_dept, np.full(len(self.s_school), -1)]).astype(np.int32)
        return school, dept


def layout(sizes: list[int], department_size: int, specialists_per_school: int) -> Layout:
    """Split each school into departments of about ``department_size`` teachers."""
    school_n = np.asarray(sizes, dtype=np.int64)
    n_depts = np.maximum(1, np.rint(school_n / department_size).astype(np.int64))
    dept_school = np.repeat(np.arange(len(school_n)), n_depts)
    # Sizes as equal as possible: the first (n mod g) departments get one teacher more.
    first = np.concatenate([[0], np.cumsum(n_depts)[:-1]])
    j = np.arange(len(dept_school)) - first[dept_school]
    g = n_depts[dept_school]
    n = school_n[dept_school]
    dept_n = n // g + (j < n % g)
    t_dept = np.repeat(np.arange(len(dept_n)), dept_n)
    return Layout(
        t_school=dept_school[t_dept],
        t_dept=t_dept,
        school_n=school_n,
        dept_n=dept_n,
        dept_school=dept_school,
        s_school=np.repeat(np.arange(len(school_n)), specialists_per_school),
    )


def generate_edges(
    params: Mapping[str, Any], lay: Layout, knobs: Mapping[str, float], rng: np.random.Generator
) -> np.ndarray:
    """Edges (E, 2) of one generated district network (may repeat; see the module docstring).

    Args:
        params: validated parameters (cross-school ties, specialists and their ties).
        lay: the schools, departments and specialists.
        knobs: the three inputs ``degree``, ``clustering`` and ``same`` (the parameters'
            targets, or values corrected by the pilot calibration).
        rng: the only source of randomness.
    """
    n = lay.n_teachers
    n_spec = len(lay.s_school)
    school, dept = lay.t_school, lay.t_dept
    n_school = lay.school_n[school]  # school size per teacher
    # Schools with one department: every tie there is inside the department.
    single_dept = np.bincount(lay.dept_school, minlength=len(lay.school_n)) == 1

    # 1. Cross-school ties: a random share of teachers paired with teachers of other schools.
    chosen = rng.permutation(n)[: round(params["cross_school_ties"] * n)]
    cross, _, _ = _pair(chosen, np.zeros(len(chosen), np.int64), (school[chosen],), rng)
    cs = np.bincount(cross.ravel(), minlength=n)

    # 2. Specialists: each tied to about specialist_ties x school size random teachers.
    spec_k = np.clip(np.rint(params["specialist_ties"] * lay.school_n), 1, lay.school_n)
    t_start = np.concatenate([[0], np.cumsum(lay.school_n)[:-1]])
    per_spec = lay.school_n[lay.s_school]
    spec_of_row = np.repeat(np.arange(n_spec), per_spec)
    teacher_of_row = t_start[lay.s_school][spec_of_row] + (
        np.arange(len(spec_of_row)) - np.repeat(np.cumsum(per_spec) - per_spec, per_spec))
    order = np.lexsort((rng.random(len(spec_of_row)), spec_of_row))
    rank = np.arange(len(order)) - np.repeat(np.cumsum(per_spec) - per_spec, per_spec)
    keep = order[rank < spec_k[lay.s_school][spec_of_row[order]]]
    spec_edges = np.column_stack([n + spec_of_row[keep], teacher_of_row[keep]])
    h = np.bincount(teacher_of_row[keep], minlength=n)  # specialist ties per teacher
    # Specialists of a school know each other (they are numbered school by school).
    p = params["specialists_per_school"]
    first_spec = n + p * np.arange(len(lay.school_n))
    spec_spec = np.concatenate(
        [np.column_stack([first_spec + a, first_spec + b])
         for a in range(p) for b in range(a + 1, p)] or [np.empty((0, 2), np.int64)])

    # 3. Within-school degree, so that the teacher mean degree hits the (corrected) target.
    h_mean = np.bincount(school, weights=h, minlength=len(lay.school_n)) / lay.school_n
    w_mean = np.maximum(knobs["degree"] - cs.mean() - h_mean[school], 0.0)
    # Spread like Poisson above a floor of two ties (fewer if the mean is lower): teachers
    # with one tie have no clustering and would push the others' budgets out of reach.
    floor = np.minimum(np.floor(w_mean), 2).astype(np.int64)
    w = np.where(w_mean >= 1, floor + rng.poisson(w_mean - floor), _round(w_mean, rng))
    w = np.minimum(w, n_school - 1)
    k = w + h + cs

    # 4. Share of within-school ties inside the department: cross-school ties are never
    # inside, so the within-school share is raised to keep the overall share on target.
    tt = w.mean() + cs.mean()
    pi = min(1.0, knobs["same"] * tt / max(w.mean(), 1e-9))
    pi_t = np.where(single_dept[school], 1.0, pi)

    # 5. Triangle budget per teacher, minus the triangles it gets through its specialists.
    # Triangles that arise by chance (a single tie closing a team's pair) are not estimated:
    # they add a nearly constant amount, which the pilot calibration takes off.
    ok = k >= 2  # local clustering is 0 below degree 2: the others make up for it
    c_eff = knobs["clustering"] * n / max(int(ok.sum()), 1)
    p_spec = (spec_k[school] - 1) / np.maximum(n_school - 1, 1)
    spec_tri = h * w * p_spec + h * (h - 1) / 2
    tau = np.clip(c_eff * k * (k - 1) / 2 - spec_tri, 0, w * (w - 1) / 2)

    # 6. Team size: one (fractional) size for the district, the smallest that carries the
    # triangle budget with at most _TEAM_SHARE of the ties; a continuous size keeps the
    # result smooth in the inputs (pools then mix teams of the two nearest sizes).
    q = float(np.clip(2 + 2 * tau.sum() / max(_TEAM_SHARE * w.sum(), 1e-9), 3, _MAX_TEAM))
    # Rounded at random, not floored, so that the result changes smoothly with q.
    x = _round(np.minimum(tau / ((q - 1) * (q - 2) / 2), w / (q - 1)), rng)
    y = np.maximum(w - _round(x * (q - 1), rng), 0)

    # 7. Teams (cliques): department teams first; memberships left over there (small
    # departments cannot fill a team) try the school's cross-department teams; what is left
    # after that becomes single ties of the kind first drawn.
    m_node = np.repeat(np.arange(n), x)
    m_in = (rng.random(len(m_node)) < pi_t[m_node]) | single_dept[school[m_node]]
    dept_edges, left = _teams(m_node[m_in], dept[m_node[m_in]], q, np.zeros(m_in.sum()), rng)
    again = np.concatenate([m_node[~m_in], m_node[m_in][left]])
    spread = rng.permutation(len(lay.dept_n))[dept[again]]  # departments in random order
    cross_edges, left2 = _teams(again, school[again], q, spread, rng)
    team_edges = np.concatenate([dept_edges, cross_edges])
    was_in = np.r_[np.zeros((~m_in).sum(), bool), np.ones(left.sum(), bool)][left2]
    l_node, l_stubs = again[left2], _round(np.full(left2.sum(), q - 1), rng)
    taken = np.unique(_codes(team_edges, n))
    s_node = np.repeat(np.arange(n), y)
    s_in = rng.random(len(s_node)) < pi_t[s_node]
    s_node = np.concatenate([s_node, np.repeat(l_node, l_stubs)])
    s_in = np.concatenate([s_in, np.repeat(was_in, l_stubs)])
    # Single ties join two halves of each department (across departments: of each school),
    # so that on their own they form no triangles and the teams set the clustering. Halves
    # are dealt by stub count so both sides have about as many stubs (few are left over).
    single_edges, taken = _singles(s_node, s_in, lay, taken, rng, halves=True)
    # Top-up: ties lost above (merged repeats, unmatched stubs) are made up by pairing the
    # missing stubs again, without halves, so every teacher gets close to its degree and
    # the realised degree no longer depends on how the ties were split into teams.
    for _ in range(2):
        got = np.bincount(np.r_[taken // n, taken % n], minlength=n)
        short = np.repeat(np.arange(n), np.maximum(w - got, 0))
        if len(short) < 2:
            break
        more, taken = _singles(short, rng.random(len(short)) < pi_t[short], lay, taken, rng,
                               halves=False)
        single_edges = np.concatenate([single_edges, more])
    return np.concatenate([cross, spec_edges, spec_spec, team_edges, single_edges])


def _singles(
    stubs: np.ndarray, inside: np.ndarray, lay: Layout, taken: np.ndarray,
    rng: np.random.Generator, halves: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Pair teacher stubs inside their department (``inside``) or across departments.

    Stubs left unpaired inside small departments try again across departments of the
    school. ``taken`` holds the codes of the school's edges so far (see :func:`_codes`).

    Returns:
        The new edges and ``taken`` with them added.
    """
    n = lay.n_teachers
    school, dept = lay.t_school, lay.t_dept
    si = stubs[inside]
    side = _halves(np.bincount(si, minlength=n), dept, rng) if halves else None
    edges_in, taken, left = _pair(si, dept[si], (si,), rng, side=None if side is None
                                  else side[si], taken=taken, n=n)
    so = np.concatenate([stubs[~inside], left])
    side = _halves(np.bincount(so, minlength=n), school, rng) if halves else None
    edges_out, taken, _ = _pair(so, school[so], (dept[so],), rng, side=None if side is None
                                else side[so], taken=taken, n=n)
    return np.concatenate([edges_in, edges_out]), taken


def _round(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Stochastic rounding: floor or ceil with the mean preserved."""
    values = np.asarray(values, dtype=float)
    low = np.floor(values)
    return (low + (rng.random(values.shape) < values - low)).astype(np.int64)


def _halves(count: np.ndarray, group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Split each group into two sides with about equal total ``count`` (0 or 1 per item).

    Items are sorted by count (largest first, ties at random) and dealt A, B, B, A, A, B...
    """
    o = np.lexsort((rng.random(len(count)), -count, group))
    rank = np.arange(len(o)) - np.searchsorted(group[o], group[o])
    side = np.empty(len(o), np.int8)
    side[o] = np.array([0, 1, 1, 0], np.int8)[rank % 4]
    return side


def _codes(edges: np.ndarray, n: int) -> np.ndarray:
    """One integer per undirected edge (order of the two ends does not matter)."""
    return np.minimum(edges[:, 0], edges[:, 1]) * n + np.maximum(edges[:, 0], edges[:, 1])


def _pair(
    items: np.ndarray, pool: np.ndarray, differ: tuple[np.ndarray, ...],
    rng: np.random.Generator, side: np.ndarray | None = None,
    taken: np.ndarray | None = None, n: int = 0, rounds: int = 6,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Randomly pair items of the same pool whose ``differ`` keys all differ.

    Items are shuffled within their pool (sorted by ``side`` first, if given) and the first
    half of the pool is paired with the second half, so with sides each pair usually joins
    the two sides. Pairs that repeat an edge in ``taken`` (sorted edge codes, see
    :func:`_codes`; ``n`` is the number of teachers) or an earlier pair are rejected too.
    Rejected items are reshuffled for a few rounds; what is still unpaired is dropped (the tie
    is lost, which the pilot calibration makes up for).

    Returns:
        The pairs of items (K, 2), ``taken`` with their codes added, and the items left.
    """
    keys = differ if side is None else (*differ, side)
    side = np.zeros(len(items), np.int8) if side is None else side
    taken = np.empty(0, np.int64) if taken is None else taken
    fresh = np.empty(0, np.int64)
    out = []
    idx = np.arange(len(items))
    for _ in range(rounds):
        if len(idx) < 2:
            break
        s = idx[np.lexsort((rng.random(len(idx)), side[idx], pool[idx]))]
        start = np.r_[True, pool[s][1:] != pool[s][:-1]]
        seg_start = np.flatnonzero(start)
        seg = np.cumsum(start) - 1
        half = (np.diff(np.r_[seg_start, len(s)]) // 2)[seg]
        pos = np.arange(len(s)) - seg_start[seg]
        first = pos < half
        a, b = s[first], s[np.flatnonzero(first) + half[first]]
        good = np.ones(len(a), bool)
        for key in keys:
            good &= key[a] != key[b]
        if n:
            code = _codes(np.column_stack([items[a], items[b]]), n)
            good &= ~_isin_sorted(code, taken) & ~_isin_sorted(code, fresh)
            first_seen = np.zeros(len(a), bool)
            first_seen[np.unique(np.where(good, code, -1), return_index=True)[1]] = True
            good &= first_seen
            fresh = np.sort(np.concatenate([fresh, code[good]]))  # small: this call's pairs
        out.append(np.column_stack([items[a[good]], items[b[good]]]))
        idx = np.concatenate([a[~good], b[~good], s[pos >= 2 * half]])
    edges = np.concatenate(out) if out else np.empty((0, 2), np.int64)
    return edges, np.union1d(taken, fresh), items[idx]


def _isin_sorted(values: np.ndarray, sorted_codes: np.ndarray) -> np.ndarray:
    """Whether each value occurs in a sorted array (binary search, no re-sorting)."""
    if len(sorted_codes) == 0:
        return np.zeros(len(values), bool)
    at = np.minimum(np.searchsorted(sorted_codes, values), len(sorted_codes) - 1)
    return sorted_codes[at] == values


def _teams(
    node: np.ndarray, pool: np.ndarray, size: float, spread: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Cliques of ``size`` members (on average) from memberships of the same pool.

    Each team's size is floor(size) or floor(size) + 1, at random with mean ``size``; a
    pool of L memberships makes as many teams as fit. Members are sorted by the ``spread``
    key (a department rank, for cross-department teams) and dealt out like cards: team t of
    T gets positions t, t + T, t + 2T..., so members of one department land in different
    teams. Memberships that fit in no team are left over.

    Returns:
        The edges of all teams (E, 2) and a mask of the memberships left over.
    """
    if len(node) == 0:
        return np.empty((0, 2), np.int64), np.zeros(0, bool)
    layer = np.zeros(len(node), np.int64)  # copy number of a teacher's membership in the pool
    o = np.lexsort((node, pool))
    same = np.r_[False, (pool[o][1:] == pool[o][:-1]) & (node[o][1:] == node[o][:-1])]
    run = np.cumsum(~same)
    layer[o] = np.arange(len(o)) - np.flatnonzero(~same)[run - 1]
    # Random order within a layer, so a teacher's second membership rarely meets its first.
    o = np.lexsort((rng.random(len(node)), spread, layer, pool))
    start = np.r_[True, pool[o][1:] != pool[o][:-1]]
    seg = np.cumsum(start) - 1
    seg_start = np.flatnonzero(start)
    seg_len = np.diff(np.r_[seg_start, len(o)])
    pos = np.arange(len(o)) - seg_start[seg]
    # Team sizes drawn per team (floor or ceil of size, mean size), as many as fit.
    lo = int(size)
    hi = lo + 1
    most = seg_len // lo
    draws = lo + (rng.random(int(most.sum())) < size - lo)
    first = np.r_[0, np.cumsum(most)[:-1]]
    filled = np.cumsum(draws) - np.repeat(np.r_[0, np.cumsum(draws)][first], most)
    fits = filled <= np.repeat(seg_len, most)
    n_teams = np.bincount(np.repeat(np.arange(len(most)), most)[fits], minlength=len(most))
    n_placed = np.zeros(len(most), np.int64)
    np.maximum.at(n_placed, np.repeat(np.arange(len(most)), most)[fits], filled[fits])
    placed = pos < n_placed[seg]
    team = (np.r_[0, np.cumsum(n_teams)[:-1]][seg] + pos % np.maximum(n_teams, 1)[seg])[placed]
    members = node[o][placed][np.argsort(team, kind="stable")]
    team = np.sort(team)
    pairs = [
        np.column_stack([members[:-d], members[d:]])[team[:-d] == team[d:]]
        for d in range(1, hi)
    ]
    left = np.zeros(len(node), bool)
    left[o[~placed]] = True
    return np.concatenate(pairs) if pairs else np.empty((0, 2), np.int64), left


