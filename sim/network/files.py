"""Load a real staff network from two CSV files (replaces the generated network).

Node table (``nodes_file``), one row per staff member::

    id,school,department,role
    T01,North,math,teacher
    S1,North,,specialist

Edge list (``network_file``), one row per advice tie::

    source,target
    T01,S1

Rules:

* The header names the columns; their order is free and extra columns are ignored.
* ``role`` is ``teacher`` or ``specialist`` (any case). Specialists get department -1 whatever
  the file says; teachers need a department.
* ``school`` and ``department`` are labels: schools are numbered 0, 1, ... in order of first
  appearance in the file; departments likewise, per (school, department) pair, because a
  department is a group of colleagues in one school ("math" in two schools is two
  departments).
* Nodes are reordered so that teachers come first (in file order), then specialists (in file
  order); ``StaffNetwork.labels[node]`` is the node's id from the file.
* Ties are undirected. A tie listed twice (in either direction) is kept once, silently.
* Blank lines are skipped; a UTF-8 byte-order mark is accepted. Files are read by the one
  input reader (:mod:`sim.files`): a file in another encoding (UTF-16 as Excel writes
  "Unicode text", Windows-1252, ...) is named with its likely encoding and how to convert it.

Observed first use (optional node-table columns, for calibration to a district's data):

* ``adopted_day`` (or ``adopted_day_1``, ``adopted_day_2``, ...): the school day on which the
  teacher was first seen using innovation 1 (2, ...); empty if never. Day 0 or earlier means
  a user when the run starts. Innovation k is the k-th external innovation present on day 0
  (``n_external_at_start`` must be at least the number of innovations marked).
* ``initial_user``: ``true``/``false`` (also yes/no, 1/0, empty = false): a user of
  innovation 1 when the run starts; the same as ``adopted_day <= 0``, and both may be given
  if they agree.

Specialists' values are ignored (specialists use every innovation they know of).

Every problem raises :class:`NetworkFileError`, whose message names the file, the line
(1-based, the header is line 1) and what is wrong.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sim.errors import InputWarning
from sim.files import InputFileError, read_text
from sim.network.staff import StaffNetwork

NODE_COLUMNS = ("id", "school", "department", "role")
EDGE_COLUMNS = ("source", "target")
ROLES = ("teacher", "specialist")
#: Optional node columns of observed first use (see the module docstring).
ADOPTED = re.compile(r"^adopted_day(?:_([1-9][0-9]?))?$")
INITIAL_USER = "initial_user"
_TRUTH = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False,
          "": False}


class NetworkFileError(InputFileError):
    """A network or node file that cannot be read; the message says where and why.

    Attributes:
        path: the file.
        line: 1-based line number (the header is line 1), or None for the whole file.
        problem: what is wrong, in words.
    """

    def __init__(self, path: str | os.PathLike, line: int | None, problem: str) -> None:
        super().__init__(path, problem, line)


def load_network(
    edges_path: str | os.PathLike, nodes_path: str | os.PathLike
) -> StaffNetwork:
    """Read a staff network from an edge list and a node table (see the module docstring).

    Args:
        edges_path: CSV edge list with columns ``source,target``.
        nodes_path: CSV node table with columns ``id,school,department,role``.

    Returns:
        The network: teachers first, then specialists; ``labels`` holds the file ids.

    Warns:
        InputWarning: the node table has no specialist rows (valid, but rarely meant).

    Raises:
        NetworkFileError: a file is missing, empty or malformed, or the two files disagree.
    """
    ids, school, dept, is_spec, adopted, school_labels = _read_nodes(Path(nodes_path))
    if not is_spec.any():  # valid (a district without specialists) but rarely meant
        warnings.warn(f"{nodes_path}: the node table has no specialist rows, so the district "
                      "has no specialists (no sessions, training or help from them); a "
                      "specialist is a row with role = specialist", InputWarning, stacklevel=2)
    order = np.r_[np.flatnonzero(~is_spec), np.flatnonzero(is_spec)]  # teachers first
    node_of = {ids[i]: new for new, i in enumerate(order)}
    edges = _read_edges(Path(edges_path), node_of, Path(nodes_path))
    net = StaffNetwork.from_edges(
        edges,
        n_teachers=int((~is_spec).sum()),
        school=school[order],
        department=np.where(is_spec, -1, dept)[order],
        labels=tuple(ids[i] for i in order),
    )
    if adopted is not None:
        adopted = adopted[order]
    return dataclasses.replace(net, adopted_day=adopted, school_labels=school_labels)


def read_table(path: str | os.PathLike, what: str, required: tuple[str, ...],
               optional: tuple[str, ...] = ()) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV table as (line number, {column: stripped value}).

    ``required`` columns must be in the header; ``optional`` ones are read when present.
    ``what`` names the file in messages ("observed-data file", ...). The file is read by
    :func:`sim.files.read_text`; problems raise :class:`NetworkFileError` naming the file
    and the line (the same rules as the network files: header names the columns, blank
    lines skipped, UTF-8).
    """
    path = Path(path)
    text = _text(path, what)
    header = _header(text)
    return _rows(path, text, tuple(required) + tuple(c for c in optional if c in header))


