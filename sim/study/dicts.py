"""Experiments and scenario studies given as Python dicts: the TOML text they stand for.

A dict-built experiment (``Experiment.from_dict``) or study (``Study.from_dict``) is turned
into the text of the equivalent file and then parsed by the very code that reads files,
so both are checked alike, and the text is what the manifest keeps: ``tis-sim report`` and
resumes treat a dict-built experiment exactly like a file (and ``exp.text`` can be saved as
one). The text is written by tomli-w (the TOML writer of the author of ``tomli``, whose
reader is the standard library's ``tomllib``), so what is written reads back unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import tomli_w

from sim.errors import UserError

_SCALARS = (str, bool, int, float, dt.date, dt.time)
#: How a dict-built experiment or study is named in messages and manifests.
SOURCE = "<dict>"


def _plain(value: Any, where: str, error: type[UserError], source: str) -> Any:
    """``value`` with numpy scalars and tuples made plain; anything TOML lacks is refused."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise error(f"{source}: [{where}] key {key!r} is not allowed; expected text")
            out[key] = _plain(item, f"{where}.{key}" if where else key, error, source)
        return out
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v, where, error, source) for v in value]
    if isinstance(value, _SCALARS):
        return value
    raise error(f"{source}: [{where or 'top level'}] {value!r} is not allowed; expected text, "
                "a number, true/false, a list or a table (TOML has no None)")


def toml_text(data: Mapping[str, Any], error: type[UserError], source: str) -> str:
    """The TOML text of ``data``, a dict of tables as in the corresponding file.

    Args:
        data: tables by name (``{"experiment": {...}, "sweep": {...}}``); values are text,
            numbers, booleans, lists, dicts (numpy scalars and arrays are accepted).
        error: the exception to raise (``ExperimentFileError``, ``ScenarioError``).
        source: what names the dict in error messages (e.g. ``<dict>``).

    Raises:
        error: ``data`` is not a dict, or a value TOML cannot hold (``None``, an object),
            naming the key.
    """
    if not isinstance(data, Mapping):
        raise error(f"{source}: expected a dict of tables (as in the file), got "
                    f"{type(data).__name__}")
    return tomli_w.dumps(_plain(data, "", error, source))
