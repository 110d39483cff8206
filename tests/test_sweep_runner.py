"""The sweep runner: identical results on every backend, failures recorded, safe resume."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from sweep_support import failing_spec, tiny_specs

from sim.study.runner import execute, load_daily, load_failures, load_summaries, read_manifest
from sim.study.storage import ResultsInUseError, ResultStore, StoreMismatchError


@pytest.fixture(scope="module")
def serial_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    report = execute([*tiny_specs(), failing_spec()], out, backend="serial", progress=False)
    assert (report.total, report.ran, report.failed) == (7, 6, 1)
    return out


def test_serial_and_local_pool_give_identical_results(serial_dir, tmp_path):
    """Seeds live in the specs, so the pool's completion order cannot change any number."""
    report = execute([*tiny_specs(), failing_spec()], tmp_path, backend="local", workers=2,
                     progress=False)
    assert report.ran == 6
    pd.testing.assert_frame_equal(load_summaries(serial_dir), load_summaries(tmp_path))
    pd.testing.assert_frame_equal(load_daily(serial_dir), load_daily(tmp_path))


def test_results_hold_ids_seeds_labels_and_daily_rows(serial_dir):
    s = load_summaries(serial_dir)
    specs = tiny_specs()
    assert list(s["run_id"]) == [sp.run_id for sp in specs]
    assert list(s["seed"]) == [sp.seed for sp in specs]
    assert list(s.columns[:5]) == ["run_id", "seed", "cell", "replicate", "param_specialist_fte"]
    assert s["final_users_share"].between(0, 1).all()
    # Common random numbers: replicate r has one seed in every cell.
    assert s.groupby("replicate")["seed"].nunique().eq(1).all()
    daily = load_daily(serial_dir)
    assert sorted(daily["day"].unique()) == [0, 10, 20, 30]
    assert len(daily) == 6 * 4 and not daily.duplicated(["run_id", "day"]).any()


def test_a_failing_run_is_recorded_and_the_others_finish(serial_dir):
    failures = load_failures(serial_dir)
    assert list(failures["run_id"]) == ["zz-bad"]
    assert "n_schools" in failures["error"][0] and failures["seed"][0] == 5
    assert "Traceback" in failures["traceback"][0]
    assert "zz-bad" not in set(load_summaries(serial_dir)["run_id"])
    assert read_manifest(serial_dir)["status"] == "finished with failures"


def test_resume_skips_finished_runs_and_retries_failed_ones(tmp_path):
    specs = tiny_specs()
    first = execute(specs[:4], tmp_path, backend="serial", progress=False)
    with pytest.raises(StoreMismatchError, match="--fresh"):
        execute(specs, tmp_path, backend="serial", progress=False)
    again = execute(specs[:4], tmp_path, backend="serial", progress=False)
    assert (first.ran, again.skipped, again.ran) == (4, 4, 0)
    assert len(load_summaries(tmp_path)) == 4
    assert len(read_manifest(tmp_path)["sessions"]) == 2


def test_changed_runs_are_refused_and_fresh_starts_over(tmp_path):
    specs = tiny_specs(replicates=1)
    execute(specs, tmp_path, backend="serial", progress=False)
    longer = [dataclasses.replace(s, days=31) for s in specs]
    with pytest.raises(StoreMismatchError, match="different runs"):
        execute(longer, tmp_path, backend="serial", progress=False)
    report = execute(longer, tmp_path, backend="serial", fresh=True, progress=False)
    assert report.ran == len(specs) and report.skipped == 0
    assert (load_summaries(tmp_path)["days"] == 31).all()
    assert not list(tmp_path.glob(".trash-*"))


def test_half_written_parts_are_never_read(serial_dir, tmp_path):
    """A temp file, or a daily part still pending when the session was killed."""
    specs = tiny_specs(replicates=1)
    execute(specs, tmp_path, backend="serial", progress=False)
    summary_dir, daily_dir = tmp_path / "parts" / "summary", tmp_path / "parts" / "daily"
    daily = load_daily(tmp_path)
    (summary_dir / ".part-000009.parquet.abc.tmp").write_bytes(b"half a file")
    daily.to_parquet(daily_dir / ".pending-000009.parquet")  # orphan: no summary part 9
    assert len(load_daily(tmp_path)) == len(daily)
    assert len(load_summaries(tmp_path)) == len(specs)
    assert len(pd.read_parquet(summary_dir)) == len(specs)  # hidden files are skipped
    execute(specs, tmp_path, backend="serial", progress=False)  # resume tidies up
    assert not (daily_dir / ".pending-000009.parquet").exists()
    assert not list(summary_dir.glob(".*.tmp"))


def test_duplicate_run_ids_are_rejected(tmp_path):
    spec = tiny_specs(replicates=1)[0]
    with pytest.raises(ValueError, match="more than once"):
        execute([spec, spec], tmp_path, backend="serial", progress=False)


def test_a_folder_in_use_is_refused(tmp_path):
    with ResultStore(tmp_path), pytest.raises(ResultsInUseError, match="another sweep"):
        execute(tiny_specs(replicates=1), tmp_path, backend="serial", progress=False)


def test_labels_that_clash_with_summary_keys_are_refused(tmp_path):
    spec = dataclasses.replace(tiny_specs(replicates=1)[0], labels={"final_users_share": 1})
    with pytest.raises(ValueError, match="clash with result columns"):
        execute([spec], tmp_path, backend="serial", progress=False)
    assert load_summaries(tmp_path).empty


def test_loading_a_missing_folder_is_an_error_not_an_empty_result(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_summaries(tmp_path / "typo")
