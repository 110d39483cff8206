"""Errors the command line reports in one line, without a traceback.

``UserError``: caused by the user's input (parameters, files, names, options); exit status 2.
``RunFailedError``: the input was fine but the work could not go on (no space left on the disk,
every Dask worker lost); exit status 1. Both carry a message that names the file, key or
value and says what to do; ``sim/cli/main.py`` prints it as one line.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable


class UserError(Exception):
    """Base class of errors caused by the user's input (parameters, files, configs)."""


class InputWarning(UserWarning):
    """An input that is valid but probably not what the user meant.

    E.g. a node table without specialists. ``sim/cli/main.py`` prints each one once, as
    one line ``tis-sim COMMAND: warning: MESSAGE``.
    """


def did_you_mean(name: str, valid: Iterable[str]) -> str:
    """`` (did you mean 'X'?)`` with the closest valid name (``difflib``), or ``""``.

    Every message about an unknown name (a parameter in ``--set``, a file key, an example)
    uses it, so they all suggest the same way.
    """
    close = difflib.get_close_matches(str(name), list(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


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
