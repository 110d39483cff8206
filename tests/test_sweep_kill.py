"""A sweep killed with SIGKILL mid-way resumes with the same command: no run lost or doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

from sim.study.design import run_specs
from sim.study.experiment import load_experiment
from sim.study.runner import load_daily, load_summaries, read_manifest

EXPERIMENT = """
[experiment]
name = "killme"
preset = "small_school"
replicates = 12
days = 60
seed = 5
[keep]
daily_every = 20
[sweep.specialist_fte]
values = [0.2, 0.4, 0.6, 0.8, 1.0]
"""


def _group_gone(pgid: int, timeout: float = 15.0) -> bool:
    """True once no process of the group is left (orphaned workers notice and exit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def _cli(*args: str) -> list[str]:
    # Parts every 0.1 s instead of every few seconds, so the kill lands mid-sweep however
    # fast the model has become.
    code = ("import sys; import sim.study.runner as r; r.FLUSH_SECONDS = 0.1; "
            "from sim.cli import main; sys.exit(main())")
    return [sys.executable, "-c", code, *args]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
@pytest.mark.parametrize("backend", ["serial", "local"])
def test_sigkill_then_rerun_gives_each_run_exactly_once(tmp_path, backend):
    path = tmp_path / "killme.toml"
    path.write_text(textwrap.dedent(EXPERIMENT))
    out = tmp_path / "out"
    args = _cli("sweep", str(path), "--out", str(out), "--backend", backend, "--workers", "2",
                "--quiet", "--no-report")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list((out / "parts" / "summary").glob("part-*.parquet")):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no part written in 120 s"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # no chance to flush or clean up
        proc.wait(timeout=30)
        assert _group_gone(proc.pid), "pool workers outlived the killed sweep"
    finally:
        if proc.poll() is None:
            proc.kill()
        try:  # pool workers of the killed process, if any are left
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.stderr.close()
    expected = {s.run_id for s in run_specs(load_experiment(path))}
    partial = load_summaries(out)
    assert 0 < len(partial) < len(expected), "kill came too late to test anything"
    assert read_manifest(out)["status"] == "running"  # the killed session never finished
    assert not (out / "summary.parquet").exists()  # only a session that ran to its end

    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{len(partial)} were already done" in done.stdout
    final = load_summaries(out)
    assert set(final["run_id"]) == expected and not final["run_id"].duplicated().any()
    daily = load_daily(out)
    assert set(daily["run_id"]) == expected
    assert not daily.duplicated(["run_id", "day"]).any()
    assert len(daily) == len(expected) * 4  # days 0, 20, 40, 60
    assert read_manifest(out)["status"] == "complete"
    killed, resumed = read_manifest(out)["sessions"]  # the killed one is kept, marked
    assert killed["status"] == "killed" and killed["ran"] <= len(partial)
    assert resumed["status"] == "completed" and resumed["skipped"] == len(partial)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "summary.parquet"), final)
    pd.testing.assert_frame_equal(  # the dataset folder is the same table, killed or not
        pd.read_parquet(out / "parts" / "daily").sort_values(["run_id", "day"])
        .reset_index(drop=True), daily)


def test_ctrl_c_on_the_local_pool_does_not_wait_for_the_running_batch(tmp_path):
    """A batch of long runs is in flight when Ctrl-C arrives: the sweep ends at once
    (interrupted, exit 130, workers gone), not when the batch would have finished."""
    path = tmp_path / "long.toml"
    path.write_text('[experiment]\nname = "long"\ndays = 1080\nreplicates = 64\nseed = 5\n'
                    "[sweep.specialist_fte]\nvalues = [0.5]\n")
    proc = subprocess.Popen(_cli("sweep", str(path), "--out", str(tmp_path / "out"),
                                 "--backend", "local", "--workers", "1", "--batch-size", "64",
                                 "--quiet"),
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(6)  # the worker has started the batch (64 runs of 6 years: ~10+ s)
        assert proc.poll() is None, proc.communicate()
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
        sent = time.monotonic()
        _, err = proc.communicate(timeout=60)
        waited = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert waited < 4.0, f"Ctrl-C took {waited:.1f} s: it waited for the batch"
    assert _group_gone(proc.pid, timeout=10)
