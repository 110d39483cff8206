"""The same calibration seed gives the same posterior in this process and on Dask."""

import pandas as pd
import pytest

from sim.calibrate.run import run_calibration
from sim.calibrate.spec import parse_calibration
from sim.study.backends import BackendError

TEXT = """
[calibration]
preset = "small_school"
days = 20
seed = 8
population = 10
generations = 2
predictive = 4
[parameters.tickets_per_user_month]
[parameters.caseload]
[patterns.trouble]
output = "time_troubleshooting"
interval = [0.3, 0.5]
tolerance = 0.1
"""


@pytest.mark.slow
def test_dask_local_cluster_matches_serial(tmp_path):
    cal = parse_calibration(TEXT, tmp_path / "c.toml")
    serial = run_calibration(cal, tmp_path / "serial", backend="serial", progress=False)
    dask = run_calibration(cal, tmp_path / "dask", backend="dask", scheduler="local",
                           workers=2, progress=False)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "serial" / "posterior.parquet"),
                                  pd.read_parquet(tmp_path / "dask" / "posterior.parquet"))
    pd.testing.assert_frame_equal(serial.predictive.drop(columns="cpu_seconds"),
                                  dask.predictive.drop(columns="cpu_seconds"))  # measured


def test_scheduler_needs_dask_and_unknown_backends_are_refused(tmp_path):
    cal = parse_calibration(TEXT, tmp_path / "c.toml")
    with pytest.raises(BackendError, match="needs --backend dask"):
        run_calibration(cal, tmp_path / "x", backend="local", scheduler="local")
    with pytest.raises(BackendError, match="expected one of"):
        run_calibration(cal, tmp_path / "y", backend="ray")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()  # nothing written
