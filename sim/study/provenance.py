"""Which tis-sim made a result: its version, where it was installed from, its source commit.

A manifest names the code that made its results by three facts, each taken from where it
is reliable:

- **version**: from the source tree's ``pyproject.toml`` when ``sim`` is imported from its
  own checkout (an editable install's metadata may be older than the tree), otherwise from
  the installed distribution's metadata (:mod:`importlib.metadata`);
- **origin**: how the distribution was installed, from its ``direct_url.json`` (PEP 610,
  https://packaging.python.org/en/latest/specifications/direct-url/): an editable checkout
  (with its path), a local directory, a VCS URL with the commit, a wheel or sdist file
  (with its hash), or a package index when the file is absent;
- **git commit**: only when ``sim`` is imported from its own git checkout (``-dirty`` when
  tracked files have changed), never the commit of the repository the user works in.

Resuming results compares the version and the source commit (the checkout's commit, or
the commit a VCS install was made from) with those recorded when the results were made.
"""

from __future__ import annotations

import functools
import json
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

DIST = "tis-sim"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the imported ``sim`` package
ROOT = PACKAGE_DIR.parent  # a checkout's top folder, or site-packages
UNKNOWN_VERSION = "0+unknown"


@functools.cache
def source_checkout() -> Path | None:
    """The source tree ``sim`` is imported from (its ``pyproject.toml`` names tis-sim), or None."""
    try:
        project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8")).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return ROOT if project.get("name") == DIST else None


def _checkout_version(root: Path) -> str | None:
    project = tomllib.loads((root / "pyproject.toml").read_text("utf-8")).get("project", {})
    version = project.get("version")
    return version if isinstance(version, str) else None


def _direct_url(dist: metadata.Distribution) -> dict[str, Any] | None:
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _url_path(url: str) -> Path | None:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


def _is_this_copy(dist: metadata.Distribution) -> bool:
    """True when ``dist`` installed the ``sim`` package that is imported now."""
    direct = _direct_url(dist) or {}
    if direct.get("dir_info", {}).get("editable"):
        path = _url_path(direct.get("url", ""))
        return path is not None and path.resolve() == ROOT
    init = Path(str(dist.locate_file("sim/__init__.py")))
    return init.is_file() and init.resolve() == PACKAGE_DIR / "__init__.py"


@functools.cache
def installed_distribution() -> metadata.Distribution | None:
    """The installed tis-sim distribution whose files are the imported ``sim``, or None.

    None when ``sim`` comes from a source tree on ``sys.path`` (``PYTHONPATH``) that is not
    the installed copy, or when tis-sim is not installed at all.
    """
    for dist in metadata.distributions(name=DIST):
        if _is_this_copy(dist):
            return dist
    return None


@functools.cache
def package_version() -> str:
    """The version of the imported tis-sim (``sim.__version__``); ``0+unknown`` if unknowable."""
    root = source_checkout()
    if root is not None:
        return _checkout_version(root) or UNKNOWN_VERSION
    dist = installed_distribution()
    return dist.version if dist is not None else UNKNOWN_VERSION


@functools.cache
def install_origin() -> dict[str, Any]:
    """How the imported tis-sim was installed (PEP 610), as a JSON-ready dict with ``kind``.

    Kinds: ``editable`` and ``directory`` (``path``), ``vcs`` (``url``, ``vcs``,
    ``commit``, ``requested_revision``), ``wheel`` and ``archive`` (``url``, ``hash``),
    ``index`` (no ``direct_url.json``: a package index such as PyPI, or an installer that
    does not record PEP 610), ``checkout`` (a source tree that is not installed, found via
    ``sys.path``) and ``unknown``.
    """
    dist = installed_distribution()
    if dist is not None:
        return origin_of(dist)
    if source_checkout() is not None:
        return {"kind": "checkout", "path": str(ROOT)}
    return {"kind": "unknown"}


