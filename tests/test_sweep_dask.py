"""The Dask backend gives the same numbers as serial, on a LocalCluster and a real cluster."""

from __future__ import annotations

import pandas as pd
import pytest
from cluster_support import free_port, start_scheduler, start_worker, stop
from sweep_support import failing_spec, tiny_specs

from sim.study.backends import BackendError
from sim.study.runner import execute, load_daily, load_failures, load_summaries

SPECS = [*tiny_specs(replicates=2), failing_spec()]


@pytest.fixture(scope="module")
def serial_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    execute(SPECS, out, backend="serial", progress=False)
    return out


@pytest.fixture(scope="module")
def dask_cluster():
    """A scheduler and one single-threaded worker, as separate processes (as on a cluster)."""
    address, scheduler = start_scheduler()
    procs = [scheduler]
    try:
        procs.append(start_worker(address))
        yield address
    finally:
        stop(procs)


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
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(BackendError, match="cannot connect"):
        execute(SPECS[:1], tmp_path, backend="dask", scheduler=address, progress=False)
