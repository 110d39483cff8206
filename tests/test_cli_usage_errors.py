"""Usage errors of every command are one line naming the command, exit status 2."""

from pathlib import Path

import pytest

from sim.cli import main

CASES = [
    ["bogus"],
    [],
    ["run", "--days", "abc"],
    ["run", "--preset", "nope"],
    ["run", "extra-argument"],
    ["sweep"],
    ["sweep", "x.toml", "--workers", "x"],
    ["sweep", "x.toml", "--backend", "nope"],
    ["whatif", "x.toml", "--replicates", "x"],
    ["viz", "--port", "abc"],
    ["examples", "headline", "a", "b"],
    ["report"],
    ["sensitivity", "--bogus-option"],
]


@pytest.mark.parametrize("argv", CASES, ids=lambda a: " ".join(a) or "nothing")
def test_usage_errors_are_one_line_with_status_2(argv, capsys):
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "error:" in lines[0] and "--help" in lines[0]
    if argv and argv[0] in ("run", "sweep", "whatif", "viz", "examples", "report"):
        assert lines[0].startswith(f"tis-sim {argv[0]}"), lines[0]


@pytest.mark.parametrize("argv", [["run", "--out", ""], ["run", "--out", "  "],
                                  ["sweep", "experiments/headline.toml", "--out", ""]])
def test_an_empty_out_folder_is_refused_before_anything_is_written(argv, capsys, tmp_path,
                                                                   monkeypatch):
    """--out '' would mean the current folder (overwriting a user's daily.csv): refused."""
    import shutil

    shutil.copytree(Path(__file__).resolve().parents[1] / "experiments", tmp_path / "experiments")
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--out" in err and "empty" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_an_out_folder_that_cannot_be_made_is_a_usage_error(capsys):
    assert main(["run", "--days", "5", "--out", "/proc/nope/x"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "/proc/nope" in err


def test_submodules_are_reachable_after_import_sim():
    import subprocess
    import sys

    code = ("import sim; p = sim.policies.make_policy('help_desk', {'share': 0.5}); "
            "print(type(p).__name__, 'policies' in dir(sim))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    assert out.split()[-1] == "True"
