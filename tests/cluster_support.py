"""A real Dask cluster on this machine for tests: a scheduler and workers as processes.

Everything binds to 127.0.0.1. Each process starts in its own session, so a test can kill a
worker together with its nanny (``kill(proc)``), as when a machine of a cluster dies.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_scheduler() -> tuple[str, subprocess.Popen]:
    """A scheduler on a free port; returns its address once it listens."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", str(port), "--no-dashboard"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return f"tcp://127.0.0.1:{port}", proc
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                kill(proc)
                raise RuntimeError("dask scheduler did not start") from None
            time.sleep(0.2)


def start_worker(address: str) -> subprocess.Popen:
    """One single-threaded worker (with its nanny), as `dask worker` runs on a cluster."""
    return subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
         "--no-dashboard", "--host", "127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to the process's whole session (worker and nanny) and reap it."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def stop(procs: list[subprocess.Popen]) -> None:
    """Terminate, then kill what is left (newest first)."""
    for proc in reversed(procs):
        if proc.poll() is None:
            kill(proc, signal.SIGTERM)
