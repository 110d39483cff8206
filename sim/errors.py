"""Errors the command line reports in one line, without a traceback.

``UserError``: caused by the user's input (parameters, files, names, options); exit status 2.
``RunFailedError``: the input was fine but the work could not go on (no space left on the disk,
every Dask worker lost); exit status 1. Both carry a message that names the file, key or
value and says what to do; ``sim/cli/main.py`` prints it as one line.
"""

from __future__ import annotations

import importlib


class UserError(Exception):
    """Base class of errors caused by the user's input (parameters, files, configs)."""


class MissingExtraError(UserError):
    """A feature needs an optional dependency group (an "extra") that is not installed."""


def require_extra(extra: str, feature: str, *modules: str) -> None:
    """Import ``modules``; if one is missing, say in one line which extra to install.

    Args:
        extra: the extra of ``pyproject.toml`` that provides the modules (``viz``, ``dask``,
            ``calibrate``, ``analysis``).
        feature: what needs them, as the user asked for it (``tis-sim viz``,
            ``--backend dask``).
        modules: importable module names, e.g. ``"solara"``.

    Raises:
        MissingExtraError: a module cannot be imported (not installed, or a dependency of
            it is missing).
    """
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            missing = exc.name or module
            raise MissingExtraError(
                f"{feature} needs the '{extra}' extra (module {missing!r} is not installed); "
                f"install it with: pip install 'tis-sim[{extra}]'") from None


class RunFailedError(Exception):
    """The work stopped for a reason outside the input (disk full, workers lost).

    Whatever was written before stays complete, so the same command can be run again.
    """
