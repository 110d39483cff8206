"""`tis-sim run` and `tis-sim params` as a user meets them."""

import json
import subprocess
import sys

import pandas as pd

import sim
from sim.cli import main


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_run_writes_table_summary_manifest_and_figures(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--days", "30", "--seed", "3", "--out", str(out)]) == 0
    daily = pd.read_csv(out / "daily.csv")
    assert len(daily) == 31 and daily["day"].tolist() == list(range(31))
    summary = json.loads((out / "summary.json").read_text())
    assert 0 <= summary["final_users_share"] <= 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["parameters"]["specialist_fte"] == 0.5
    assert "numpy" in manifest["versions"]
    assert manifest["tis_sim"]["version"] == manifest["versions"]["tis-sim"] == sim.__version__
    for png in ("stages.png", "specialist_minutes.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


def test_bad_parameter_is_one_line_without_traceback():
    result = cli("run", "--set", "specialist_fte=2", "--days", "1")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "tis-sim run: error: --set specialist_fte=2: parameter 'specialist_fte': 2.0 is not "
        "allowed; "
        "expected a number from 0.1 to 1.0")


def test_unknown_parameter_and_missing_files_are_user_errors(tmp_path):
    result = cli("run", "--set", "fte=1", "--days", "1")
    assert result.returncode == 2 and "unknown parameter 'fte'" in result.stderr
    result = cli("run", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2 and "does not exist" in result.stderr
    result = cli("run", "--days", "1", "--set", f"network_file={tmp_path}/e.csv",
                 "--set", f"nodes_file={tmp_path}/n.csv")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "e.csv" in result.stderr or "n.csv" in result.stderr


def test_params_lists_every_parameter():
    result = cli("params")
    assert result.returncode == 0
    assert "specialist_fte" in result.stdout and "from 0.1 to 1.0" in result.stdout


def test_result_files_are_readable_by_others(tmp_path):
    """Atomic writes go through mkstemp (0600); results get the usual umask permissions."""
    import os
    import stat

    out = tmp_path / "run"
    assert main(["run", "--days", "2", "--out", str(out)]) == 0
    mask = os.umask(0)
    os.umask(mask)
    for name in ("daily.csv", "summary.json", "manifest.json", "stages.png"):
        mode = stat.S_IMODE((out / name).stat().st_mode)
        assert mode == 0o666 & ~mask, (name, oct(mode))


def test_run_figures_use_the_shared_colour_blind_safe_palette(tmp_path, monkeypatch):
    """`tis-sim run`'s figures draw stages and activities in the page's palette (sim.palette)."""
    from matplotlib.colors import to_hex

    from sim.dynamics.state import ACTIVITIES
    from sim.dynamics.submodels import STAGE_ORDER
    from sim.palette import ACTIVITY_COLORS, STAGE_COLORS, STAGE_HATCHES
    from sim.run import simulate
    from sim.single import plots

    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.append(fig))
    daily = simulate({"preset": "small_school"}, seed=3, days=20).daily
    plots.stage_figure(daily, tmp_path / "stages.png")
    plots.minutes_figure(daily, tmp_path / "minutes.png")
    stages, minutes = (fig.axes[0].collections for fig in figures)
    assert [to_hex(c.get_facecolor()[0]) for c in stages] == [STAGE_COLORS[s] for s in STAGE_ORDER]
    assert [c.get_hatch() or "" for c in stages] == [STAGE_HATCHES[s] for s in STAGE_ORDER]
    assert [to_hex(c.get_facecolor()[0]) for c in minutes] == [ACTIVITY_COLORS[a]
                                                                for a in ACTIVITIES]
