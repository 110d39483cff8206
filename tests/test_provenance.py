"""Provenance: the version, install origin (PEP 610) and source commit a manifest records."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from sweep_support import tiny_specs

import sim
from sim.study import provenance as prov
from sim.study.runner import execute, read_manifest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def fake_dist(tmp_path: Path, direct_url: dict | None, installer: str = "pip",
              ) -> metadata.Distribution:
    """A dist-info folder as pip leaves it, with an optional ``direct_url.json``."""
    info = tmp_path / "tis_sim-9.9.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tis-sim\nVersion: 9.9.9\n")
    (info / "INSTALLER").write_text(installer + "\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    return metadata.PathDistribution(info)


# The PEP 610 examples: https://packaging.python.org/en/latest/specifications/direct-url/
ORIGINS = [
    ({"url": "file:///home/ana/tis-sim", "dir_info": {"editable": True}},
     {"kind": "editable", "path": "/home/ana/tis-sim"}),
    ({"url": "file:///home/ana/tis-sim", "dir_info": {}},
     {"kind": "directory", "path": "/home/ana/tis-sim"}),
    ({"url": "https://github.com/org/tis-sim.git",
      "vcs_info": {"vcs": "git", "commit_id": "a" * 40, "requested_revision": "v0.2.0"}},
     {"kind": "vcs", "url": "https://github.com/org/tis-sim.git", "vcs": "git",
      "commit": "a" * 40, "requested_revision": "v0.2.0"}),
    ({"url": "file:///tmp/dist/tis_sim-0.2.0-py3-none-any.whl",
      "archive_info": {"hashes": {"sha256": "b" * 64}}},
     {"kind": "wheel", "url": "file:///tmp/dist/tis_sim-0.2.0-py3-none-any.whl",
      "hash": "sha256=" + "b" * 64}),
    ({"url": "https://example.org/tis_sim-0.2.0.tar.gz", "archive_info": {"hash": "md5=c"}},
     {"kind": "archive", "url": "https://example.org/tis_sim-0.2.0.tar.gz", "hash": "md5=c"}),
    (None, {"kind": "index"}),
]


@pytest.mark.parametrize(("direct_url", "expected"), ORIGINS,
                         ids=[e["kind"] for _, e in ORIGINS])
def test_origin_follows_pep_610(tmp_path, direct_url, expected):
    origin = prov.origin_of(fake_dist(tmp_path, direct_url))
    assert origin == {**expected, "installer": "pip"}
    json.dumps(origin)  # manifest-ready


def test_version_is_the_imported_code_s_version():
    """Run from this checkout: its pyproject.toml, whatever copy pip installed elsewhere."""
    assert sim.__version__ == PYPROJECT["project"]["version"] == prov.package_version()
    assert "__version__" in dir(sim)


def test_git_commit_only_from_the_package_s_own_checkout():
    record = prov.provenance()
    assert record["location"] == str(ROOT / "sim")
    if (ROOT / ".git").exists():
        assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", record["git_commit"])
    json.dumps(record)


def record(version="0.2.0", commit=None, kind="wheel", vcs_commit=None):
    origin = {"kind": kind, "url": "file:///d/tis_sim-0.2.0-py3-none-any.whl"}
    if kind == "vcs":
        origin = {"kind": "vcs", "url": "https://h/r.git", "commit": vcs_commit}
    return {"version": version, "origin": origin, "location": "/x/sim", "git_commit": commit}


@pytest.mark.parametrize(("old", "new", "warns"), [
    (record(), record(), False),
    (record(), record(version="0.2.1"), True),                      # an upgrade
    (record(commit="a" * 40), record(commit="a" * 40), False),
    (record(commit="a" * 40), record(commit="b" * 40), True),       # a commit in tis-sim
    (record(commit="a" * 40), record(commit="a" * 40 + "-dirty"), True),
    (record(kind="vcs", vcs_commit="c" * 40), record(kind="vcs", vcs_commit="d" * 40), True),
    (record(kind="wheel"), record(kind="index"), False),            # same release, reinstalled
])
def test_resume_compares_version_and_source_commit(old, new, warns):
    note = prov.resume_warning({"tis_sim": old}, new)
    assert (note is not None) == warns
    if warns:
        assert "--fresh" in note and prov.describe(old) in note and prov.describe(new) in note


@pytest.mark.parametrize(("old_version", "warns"), [("0.2.0", False), ("0.1.0", True),
                                                    (None, True)])
def test_manifests_from_before_provenance_compare_the_version_only(old_version, warns):
    """0.1.0 wrote a top-level git_commit of whatever repository was around: ignored."""
    old = {"git_commit": "e" * 40, "versions": {"tis-sim": old_version} if old_version else {}}
    note = prov.resume_warning(old, record(commit="f" * 40))
    assert (note is not None) == warns


def test_describe_names_version_origin_and_commit():
    assert prov.describe(record()) == "tis-sim 0.2.0 (wheel tis_sim-0.2.0-py3-none-any.whl)"
    text = prov.describe({"version": "0.2.0", "git_commit": "a" * 40,
                          "origin": {"kind": "editable", "path": "/src/tis-sim"}})
    assert text == f"tis-sim 0.2.0 (editable install of /src/tis-sim, commit {'a' * 40})"


def test_runner_records_provenance_and_warns_on_resume_only_for_other_code(tmp_path, capsys):
    specs = tiny_specs(ftes=(0.5,), replicates=2)
    execute(specs, tmp_path, backend="serial", progress=False)
    man = read_manifest(tmp_path)
    assert man["tis_sim"] == prov.provenance() and "git_commit" not in man
    assert man["sessions"][0]["tis_sim"] == sim.__version__
    capsys.readouterr()
    execute(specs, tmp_path, backend="serial", progress=False)  # same code: silent
    assert "warning" not in capsys.readouterr().err
    man = read_manifest(tmp_path)
    man["tis_sim"]["version"] = "0.0.1"
    (tmp_path / "manifest.json").write_text(json.dumps(man))
    report = execute(specs, tmp_path, backend="serial", progress=False)
    assert report.skipped == 2 and report.ran == 0
    err = capsys.readouterr().err
    assert "tis-sim 0.0.1" in err and f"this is tis-sim {sim.__version__}" in err
    assert "--fresh" in err
