"""A Dask sweep on a real cluster under faults: all workers lost, Ctrl-C, then resumed.

A scheduler and two workers run as separate processes on 127.0.0.1 (as on a cluster). The
sweep is a ``tis-sim sweep`` subprocess, so it can be interrupted like a user's. Killing
every worker mid-sweep must end the command within ``--worker-timeout`` with one error
line; SIGINT must end it within 10 s; each time the results stay resumable, and new workers
finish the sweep with results identical to a serial run.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest
from cluster_support import kill, start_scheduler, start_worker, stop

from sim.cli import main
from sim.study.runner import load_daily, load_summaries, read_manifest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

EXPERIMENT = """
[experiment]
name = "daskfault"
preset = "small_school"
replicates = 5
days = 240
seed = 7
[keep]
daily_every = 60
[sweep.specialist_fte]
values = [0.2, 0.4, 0.6, 0.8]
"""
RUNS = 20
TIMEOUT = 6.0  # --worker-timeout of the test sweeps (seconds)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("daskfault")
    path = folder / "daskfault.toml"
    path.write_text(textwrap.dedent(EXPERIMENT))
    serial = folder / "serial"
    assert main(["sweep", str(path), "--out", str(serial), "--backend", "serial", "--quiet",
                 "--no-report"]) == 0
    return path, serial


class Cluster:
    """A scheduler kept for the module, and the workers started by the tests."""

    def __init__(self) -> None:
        self.address, scheduler = start_scheduler()
        self.procs = [scheduler]

    def workers(self, n: int = 2) -> list[subprocess.Popen]:
        """Make sure ``n`` workers are running; return them."""
        live = [p for p in self.procs[1:] if p.poll() is None]
        while len(live) < n:
            live.append(start_worker(self.address))
            self.procs.append(live[-1])
        return live


@pytest.fixture(scope="module")
def cluster():
    c = Cluster()
    try:
        yield c
    finally:
        stop(c.procs)


def _sweep(path, out, address) -> subprocess.Popen:
    # Parts every 0.1 s, so that a fault lands mid-sweep however fast the model becomes.
    code = ("import sys; import sim.study.runner as r; r.FLUSH_SECONDS = 0.1; "
            "from sim.cli import main; sys.exit(main())")
    return subprocess.Popen(
        [sys.executable, "-c", code, "sweep", str(path), "--out", str(out), "--scheduler",
         address, "--worker-timeout", str(TIMEOUT), "--no-report"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_results(proc: subprocess.Popen, out) -> None:
    deadline = time.monotonic() + 180
    while not list((out / "parts" / "summary").glob("part-*.parquet")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no result in 180 s"
        time.sleep(0.05)


def _error_lines(stderr: str) -> list[str]:
    """Lines other than the progress bar's redraws."""
    lines = [x for x in stderr.replace("\r", "\n").splitlines() if x.strip()]
    return [x for x in lines if not x.startswith("out:")]


def _resume_matches_serial(path, out, serial, cluster) -> None:
    cluster.workers(2)
    again = _sweep(path, out, cluster.address)
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert "were already done" in stdout
    pd.testing.assert_frame_equal(load_summaries(serial), load_summaries(out))
    pd.testing.assert_frame_equal(load_daily(serial), load_daily(out))
    assert read_manifest(out)["sessions"][-1]["status"] == "completed"


def test_losing_every_worker_ends_within_the_timeout_then_new_workers_finish(
        experiment, cluster, tmp_path):
    path, serial = experiment
    address = cluster.address
    workers = cluster.workers(2)
    out = tmp_path / "out"
    proc = _sweep(path, out, address)
    try:
        _wait_for_results(proc, out)
        for worker in workers:
            kill(worker)  # SIGKILL to worker and nanny: the machine is gone
        lost = time.monotonic()
        _, stderr = proc.communicate(timeout=TIMEOUT + 60)
        elapsed = time.monotonic() - lost
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr
    lines = _error_lines(stderr)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"tis-sim sweep: error: --scheduler {address}: no Dask "
                               f"worker connected for {TIMEOUT:g} s")
    # The timeout, the scheduler's notice and one look per second; not minutes.
    assert TIMEOUT <= elapsed < TIMEOUT + 8, elapsed
    partial = load_summaries(out)
    assert 0 < len(partial) < RUNS, "the fault came too late to test anything"
    session = read_manifest(out)["sessions"][-1]
    assert session["status"] == "failed" and "no Dask worker" in session["error"]
    _resume_matches_serial(path, out, serial, cluster)


def test_sigint_stops_a_dask_sweep_within_seconds_and_it_resumes(experiment, cluster,
                                                                  tmp_path):
    path, serial = experiment
    cluster.workers(2)
    out = tmp_path / "out"
    proc = _sweep(path, out, cluster.address)
    try:
        _wait_for_results(proc, out)
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        _, stderr = proc.communicate(timeout=60)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert elapsed < 10, elapsed
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert _error_lines(stderr) == ["tis-sim sweep: interrupted; results already written are "
                                    "kept (run the same command again to resume)"]
    assert 0 < len(load_summaries(out)) < RUNS
    assert read_manifest(out)["sessions"][-1]["status"] == "interrupted"
    _resume_matches_serial(path, out, serial, cluster)


def test_a_local_cluster_starts_without_a_warning_when_port_8787_is_taken(recwarn):
    """Dask's dashboard defaults to 8787 and warns when it is taken (a second sweep, a
    notebook's cluster): both LocalClusters we start use a free local port instead."""
    import socket

    from sim.calibrate import sampler
    from sim.study import backends

    pytest.importorskip("distributed")
    with socket.socket() as taken:
        try:
            taken.bind(("127.0.0.1", 8787))
            taken.listen()
        except OSError:  # already taken by something else: the same situation
            pass
        cluster = backends.local_cluster(1)
        try:
            link = cluster.dashboard_link
        finally:
            cluster.close()
    assert sampler.local_cluster is backends.local_cluster  # calibrate starts the same way
    port_warnings = [str(w.message) for w in recwarn
                     if issubclass(w.category, UserWarning) and "8787" in str(w.message)]
    assert not port_warnings
    assert link.startswith("http://127.0.0.1:") and ":8787/" not in link
