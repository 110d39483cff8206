"""`tis-sim examples`: the shipped example files, listed and copied out as a user meets them."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import examples, main
from sim.study.experiment import load_experiment
from sim.whatif.scenarios import load_study

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p.name for p in (ROOT / "experiments").iterdir() if p.is_file())


def test_list_names_every_shipped_file_and_the_command_that_runs_it(capsys):
    assert main(["examples"]) == 0
    out = capsys.readouterr().out
    for name in SHIPPED:
        assert name in out
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert "tis-sim sweep" in rows["headline.toml"]
    assert "tis-sim sensitivity" in rows["sensitivity.toml"]
    assert "tis-sim whatif" in rows["policies.toml"]


@pytest.mark.parametrize("name", SHIPPED)
def test_each_example_is_written_byte_for_byte_and_loads(tmp_path, name, capsys):
    assert main(["examples", name.removesuffix(".toml"), str(tmp_path)]) == 0
    written = tmp_path / name
    assert capsys.readouterr().out.strip().splitlines()[0] == f"wrote {written}"
    assert written.read_bytes() == (ROOT / "experiments" / name).read_bytes()
    if "[study]" in written.read_text():
        assert load_study(written).replicates >= 2
    elif "[experiment]" in written.read_text():
        assert load_experiment(written).replicates >= 1


def test_destinations_file_new_folder_current_folder_and_stdout(tmp_path, monkeypatch, capsys):
    source = (ROOT / "experiments" / "headline.toml").read_text()
    assert main(["examples", "headline.toml", str(tmp_path / "mine.toml")]) == 0
    assert (tmp_path / "mine.toml").read_text() == source
    assert main(["examples", "headline", str(tmp_path / "new") + "/"]) == 0
    assert (tmp_path / "new" / "headline.toml").read_text() == source
    monkeypatch.chdir(tmp_path / "new")
    (tmp_path / "new" / "headline.toml").unlink()
    assert main(["examples", "headline"]) == 0
    assert (tmp_path / "new" / "headline.toml").read_text() == source
    capsys.readouterr()
    assert main(["examples", "headline", "-"]) == 0
    assert capsys.readouterr().out == source


def test_never_overwrites_without_force(tmp_path, capsys):
    target = tmp_path / "headline.toml"
    target.write_text("my own edits\n")
    assert main(["examples", "headline", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == (f"tis-sim examples: error: {target} already exists; choose another "
                   "destination or pass --force to overwrite it\n")
    assert target.read_text() == "my own edits\n"
    assert main(["examples", "headline", str(tmp_path), "--force"]) == 0
    assert target.read_bytes() == (ROOT / "experiments" / "headline.toml").read_bytes()


@pytest.mark.parametrize(("argv", "message"), [
    (["examples", "headlin"], "example 'headlin' does not exist (did you mean 'headline'?); "
                              "available: calibration, headline, policies, sensitivity"),
    (["examples", "zzz"], "example 'zzz' does not exist; available: "),
    (["examples", "--force"], "DEST and --force need an example NAME"),
])
def test_bad_names_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tis-sim examples: error: {message}") and err.count("\n") == 1


def test_data_files_an_example_names_are_copied_with_it(tmp_path, monkeypatch):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "fit.toml").write_text('[calibration]\nobserved = "experiments/observed.csv"\n')
    (shipped / "observed.csv").write_text("day,users\n0,1\n")
    (shipped / "other.toml").write_text('[experiment]\nseed = 1\n')
    monkeypatch.setattr(examples, "examples_dir", lambda: shipped)
    written = examples.write_example("fit", f"{tmp_path}/out/")
    assert written == [tmp_path / "out" / "fit.toml", tmp_path / "out" / "observed.csv"]
    assert (tmp_path / "out" / "observed.csv").read_text() == "day,users\n0,1\n"
    assert examples.describe(shipped / "observed.csv")[1] == "data file used by the examples"
    assert examples.describe(shipped / "fit.toml")[0] == "tis-sim calibrate"