def _text(path: Path, what: str) -> str:
    """The file's text through the one input reader, its errors as NetworkFileError."""
    try:
        return read_text(path, what, "csv")
    except InputFileError as exc:
        raise NetworkFileError(exc.path, exc.line, exc.problem) from None


def _rows(path: Path, text: str,
          expected: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """The data rows of a CSV text as (line number, {column: stripped value})."""
    with io.StringIO(text, newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = _next_nonblank(reader)
            if header is None:
                raise NetworkFileError(path, 1, "the file is empty; expected a header line "
                                       f"with the columns {','.join(expected)}")
            names = [h.strip().lower() for h in header]
            missing = [c for c in expected if c not in names]
            if missing:
                raise NetworkFileError(
                    path, reader.line_num,
                    f"header {_short(','.join(header))!r} lacks column(s) "
                    f"{', '.join(missing)}; "
                    f"expected the columns {','.join(expected)}",
                )
            repeated = sorted({c for c in names if names.count(c) > 1 and c in expected})
            if repeated:
                raise NetworkFileError(path, reader.line_num,
                                       f"column(s) {', '.join(repeated)} appear twice in the "
                                       "header")
            where = {c: names.index(c) for c in expected}
            while (row := _next_nonblank(reader)) is not None:
                if len(row) != len(names):
                    raise NetworkFileError(
                        path, reader.line_num,
                        f"expected {len(names)} fields ({','.join(names)}), found {len(row)}",
                    )
                yield reader.line_num, {c: row[i].strip() for c, i in where.items()}
        except csv.Error as err:
            raise NetworkFileError(path, reader.line_num, f"malformed CSV ({err})") from None


def _short(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters for a message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _next_nonblank(reader: Iterator[list[str]]) -> list[str] | None:
    """The next row with some content, or None at the end of the file."""
    for row in reader:
        if any(field.strip() for field in row):
            return row
    return None


def _read_nodes(
    path: Path,
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray | None,
           tuple[str, ...]]:
    """The node table's columns, in file order.

    Returns node ids, school index, department index, specialist flag, observed first-use
    days (nodes x innovations, NaN = never; None without such columns) and the school
    labels (index = school).
    """
    ids: list[str] = []
    first_line: dict[str, int] = {}
    schools: dict[str, int] = {}
    depts: dict[tuple[str, str], int] = {}
    school, dept, is_spec = [], [], []
    teachers_in: set[str] = set()
    first_spec_line: dict[str, int] = {}
    text = _text(path, "node table")
    header = _header(text)
    adopted_cols = _adoption_columns(path, header)
    extra = tuple(adopted_cols) + ((INITIAL_USER,) if INITIAL_USER in header else ())
    adopted: list[list[float]] = []
    for line, row in _rows(path, text, NODE_COLUMNS + extra):
        node_id, role = row["id"], row["role"].lower()
        if not node_id:
            raise NetworkFileError(path, line, "empty node id")
        if node_id in first_line:
            raise NetworkFileError(path, line, f"duplicate node id {node_id!r} (first on line "
                                   f"{first_line[node_id]})")
        if role not in ROLES:
            raise NetworkFileError(path, line, f"unknown role {row['role']!r} for node "
                                   f"{node_id!r}; allowed roles: {', '.join(ROLES)}")
        if not row["school"]:
            raise NetworkFileError(path, line, f"empty school for node {node_id!r}")
        first_line[node_id] = line
        ids.append(node_id)
        school.append(schools.setdefault(row["school"], len(schools)))
        if role == "teacher":
            if not row["department"]:
                raise NetworkFileError(path, line, f"empty department for teacher {node_id!r}")
            teachers_in.add(row["school"])
            dept.append(depts.setdefault((row["school"], row["department"]), len(depts)))
        else:
            first_spec_line.setdefault(row["school"], line)
            dept.append(-1)
        is_spec.append(role == "specialist")
        if extra:  # specialists' values are ignored (they use what they know of)
            adopted.append(_first_use(path, line, row, adopted_cols) if role == "teacher"
                           else [math.nan] * max(len(adopted_cols), 1))
    if not ids:
        raise NetworkFileError(path, 1, "the file has a header but no nodes")
    for name, line in first_spec_line.items():
        if name not in teachers_in:
            raise NetworkFileError(path, line, f"school {name!r} has a specialist but no "
                                   "teachers (every school needs at least one teacher)")
    return (ids, np.array(school, np.int32), np.array(dept, np.int32),
            np.array(is_spec, bool), np.array(adopted, float) if extra else None,
            tuple(schools))


def _header(text: str) -> list[str]:
    """The lower-cased column names of a CSV text ([] if malformed: ``_rows`` says why)."""
    try:
        with io.StringIO(text, newline="") as handle:
            row = _next_nonblank(csv.reader(handle))
    except csv.Error:
        return []
    return [h.strip().lower() for h in row or []]


def _adoption_columns(path: Path, header: list[str]) -> dict[str, int]:
    """Observed first-use columns of the node table -> innovation index (0-based)."""
    cols: dict[str, int] = {}
    for name in header:
        match = ADOPTED.match(name)
        if match:
            k = int(match.group(1) or 1) - 1
            if k in cols.values():
                raise NetworkFileError(path, 1, f"column {name!r} repeats innovation {k + 1} "
                                       "(adopted_day is adopted_day_1)")
            cols[name] = k
    if cols and sorted(cols.values()) != list(range(len(cols))):
        raise NetworkFileError(path, 1, "adopted_day columns must number innovations 1, 2, "
                               f"... without gaps (got {', '.join(sorted(cols))})")
    return cols


def _first_use(path: Path, line: int, row: dict[str, str],
               cols: dict[str, int]) -> list[float]:
    """One node's observed first-use day per innovation (NaN = never)."""
    days = [math.nan] * max(len(cols), 1)
    for name, k in cols.items():
        text = row[name]
        if text:
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value) or not value.is_integer():
                raise NetworkFileError(path, line, f"column {name}: {text!r} is not allowed; "
                                       "expected a whole school day (0 or less: a user from "
                                       "the start) or empty (never)")
            days[k] = value
    if INITIAL_USER in row:
        flag = _TRUTH.get(row[INITIAL_USER].lower())
        if flag is None:
            raise NetworkFileError(path, line, f"column {INITIAL_USER}: "
                                   f"{row[INITIAL_USER]!r} is not allowed; expected true or "
                                   "false (yes/no, 1/0, or empty)")
        if (flag and days[0] > 0) or (row[INITIAL_USER] and not flag and days[0] <= 0):
            raise NetworkFileError(path, line, f"{INITIAL_USER} = {row[INITIAL_USER]!r} "
                                   f"contradicts adopted day {days[0]:g} of innovation 1 "
                                   "(an initial user adopted on day 0 or earlier)")
        if flag:
            days[0] = 0.0
    return days


def _read_edges(path: Path, node_of: dict[str, int], nodes_path: Path) -> np.ndarray:
    """Edges (E, 2) as node indices; repeats are left for :class:`StaffNetwork` to merge."""
    edges: list[tuple[int, int]] = []
    for line, row in _rows(path, _text(path, "edge list"), EDGE_COLUMNS):
        source, target = row["source"], row["target"]
        for end in (source, target):
            if end not in node_of:
                raise NetworkFileError(path, line, f"unknown node id {end!r} (not in the node "
                                       f"table {nodes_path})")
        if source == target:
            raise NetworkFileError(path, line, f"self loop: node {source!r} is tied to itself")
        edges.append((node_of[source], node_of[target]))
    return np.array(edges, dtype=np.int64).reshape(-1, 2)
