"""The package's architecture as a test: layers import only downwards, no circles, small files.

The layers (lowest first) are those of ``docs/ARCHITECTURE.md``. Imports under
``if TYPE_CHECKING:`` are annotations only and are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1] / "sim"

#: Lowest layer first; a module may import its own layer and the layers below it.
LAYERS = (
    ("sim.errors", "sim.rng", "sim.files", "sim.memory"),
    ("sim.params",),
    ("sim.network",),
    ("sim.dynamics",),
    ("sim.agents", "sim.model", "sim.run", "sim.batch"),
    ("sim.policies", "sim.palette"),
    ("sim.study",),
    ("sim.single", "sim.sweep", "sim.whatif", "sim.calibrate"),
    ("sim.app", "sim.cli", "sim.api"),
)
MAX_LINES = 420  # "about 400": one screenful of headroom, no more


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def layer_of(module: str) -> int | None:
    for level, tops in enumerate(LAYERS):
        if any(module == t or module.startswith(t + ".") for t in tops):
            return level
    return None  # the package root (sim/__init__.py): the public face, above everything


def _type_only_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    return skip


def imported_modules(module: str, path: Path) -> set[str]:
    """Project modules that ``module`` imports at run time (function-level imports too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_only_nodes(tree)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(name + "."):
                found.add(name)
    return found


GRAPH = nx.DiGraph()
for _name, _path in MODULES.items():
    GRAPH.add_node(_name)
    GRAPH.add_edges_from((_name, dst) for dst in imported_modules(_name, _path))


def test_every_module_has_a_layer():
    assert [m for m in MODULES if m != "sim" and layer_of(m) is None] == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_imports_only_its_layer_and_below(module):
    level = layer_of(module)
    if level is None:
        return
    upward = [dst for dst in GRAPH.successors(module)
              if (layer_of(dst) is None and dst == "sim") or (layer_of(dst) or 0) > level]
    assert upward == [], f"{module} (layer {level}) imports higher layers: {upward}"


def test_no_import_circles():
    circles = [sorted(c) for c in nx.strongly_connected_components(GRAPH) if len(c) > 1]
    assert circles == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_file_is_over_about_400_lines(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[module]} has {lines} lines"


def test_the_checker_sees_an_upward_import(tmp_path):
    """The check can fail: a planted upward import and a planted circle are found."""
    probe = ROOT / "dynamics" / "state.py"
    tree_imports = imported_modules("sim.dynamics.state", probe)
    assert "sim.network" in tree_imports or "sim.network.staff" in tree_imports
    fake = tmp_path / "fake.py"
    fake.write_text("from sim.cli import main\nif TYPE_CHECKING:\n    from sim.app import page\n")
    got = imported_modules("sim.dynamics.fake", fake)
    assert "sim.cli" in got and "sim.app" not in got
    g = nx.DiGraph([("a", "b"), ("b", "a")])
    assert [len(c) for c in nx.strongly_connected_components(g) if len(c) > 1] == [2]


def test_public_api_names_match_the_lazy_table():
    import sim

    assert set(sim.__all__) - {"__version__"} == set(sim._PUBLIC)
    assert all(getattr(sim, name) is not None for name in sim.__all__)
