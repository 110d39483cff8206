"""Result folders: one Parquet dataset per kind that any reader sees as the loaders' table.

pandas, pyarrow.dataset (and so R's arrow, which reads the same files the same way) must
return exactly the rows of load_summaries / load_daily / load_failures, also after a
resume, a retried failure, a killed batch and for folders written by tis-sim 0.1.
"""

from __future__ import annotations

import dataclasses
import shutil

import pandas as pd
import pyarrow.dataset as ds
import pytest
from sweep_support import failing_spec, tiny_specs

from sim.study.layout import old_layout_files, upgrade_layout
from sim.study.runner import execute, load_daily, load_failures, load_summaries
from sim.study.runspec import Outcome, run_spec
from sim.study.storage import ResultStore

LOADERS = {"summary": load_summaries, "daily": load_daily, "failures": load_failures}
KEYS = {"summary": ["run_id"], "daily": ["run_id", "day"], "failures": ["run_id"]}
READERS = {
    "pandas": lambda folder: pd.read_parquet(folder),
    "pyarrow.dataset": lambda folder: ds.dataset(folder, format="parquet").to_table()
    .to_pandas(),
}


def dataset(out, kind, reader="pandas") -> pd.DataFrame:
    """The dataset folder read by a generic reader, in the loaders' row order."""
    df = READERS[reader](out / "parts" / kind)
    return df.sort_values(KEYS[kind], kind="stable").reset_index(drop=True)


def assert_datasets_match_loaders(out, kinds=("summary", "daily", "failures")):
    for kind in kinds:
        if not (out / "parts" / kind).exists():  # a kind with no rows has no folder
            assert LOADERS[kind](out).empty
            continue
        for reader in READERS:
            pd.testing.assert_frame_equal(dataset(out, kind, reader), LOADERS[kind](out),
                                          obj=f"{kind} read by {reader}")


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    """A finished folder: 6 runs with daily rows and 1 failure, one batch per run."""
    out = tmp_path_factory.mktemp("done")
    execute([*tiny_specs(), failing_spec()], out, backend="serial", progress=False,
            flush_seconds=0)
    return out


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("kind", LOADERS)
def test_each_dataset_folder_is_exactly_the_loader_table(done, kind, reader):
    table = dataset(done, kind, reader)
    pd.testing.assert_frame_equal(table, LOADERS[kind](done))
    assert len(table) == {"summary": 6, "daily": 6 * 4, "failures": 1}[kind]
    assert len(list((done / "parts" / kind).glob("part-*.parquet"))) >= 1


def test_summary_file_is_written_when_the_session_ends(done):
    pd.testing.assert_frame_equal(pd.read_parquet(done / "summary.parquet"),
                                  load_summaries(done))
    assert not list((done / "parts").glob("*.parquet"))  # nothing left in the old place


def test_a_new_session_removes_the_summary_file_until_it_ends(tmp_path):
    specs = tiny_specs(replicates=1)
    execute(specs, tmp_path, backend="serial", progress=False)
    with ResultStore(tmp_path) as store:
        store.tidy()  # what a session does first; a killed one never rewrites the file
    assert not (tmp_path / "summary.parquet").exists()
    execute(specs, tmp_path, backend="serial", progress=False)
    assert (tmp_path / "summary.parquet").exists()


def test_label_types_are_the_same_in_every_part(tmp_path):
    """Batches whose own labels would give int vs float, or None vs text, in one column."""
    base = tiny_specs(ftes=(0.5,), replicates=4)
    labels = [{"dose": 1, "arm": None}, {"dose": 2.5, "arm": "b"}, {"dose": 2, "arm": None},
              {"dose": 3, "arm": "c"}]
    specs = [dataclasses.replace(s, labels=lab) for s, lab in zip(base, labels, strict=True)]
    execute(specs, tmp_path, backend="serial", progress=False, flush_seconds=0)
    assert len(list((tmp_path / "parts" / "summary").glob("part-*"))) == 4
    assert_datasets_match_loaders(tmp_path, kinds=("summary", "daily"))
    s = load_summaries(tmp_path)
    assert s["dose"].tolist() == [1.0, 2.5, 2.0, 3.0]
    assert s["arm"].isna().tolist() == [True, False, True, False]


def test_runs_with_different_label_names_are_refused(tmp_path):
    a, b = tiny_specs(ftes=(0.5,), replicates=2)
    with pytest.raises(ValueError, match="same label names"):
        execute([a, dataclasses.replace(b, labels={"other": 1})], tmp_path, backend="serial",
                progress=False)


def _outcome(spec, ok):
    return run_spec(spec) if ok else Outcome(spec.run_id, spec.seed, dict(spec.labels),
                                             error="RuntimeError: flaky", traceback="tb")


