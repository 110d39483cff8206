"""Where runs execute: in this process, on a local process pool, or on a Dask cluster.

Every backend is a generator that takes run specs and yields one :class:`Outcome` per spec
as runs finish (in completion order). Seeds are already inside the specs, so the backend
cannot change any result: only the order in which results arrive. At most a few runs per
worker are in flight at once, so memory stays flat however long the sweep.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from sim.errors import UserError, require_extra
from sim.study.runspec import Outcome, RunSpec, failed, run_spec

BACKENDS = ("local", "serial", "dask")
#: Runs kept in flight per worker: enough to hide the hand-over latency, few enough that
#: an interrupted sweep wastes little work and memory stays flat.
IN_FLIGHT_PER_WORKER = 3


class BackendError(UserError):
    """A backend option that cannot work (unknown name, unreachable scheduler, ...)."""


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return os.cpu_count() or 1


def run_all(specs: Sequence[RunSpec], backend: str = "local", scheduler: str | None = None,
            workers: int | None = None) -> Iterator[Outcome]:
    """Yield one Outcome per spec from the chosen backend.

    Args:
        specs: runs to do (seeds already drawn).
        backend: ``local`` (process pool), ``serial`` or ``dask``.
        scheduler: for ``dask``: a scheduler address (``tcp://host:8786``) or ``local`` to
            start a LocalCluster on this machine.
        workers: worker processes for ``local`` and for a Dask LocalCluster (default: all
            cores).
    """
    if backend not in BACKENDS:
        raise BackendError(f"backend {backend!r} is not allowed; expected one of "
                           + ", ".join(BACKENDS))
    if workers is not None and workers < 1:
        raise BackendError(f"--workers: {workers} is not allowed; expected at least 1")
    if scheduler and backend != "dask":
        raise BackendError(f"--scheduler {scheduler!r} needs --backend dask "
                           f"(got --backend {backend})")
    if backend == "serial":
        return (run_spec(s) for s in specs)
    if backend == "local":
        return _local(specs, workers or default_workers())
    require_extra("dask", "--backend dask", "distributed")
    return _dask(specs, scheduler or "local", workers)


def _worker_init(parent: int) -> None:
    """Set up a pool worker: ignore Ctrl-C, and exit when the parent process is gone."""
    # Ctrl-C goes to the whole process group; only the parent handles it (it flushes
    # results and shuts the pool down), so workers do not print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    # A parent killed with SIGKILL cannot shut its pool down, and idle workers would wait
    # for work forever: they notice that they were re-parented and leave.
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _local(specs: Sequence[RunSpec], workers: int) -> Iterator[Outcome]:
    """A spawn-started process pool (``import mesa`` forces spawn anyway)."""
    queue = deque(specs)
    limit = IN_FLIGHT_PER_WORKER * workers
    while queue:
        pool = ProcessPoolExecutor(min(workers, len(queue)), mp_context=mp.get_context("spawn"),
                                   initializer=_worker_init, initargs=(os.getpid(),))
        inflight: dict[Future, RunSpec] = {}
        broken = False
        try:
            while (queue or inflight) and not broken:
                while queue and len(inflight) < limit:
                    spec = queue.popleft()
                    inflight[pool.submit(run_spec, spec)] = spec
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    spec = inflight.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        broken = True
                        yield _lost(spec)
            # A dead worker breaks the whole pool: which in-flight run killed it is
            # unknowable, so all of them are recorded as failed (a resume retries them)
            # and the rest of the queue continues on a fresh pool.
            for spec in inflight.values():
                yield _lost(spec)
        finally:
            pool.shutdown(wait=not broken and not inflight, cancel_futures=True)


def _lost(spec: RunSpec) -> Outcome:
    return failed(spec, "WorkerLost: the worker process died while this run was in flight "
                        "(out of memory or killed?); re-run the same command to retry it")


def _check_reachable(address: str) -> None:
    """Fail in a moment, not after the client's timeout, when nothing listens there."""
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise BackendError(f"--scheduler {address!r} is not allowed; expected 'local' or an "
                           "address like tcp://HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        raise BackendError(f"--scheduler {address!r}: cannot connect to a Dask scheduler "
                           f"there ({exc.strerror or exc})") from exc


def _dask(specs: Sequence[RunSpec], scheduler: str, workers: int | None) -> Iterator[Outcome]:
    """Runs as Dask tasks on an existing cluster or on a LocalCluster started here."""
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        _check_reachable(scheduler)
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise BackendError(f"--scheduler {scheduler!r}: cannot connect to a Dask "
                               f"scheduler there ({exc})") from exc
    try:
        try:
            client.wait_for_workers(1, timeout=120)
        except TimeoutError as exc:
            raise BackendError(f"--scheduler {scheduler!r}: no Dask worker joined within "
                               "120 s; start one with `dask worker ADDRESS`") from exc
        threads = sum(client.nthreads().values())
        queue = deque(specs)
        pending: dict[object, RunSpec] = {}
        stream = as_completed()

        def submit() -> None:
            spec = queue.popleft()
            future = client.submit(run_spec, spec, pure=False)
            pending[future] = spec
            stream.add(future)

        for _ in range(min(len(queue), IN_FLIGHT_PER_WORKER * max(threads, 1))):
            submit()
        for future in stream:
            spec = pending.pop(future)
            try:
                outcome = future.result()
            except Exception as exc:  # KilledWorker, lost connection, ...
                outcome = failed(spec, f"{type(exc).__name__}: {exc}")
            future.release()
            if queue:
                submit()
            yield outcome
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
