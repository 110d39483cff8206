"""Packaging: dependency ranges and extras, the lock, versions, and the core without extras."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import sim

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]
CORE = [Requirement(r) for r in PROJECT["dependencies"]]


def pins(path: Path) -> dict[str, Version]:
    """``name==version`` lines of a constraints file."""
    return {canonicalize_name(n): Version(v) for n, v in re.findall(
        r"^([A-Za-z0-9_.\-]+)==(\S+)", path.read_text(), re.MULTILINE)}


LOCK = pins(ROOT / "constraints.txt")
OLDEST = pins(ROOT / "constraints-oldest.txt")
#: Runtime extras: what a module of the package may import outside the core.
RUNTIME_EXTRAS = ("viz", "dask", "calibrate", "analysis")
#: Parts of the package that belong to an extra and may import it at module level (the
#: command line imports them only when their command runs).
EXTRA_AREAS = {"sim.app": "viz", "sim.calibrate": "calibrate"}
#: Import names provided by a meta-package's parts.
ALIASES = {"solara-ui": "solara", "solara-server": "solara"}


def names(requirements) -> set[str]:
    return {canonicalize_name(r.name) for r in requirements}


def extra(name: str) -> list[Requirement]:
    return [Requirement(r) for r in EXTRAS[name]]


ALL = [("core", r) for r in CORE] + [(e, r) for e in EXTRAS for r in extra(e)]


def test_extras_exist_and_the_core_leaves_out_page_cluster_and_rec():
    assert set(EXTRAS) >= {"viz", "dask", "calibrate", "analysis", "dev"}
    core = names(CORE)
    assert not core & {"solara", "ipyvuetify", "ipyvue", "dask", "distributed", "altair"}
    assert all(not r.extras for r in CORE), "no extras of dependencies in the core (mesa[rec])"
    assert {"solara", "solara-assets", "ipyvue", "ipyvuetify"} <= names(extra("viz"))
    assert {"dask", "distributed"} <= names(extra("dask"))


@pytest.mark.parametrize(("group", "req"), ALL, ids=[f"{g}:{r.name}" for g, r in ALL])
def test_ranges_not_pins_and_the_lock_satisfies_them(group, req):
    ops = {s.operator for s in req.specifier}
    assert ">=" in ops, f"[{group}] {req}: give the oldest tested version as a lower bound"
    assert not ops & {"==", "===", "~="}, f"[{group}] {req}: a range, not a pin"
    pinned = LOCK.get(canonicalize_name(req.name))
    assert pinned is not None, f"constraints.txt lacks an exact pin of {req.name}"
    assert req.specifier.contains(pinned, prereleases=True), (req, pinned)


def test_lower_bounds_are_the_oldest_tested_versions():
    """`make test-oldest` runs the suite on constraints-oldest.txt: the core's lower bounds."""
    test_tools = [r for r in extra("dev") if canonicalize_name(r.name) in OLDEST]
    for req in CORE + test_tools:
        (low,) = [Version(s.version) for s in req.specifier if s.operator == ">="]
        assert OLDEST.get(canonicalize_name(req.name)) == low, (
            f"{req}: constraints-oldest.txt must pin {req.name}=={low}")
    assert names(CORE) <= set(OLDEST)


def test_ranges_admit_the_previous_pandas_and_numpy_generations():
    """Beside a project on pandas 2 (or an older numpy 2), the wheel must still resolve."""
    core = {canonicalize_name(r.name): r.specifier for r in CORE}
    assert core["pandas"].contains("2.3.3") and core["pandas"].contains("3.1.1")
    assert core["numpy"].contains("2.2.6")
    # Known break, so an upper bound: SolaraViz fails with ipyvuetify 3 (TabsItems).
    viz = {canonicalize_name(r.name): r.specifier for r in extra("viz")}
    assert not viz["ipyvuetify"].contains("3.0.0") and viz["ipyvuetify"].contains("1.12.0")


