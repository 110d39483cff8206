"""Where runs execute: in this process, on a local process pool, or on a Dask cluster.

Every backend is a generator that takes run specs and yields one :class:`Outcome` per spec
as runs finish (in completion order). Seeds are already inside the specs, so the backend
cannot change any result: only the order in which results arrive. At most a few runs per
worker are in flight at once, so memory stays flat however long the sweep.

On Dask the loop never blocks for long: it looks for finished runs and at the connected
workers every :data:`POLL_SECONDS`, so Ctrl-C stops it at once (its futures are cancelled),
and a cluster without workers for ``worker_timeout`` seconds (all died, or none came)
ends the sweep with :class:`WorkersLostError`; finished runs are kept for a rerun.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import signal
import socket
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sim.errors import InputWarning, RunFailedError, UserError, require_extra
from sim.study.batching import make_batches
from sim.study.runspec import Outcome, RunSpec, failed, run_batch

#: A unit of work: runs of one cell, run as one batch (``sim.study.batching``).
Job = tuple[RunSpec, ...]

BACKENDS = ("local", "serial", "dask")
#: Runs kept in flight per worker: enough to hide the hand-over latency, few enough that
#: an interrupted sweep wastes little work and memory stays flat.
IN_FLIGHT_PER_WORKER = 3
#: Seconds a Dask sweep waits without any connected worker before it stops (a few
#: minutes: long enough for a worker to restart or a batch job to start).
DEFAULT_WORKER_TIMEOUT = 180.0
#: How often the Dask loop looks for finished runs and at the workers (seconds).
POLL_SECONDS = 0.25
#: Longest wait for the scheduler's answer about its workers before it counts as gone.
ASK_SECONDS = 5.0
#: First wait for a finished run's result; doubled for each retry of the same run (a large
#: result on a slow network), and never past the worker timeout once no worker is left.
FETCH_SECONDS = 2.0

#: Called with ``{"workers": n}`` whenever the number of connected workers changes.
StatusCallback = Callable[[dict[str, Any]], None]


class BackendError(UserError):
    """A backend option that cannot work (unknown name, unreachable scheduler, ...)."""


class WorkersLostError(RunFailedError):
    """No Dask worker (or no scheduler) was connected for longer than the timeout."""


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return os.cpu_count() or 1


def run_all(specs: Sequence[RunSpec], backend: str = "local", scheduler: str | None = None,
            workers: int | None = None, *,
            worker_timeout: float = DEFAULT_WORKER_TIMEOUT,
            on_status: StatusCallback | None = None,
            batch_size: int | None = None) -> Iterator[Outcome]:
    """Yield one Outcome per spec from the chosen backend.

    Replicates of a cell are sent out as batches (``sim.study.batching``): one task runs
    them as one array program, and each outcome is identical to the run alone.

    Args:
        specs: runs to do (seeds already drawn).
        backend: ``local`` (process pool), ``serial`` or ``dask``.
        scheduler: for ``dask``: a scheduler address (``tcp://host:8786``) or ``local`` to
            start a LocalCluster on this machine.
        workers: worker processes for ``local`` and for a Dask LocalCluster (default: all
            cores).
        worker_timeout: for ``dask``: seconds without any connected worker (at the start
            or later) after which :class:`WorkersLostError` is raised.
        on_status: called with ``{"workers": n}`` when the number of workers changes
            (progress bars show it).
        batch_size: runs per task; None chooses it per cell (``auto_batch_size``), 1
            sends every run alone.

    Raises:
        BackendError: an option that cannot work (checked before any run).
        WorkersLostError: Dask only; see ``worker_timeout``.
    """
    if backend not in BACKENDS:
        raise BackendError(f"backend {backend!r} is not allowed; expected one of "
                           + ", ".join(BACKENDS))
    if workers is not None and workers < 1:
        raise BackendError(f"--workers: {workers} is not allowed; expected at least 1")
    if scheduler and backend != "dask":
        raise BackendError(f"--scheduler {scheduler!r} needs --backend dask "
                           f"(got --backend {backend})")
    if batch_size is not None and batch_size < 1:
        raise BackendError(f"--batch-size: {batch_size} is not allowed; expected at least 1")
    if not worker_timeout > 0:
        raise BackendError(f"--worker-timeout: {worker_timeout!r} is not allowed; expected "
                           "a number of seconds above 0")
    report = on_status or (lambda status: None)
    if backend == "serial":
        report({"workers": 1})
        return (o for job in make_batches(specs, batch_size, 1) for o in run_batch(job))
    if backend == "local":
        n = workers or default_workers()
        report({"workers": n})
        return _local(make_batches(specs, batch_size, n), n)
    require_extra("dask", "--backend dask", "distributed")
    jobs = make_batches(specs, batch_size, workers or default_workers())
    return _dask(jobs, scheduler or "local", workers, worker_timeout, report)


def _worker_init(parent: int) -> None:
    """Set up a pool worker: ignore Ctrl-C, and exit when the parent process is gone."""
    # Ctrl-C goes to the whole process group; only the parent handles it (it flushes
    # results and shuts the pool down), so workers do not print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent says each input warning once (checking the input before any run);
    # every worker repeating it for every run it builds would bury it.
    warnings.filterwarnings("ignore", category=InputWarning)

    # A parent killed with SIGKILL cannot shut its pool down, and idle workers would wait
    # for work forever: they notice that they were re-parented and leave.
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _run_batch_quietly(job: Job) -> list[Outcome]:
    """``run_batch`` on a Dask worker, without the input warnings the parent gave once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        return run_batch(job)


def _local(jobs: Sequence[Job], workers: int) -> Iterator[Outcome]:
    """A spawn-started process pool (``import mesa`` forces spawn anyway)."""
    queue = deque(jobs)
    limit = IN_FLIGHT_PER_WORKER * workers
    while queue:
        pool = ProcessPoolExecutor(min(workers, len(queue)), mp_context=mp.get_context("spawn"),
                                   initializer=_worker_init, initargs=(os.getpid(),))
        inflight: dict[Future, Job] = {}
        broken = False
        try:
            while (queue or inflight) and not broken:
                while queue and len(inflight) < limit:
                    job = queue.popleft()
                    inflight[pool.submit(run_batch, job)] = job
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    job = inflight.pop(future)
                    try:
                        yield from future.result()
                    except BrokenProcessPool:
                        broken = True
                        yield from _lost(job)
            # A dead worker breaks the whole pool: which in-flight run killed it is
            # unknowable, so all of them are recorded as failed (a resume retries them)
            # and the rest of the queue continues on a fresh pool.
            for job in inflight.values():
                yield from _lost(job)
            inflight.clear()
        finally:
            if inflight:  # interrupted (Ctrl-C, SIGTERM) or abandoned mid-way
                _stop_workers(pool)
            pool.shutdown(wait=not broken and not inflight, cancel_futures=True)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the pool's worker processes now, without waiting for their running batches.

    A batch in flight is not kept (its runs are done again on resume), so waiting for it
    only delays Ctrl-C by a batch's length. Python 3.14 has ``terminate_workers()``;
    before it, the processes are the executor's ``_processes``.
    """
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()


def _lost(job: Job) -> list[Outcome]:
    return [failed(spec, "WorkerLost: the worker process died while this run was in flight "
                         "(out of memory or killed?); re-run the same command to retry it")
            for spec in job]


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


class _Watch:
    """The connected workers of a Dask cluster, and how long there have been none."""

    def __init__(self, client: Any, address: str, timeout: float,
                 report: StatusCallback) -> None:
        self.client, self.address, self.timeout, self.report = client, address, timeout, report
        self.workers, self.threads = -1, 0
        self.none_since: float | None = None
        self.next_look = 0.0

    def fetch_seconds(self, attempt: int) -> float:
        """How long to wait for a result: doubling per attempt, within the worker timeout."""
        wait = min(FETCH_SECONDS * 2**attempt, 120.0)
        if self.none_since is not None:
            wait = min(wait, max(0.1, self.timeout - (time.monotonic() - self.none_since)))
        return wait

    def look(self) -> int:
        """Ask the scheduler (at most every second); raise after ``timeout`` without workers."""
        now = time.monotonic()
        if now < self.next_look:
            return self.workers
        self.next_look = now + 1.0
        try:
            info = self.client.sync(self.client.scheduler.identity, n_workers=0,
                                    callback_timeout=ASK_SECONDS)
            workers, threads, reached = int(info["n_workers"]), int(info["total_threads"]), True
        except Exception:  # scheduler gone or not answering: no worker can be reached
            workers, threads, reached = 0, 0, False
        if workers != self.workers:
            self.report({"workers": workers})
        self.workers, self.threads = workers, threads
        if workers:
            self.none_since = None
        elif self.none_since is None:
            self.none_since = now
        elif now - self.none_since > self.timeout:
            what = ("no Dask worker connected" if reached
                    else "the Dask scheduler did not answer")
            raise WorkersLostError(
                f"--scheduler {self.address}: {what} for {self.timeout:g} s (--worker-timeout);"
                " finished runs are kept: start workers (`dask worker ADDRESS`) and run the "
                "same command again to resume")
        return workers


#: Where a LocalCluster's dashboard listens: a free port on this machine. Dask's default
#: (8787) warns when taken (a second sweep, a notebook's cluster) and listens on every
#: interface; the link is ``cluster.dashboard_link``.
LOCAL_DASHBOARD = "127.0.0.1:0"


def local_cluster(workers: int) -> Any:
    """A Dask ``LocalCluster`` of ``workers`` single-threaded processes.

    Its dashboard listens on a free local port (:data:`LOCAL_DASHBOARD`), so starting one
    never warns that port 8787 is in use.
    """
    from dask.distributed import LocalCluster

    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                        dashboard_address=LOCAL_DASHBOARD)


def _connect(scheduler: str, workers: int | None) -> tuple[Any, Any]:
    """A client of the cluster at ``scheduler`` (and the LocalCluster it started, or None)."""
    from dask.distributed import Client

    if scheduler == "local":
        cluster = local_cluster(workers or default_workers())
        return Client(cluster), cluster
    _check_reachable(scheduler)
    try:
        return Client(scheduler, timeout="20s"), None
    except (OSError, TimeoutError) as exc:
        raise BackendError(f"--scheduler {scheduler!r}: cannot connect to a Dask scheduler "
                           f"there ({exc})") from exc


class _AbandonedFetch(logging.Filter):
    """Drop asyncio's report of a fetch of results that Dask abandoned.

    When a result's worker dies before we fetch it, Dask's fetch task ends in ``AllExit``
    and asyncio reports it whenever the task is collected, so the filter stays on.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return type(exc).__name__ != "AllExit"


_ABANDONED = _AbandonedFetch()


@contextlib.contextmanager
def _quiet_dask() -> Iterator[None]:
    """Keep Dask's own log lines (lost workers, reconnects) off the terminal.

    The sweep says what matters in one line (:class:`WorkersLostError`). Dask sets levels
    on several of its loggers, so each is quietened and restored.
    """
    logging.getLogger("asyncio").addFilter(_ABANDONED)  # once: filters are a set
    names = ["distributed", *(n for n in logging.root.manager.loggerDict
                              if n.startswith("distributed."))]
    levels = {n: logging.getLogger(n).level for n in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _dask(jobs: Sequence[Job], scheduler: str, workers: int | None, timeout: float,
          report: StatusCallback) -> Iterator[Outcome]:
    """Runs as Dask tasks on an existing cluster or on a LocalCluster started here.

    Nothing here blocks for long: finished runs are collected without waiting, a result
    whose worker died before it was fetched is left for Dask to compute again (fetching
    it waits at most :meth:`_Watch.fetch_seconds`), and the workers are looked at every
    second.
    """
    from dask.distributed import as_completed

    client = cluster = None
    pending: dict[Any, Job] = {}
    attempts: dict[Any, int] = {}
    with _quiet_dask():
        try:
            client, cluster = _connect(scheduler, workers)
            watch = _Watch(client, scheduler, timeout, report)
            while not watch.look():  # wait for the first worker, at most `timeout` seconds
                time.sleep(POLL_SECONDS)
            queue = deque(jobs)
            stream = as_completed()
            while queue or pending:
                while queue and len(pending) < IN_FLIGHT_PER_WORKER * max(watch.threads, 1):
                    job = queue.popleft()
                    future = client.submit(_run_batch_quietly, job, pure=False)
                    pending[future] = job
                    stream.add(future)
                watch.look()
                batch = stream.next_batch(block=False)
                if not batch:
                    time.sleep(POLL_SECONDS)  # Ctrl-C lands here, within a fraction of a second
                for future in batch:
                    tries = attempts.get(future, 0)
                    outcomes = _collect(future, pending[future], scheduler,
                                        watch.fetch_seconds(tries))
                    if outcomes is None:  # its worker died first: Dask computes it again
                        attempts[future] = tries + 1
                        stream.add(future)
                        continue
                    del pending[future]
                    attempts.pop(future, None)
                    future.release()
                    yield from outcomes
        finally:
            # Also on Ctrl-C, a lost cluster or an error: nothing is left running for us.
            if client is not None:
                with contextlib.suppress(Exception):
                    if pending:
                        client.cancel(list(pending), force=True)
                with contextlib.suppress(Exception):
                    client.close(timeout=5)
            if cluster is not None:
                with contextlib.suppress(Exception):
                    cluster.close(timeout=10)


def _collect(future: Any, job: Job, scheduler: str, wait: float) -> list[Outcome] | None:
    """The outcome of a finished future, or None if it did not come within ``wait`` s.

    None means that its worker died before the result was fetched: Dask computes it again.
    """
    if future.cancelled():  # not by us: the connection to the scheduler broke
        raise WorkersLostError(f"--scheduler {scheduler}: lost the connection to the Dask "
                               "scheduler; finished runs are kept: run the same command "
                               "again to resume")
    try:
        return future.result(timeout=wait)
    except TimeoutError:  # the result was on a worker that died before we fetched it
        return None
    except Exception as exc:  # KilledWorker (a run that kills workers), ...
        return [failed(spec, f"{type(exc).__name__}: {exc}") for spec in job]
