"""Run the command line in-process and check the one-line error of a bad input."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sim.cli import main

#: Small valid inputs of every kind the command line reads (each command's smallest job).
EXPERIMENT = """
[experiment]
name = "ok"
preset = "small_school"
days = 5
seed = 1
[sweep.specialist_fte]
values = [0.2, 0.4]
"""
SENSITIVITY = """
[experiment]
name = "sens"
preset = "small_school"
days = 5
seed = 1
[sweep.specialist_fte]
range = [0.2, 0.8]
[sweep.q_peer]
range = [0.2, 0.6]
[sensitivity]
methods = ["morris"]
morris_trajectories = 2
outputs = ["final_users_share"]
"""
SCENARIOS = """
[study]
name = "ok"
days = 5
replicates = 2
[costs]
currency = "USD"
fte_price = 75000
[baseline]
preset = "small_school"
[scenarios.coach]
policy = "support_style"
style = "coach"
"""
CONFIG = "specialist_fte = 0.4\n"
NODES = "id,school,department,role\na,s1,d1,teacher\nb,s1,d1,teacher\nc,s1,,specialist\n"
EDGES = "source,target\na,b\nb,c\n"


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run_cli(capsys, *args: str) -> tuple[int, str, list[str]]:
    """``tis-sim ARGS`` in this process: exit status, stdout and the lines of stderr.

    A usage error (argparse's ``SystemExit``) gives its exit status like any other.
    """
    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # a usage error found by argparse (an option's type)
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, [line for line in err.splitlines() if line.strip()]


def one_error(capsys, *args: str, status: int = 2) -> str:
    """Run a command that must fail: one stderr line, the given exit status; the line."""
    code, _, err = run_cli(capsys, *args)
    assert code == status, (code, err)
    assert len(err) == 1, err
    command = str(args[0])
    assert err[0].startswith(f"tis-sim {command}: error: "), err[0]
    return err[0]
