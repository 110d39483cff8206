"""The built wheel: what it holds, and how it behaves installed inside a researcher's repo.

Offline by design: the wheel is built with the installed backend (no build isolation) and
installed with ``--no-index --no-deps`` into a fresh virtualenv whose dependencies are
those of the environment running the tests (a ``.pth`` file adds its site-packages after
the venv's own, so ``sim`` and its metadata still come from the wheel).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                             "--outdir", str(out), str(ROOT)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = out.glob("tis_sim-*.whl")
    return path


def test_wheel_holds_one_package_its_examples_and_type_marker(wheel):
    assert wheel.name == f"tis_sim-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = z.read(f"tis_sim-{VERSION}.dist-info/METADATA").decode()
    assert {n.split("/")[0] for n in names} == {"sim", f"tis_sim-{VERSION}.dist-info"}
    shipped = sorted(p.name for p in (ROOT / "experiments").iterdir() if p.is_file())
    assert sorted(n.removeprefix("sim/examples/") for n in names
                  if n.startswith("sim/examples/")) == shipped
    assert "sim/py.typed" in names and f"tis_sim-{VERSION}.dist-info/licenses/LICENSE" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert "License-Expression: MIT" in meta and "Requires-Dist: mesa>=" in meta
    assert "Provides-Extra: viz" in meta and "altair" not in meta


SMALL = """\
[experiment]
name = "small"
description = "Two FTE values on a small school"
preset = "small_school"
replicates = 2
days = 30
seed = 7

[sweep.specialist_fte]
values = [0.2, 0.8]
"""

CHECK = """\
import json
import experiments, sim_helpers, sim
print(json.dumps({"experiments": experiments.__file__, "helpers": sim_helpers.__file__,
                  "sim": sim.__file__, "version": sim.__version__}))
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Researcher", "-c", "user.email=r@example.org",
                    *args], cwd=repo, check=True, capture_output=True, timeout=30)


def _venv_with_wheel(venv: Path, wheel: Path, env: dict) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=60)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--no-index", "--no-deps", "--no-cache-dir", "--quiet", str(wheel)],
                   check=True, env=env, timeout=120)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                                "get_paths()['purelib'])"], capture_output=True, text=True,
                               check=True, env=env, timeout=60).stdout.strip())
    deps = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "zz_test_dependencies.pth").write_text("\n".join(deps) + "\n")
    return python


@pytest.mark.slow
def test_installed_wheel_in_a_research_repository(wheel, tmp_path):
    """A user's repo with its own experiments/ and sim_helpers.py, tis-sim from the wheel."""
    repo = tmp_path / "study"
    (repo / "experiments").mkdir(parents=True)
    (repo / "experiments" / "__init__.py").write_text('"""The researcher\'s own."""\n')
    (repo / "sim_helpers.py").write_text("def label(x):\n    return f'run {x}'\n")
    (repo / "small.toml").write_text(SMALL)
    (repo / "check.py").write_text(CHECK)
    (repo / ".gitignore").write_text(".venv/\nresults/\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    python = _venv_with_wheel(repo / ".venv", wheel, env)
    tis_sim = str(repo / ".venv" / "bin" / "tis-sim")

    def run(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run(list(args), cwd=repo, env=env, capture_output=True, text=True,
                                timeout=180)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    found = json.loads(run(str(python), "check.py").stdout)
    site = repo / ".venv" / "lib"
    assert Path(found["experiments"]).parent == repo / "experiments"
    assert Path(found["helpers"]) == repo / "sim_helpers.py"
    assert site in Path(found["sim"]).parents and found["version"] == VERSION
    assert run(tis_sim, "--version").stdout.startswith(f"tis-sim {VERSION} from {site}")
    assert "headline.toml" in run(tis_sim, "examples").stdout

    sweep = (tis_sim, "sweep", "small.toml", "--workers", "2", "--quiet")
    first = run(*sweep)
    assert "4 runs: 4 ran now" in first.stdout and "warning" not in first.stderr
    (repo / "sim_helpers.py").write_text("def label(x):\n    return f'run no. {x}'\n")
    _git(repo, "commit", "-q", "-am", "a commit in the researcher's repository")
    again = run(*sweep)
    assert "0 ran now, 4 were already done" in again.stdout
    assert "warning" not in again.stderr, again.stderr

    man = json.loads((repo / "results" / "small" / "manifest.json").read_text())
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert man["tis_sim"]["version"] == VERSION == man["versions"]["tis-sim"]
    assert man["tis_sim"]["origin"] == {"kind": "wheel", "url": wheel.as_uri(),
                                        "hash": f"sha256={digest}", "installer": "pip"}
    assert man["tis_sim"]["git_commit"] is None  # never the researcher's commit
    assert site in Path(man["tis_sim"]["location"]).parents
    assert [s["tis_sim"] for s in man["sessions"]] == [VERSION, VERSION]
    report = (repo / "results" / "small" / "report.md").read_text()
    assert f"made by tis-sim {VERSION} (wheel {wheel.name})" in report
    # The researcher's repository gained results only where they asked, nothing else.
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True,
                            text=True, check=True).stdout
    assert status == "", textwrap.indent(status, "  ")
