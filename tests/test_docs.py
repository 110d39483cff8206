"""docs/ODD.md and the README match the code: parameters, function names, order, examples."""

import importlib
import inspect
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from sim.dynamics import schedule
from sim.model import DiffusionModel
from sim.params import PARAMS

ROOT = Path(__file__).resolve().parent.parent
ODD = (ROOT / "docs" / "ODD.md").read_text()
README = (ROOT / "README.md").read_text()

#: Author-year citations: "Bass 1969", "Spillane, Kim & Frank 2012", "Grimm et al. 2020",
#: "Bandura's (1997)". Group 1 is the first author's last name, group 2 the year.
CITATION = re.compile(r"([A-Z][\w-]+)(?:\s+et\s+al\.)?(?:(?:,|\s+&)\s+[A-Z][\w-]+)*(?:'s)?"
                      r"\s+\(?((?:19|20)\d\d)\b")
#: A source that is not a study (ODD section 8, "Sources").
NOT_A_STUDY = ("assumed", "design choice", "policy lever", "user data")


def test_every_parameter_is_in_the_odd_table_with_its_default():
    for name, spec in PARAMS.items():
        default = repr(spec.default) if isinstance(spec.default, str) else str(spec.default)
        row = f"| `{name}` | {default} |"
        assert row in ODD, f"ODD.md lacks the row for {name} (default {default})"


def _references() -> list[tuple[str, str]]:
    """(authors, year) of each entry of ODD section 10."""
    section = ODD.split("## 10. References", 1)[1]
    entries = [re.match(r"([^(]+)\(([^)]*)\)", e) for e in section.split("\n- ")[1:]]
    return [(m[1], year[0]) for m in entries if m and (year := re.findall(r"\d{4}", m[2]))]


def _unresolved(text: str) -> list[str]:
    refs = _references()
    return [f"{name} {year}" for name, year in CITATION.findall(text)
            if not any(name in authors and year == y for authors, y in refs)]


def test_every_parameter_row_gives_its_source():
    for name in PARAMS:
        row = next(line for line in ODD.splitlines() if line.startswith(f"| `{name}` |"))
        source = row.rstrip(" |").rsplit(" | ", 1)[1].strip()
        assert source.startswith(NOT_A_STUDY) or CITATION.search(source), (
            f"ODD row {name}: source {source!r} is neither a study (author year) nor one "
            f"of {NOT_A_STUDY}")


def test_every_citation_in_the_odd_is_in_its_reference_list():
    body = ODD.split("## 10. References", 1)[0]
    assert len(CITATION.findall(body)) > 20  # the pattern finds the citations at all
    assert _unresolved(body) == []
    assert _unresolved("Bass 1969; Smith & Jones 2001") == ["Smith 2001"]  # it can fail


def test_no_file_cites_documents_outside_the_repository():
    outside = re.compile("|".join(map(re.escape, ["MODEL" + ".md", "PATTERNS" + ".md",
                                                  "shared" + "/"])))
    skip = {".git", ".venv", "results", "build", "dist", "__pycache__", ".pytest_cache",
            ".ruff_cache", ".ipynb_checkpoints"}
    hits = []
    for path in ROOT.rglob("*"):
        if skip & set(path.relative_to(ROOT).parts) or not path.is_file():
            continue
        if path.suffix in {".png", ".parquet", ".pdf", ".whl", ".gz", ".pyc"}:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        hits += [f"{path.relative_to(ROOT)}: {m.group()}" for m in outside.finditer(text)]
    assert hits == []


def test_every_function_the_odd_names_exists():
    for dotted in set(re.findall(r"`(sim\.[a-z_]+\.[A-Za-z_]+)", ODD)):
        module, attr = dotted.rsplit(".", 1)
        assert hasattr(importlib.import_module(module), attr), dotted


def test_odd_schedule_is_the_order_of_step():
    # The schedule is written once (sim.dynamics.schedule.step); the model's step calls it.
    assert "schedule.step(self.world)" in inspect.getsource(DiffusionModel.step)
    code = inspect.getsource(schedule.step).split('"""')[2]
    code_order = re.findall(r"(?:diffusion\.|measures\.|^\s+)(\w+)\(w\b", code, re.MULTILINE)
    section = ODD.split("## 3.")[1].split("## 4.")[0]
    odd_order = re.findall(r"— `sim\.[\w.]+\.(\w+)`", section)
    assert odd_order == code_order
    submodels = re.findall(r"^### 7\.\d .* — `sim\.[\w.]+\.(\w+)`", ODD, re.MULTILINE)
    assert submodels == code_order


def test_readme_python_example_runs():
    block = README.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # our own example
    assert 0 <= namespace["summary"]["final_users_share"] <= 1
    assert len(namespace["daily"]) == 541


def test_readme_in_python_examples_run_in_order():
    section = README.split("## In Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = [textwrap.dedent(b) for _, b in re.findall(
        r"^( *)```python\n(.*?)^\1```", section, re.MULTILINE | re.DOTALL)]
    assert len(blocks) >= 2
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # our own examples
    model = namespace["model"]  # the reporters example: extra columns beside the built-ins
    assert model.day == 180 and not model.running
    assert "caseload_teachers" in model.daily_table()
    agents = model.datacollector.get_agent_vars_dataframe()
    assert len(agents) == 181 * len(model.agents)


def test_readme_shows_the_two_commands_first():
    first_block = README.split("```bash\n", 1)[1].split("```", 1)[0]
    assert "make run" in first_block and "make test" in first_block


@pytest.mark.slow
def test_readme_notebook_example_runs(tmp_path, monkeypatch):
    """The "In a notebook" example, as written, in a folder of its own."""
    section = README.split("## In a notebook", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    shutil.copytree(ROOT / "experiments", tmp_path / "experiments")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # our own example
    assert list(namespace["means"].index) == [0.2, 0.5, 1.0]
    assert dict(namespace["curves"].sizes) == {"point": 3, "day": 19}
    assert set(namespace["differences"]["scenario"]) == {
        sc.name for sc in namespace["study"].scenarios[1:]}
    assert len(namespace["again"].summaries) == 9
    assert (tmp_path / "results" / "policies-2rep-200d-2w" / "report.md").is_file()


def test_calibration_numbers_in_the_docs_come_from_the_shipped_run():
    import calibration_docs as shipped  # tests/calibration_docs.py: renders docs/calibration/

    odd = ODD.split("### Calibration\n", 1)[1].split("\n## ", 1)[0]
    for block in (shipped.budget(), shipped.ess(), shipped.fit_rows(), shipped.at_once(),
                  shipped.conflicts(), shipped.parameter_rows()):
        assert block in odd
    readme = README.split("### The shipped calibration\n", 1)[1].split("\n## ", 1)[0]
    assert shipped.budget() in readme and shipped.at_once() in readme
    assert "(docs/calibration/figures/fit.png)" in readme
    assert (ROOT / "docs" / "calibration" / "figures" / "fit.png").stat().st_size > 10_000
