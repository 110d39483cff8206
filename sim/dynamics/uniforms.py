"""Uniforms of many runs' streams, served from per-run read-ahead buffers.

A batch of B runs (``sim.dynamics.world``) draws, several times a day, a few uniforms
from each run's own stream: B generator calls per draw cost more than the numbers. A
``Uniforms`` buffer reads ahead from every run's stream of one name and serves each draw
with a few array operations over all runs.

Exactness: ``Generator.random(a)`` followed by ``random(b)`` gives the numbers of
``random(a + b)`` (each double is the next 53 bits of the bit generator; nothing is
cached between calls), so a run's numbers are those it draws alone, in the same order,
as long as its stream is read only through the buffer (each name is used by one
process of the model). Only the generator's position after the run differs.
"""

from __future__ import annotations

import numpy as np

from sim.dynamics.arrays import rank_in_groups

#: Uniforms read ahead per run at first (grown when one draw needs more).
_START = 1024


class Uniforms:
    """Read-ahead buffers of one stream name for B runs.

    Args:
        gens: the B runs' generators of this stream, in run order.
    """

    def __init__(self, gens: list[np.random.Generator]) -> None:
        self.gens = gens
        self.buf = np.empty((len(gens), _START))
        self.pos = np.full(len(gens), _START, np.int64)  # all used up: read on first draw

    def _refill(self, runs: np.ndarray, width: int) -> None:
        """Read ahead for runs ``runs``: unread numbers to the front, new ones after them.

        With a ``width`` beyond the buffer's, every run's row is widened and read ahead.
        """
        old = self.buf
        if width > old.shape[1]:
            self.buf = np.empty((len(self.gens), width))
            runs = np.arange(len(self.gens))
        for r in runs.tolist():
            unread = old[r, int(self.pos[r]):].copy()
            self.buf[r, : len(unread)] = unread
            self.gens[r].random(out=self.buf[r, len(unread):])
            self.pos[r] = 0

    def draw(self, run: np.ndarray, rows: int = 1) -> np.ndarray:
        """As ``World.draw``: run r's next ``random((rows, k_r))`` for its k_r elements.

        Shape (rows, len(run)), or (len(run),) for one row.
        """
        B = len(self.gens)
        counts = np.bincount(run, minlength=B)
        need = rows * counts
        cap = self.buf.shape[1]
        short = np.flatnonzero(self.pos + need > cap)
        if len(short):
            most = int(need.max())
            self._refill(short, cap if most <= cap else max(2 * cap, most))
            cap = self.buf.shape[1]
        if (run[1:] >= run[:-1]).all():  # elements in run order (the usual case)
            rank = rank_in_groups(run)
        else:
            order = np.argsort(run, kind="stable")
            rank = np.empty(len(run), np.int64)
            rank[order] = rank_in_groups(run[order])
        first = run * cap + self.pos[run] + rank  # flat index of row 0's number
        self.pos += need
        flat = self.buf.ravel()
        if rows == 1:
            return flat[first]
        return flat[first + np.arange(rows)[:, None] * counts[run]]