@pytest.mark.parametrize("second_try_ok", [True, False], ids=["then-succeeds", "fails-again"])
def test_a_retried_run_has_one_failure_record_or_none(tmp_path, second_try_ok):
    specs = tiny_specs(ftes=(0.5,), replicates=3)
    with ResultStore(tmp_path, labels=[s.labels for s in specs]) as store:
        store.tidy()
        store.write([_outcome(specs[0], True), _outcome(specs[1], False)])
        store.write([_outcome(specs[2], False)])
        assert set(dataset(tmp_path, "failures")["run_id"]) == {specs[1].run_id,
                                                                specs[2].run_id}
        store.write([_outcome(specs[1], second_try_ok)])  # a resumed session's retry
    failures = load_failures(tmp_path)
    expected = [specs[2].run_id] if second_try_ok else [specs[1].run_id, specs[2].run_id]
    assert failures["run_id"].tolist() == expected
    assert_datasets_match_loaders(tmp_path)


def test_failure_records_duplicated_by_a_kill_are_compacted_on_resume(tmp_path):
    specs = tiny_specs(ftes=(0.5,), replicates=2)
    with ResultStore(tmp_path, labels=[s.labels for s in specs]) as store:
        store.tidy()
        store.write([_outcome(specs[0], False)])
        store.write([_outcome(specs[1], True)])
    folder = tmp_path / "parts" / "failures"
    shutil.copy(folder / "part-000001.parquet", folder / "part-000007.parquet")  # killed
    assert len(load_failures(tmp_path)) == 1 and len(dataset(tmp_path, "failures")) == 2
    with ResultStore(tmp_path) as store:
        store.tidy()
    assert_datasets_match_loaders(tmp_path, kinds=("failures",))


def test_a_daily_part_pending_at_a_kill_is_published_on_resume(tmp_path):
    """Killed between the summary part (the commit) and publishing its daily part."""
    specs = tiny_specs(replicates=2)
    execute(specs, tmp_path, backend="serial", progress=False, flush_seconds=0)
    complete = load_daily(tmp_path)
    last = sorted((tmp_path / "parts" / "daily").glob("part-*.parquet"))[-1]
    last.rename(last.with_name(".pending-" + last.name.split("-")[1]))
    assert len(load_daily(tmp_path)) == len(complete) - 4  # not yet, but never half
    assert_datasets_match_loaders(tmp_path)
    report = execute(specs, tmp_path, backend="serial", progress=False)
    assert report.ran == 0
    pd.testing.assert_frame_equal(load_daily(tmp_path), complete)
    assert_datasets_match_loaders(tmp_path)


def to_old_layout(out):
    """Rewrite a folder as tis-sim 0.1 left it: every part flat in parts/, no summary file."""
    for kind in ("summary", "daily", "failures"):
        folder = out / "parts" / kind
        for path in sorted(folder.glob("part-*.parquet")):
            path.rename(out / "parts" / f"{kind}-{path.name.split('-')[1]}")
        if folder.exists():
            folder.rmdir()
    (out / "summary.parquet").unlink()


def test_folders_of_the_previous_layout_are_read_and_converted_on_resume(tmp_path, capsys):
    specs = [*tiny_specs(), failing_spec()]
    execute(specs, tmp_path, backend="serial", progress=False, flush_seconds=0)
    before = {kind: load(tmp_path) for kind, load in LOADERS.items()}
    to_old_layout(tmp_path)
    assert len(old_layout_files(tmp_path)) == 13  # 6 summary + 6 daily + 1 failures parts
    for kind, load in LOADERS.items():  # read as they are
        pd.testing.assert_frame_equal(load(tmp_path), before[kind])
    # A conversion interrupted half way still reads whole.
    first = old_layout_files(tmp_path)[::2]
    for path in first:
        kind, number = path.stem.split("-")
        (tmp_path / "parts" / kind).mkdir(exist_ok=True)
        path.rename(tmp_path / "parts" / kind / f"part-{number}.parquet")
    for kind, load in LOADERS.items():
        pd.testing.assert_frame_equal(load(tmp_path), before[kind])
    capsys.readouterr()
    report = execute(specs, tmp_path, backend="serial", progress=False)
    assert "converted" in capsys.readouterr().err
    assert report.skipped == 6 and report.ran == 0 and old_layout_files(tmp_path) == []
    for kind, load in LOADERS.items():
        pd.testing.assert_frame_equal(load(tmp_path), before[kind])
    assert_datasets_match_loaders(tmp_path)
    assert upgrade_layout(tmp_path) == 0  # nothing left to do


def test_an_old_orphan_daily_part_is_dropped_by_the_conversion(tmp_path):
    execute(tiny_specs(replicates=1), tmp_path, backend="serial", progress=False)
    before = load_daily(tmp_path)
    to_old_layout(tmp_path)
    before.to_parquet(tmp_path / "parts" / "daily-000009.parquet")  # no summary-000009
    assert upgrade_layout(tmp_path, quiet=True) == 2
    assert not list((tmp_path / "parts").glob("*.parquet"))
    pd.testing.assert_frame_equal(load_daily(tmp_path), before)
