"""Named random streams from one integer seed: the only place where seeding happens.

Every random process of the model draws from its own stream (common random numbers):
a policy that changes one process does not shift the draws of any other, so differences
between scenarios run on the same seed are signal, not noise.
"""

from __future__ import annotations

import zlib

import numpy as np


def _key(name: str) -> int:
    """A stable 32-bit key for a stream name (same on every machine and Python run)."""
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator for stream ``name`` of run ``seed``.

    Args:
        seed: the run's integer seed (text seeds must be cast to int by the caller).
        name: the process name, e.g. ``"trial"`` or ``"network"``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seq = np.random.SeedSequence(int(seed), spawn_key=(_key(name),))
    return np.random.Generator(np.random.PCG64(seq))


class Streams:
    """Lazily created named streams of one run; ``streams["trial"]`` is a Generator."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._streams:
            self._streams[name] = stream(self.seed, name)
        return self._streams[name]


def child_seeds(master_seed: int, n: int) -> list[int]:
    """``n`` independent run seeds derived from a master seed (for sweeps and replicates)."""
    seq = np.random.SeedSequence(int(master_seed))
    # 63-bit seeds: collisions are negligible even for millions of runs.
    return [int(s.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for s in seq.spawn(n)]