def _third_party_imports():
    """(module, top-level import name, at module level?) for every non-stdlib import."""
    for path in sorted((ROOT / "sim").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(
            ".__init__")
        tree = ast.parse(path.read_text())
        top_level = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top not in sys.stdlib_module_names and top not in ("sim", "__future__"):
                    yield module, top, id(node) in top_level


def test_every_import_is_declared_and_the_core_imports_only_core_packages():
    providers = metadata.packages_distributions()
    runtime = {e: names(extra(e)) for e in RUNTIME_EXTRAS}
    for module, top, module_level in _third_party_imports():
        dists = {ALIASES.get(canonicalize_name(d), canonicalize_name(d))
                 for d in providers.get(top, [])}
        area = next((e for a, e in EXTRA_AREAS.items()
                     if module == a or module.startswith(a + ".")), None)
        if not dists and (area or not module_level):
            continue  # an extra that is not installed here (`make test-oldest`)
        assert dists, f"{module} imports {top!r}, which no installed distribution provides"
        allowed = names(CORE) | (runtime[area] if area else set())
        if not module_level:  # imported when a feature runs: any runtime extra will do
            allowed = allowed.union(*runtime.values())
        assert dists & allowed, (
            f"{module} imports {top!r} (from {sorted(dists)}) "
            + ("at module level" if module_level else "") + f" but {sorted(dists)} is not "
            "declared where it is needed: the core dependencies, or the extra of that part")


def test_version_is_the_same_in_pyproject_package_citation_and_changelog():
    version = PROJECT["version"]
    assert sim.__version__ == version
    citation = (ROOT / "CITATION.cff").read_text()
    assert re.search(rf"^version: {re.escape(version)}$", citation, re.MULTILINE)
    url = PROJECT["urls"]["Repository"]
    assert re.search(rf"^repository-code: \"?{re.escape(url)}\"?$", citation, re.MULTILINE)
    assert f"## [{version}]" in (ROOT / "CHANGELOG.md").read_text()
    assert (ROOT / "sim" / "py.typed").is_file() and (ROOT / "LICENSE").is_file()


def test_version_option():
    result = subprocess.run([sys.executable, "-m", "sim.cli", "--version"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith(f"tis-sim {sim.__version__} from {ROOT / 'sim'} (Python ")


#: Run the command line in a process where the extras cannot be imported.
WITHOUT_EXTRAS = textwrap.dedent("""
    import contextlib, io, json, sys
    for name in ("solara", "ipyvuetify", "ipyvue", "dask", "distributed", "pyabc",
                 "ema_workbench", "altair"):
        sys.modules[name] = None  # `import name` now raises ImportError
    from sim.cli.main import main
    out = []
    for argv in json.loads(sys.argv[1]):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(argv)
        out.append([code, err.getvalue()])
    print(json.dumps(out))
""")


def test_the_core_works_without_extras_and_names_the_missing_extra(tmp_path):
    exp = tmp_path / "small.toml"
    exp.write_text('[experiment]\npreset = "small_school"\nreplicates = 2\ndays = 20\n'
                   'seed = 3\n[sweep.specialist_fte]\nvalues = [0.3, 0.9]\n')
    calls = [
        ["run", "--days", "10", "--out", str(tmp_path / "run")],
        ["sweep", str(exp), "--backend", "serial", "--quiet", "--out", str(tmp_path / "sw")],
        ["viz"],
        ["sweep", str(exp), "--backend", "dask", "--out", str(tmp_path / "dask")],
        ["sweep", str(exp), "--scheduler", "local", "--out", str(tmp_path / "dask")],
    ]
    result = subprocess.run([sys.executable, "-c", WITHOUT_EXTRAS, json.dumps(calls)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (run, run_err), (sweep, _), (viz, viz_err), *dask = json.loads(result.stdout)
    assert (run, sweep) == (0, 0), run_err
    assert (tmp_path / "run" / "summary.json").is_file()
    assert (tmp_path / "sw" / "report.md").is_file()
    assert viz == 2 and viz_err == (
        "tis-sim viz: error: tis-sim viz needs the 'viz' extra (module 'solara' is not "
        "installed); install it with: pip install 'tis-sim[viz]'\n")
    for code, err in dask:
        assert code == 2 and err.count("\n") == 1 and "pip install 'tis-sim[dask]'" in err
    assert not (tmp_path / "dask").exists(), "refused before the output folder was touched"
