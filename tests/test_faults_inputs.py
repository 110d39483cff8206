"""Every file the command line reads fails the same way: one line naming the file and why.

The kinds of file (parameter file, experiment file, sensitivity file, scenario file, node
table, edge list) times the kinds of fault (missing, a folder, a device, unreadable, UTF-16
with and without a byte-order mark, Windows-1252, binary, malformed) each give exit status
2 and one line; a UTF-8 byte-order mark is accepted.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fault_support import (
    CONFIG,
    EDGES,
    EXPERIMENT,
    NODES,
    SCENARIOS,
    SENSITIVITY,
    one_error,
    run_cli,
    write,
)

# kind: (command, file name, valid text, text with a syntax error and what it says)
KINDS = {
    "parameter file": ("run", "params.toml", CONFIG, "specialist_fte = \n", "not valid TOML"),
    "experiment file": ("sweep", "exp.toml", EXPERIMENT, "[experiment\n", "not valid TOML"),
    "sensitivity file": ("sensitivity", "sens.toml", SENSITIVITY, "[[x]\n", "not valid TOML"),
    "scenario file": ("whatif", "study.toml", SCENARIOS, "a = [1,\n", "not valid TOML"),
    "node table": ("run", "nodes.csv", NODES, "id,school,department,role\na,s1\n",
                   "expected 4 fields"),
    "edge list": ("run", "edges.csv", EDGES, "source,target\na,b,c\n", "expected 2 fields"),
}


def command(kind: str, path: Path, folder: Path) -> list[str]:
    """The command that reads ``path`` as a file of this kind (checks only, no run)."""
    cmd = KINDS[kind][0]
    args = [cmd, "--dry-run", "--out", str(folder / "out")]
    if kind == "parameter file":
        return [*args, "--config", str(path), "--days", "5"]
    if kind in ("node table", "edge list"):
        nodes = path if kind == "node table" else write(folder, "n.csv", NODES)
        edges = path if kind == "edge list" else write(folder, "e.csv", EDGES)
        return [*args, "--days", "5", "--set", f"nodes_file={nodes}",
                "--set", f"network_file={edges}"]
    return [cmd, str(path), "--dry-run", "--out", str(folder / "out")]


def _latin1(text: str) -> bytes:
    """The file with one accented line, as a Windows editor saves it (Windows-1252)."""
    if text.startswith("id,"):
        return (text + "z,Zürich,Mathé,teacher\n").encode("cp1252")
    return ("# Schule Zürich, Mathématiques\n" + text).encode("cp1252")


FAULTS = {
    "utf16 with BOM": (lambda t: t.encode("utf-16"), "looks like UTF-16); "),
    "utf16 without BOM": (lambda t: t.encode("utf-16-le"), "looks like UTF-16LE"),
    "windows-1252": (_latin1, "looks like Windows-1252"),
    "binary": (lambda t: bytes(range(256)) * 4, "binary file"),
    "malformed": (None, None),
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("kind", list(KINDS))
def test_bad_content_is_one_line_naming_the_file(kind, fault, tmp_path, capsys):
    _, name, text, broken, said = KINDS[kind]
    make, expected = FAULTS[fault]
    data = broken if make is None else make(text)
    path = write(tmp_path, name, data)
    line = one_error(capsys, *command(kind, path, tmp_path))
    assert str(path) in line
    assert (expected or said) in line
    if fault.startswith("utf16") or fault == "windows-1252":
        assert "iconv -f" in line and "-t UTF-8" in line  # how to convert it


@pytest.mark.parametrize("kind", list(KINDS))
def test_missing_folder_device_and_unreadable_files(kind, tmp_path, capsys, monkeypatch):
    name = KINDS[kind][1]
    missing = tmp_path / name
    assert "does not exist" in one_error(capsys, *command(kind, missing, tmp_path))
    folder = tmp_path / "folder"
    folder.mkdir()
    assert "is a folder" in one_error(capsys, *command(kind, folder, tmp_path))
    if os.path.exists("/dev/zero"):
        line = one_error(capsys, *command(kind, Path("/dev/zero"), tmp_path))
        assert "not a regular file" in line
    path = write(tmp_path, name, KINDS[kind][2])

    def denied(self):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", denied)  # tests run as root: simulate it
    line = one_error(capsys, *command(kind, path, tmp_path))
    assert str(path) in line and "permission denied" in line


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_utf8_byte_order_mark_is_accepted(kind, tmp_path, capsys):
    _, name, text, *_ = KINDS[kind]
    path = write(tmp_path, name, ("\ufeff" + text).encode("utf-8"))
    code, out, err = run_cli(capsys, *command(kind, path, tmp_path))
    assert code == 0, err
    assert "dry run:" in out and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("text", "said"), [
    ("params = 5\n", "params = 5 is not allowed; expected a [params] table"),
    ("params = [1, 2]\n", "params = [1, 2] is not allowed"),
    ('params = "x"\n', "params = 'x' is not allowed"),
    ("specialist_fte = 0.3\n[params]\ncaseload = 5\n",
     "top-level key(s) 'specialist_fte' next to a [params] table"),
    ("[params]\nspecialist_ftee = 0.3\n", "unknown parameter 'specialist_ftee' (did you mean "
                                          "'specialist_fte'?)"),
    ("[params]\nspecialist_fte = 2\n", "[params] parameter 'specialist_fte': 2 is not allowed"),
    ("caseload = { a = 1 }\n", "caseload = {'a': 1} is not allowed; expected an integer"),
    ("[other]\nx = 1\n", "unknown parameter 'other'"),
])
def test_parameter_file_structure(text, said, tmp_path, capsys):
    path = write(tmp_path, "p.toml", text)
    line = one_error(capsys, "run", "--config", path, "--days", "1", "--dry-run")
    assert line.startswith(f"tis-sim run: error: {path}: ") and said in line


def test_parameter_file_in_a_params_table_or_at_the_top_level(tmp_path, capsys):
    for text in ("[params]\nspecialist_fte = 0.4\n", "specialist_fte = 0.4\n"):
        path = write(tmp_path, "p.toml", text)
        code, out, _ = run_cli(capsys, "run", "--config", path, "--days", "1", "--dry-run")
        assert code == 0 and "1 run" in out


def test_a_corrupt_results_manifest_is_one_line(tmp_path, capsys):
    out = tmp_path / "res"
    (out / "parts").mkdir(parents=True)
    write(out, "manifest.json", '{"spec_hash": "ab')
    line = one_error(capsys, "report", out)
    assert "manifest.json" in line and "not valid JSON" in line


# Every way a parameter name reaches a command: (command and file text or options). A
# misspelt name gets difflib's closest valid name, whichever way it came.
TYPO = "specialist_ftee"
NAMED = {
    "run --set": ("run", None, ["--set", f"{TYPO}=0.3", "--days", "1"]),
    "run --config": ("run", f"[params]\n{TYPO} = 0.3\n", ["--days", "1"]),
    "sweep [fixed]": ("sweep", EXPERIMENT + f"[fixed]\n{TYPO} = 0.3\n", []),
    "sweep [sweep]": ("sweep", EXPERIMENT.replace("[sweep.specialist_fte]",
                                                  f"[sweep.{TYPO}]"), []),
    "whatif [baseline]": ("whatif", SCENARIOS.replace('preset = "small_school"',
                                                      f'preset = "small_school"\n{TYPO} = 0.3'),
                          []),
    "whatif parameters policy": ("whatif", SCENARIOS + "[scenarios.more]\npolicy = "
                                 f'"parameters"\ncost_fte = 1.0\nset = {{ {TYPO} = 0.8 }}\n',
                                 []),
    "whatif [uncertainty]": ("whatif", SCENARIOS + f"[uncertainty.{TYPO}]\n"
                             "range = [0.2, 0.6]\n", []),
}


@pytest.mark.parametrize("case", list(NAMED))
def test_an_unknown_parameter_name_suggests_the_closest(case, tmp_path, capsys):
    cmd, text, extra = NAMED[case]
    args = [cmd, "--dry-run", "--out", tmp_path / "out", *extra]
    if text is not None:
        path = write(tmp_path, "in.toml", text)
        args = [*args, "--config", path] if cmd == "run" else [cmd, path, *args[1:]]
    line = one_error(capsys, *args)
    assert TYPO in line and "(did you mean 'specialist_fte'?)" in line
