"""Where particles are evaluated: this process, a local process pool, or a Dask cluster.

pyABC's own parallel samplers accept particles in the order they finish and let each
worker seed itself from fresh entropy, so two runs of one calibration differ. The
:class:`BatchSampler` here is exact instead: particle i of generation t draws its proposal
and its model seeds from ``SeedSequence(seed, spawn_key=(t, i))``, batches of particles
are evaluated in parallel, and the first n accepted *in index order* form the generation,
exactly as a single-core sampler would take them. The same seed therefore gives the same
posterior serially, on the local pool and on Dask, and a generation re-run after a kill
is the generation the killed run would have made.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler

from sim.errors import UserError, require_extra
from sim.study.backends import (
    BACKENDS,
    BackendError,
    _check_reachable,
    _worker_init,
    default_workers,
    local_cluster,
)

#: Largest batch, in population sizes (bounds the waste of the last batch of a generation).
MAX_BATCH_POPULATIONS = 2


class WorkerLostError(UserError):
    """A worker process died (out of memory or killed); finished generations are kept."""


class Executor:
    """Ordered parallel map over one backend, kept open for the whole calibration.

    Args:
        backend: ``local`` (process pool, spawn), ``serial`` or ``dask``.
        scheduler: for ``dask``: a scheduler address or ``local`` (a LocalCluster here).
        workers: worker processes (default: all cores).
    """

    def __init__(self, backend: str = "local", scheduler: str | None = None,
                 workers: int | None = None) -> None:
        if backend not in BACKENDS:
            raise BackendError(f"backend {backend!r} is not allowed; expected one of "
                               + ", ".join(BACKENDS))
        if scheduler and backend != "dask":
            raise BackendError(f"--scheduler {scheduler!r} needs --backend dask "
                               f"(got --backend {backend})")
        if workers is not None and workers < 1:
            raise BackendError(f"--workers: {workers} is not allowed; expected at least 1")
        if backend == "dask":
            require_extra("dask", "--backend dask", "distributed")
        self.backend, self.scheduler = backend, scheduler or "local"
        self.workers = 1 if backend == "serial" else (workers or default_workers())
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None
        self._cluster: Any = None

    def _start(self) -> None:
        if self.backend == "local" and self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                             initializer=_worker_init, initargs=(os.getpid(),))
        elif self.backend == "dask" and self._client is None:
            from dask.distributed import Client

            if self.scheduler == "local":
                self._cluster = local_cluster(self.workers)
                self._client = Client(self._cluster)
            else:
                _check_reachable(self.scheduler)
                try:
                    self._client = Client(self.scheduler, timeout="20s")
                except (OSError, TimeoutError) as exc:
                    raise BackendError(f"--scheduler {self.scheduler!r}: cannot connect to a "
                                       f"Dask scheduler there ({exc})") from exc
            try:
                self._client.wait_for_workers(1, timeout=120)
            except TimeoutError as exc:
                raise BackendError(f"--scheduler {self.scheduler!r}: no Dask worker joined "
                                   "within 120 s; start one with `dask worker ADDRESS`") from exc
            self.workers = max(1, sum(self._client.nthreads().values()))

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """``[fn(x) for x in items]``, in parallel, in the order of ``items``."""
        if self.backend == "serial" or len(items) == 0:
            return [fn(x) for x in items]
        self._start()
        if self.backend == "dask":
            futures = self._client.map(fn, list(items), pure=False)
            return self._client.gather(futures)
        chunk = max(1, len(items) // (4 * self.workers))
        try:
            return list(self._pool.map(fn, items, chunksize=chunk))
        except BrokenProcessPool:
            self._pool = None
            raise WorkerLostError("a worker process died (out of memory or killed?); run the "
                                  "same command again: finished generations are kept") from None

    def close(self) -> None:
        """Stop the workers (also after an error or Ctrl-C)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def particle_seed(seed: int, t: int, i: int) -> np.ndarray:
    """Seed words of particle ``i`` of generation ``t`` (numpy's legacy global seeding)."""
    return np.random.SeedSequence(int(seed), spawn_key=(int(t) + 1, int(i))).generate_state(8)


_CACHE: dict[int, Callable] = {}


def _simulate(task: tuple[bytes, np.ndarray]) -> Any:
    """Run pyABC's ``simulate_one`` under the particle's seed.

    pyABC draws proposals from numpy's global generator: it is seeded for the particle and
    its state restored afterwards, so nothing else sees the change.
    """
    blob, words = task
    key = hash(blob)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = cloudpickle.loads(blob)
    state = np.random.get_state()  # noqa: NPY002 (pyABC's global generator)
    np.random.seed(words)  # noqa: NPY002
    cpu = time.process_time()
    try:
        particle = _CACHE[key]()
    finally:
        np.random.set_state(state)  # noqa: NPY002
    particle.cpu_seconds = time.process_time() - cpu  # measured where it ran (any backend)
    return particle


class BatchSampler(Sampler):
    """An exact, reproducible pyABC sampler over an :class:`Executor` (see module doc).

    Args:
        executor: where particles run.
        seed: the calibration's master seed.
        progress: print a line per batch to stderr.
    """

    def __init__(self, executor: Executor, seed: int, progress: bool = False) -> None:
        super().__init__()
        self.executor, self.seed, self.progress = executor, int(seed), progress
        self.rate = 1.0  # last generation's acceptance rate (sizes the first batch)
        self.cpu_seconds = 0.0  # CPU time of every particle evaluated, also the extras

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                all_accepted=False, ana_vars=None):
        """Evaluate particles in index order until ``n`` are accepted (see module doc)."""
        blob = cloudpickle.dumps(simulate_one)
        sample = self._create_empty_sample()
        accepted = index = used = 0
        while accepted < n and index < max_eval:
            need = n - accepted
            size = need if all_accepted else math.ceil(1.2 * need / max(self.rate, 1e-3))
            size = min(size, MAX_BATCH_POPULATIONS * n, int(min(max_eval - index, 1e12)))
            w = self.executor.workers
            size = max(w, math.ceil(size / w) * w)
            tasks = [(blob, particle_seed(self.seed, t, i)) for i in range(index, index + size)]
            results = self.executor.map(_simulate, tasks)
            self.cpu_seconds += sum(getattr(p, "cpu_seconds", 0.0) for p in results)
            for particle in results:
                if accepted == n:
                    break  # evaluated beyond the n-th acceptance: not part of the sample
                sample.append(particle)
                used += 1
                accepted += bool(particle.accepted)
            index += size
            if self.progress:
                print(f"  generation {t + 1}: {accepted}/{n} accepted of {used} evaluated",
                      file=sys.stderr, flush=True)
        self.nr_evaluations_ = used
        self.rate = max(accepted / max(used, 1), 1e-3)
        if accepted < n:
            sample.ok = False
        return sample
