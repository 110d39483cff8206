"""Usage errors of every command are one line naming the command, exit status 2."""

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
