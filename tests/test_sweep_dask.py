"""The Dask backend gives the same numbers as serial, on a LocalCluster and a real cluster."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pandas as pd
import pytest
from sweep_support import failing_spec, tiny_specs

from sim.study.backends import BackendError
from sim.study.runner import execute, load_daily, load_failures, load_summaries

SPECS = [*tiny_specs(replicates=2), failing_spec()]


@pytest.fixture(scope="module")
def serial_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    execute(SPECS, out, backend="serial", progress=False)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dask_cluster():
    """A scheduler and one single-threaded worker, as separate processes (as on a cluster)."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = []
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while True:  # wait until the scheduler listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or procs[0].poll() is not None:
                    raise RuntimeError("dask scheduler did not start") from None
                time.sleep(0.2)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
             "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _same_as_serial(out, serial_dir):
    pd.testing.assert_frame_equal(load_summaries(serial_dir), load_summaries(out))
    pd.testing.assert_frame_equal(load_daily(serial_dir), load_daily(out))
    assert list(load_failures(out)["run_id"]) == ["zz-bad"]


def test_dask_local_cluster_matches_serial(serial_dir, tmp_path):
    report = execute(SPECS, tmp_path, backend="dask", scheduler="local", workers=2,
                     progress=False)
    assert (report.ran, report.failed) == (4, 1)
    _same_as_serial(tmp_path, serial_dir)


def test_dask_scheduler_and_worker_processes_match_serial(serial_dir, dask_cluster, tmp_path):
    report = execute(SPECS, tmp_path, backend="dask", scheduler=dask_cluster, progress=False)
    assert (report.ran, report.failed) == (4, 1)
    _same_as_serial(tmp_path, serial_dir)


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(BackendError, match="cannot connect"):
        execute(SPECS[:1], tmp_path, backend="dask", scheduler=address, progress=False)
