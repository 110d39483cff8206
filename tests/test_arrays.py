"""Helpers of the batched daily step: each equals the plain numpy (or per-run) form exactly.

``sim.dynamics.arrays`` (row reductions, group ranks, one-key sorts), the read-ahead
uniforms of ``sim.dynamics.uniforms`` and the allocator setting of ``sim.memory``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.dynamics.arrays import group_sort_key, rank_in_groups, row_any, row_max, row_max_of
from sim.dynamics.uniforms import Uniforms
from sim.memory import keep_freed_memory

shapes = st.tuples(st.integers(0, 300), st.integers(1, 70))


@settings(max_examples=60, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
def test_row_reductions_equal_numpys(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-5, 6, shape).astype(np.int8)
    assert np.array_equal(row_max(x), x.max(axis=1)) and row_max(x).dtype == x.dtype
    b = x > 3
    assert np.array_equal(row_any(b), b.any(axis=1))
    table = rng.integers(0, 9, 11).astype(np.int8)
    assert np.array_equal(row_max_of(table, x + 5), table[x + 5].max(axis=1))
    # a column slice (not contiguous), as the state's live columns are
    wide = rng.integers(0, 6, (shape[0], shape[1] + 3)).astype(np.int8)
    assert np.array_equal(row_max(wide[:, : shape[1]]), wide[:, : shape[1]].max(axis=1))


def test_row_any_of_no_columns_is_false():
    assert not row_any(np.zeros((5, 0), bool)).any() and len(row_any(np.zeros((5, 0), bool)))


@given(st.lists(st.integers(0, 6), max_size=60))
def test_rank_in_groups_counts_from_each_groups_start(values):
    g = np.sort(np.array(values, np.int64))
    expected = np.arange(len(g)) - np.searchsorted(g, g, side="left")
    assert np.array_equal(rank_in_groups(g), expected)


def _two_sorts(groups, score, perm):
    by_score = perm[np.argsort(-score[perm].astype(float), kind="stable")]
    return by_score[np.argsort(groups[by_score], kind="stable")]


@settings(max_examples=80, deadline=None)
@given(n=st.integers(0, 200), groups=st.integers(1, 400), low=st.integers(-10**9, 10**3),
       span=st.sampled_from([1, 3, 60, 10**4, 10**9]), seed=st.integers(0, 2**32 - 1))
def test_one_key_sort_equals_two_stable_sorts(n, groups, low, span, seed):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, n)
    score = rng.integers(low, low + span, n)
    key = group_sort_key(g, score)
    if n == 0:
        assert key is None
        return
    perm = rng.permutation(n)
    assert np.array_equal(perm[np.argsort(key[perm], kind="stable")], _two_sorts(g, score, perm))
    assert key.dtype == (np.uint16 if (score.max() - score.min() + 1) * (g.max() + 1) < 2**16
                         else np.int64)


def test_one_key_sort_declines_floats_and_overflow():
    g = np.array([0, 1, 2])
    assert group_sort_key(g, np.array([0.5, 1.0, 2.0])) is None
    assert group_sort_key(np.array([0, 2**40]), np.array([-(2**40), 2**40])) is None


def _draws_alone(seeds, plan):
    """What each run draws alone: ``random((rows, k_r))`` per draw, run by run."""
    gens = [np.random.default_rng(s) for s in seeds]
    out = []
    for run, rows in plan:
        counts = np.bincount(run, minlength=len(seeds))
        per_run = {r: gens[r].random((rows, int(counts[r]))) for r in np.flatnonzero(counts)}
        u = np.empty((rows, len(run)))
        seen = np.zeros(len(seeds), np.int64)
        for e, r in enumerate(run):
            u[:, e] = per_run[r][:, seen[r]]
            seen[r] += 1
        out.append(u if rows > 1 else u[0])
    return out


@settings(max_examples=40, deadline=None)
@given(B=st.integers(1, 6), seed=st.integers(0, 2**32 - 1),
       sizes=st.lists(st.tuples(st.integers(0, 700), st.integers(1, 3), st.booleans()),
                      min_size=1, max_size=12))
def test_buffered_draws_are_what_each_run_draws_alone(B, seed, sizes):
    """Any sequence of draws (sizes beyond the buffer, runs in any order, 1-3 rows)."""
    rng = np.random.default_rng(seed)
    plan = []
    for k, rows, shuffled in sizes:
        run = np.sort(rng.integers(0, B, k))
        plan.append((rng.permutation(run) if shuffled else run, rows))
    seeds = [seed + r for r in range(B)]
    buffered = Uniforms([np.random.default_rng(s) for s in seeds])
    for (run, rows), alone in zip(plan, _draws_alone(seeds, plan), strict=True):
        got = buffered.draw(run, rows)
        assert got.shape == alone.shape
        assert np.array_equal(got, alone)


def test_keep_freed_memory_is_idempotent():
    first = keep_freed_memory()
    assert isinstance(first, bool) and keep_freed_memory() == first
