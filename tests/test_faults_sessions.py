"""The manifest records every session, including those that wrote nothing, with its end
state: completed, interrupted (Ctrl-C, SIGTERM), failed (with its error) or killed.
"""

from __future__ import annotations

import os
import signal

import pytest
from fault_support import EXPERIMENT, one_error, run_cli, write
from sweep_support import tiny_specs

import sim.study.runner
from sim.study import sessions
from sim.study.backends import WorkersLostError
from sim.study.runner import execute, load_summaries, read_manifest
from sim.study.runspec import specs_hash

SPECS = tiny_specs(replicates=2)


def _failing_backend(exc: BaseException):
    def run_all(*args, **kwargs):
        raise exc
        yield  # a generator, like the real backends

    return run_all


def test_every_session_is_recorded_with_its_end_state(tmp_path, monkeypatch):
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        m.setattr(sim.study.runner, "run_all", _failing_backend(KeyboardInterrupt()))
        with pytest.raises(KeyboardInterrupt):
            execute(SPECS, out, backend="serial", progress=False)
        lost = WorkersLostError("no Dask worker connected for 6 s")
        m.setattr(sim.study.runner, "run_all", _failing_backend(lost))
        with pytest.raises(WorkersLostError):
            execute(SPECS, out, backend="serial", progress=False)
    assert load_summaries(out).empty  # none of these sessions wrote a result
    # What a SIGKILL leaves behind: a session record that was opened and never closed.
    sessions.start(out, specs_hash(SPECS), SPECS, {"backend": "local"}, None)
    report = execute(SPECS, out, backend="serial", progress=False)
    assert report.ran == len(SPECS)
    history = read_manifest(out)["sessions"]
    assert [s["status"] for s in history] == ["interrupted", "failed", "killed", "completed"]
    assert [s["ran"] for s in history] == [0, 0, 0, len(SPECS)]
    assert history[1]["error"] == "no Dask worker connected for 6 s"
    assert "SIGKILL" in history[2]["note"] and "finished" not in history[2]
    assert all(s["started"] and s["backend"] for s in history)
    assert read_manifest(out)["status"] == "complete"


def test_fresh_starts_a_new_history_and_other_runs_do_not_inherit_it(tmp_path):
    out = tmp_path / "out"
    execute(SPECS, out, backend="serial", progress=False)
    execute(SPECS, out, backend="serial", progress=False)
    assert len(read_manifest(out)["sessions"]) == 2
    execute(SPECS, out, backend="serial", progress=False, fresh=True)
    assert [s["status"] for s in read_manifest(out)["sessions"]] == ["completed"]


def test_progress_is_recorded_while_a_session_runs(tmp_path, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setattr(sim.study.runner, "FLUSH_SECONDS", 0.0)
    seen = []
    real = sessions.progress

    def spy(out_dir, meta, ran, failed):
        real(out_dir, meta, ran, failed)
        seen.append(read_manifest(out_dir)["sessions"][-1]["ran"])

    monkeypatch.setattr(sessions, "progress", spy)
    execute(SPECS, out, backend="serial", progress=False)
    assert seen == list(range(1, len(SPECS) + 1))


def test_sigterm_stops_a_sweep_like_ctrl_c(tmp_path, capsys, monkeypatch):
    real = sim.study.runner.run_all

    def terminated_midway(specs, *args, **kwargs):
        for i, outcome in enumerate(real(specs, *args, **kwargs)):
            if i == 1:
                os.kill(os.getpid(), signal.SIGTERM)  # as `kill PID` or a batch system
            yield outcome

    monkeypatch.setattr(sim.study.runner, "run_all", terminated_midway)
    monkeypatch.setattr(sim.study.runner, "FLUSH_SECONDS", 0.0)
    path = write(tmp_path, "e.toml", EXPERIMENT.replace("days = 5", "days = 5\nreplicates = 3"))
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "sweep", path, "--out", out, "--backend", "serial",
                           "--quiet")
    assert code == 143
    assert err == ["tis-sim sweep: terminated; results already written are kept (run the "
                   "same command again to resume)"]
    assert 1 <= len(load_summaries(out)) < 6
    assert read_manifest(out)["sessions"][-1]["status"] == "interrupted"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back


def test_a_failed_session_is_one_line_with_exit_status_1(tmp_path, capsys, monkeypatch):
    lost = WorkersLostError("--scheduler tcp://127.0.0.1:1: no Dask worker connected for "
                            "6 s (--worker-timeout); finished runs are kept")
    monkeypatch.setattr(sim.study.runner, "run_all", _failing_backend(lost))
    path = write(tmp_path, "e.toml", EXPERIMENT)
    line = one_error(capsys, "sweep", path, "--out", tmp_path / "out", "--backend", "serial",
                     "--quiet", status=1)
    assert line == f"tis-sim sweep: error: {lost}"
