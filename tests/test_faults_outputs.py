"""Every output path goes through one check, and a failed write leaves nothing partial.

An --out that is an existing file, a device, below a file or not writable is refused with
one line (exit status 2) before any run, by every command. No space left on the device
(simulated: the writer raises ENOSPC after writing part of a file) ends the command with one
line and exit status 1, leaves no partial file, keeps what was written before, and the same
command resumes once there is room.
"""

from __future__ import annotations

import errno
import os

import matplotlib.figure
import pandas as pd
import pyarrow.parquet as pq
import pytest
from fault_support import EXPERIMENT, SCENARIOS, SENSITIVITY, one_error, run_cli, write

import sim.study.paths
import sim.study.runner
from sim.study.runner import load_daily, load_summaries, read_manifest

FILES = {"sweep": EXPERIMENT, "sensitivity": SENSITIVITY, "whatif": SCENARIOS}


def args_for(command: str, folder, out) -> list[str]:
    if command == "run":
        return ["run", "--days", "5", "--preset", "small_school", "--out", str(out)]
    path = write(folder, f"{command}.toml", FILES[command])
    return [command, str(path), "--out", str(out), "--backend", "serial", "--quiet"]


@pytest.mark.parametrize("command", ["run", "sweep", "sensitivity", "whatif"])
def test_bad_output_folders_are_refused_before_any_run(command, tmp_path, capsys,
                                                      monkeypatch):
    afile = write(tmp_path, "afile", "keep me\n")
    cases = [(afile, "is an existing file"), (afile / "sub", "a part of the path is a file")]
    if os.path.exists("/dev/null"):
        cases.append((os.devnull, "is not a folder (a device or pipe)"))
    for out, said in cases:
        line = one_error(capsys, *args_for(command, tmp_path, out))
        assert f"--out {out}: " in line and said in line
    assert afile.read_text() == "keep me\n"

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(sim.study.paths.tempfile, "TemporaryFile", denied)  # root can write
    out = tmp_path / "locked"
    line = one_error(capsys, *args_for(command, tmp_path, out))
    assert f"--out {out}: permission denied (EACCES)" in line
    assert not list(tmp_path.glob("locked/*"))


def _full_after(monkeypatch, owner, name: str, calls_before: int) -> None:
    """Make the writer ``owner.name(x, path, ...)`` (a method, or a function of a table and
    a path) write part of its file, then fail with ENOSPC, after ``calls_before`` calls."""
    real = getattr(owner, name)
    count = {"n": 0}

    def write_then_fail(first, path, *args, **kwargs):
        count["n"] += 1
        if count["n"] <= calls_before:
            return real(first, path, *args, **kwargs)
        with open(path, "wb") as fh:
            fh.write(b"PAR1 half a file")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(owner, name, write_then_fail)


def test_no_space_during_a_run_leaves_no_partial_output(tmp_path, capsys, monkeypatch):
    _full_after(monkeypatch, matplotlib.figure.Figure, "savefig", 1)  # the second figure
    fresh = tmp_path / "fresh"
    line = one_error(capsys, *args_for("run", tmp_path, fresh), status=1)
    assert "specialist_minutes.png: no space left on the device (ENOSPC)" in line
    assert not fresh.exists()  # neither files nor the folder the command made

    earlier = tmp_path / "earlier"
    monkeypatch.undo()
    assert run_cli(capsys, *args_for("run", tmp_path, earlier))[0] == 0
    before = {p.name: p.read_bytes() for p in earlier.iterdir()}
    _full_after(monkeypatch, pd.DataFrame, "to_csv", 0)
    one_error(capsys, "run", "--days", "7", "--out", earlier, status=1)
    assert {p.name: p.read_bytes() for p in earlier.iterdir()} == before  # untouched


def test_no_space_during_a_sweep_keeps_complete_parts_and_resumes(tmp_path, capsys,
                                                                  monkeypatch):
    path = write(tmp_path, "exp.toml", EXPERIMENT.replace("[0.2, 0.4]", "[0.2, 0.4, 0.6]")
                 .replace("days = 5", "days = 5\nreplicates = 2"))
    serial = tmp_path / "serial"
    assert run_cli(capsys, "sweep", path, "--out", serial, "--backend", "serial")[0] == 0
    monkeypatch.setattr(sim.study.runner, "FLUSH_SECONDS", 0.0)  # a part per run
    _full_after(monkeypatch, pq, "write_table", 1)  # pyarrow, after the first part
    out = tmp_path / "out"
    line = one_error(capsys, "sweep", path, "--out", out, "--backend", "serial", "--quiet",
                     status=1)
    assert "no space left on the device (ENOSPC)" in line and "parts" in line
    assert not [p for p in (out / "parts").rglob("*") if p.name.endswith(".tmp")]
    assert len(load_summaries(out)) == 1  # the part written before the disk filled up
    session = read_manifest(out)["sessions"][-1]
    assert session["status"] == "failed" and "no space left" in session["error"]

    monkeypatch.undo()  # space freed: the same command finishes the sweep
    code, stdout, _ = run_cli(capsys, "sweep", path, "--out", out, "--backend", "serial",
                              "--quiet")
    assert code == 0 and "1 were already done" in stdout
    pd.testing.assert_frame_equal(load_summaries(serial), load_summaries(out))
    pd.testing.assert_frame_equal(load_daily(serial), load_daily(out))
    assert [s["status"] for s in read_manifest(out)["sessions"]] == ["failed", "completed"]


def test_no_command_replaces_a_device_or_a_folder_with_a_file(tmp_path, capsys):
    """An atomic write renames onto its target: it must never be /dev/null (root could)."""
    if os.path.exists("/dev/null"):
        line = one_error(capsys, "examples", "headline", os.devnull, "--force")
        assert f"cannot write {os.devnull}: it is not a regular file" in line
        assert not os.path.isfile(os.devnull)
    (tmp_path / "headline.toml").mkdir()  # a folder where the example file would go
    line = one_error(capsys, "examples", "headline", tmp_path, "--force")
    assert f"cannot write {tmp_path / 'headline.toml'}: it is a folder" in line
