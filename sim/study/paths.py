"""Where results go: folder names, output folders and failed writes, checked one way.

- :func:`check_folder_name`: a name that becomes a folder under ``results/`` (an
  experiment's or a study's name) is one plain folder name, never a path: no separators,
  not absolute, not empty, ``.`` or ``..``, at most :data:`MAX_NAME` characters of letters,
  digits, ``_``, ``-`` and ``.``. Every command that turns a name into a folder uses it.
- :func:`check_out_dir`: an output folder (``--out`` or the default) is a folder that can
  be created and written: not an existing file, not a device such as ``/dev/null``, not
  read-only, and on a disk with space. Checked before any work starts.
- :func:`check_target` and :func:`write_error`: every file is written by
  :func:`sim.study.manifest.atomic_write`, which never replaces a device, folder or pipe
  (``/dev/null`` stays a device, even for root), and turns an ``OSError`` (no space left,
  permission denied, ...) into one line naming the file, after deleting its temporary
  file, so no partial file is left behind.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from sim.errors import RunFailedError, UserError

#: Longest folder name: well under the 255 bytes file systems allow, leaving room for the
#: suffixes the tools add (``-5rep-540d``, ``.trash-<uuid>``).
MAX_NAME = 100
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
DENIED = (errno.EACCES, errno.EPERM, errno.EROFS)


class FolderNameError(UserError, ValueError):
    """A name that cannot be used as a results folder."""


class OutputPathError(UserError):
    """An output folder that cannot be created or written."""


def check_folder_name(name: object, where: str,
                      error: Callable[[str], Exception] = FolderNameError) -> str:
    """Return ``name`` if it is one safe folder name, else raise.

    Args:
        name: the name (from a file, an option or a default such as the file's stem).
        where: what holds it, for the message (``"exp.toml: [experiment] name"``).
        error: the exception class to raise (the caller's, e.g. ExperimentFileError).

    Raises:
        FolderNameError: (or ``error``) naming ``where``, the value and what is allowed.
    """
    allowed = (f"expected a folder name of 1 to {MAX_NAME} letters, digits, '_', '-' or '.' "
               "(not starting with '.' or '-'); it names the results folder results/<name> "
               "(use --out to write elsewhere)")
    if not isinstance(name, str):
        raise error(f"{where} = {name!r} is not allowed; {allowed}")
    shown = repr(name if len(name) <= 60 else name[:57] + "...")
    if not name or name in (".", ".."):
        problem = "empty" if not name else "no folder of its own"
    elif "/" in name or "\\" in name or os.path.isabs(name):
        problem = "a path, not a name: it would write outside results/"
    elif len(name) > MAX_NAME:
        problem = f"{len(name)} characters"
    elif not _NAME.match(name):
        problem = "characters other than letters, digits, '_', '-' and '.', or a leading '.'"
    else:
        return name
    raise error(f"{where} = {shown} is not allowed ({problem}); {allowed}")


def check_out_dir(path: str | os.PathLike, option: str = "--out", *,
                  create: bool = True) -> Path:
    """Make sure ``path`` is (or can become) a folder this process can write to.

    Args:
        path: the output folder.
        option: how the user gave it, for the message (``--out``, ``results folder``).
        create: create the folder and write a probe file in it (the only sure test of
            write permission and space, also as root); with False only look (dry runs).

    Returns:
        The folder as a Path.

    Raises:
        OutputPathError: an existing file or device, a file on the way, not writable.
        RunFailedError: no space left on the device.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        kind = "an existing file" if out.is_file() else "not a folder (a device or pipe)"
        raise OutputPathError(f"{option} {out}: is {kind}; expected a folder to write the "
                              "results into (it is created if missing)")
    if not create:
        parent = next((p for p in (out, *out.parents) if p.exists()), Path("."))
        if not parent.is_dir():
            raise OutputPathError(f"{option} {out}: {parent} is a file, so no folder can be "
                                  "made inside it; choose another folder")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise OutputPathError(f"{option} {out}: cannot write in {parent} (permission "
                                  "denied); choose another folder")
        return out
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out, prefix=".probe-"):
            pass
    except OSError as exc:
        raise write_error(out, exc, option=option) from None
    return out


def check_target(path: str | os.PathLike) -> None:
    """Refuse to replace anything but a regular file (a device, a folder, a pipe).

    An atomic write renames its temporary file onto the path, which would turn
    ``/dev/null`` into a plain file for root.

    Raises:
        OutputPathError: naming the path.
    """
    target = Path(path)
    if target.exists() and not target.is_file():
        kind = "a folder" if target.is_dir() else "not a regular file (a device or pipe)"
        raise OutputPathError(f"cannot write {target}: it is {kind}; choose a file name")


def write_error(path: str | os.PathLike, exc: OSError, *,
                option: str | None = None) -> Exception:
    """The one-line error for a failed write of ``path`` (raise it ``from None``).

    No space (ENOSPC, EDQUOT, EFBIG) is a :class:`~sim.errors.RunFailedError` (exit status 1):
    the input was fine, and the same command can be run again once there is room.
    Permission and path problems are :class:`OutputPathError` (exit status 2).
    """
    code = exc.errno
    what = f"{option} {path}" if option else f"cannot write {path}"
    name = errno.errorcode.get(code, "") if code is not None else ""
    if code in FULL or "No space left" in str(exc):
        return RunFailedError(f"{what}: no space left on the device ({name or 'ENOSPC'}); no "
                          "partial file was left behind and files written earlier are kept; "
                          "free some space and run the same command again")
    reason = os.strerror(code).lower() if code is not None else str(exc)
    if code in DENIED:
        return OutputPathError(f"{what}: {reason} ({name}); choose a folder you can write "
                               "to with --out")
    if code == errno.ENOTDIR:
        return OutputPathError(f"{what}: a part of the path is a file, not a folder "
                               "(ENOTDIR); choose another folder with --out")
    if code in (errno.EISDIR, errno.EEXIST, errno.ENAMETOOLONG, errno.EINVAL, errno.ENOENT):
        return OutputPathError(f"{what}: {reason} ({name}); choose another folder with --out")
    return RunFailedError(f"{what}: {reason}{f' ({name})' if name else ''}; files written "
                      "earlier are kept")
