"""A calibration killed with SIGKILL continues with the same command, to the same posterior.

The killed run uses the local pool and is continued there; the reference runs
uninterrupted in this process (serial backend). Both must end with the same number of
generations and the very same particles and weights: nothing lost, nothing doubled, and
the result does not depend on the backend or on the kill.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from sim.calibrate.run import run_calibration, stored_generations
from sim.calibrate.spec import load_calibration

CALIBRATION = """
[calibration]
name = "killme"
preset = "small_school"
days = 60
seed = 11
population = 20
generations = 3
predictive = 8
[parameters.tickets_per_user_month]
[parameters.caseload]
[patterns.trouble]
output = "time_troubleshooting"
interval = [0.3, 0.5]
tolerance = 0.05
[patterns.users]
output = "users_share"
day = 60
target = 0.3
tolerance = 0.05
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_then_rerun_continues_to_the_same_posterior(tmp_path):
    path = tmp_path / "killme.toml"
    path.write_text(CALIBRATION)
    out = tmp_path / "killed"
    args = [sys.executable, "-m", "sim.cli", "calibrate", str(path), "--out", str(out),
            "--workers", "2", "--no-report"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while stored_generations(out / "abc.db") < 1:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no generation stored in 240 s"
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)  # mid-way through generation 2
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        try:  # pool workers notice the lost parent and leave; make sure
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.stderr.close()
    stored = stored_generations(out / "abc.db")
    assert 1 <= stored < 3, "the kill came too late to test anything"

    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"generation {stored + 1}/3" in done.stderr  # continued, not restarted
    assert "generation 1/3" not in done.stderr

    reference = run_calibration(load_calibration(path), tmp_path / "reference",
                                backend="serial", progress=False)
    resumed = pd.read_parquet(out / "posterior.parquet")
    expected = pd.read_parquet(tmp_path / "reference" / "posterior.parquet")
    pd.testing.assert_frame_equal(resumed, expected)
    assert len(resumed) == 20 and reference.generations == 3
    gens = pd.read_csv(out / "generations.csv")
    assert gens["generation"].tolist() == [1, 2, 3] and (gens["particles"] == 20).all()
    timing = ["seconds", "cpu_seconds"]  # measured times, not results
    pd.testing.assert_frame_equal(gens.drop(columns=timing),
                                  pd.read_csv(tmp_path / "reference" / "generations.csv")
                                  .drop(columns=timing))
    assert np.isclose(pd.read_parquet(out / "predictive.parquet")["seed"],
                      reference.predictive["seed"]).all()
    sessions = json.loads((out / "manifest.json").read_text())["sessions"]
    assert len(sessions) == 2 and "finished" not in sessions[0]
    assert sessions[1]["status"] == "complete"
