"""Run manifests (parameters, seeds, versions, provenance, times) and atomic file writes.

A file is written to a temporary name in the same folder and renamed into place, so an
interrupted run never leaves a half-written result where a complete one was expected.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.study.paths import check_target, write_error
from sim.study.provenance import package_version, provenance

#: Packages whose versions a manifest records (tis-sim's own comes from its provenance).
PACKAGES = ("mesa", "numpy", "scipy", "networkx", "pandas", "pyarrow",
            "matplotlib", "solara", "dask", "distributed", "SALib")


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def now() -> str:
    """The current UTC time, ISO 8601."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    """Installed versions of the packages results depend on (tis-sim: the imported copy)."""
    out = {"python": platform.python_version(), "tis-sim": package_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def manifest(**fields: Any) -> dict[str, Any]:
    """A manifest: the given fields plus tis-sim's provenance, versions, command line, host.

    ``tis_sim`` is :func:`sim.study.provenance.provenance`: version, install origin (PEP
    610), package location and, only when run from tis-sim's own checkout, its git commit.
    """
    return {**fields, "tis_sim": provenance(), "versions": versions(), "command": sys.argv,
            "platform": platform.platform()}


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``.

    Raises:
        OutputPathError: ``path`` is a device, folder or pipe (never replaced).
        OutputPathError, RunFailedError: a write failed (permission, no space left, ...); the
            temporary file is deleted first, so no partial file is left behind
            (:func:`sim.study.paths.write_error`).
    """
    path = Path(path)
    check_target(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are for sharing
        write(Path(tmp))
        os.replace(tmp, path)
    except OSError as exc:
        raise write_error(path, exc) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (NaN becomes null so any JSON reader accepts it)."""

    def clean(x: Any) -> Any:
        if isinstance(x, float) and x != x:
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        return x

    atomic_write(path, lambda p: p.write_text(json.dumps(clean(data), indent=2, default=str)))
