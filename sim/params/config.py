"""Parameter files (``tis-sim run --config FILE``): TOML, read by the one input reader.

A parameter file holds ``name = value`` pairs, either at the top level or all inside one
``[params]`` table (not both: a file with top-level parameters *and* a ``[params]`` table
is refused rather than silently dropping either half)::

    specialist_fte = 0.4          # or: [params]
    support_style = "coach"       #     specialist_fte = 0.4

Every name and value is checked against :data:`sim.params.PARAMS` here, so an error names
the file as well as the parameter.
"""

from __future__ import annotations

import os
from typing import Any

from sim.errors import did_you_mean
from sim.files import InputFileError, read_toml
from sim.params.definitions import PARAMS, ParameterError


def load_param_file(path: str | os.PathLike) -> dict[str, Any]:
    """Parameter values from a TOML file, each checked and converted to its type.

    Args:
        path: the file (UTF-8 TOML; a UTF-8 byte-order mark is accepted).

    Returns:
        ``{name: value}`` for the parameters the file sets (cross-checks between them,
        such as the smallest school not exceeding the largest, are left to
        :func:`sim.params.resolve`, which sees the preset too).

    Raises:
        InputFileError: the file is unreadable, not UTF-8, not TOML, ``params`` is not a
            table, top-level parameters sit next to a ``[params]`` table, a name is unknown
            or a value is not allowed; the message names the file and the key.
    """
    data = read_toml(path, "parameter file")
    table, where = data, ""
    if "params" in data:
        table, where = data["params"], "[params] "
        if not isinstance(table, dict):
            raise InputFileError(path, f"params = {table!r} is not allowed; expected a "
                                       "[params] table of name = value lines")
        others = sorted(k for k in data if k != "params")
        if others:
            raise InputFileError(path, f"top-level key(s) {', '.join(map(repr, others))} next "
                                       "to a [params] table; put every parameter inside "
                                       "[params], or drop the [params] header")
    out = {}
    for name, value in table.items():
        if name not in PARAMS:
            raise InputFileError(path, f"{where}unknown parameter {name!r}"
                                       f"{did_you_mean(name, PARAMS)}; "
                                       "`tis-sim params` lists the valid names")
        if isinstance(value, dict | list):
            raise InputFileError(path, f"{where}{name} = {value!r} is not allowed; expected "
                                       f"{PARAMS[name].allowed()}")
        try:
            out[name] = PARAMS[name].check(value)
        except ParameterError as exc:
            raise InputFileError(path, f"{where}{exc}") from None
    return out
