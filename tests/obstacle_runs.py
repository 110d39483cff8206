"""Shared runs of the obstacle acceptance tests (tests/test_obstacles.py), computed once.

Every run is keyed by its parameters and seed and computed at most once per test session,
in one pool of two processes kept for the session (CI has two cores); results do not
depend on the pool (each run has its own seed and named streams). Tests that need the same
cell reuse it: the default district under ``requests``/``do_for`` at 1 ticket per
user-month is one cell of the displacement grid and also the baseline of the scarcity and
dependency tests.
"""

from __future__ import annotations

import atexit
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from scipy import stats

from sim.dynamics.state import A
from sim.model import DiffusionModel
from sim.run import simulate

DAYS = 540  # three school years: the horizon the acceptance statements name
SEEDS = tuple(range(300, 304))  # paired: replicate r runs on the same seed in every cell
#: For checks that a mean lies inside a range (the whole interval must fit) and for small
#: effects near a ceiling: 8 replicates, the first 4 shared with SEEDS.
MORE_SEEDS = tuple(range(300, 308))
_CACHE: dict[tuple, dict[str, float]] = {}


def _key(params: dict[str, Any], seed: int) -> tuple:
    return tuple(sorted(params.items())), seed


def _summary(job: tuple[dict[str, Any], int]) -> dict[str, float]:
    params, seed = job
    return dict(simulate(params, seed, DAYS, daily_every=0).summary)


_POOL: list[ProcessPoolExecutor] = []


def _pool_map(fn, jobs: list) -> list:
    """``map`` on one pool of two worker processes kept for the test session."""
    if len(jobs) <= 1 or (os.cpu_count() or 1) < 2:
        return [fn(job) for job in jobs]
    if not _POOL:
        _POOL.append(ProcessPoolExecutor(2))
        atexit.register(_POOL[0].shutdown)
    return list(_POOL[0].map(fn, jobs, chunksize=1))


def summaries(cells: list[dict[str, Any]], seeds=SEEDS) -> list[list[dict[str, float]]]:
    """Summaries per cell (outer) and seed (inner), computing only the missing runs."""
    todo = [(c, s) for c in cells for s in seeds if _key(c, s) not in _CACHE]
    todo = list({_key(c, s): (c, s) for c, s in todo}.values())
    for (c, s), result in zip(todo, _pool_map(_summary, todo), strict=True):
        _CACHE[_key(c, s)] = result
    return [[_CACHE[_key(c, s)] for s in seeds] for c in cells]


def values(cell_runs: list[dict[str, float]], key: str) -> np.ndarray:
    """One summary value per seed."""
    return np.array([r[key] for r in cell_runs])


def session_share(cell_runs: list[dict[str, float]]) -> np.ndarray:
    """Coaching + co-teaching minutes as a share of all specialist minutes, per seed (the
    total is the same in every cell of equal FTE, so shares compare minutes)."""
    return values(cell_runs, "time_coaching") + values(cell_runs, "time_coteaching")


def paired_t(diff: np.ndarray) -> float:
    """t statistic of the mean of paired differences (inf if they are all equal and > 0)."""
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    if se == 0:
        return float(np.sign(diff.mean()) * np.inf) if diff.mean() else 0.0
    return float(diff.mean() / se)


def t_crit(alpha: float, n: int) -> float:
    """One-sided critical t value for ``n`` paired replicates."""
    return float(stats.t.ppf(1.0 - alpha, n - 1))


def _fulltime_unused(seed: int) -> tuple[float, float]:
    """Unused and available minutes of the full-time specialists of the default district,
    summed over the days on which fewer than 90% of teachers are INTEGRATED."""
    model = DiffusionModel(seed=seed)
    full = model.specs.fte >= 1.0
    unused = available = 0.0
    for _ in range(DAYS):
        model.step()
        if model.measures["share_integrated"] < 0.9:
            unused += model.specs.ledger_today[full, A["unused"]].sum()
            available += model.specs.avail_today[full].sum()
    return unused, available


def fulltime_unused(seeds=SEEDS) -> np.ndarray:
    """Per seed: full-time specialists' unused share of their minutes (see above)."""
    out = _pool_map(_fulltime_unused, list(seeds))
    return np.array([u / a for u, a in out])
