"""A loaded network warns once about the parameters it makes irrelevant, and every
manifest records the district actually simulated (teachers, schools, specialists, degree).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fault_support import run_cli, write

from sim.network import GENERATOR_PARAMS, district_used, load_network
from sim.params import resolve
from sim.study.runner import read_manifest

DATA = Path(__file__).resolve().parent / "data"
EDGES, NODES = DATA / "tiny_edges.csv", DATA / "tiny_nodes.csv"
FILES = {"network_file": str(EDGES), "nodes_file": str(NODES)}
# What the tiny files hold (counted by hand from tests/data/tiny_*.csv).
TINY = {"teachers": 12, "schools": 2, "specialists": 2}


def _warnings(err: list[str]) -> list[str]:
    return [line for line in err if "warning:" in line]


def test_run_warns_once_and_records_the_district_used(tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "run", "--days", "3", "--out", out,
                           "--set", f"network_file={EDGES}", "--set", f"nodes_file={NODES}",
                           "--set", "n_schools=8", "--set", "mean_degree=5.5")
    assert code == 0, err
    (line,) = _warnings(err)
    assert "n_schools=8, mean_degree=5.5 have no effect" in line and str(NODES) in line
    manifest = json.loads((out / "manifest.json").read_text())
    district = manifest["district"]
    assert {k: district[k] for k in TINY} == TINY and district["source"] == "files"
    net = load_network(EDGES, NODES)
    assert district["mean_degree"] == pytest.approx(net.degree[: net.n_teachers].mean())
    assert manifest["ignored_parameters"] == {"n_schools": 8, "mean_degree": 5.5}
    assert not set(GENERATOR_PARAMS) & set(manifest["parameters"])


def test_no_warning_without_files_and_the_generated_district_is_recorded(tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "run", "--days", "2", "--out", out, "--set", "n_schools=2")
    assert code == 0 and not _warnings(err)
    district = json.loads((out / "manifest.json").read_text())["district"]
    assert district == district_used(resolve(n_schools=2))
    assert district["schools"] == 2 and district["teachers"] == 15 + 80


def test_sweep_warns_once_for_fixed_and_swept_generator_parameters(tmp_path, capsys):
    path = write(tmp_path, "net.toml", f"""
        [experiment]
        name = "net"
        days = 3
        replicates = 2
        seed = 1
        [fixed]
        network_file = "{EDGES}"
        nodes_file = "{NODES}"
        department_size = 5
        [sweep.specialists_per_school]
        values = [1, 2]
        """)
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "sweep", path, "--out", out, "--backend", "serial",
                           "--quiet", "--no-report")
    assert code == 0, err
    (line,) = _warnings(err)  # once for the command, not once per run
    assert "department_size=5, specialists_per_school='(swept)' have no effect" in line
    manifest = read_manifest(out)
    assert {k: manifest["district"][k] for k in TINY} == TINY
    assert manifest["ignored_parameters"] == {"department_size": 5,
                                              "specialists_per_school": "(swept)"}
    assert "department_size" not in manifest["base_parameters"]


def test_whatif_warns_about_a_policy_the_loaded_network_ignores(tmp_path, capsys):
    path = write(tmp_path, "s.toml", f"""
        [study]
        name = "net"
        days = 4
        replicates = 2
        [costs]
        currency = "USD"
        fte_price = 75000
        [baseline]
        network_file = "{EDGES}"
        nodes_file = "{NODES}"
        [scenarios.more]
        policy = "parameters"
        cost_fte = 1.0
        set = {{ specialists_per_school = 2 }}
        """)
    code, _, err = run_cli(capsys, "whatif", path, "--out", tmp_path / "out", "--dry-run")
    assert code == 0, err
    (line,) = _warnings(err)
    assert "specialists_per_school=2 has no effect" in line


NO_SPECIALISTS = "id,school,department,role\na,s1,d1,teacher\nb,s1,d1,teacher\nc,s1,d2,teacher\n"


def _no_specialist_files(folder: Path) -> tuple[Path, Path]:
    return (write(folder, "edges.csv", "source,target\na,b\nb,c\n"),
            write(folder, "nodes.csv", NO_SPECIALISTS))


def _command(kind: str, folder: Path, edges: Path, nodes: Path) -> list:
    """Every command that reads a node table, checking only (dry run) where it can."""
    out = ["--out", folder / "out"]
    if kind == "run":
        return ["run", "--days", "3", "--set", f"network_file={edges}",
                "--set", f"nodes_file={nodes}", *out]
    if kind == "sweep":
        path = write(folder, "x.toml", f"""
            [experiment]
            name = "x"
            days = 3
            seed = 1
            [fixed]
            network_file = "{edges}"
            nodes_file = "{nodes}"
            [sweep.specialist_fte]
            values = [0.2, 0.4]
            """)
        return ["sweep", path, "--dry-run", *out]
    path = write(folder, "s.toml", f"""
        [study]
        name = "x"
        days = 4
        replicates = 2
        [costs]
        currency = "USD"
        fte_price = 75000
        [baseline]
        network_file = "{edges}"
        nodes_file = "{nodes}"
        [scenarios.more]
        policy = "parameters"
        cost_fte = 1.0
        set = {{ specialist_fte = 0.8 }}
        """)
    return ["whatif", path, "--dry-run", *out]


@pytest.mark.parametrize("kind", ["run", "sweep", "whatif"])
def test_a_node_table_without_specialists_warns_once_naming_the_file(kind, tmp_path, capsys):
    edges, nodes = _no_specialist_files(tmp_path)
    code, _, err = run_cli(capsys, *_command(kind, tmp_path, edges, nodes))
    assert code == 0, err
    (line,) = _warnings(err)  # one line, once, whatever the number of runs
    assert line.startswith(f"tis-sim {kind}: warning: {nodes}: ")
    assert "no specialist rows" in line and "role = specialist" in line
    # the tiny files have specialists: no warning
    code, _, err = run_cli(capsys, *_command(kind, tmp_path, EDGES, NODES))
    assert code == 0 and not [w for w in _warnings(err) if "specialist rows" in w], err


def test_load_network_warns_without_specialists_for_library_users(tmp_path):
    from sim.errors import InputWarning

    edges, nodes = _no_specialist_files(tmp_path)
    with pytest.warns(InputWarning, match="no specialist rows"):
        net = load_network(edges, nodes)
    assert net.n_specialists == 0 and net.n_teachers == 3