def origin_of(dist: metadata.Distribution) -> dict[str, Any]:
    """The install origin of ``dist`` from its ``direct_url.json`` (see :func:`install_origin`)."""
    installer = (dist.read_text("INSTALLER") or "").strip() or None
    direct = _direct_url(dist)
    if direct is None:
        return {"kind": "index", "installer": installer}
    url = direct.get("url", "")
    if "vcs_info" in direct:
        vcs = direct["vcs_info"]
        return {"kind": "vcs", "url": url, "vcs": vcs.get("vcs"), "commit": vcs.get("commit_id"),
                "requested_revision": vcs.get("requested_revision"), "installer": installer}
    if "archive_info" in direct:
        info = direct["archive_info"]
        digest = info.get("hashes", {}).get("sha256")
        return {"kind": "wheel" if url.endswith(".whl") else "archive", "url": url,
                "hash": f"sha256={digest}" if digest else info.get("hash"),
                "installer": installer}
    path = _url_path(url)
    return {"kind": "editable" if direct.get("dir_info", {}).get("editable") else "directory",
            "path": str(path) if path else url, "installer": installer}


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=10, check=True).stdout.strip()


def git_commit() -> str | None:
    """The commit of tis-sim's own checkout (``-dirty`` if tracked files changed), or None.

    None unless ``sim`` is imported from the top of a git checkout of tis-sim that tracks
    ``sim/__init__.py``: an installed copy inside someone else's repository (a virtualenv
    in their project) never reports that repository's commit.
    """
    if source_checkout() is None:
        return None
    try:
        if Path(_git("rev-parse", "--show-toplevel")).resolve() != ROOT:
            return None
        _git("ls-files", "--error-unmatch", "sim/__init__.py")
        rev = _git("rev-parse", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + ("-dirty" if dirty else "")


def provenance() -> dict[str, Any]:
    """The manifest's ``tis_sim`` entry: version, origin, package location, git commit."""
    return {"version": package_version(), "origin": install_origin(),
            "location": str(PACKAGE_DIR), "git_commit": git_commit()}


def source_commit(record: dict[str, Any]) -> str | None:
    """The commit a provenance record's code was made from: checkout or VCS commit, or None."""
    origin = record.get("origin") or {}
    return record.get("git_commit") or (origin.get("commit") if origin.get("kind") == "vcs"
                                        else None)


def describe(record: dict[str, Any]) -> str:
    """One phrase naming the code, e.g. ``tis-sim 0.2.0 (wheel tis_sim-0.2.0-....whl)``."""
    origin = record.get("origin") or {}
    kind = origin.get("kind")
    if kind in ("editable", "directory", "checkout"):
        where = {"editable": "editable install of", "directory": "installed from",
                 "checkout": "source tree"}[kind] + f" {origin.get('path')}"
    elif kind in ("wheel", "archive"):
        where = f"{kind} {origin.get('url', '').rsplit('/', 1)[-1]}"
    elif kind == "vcs":
        where = origin.get("url", "a VCS URL")
    elif kind == "index":
        where = "a package index"
    else:
        where = "unknown origin"
    commit = source_commit(record)
    return (f"tis-sim {record.get('version') or 'of unrecorded version'} ({where}"
            + (f", commit {commit}" if commit else "") + ")")


def resume_warning(old_manifest: dict[str, Any], current: dict[str, Any] | None = None,
                   ) -> str | None:
    """Why results in a folder may come from other code than this, or None if they do not.

    Compares the version and the source commit recorded in ``old_manifest`` (its
    ``tis_sim`` entry; manifests written before 0.2.0 only had ``versions['tis-sim']``)
    with ``current`` (default: this process's :func:`provenance`).
    """
    current = current or provenance()
    old = old_manifest.get("tis_sim")
    if isinstance(old, dict):
        same = (old.get("version"), source_commit(old)) == (current.get("version"),
                                                            source_commit(current))
    else:  # written before 0.2.0: a version only (its git commit was not reliable)
        old = {"version": (old_manifest.get("versions") or {}).get(DIST)}
        same = old["version"] == current.get("version")
    if same:
        return None
    return (f"holds runs made by {describe(old)}; this is {describe(current)}. If the model "
            "changed, rerun with --fresh so that every run comes from one version.")
