"""Array helpers of the daily step: row reductions over innovation columns, group ranks.

The state's per-pair arrays have one row per node (every teacher of every run) and one
column per live innovation (n, at most ``max_innovations``: a few). numpy reduces along
such a short last axis with a loop per row; one array operation per column is 4-8x
faster for the same exact result (``max`` and ``any`` do not round). Each function falls
back to numpy's own reduction when the rows are few or the columns many.

Queues (tickets, candidates for sessions) are sorted by owner; :func:`rank_in_groups`
numbers each element within its owner's run of equal values in one pass, and
:func:`group_sort_key` turns (group, integer score) into one key for a single stable sort.
"""

from __future__ import annotations

import numpy as np

#: Most columns reduced one at a time (beyond this, numpy's own row reduction).
_MAX_COLUMNS = 64


def _by_columns(x: np.ndarray) -> bool:
    return x.ndim == 2 and 0 < x.shape[1] <= _MAX_COLUMNS and x.shape[0] > 4 * x.shape[1]


def _reduce_columns(x: np.ndarray, ufunc: np.ufunc) -> np.ndarray:
    """``ufunc.reduce(x, axis=1)``, one column at a time where that is faster."""
    if not _by_columns(x):
        return ufunc.reduce(x, axis=1)
    out = x[:, 0].copy()
    for c in range(1, x.shape[1]):
        ufunc(out, x[:, c], out=out)
    return out


def row_max(x: np.ndarray) -> np.ndarray:
    """``x.max(axis=1)`` of a (rows, n) array with n >= 1: shape (rows,), x's dtype."""
    return _reduce_columns(x, np.maximum)


def row_any(x: np.ndarray) -> np.ndarray:
    """``x.any(axis=1)`` of a (rows, n) bool array: bool (rows,), False where n = 0."""
    return _reduce_columns(x, np.logical_or)


def row_max_of(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``table[codes].max(axis=1)``: the largest table entry over each row's codes.

    ``codes`` (rows, n >= 1) are non-negative integers indexing the 1-d ``table``; shape
    (rows,), the table's dtype.
    """
    return row_max(np.take(table, codes))


def rank_in_groups(sorted_groups: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal values: int64 (len,).

    ``sorted_groups`` must be sorted (equal values adjacent); equals
    ``arange(n) - searchsorted(g, g, side="left")`` in one linear pass.
    """
    n = len(sorted_groups)
    start = np.zeros(n, np.int64)
    if n > 1:
        new = np.flatnonzero(sorted_groups[1:] != sorted_groups[:-1]) + 1
        start[new] = new
        np.maximum.accumulate(start, out=start)
    return np.arange(n) - start


def group_sort_key(groups: np.ndarray, score: np.ndarray) -> np.ndarray | None:
    """One integer key that orders by group (ascending), then score (highest first).

    A stable sort by the key equals a stable sort by score (descending) followed by a
    stable sort by group, in a single pass (a radix sort when the key fits 16 bits).
    ``groups`` are non-negative integers and ``score`` integers; None when the score is
    not integer (floats keep two sorts) or the key would overflow int64.
    """
    if score.dtype.kind not in "iu" or len(score) == 0:
        return None
    hi = int(score.max())
    span = hi - int(score.min()) + 1
    top = int(groups.max()) + 1
    if span * top < 2**16:
        dtype = np.uint16
    elif span * top < 2**62:
        dtype = np.int64
    else:
        return None
    return groups.astype(dtype) * dtype(span) + (hi - score).astype(dtype)
