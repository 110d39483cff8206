"""Build work off the page's event thread: progress, a working Cancel, and memory released.

A large district takes seconds to build (most of it in Mesa's agent and network-cell set-up,
which is plain Python). The page runs such work in a worker thread, so the session keeps
answering clicks (the current run goes on), shows a progress bar, and can cancel.

Progress of a model build is estimated from the district's size and the build rate measured
in this process (each finished build updates it); the page says "about N s left", never a
made-up percentage of steps. Cancel raises :class:`Cancelled` inside the worker thread
(CPython's ``PyThreadState_SetAsyncExc``, delivered at the worker's next Python instruction),
so it stops within a fraction of a second; the half-built model is then released.
"""

from __future__ import annotations

import ctypes
import gc
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sim.model import DiffusionModel

T = TypeVar("T")

#: Build seconds per 1,000 teachers before any build was measured (2-core machine, 2026).
PRIOR_SECONDS_PER_1000 = 0.06
#: Weight of the latest build in the running estimate of the rate.
_RATE_WEIGHT = 0.5


class Cancelled(BaseException):
    """Raised inside a worker thread whose job was cancelled."""


class BuildClock:
    """Seconds per teacher of a model build, learnt from the builds of this process."""

    def __init__(self, seconds_per_1000: float = PRIOR_SECONDS_PER_1000) -> None:
        self.seconds_per_teacher = seconds_per_1000 / 1000
        self._lock = threading.Lock()

    def estimate(self, teachers: int) -> float:
        """Expected seconds to build a district of ``teachers`` (at least 0.2 s)."""
        return max(0.2, teachers * self.seconds_per_teacher)

    def learn(self, teachers: int, seconds: float) -> None:
        """Fold a measured build into the estimate (builds under 1,000 teachers are noise)."""
        if teachers < 1000:
            return
        with self._lock:
            rate = seconds / teachers
            self.seconds_per_teacher += _RATE_WEIGHT * (rate - self.seconds_per_teacher)


CLOCK = BuildClock()


def new_model(kwargs: dict[str, Any], holder: list[Any]) -> DiffusionModel:
    """``DiffusionModel(**kwargs)``, with the object in ``holder`` before ``__init__`` runs.

    If the build is cancelled half-way, the caller still sees the half-built object (a
    model frees itself once nothing refers to it: ``sim.agents`` keeps Mesa's id counters
    weakly, mesa #3179).
    """
    model = DiffusionModel.__new__(DiffusionModel)
    holder.append(model)
    model.__init__(**kwargs)
    return model


class Job(Generic[T]):
    """One piece of work in a worker thread, with progress, a result and Cancel.

    ``work(job)`` runs in the thread; it may call ``job.report(fraction, text)`` and
    ``job.expect(seconds, text)`` (a phase whose progress is estimated from time), and must
    register anything to release on cancel with ``job.on_cancel``.
    """

    def __init__(self, work: Callable[[Job[T]], T], title: str) -> None:
        self.title = title
        self.result: T | None = None
        self.error: BaseException | None = None
        self.cancelled = False
        #: Called by the page (not the worker) with the result when the job succeeded.
        self.on_done: Callable[[T], None] | None = None
        self.started = time.monotonic()
        self._work = work
        self._fraction = 0.0
        self._text = "starting"
        self._phase: tuple[float, float, float, float] | None = None
        self._cleanup: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._finished = False
        self._claimed = False
        self._stop = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"tis-sim {title}", daemon=True)

    def start(self) -> Job[T]:
        """Start the worker thread."""
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            try:
                self.result = self._work(self)
            finally:
                with self._lock:
                    self._finished = True  # cancel() injects nothing after this
        except Cancelled:
            self.cancelled = True
        except BaseException as exc:  # reported on the page, not raised in the server
            self.error = exc
        try:
            if self.cancelled or self.error is not None:
                self.result = None
                for fn in self._cleanup:
                    fn()
        except Cancelled:  # a late delivery of the one injected exception
            self.cancelled = True
        finally:
            self._cleanup.clear()
            gc.collect()
            self._done.set()

    # -- called by the work ------------------------------------------------------------------
    def report(self, fraction: float, text: str) -> None:
        """Progress so far (0..1) and what is being done; raises Cancelled if cancelled."""
        if self._stop:
            raise Cancelled
        with self._lock:
            self._phase = None
            self._fraction, self._text = min(max(fraction, 0.0), 1.0), text

    def expect(self, start: float, end: float, seconds: float, text: str) -> None:
        """A phase from ``start`` to ``end`` of the bar expected to take ``seconds``."""
        if self._stop:
            raise Cancelled
        with self._lock:
            self._phase = (start, end, time.monotonic(), max(seconds, 0.05))
            self._fraction, self._text = start, text

    def on_cancel(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` if the job is cancelled or fails (release half-built objects)."""
        self._cleanup.append(fn)

    # -- called by the page -------------------------------------------------------------------
    def claim(self) -> bool:
        """True for the first caller only: who handles (shows or drops) the result."""
        with self._lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

    @property
    def done(self) -> bool:
        """True once the work finished, failed or was cancelled."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the job to end; True if it has."""
        return self._done.wait(timeout)

    def progress(self) -> tuple[float, str]:
        """(fraction done, text) for the progress bar; estimated phases stop at 95%."""
        with self._lock:
            if self._phase is None:
                return self._fraction, self._text
            start, end, since, seconds = self._phase
            elapsed = time.monotonic() - since
            share = min(elapsed / seconds, 0.95)
            left = max(seconds - elapsed, 0.0)
            hint = f"about {left:.0f} s left" if left >= 1 else "almost done"
            return start + (end - start) * share, f"{self._text} ({hint})"

    def cancel(self, timeout: float = 10.0) -> bool:
        """Stop the work; True when it has ended within ``timeout`` seconds.

        The exception is raised again every 0.1 s until the work ends: one that arrives
        while the worker runs a callback whose exceptions Python ignores (a weakref
        callback, say) is lost. Never after the work has returned.
        """
        deadline = time.monotonic() + timeout
        while not self.done and time.monotonic() < deadline:
            with self._lock:
                self._stop = True  # also stops work that has not started (see report)
                ident = self._thread.ident
                if not self._finished and ident is not None:
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident),
                                                               ctypes.py_object(Cancelled))
            self.wait(0.1)
        return self.done
