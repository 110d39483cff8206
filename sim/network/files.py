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

Every problem raises :class:`NetworkFileError`, whose message names the file, the line
(1-based, the header is line 1) and what is wrong.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sim.files import InputFileError, read_text
from sim.network.staff import StaffNetwork

NODE_COLUMNS = ("id", "school", "department", "role")
EDGE_COLUMNS = ("source", "target")
ROLES = ("teacher", "specialist")


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

    Raises:
        NetworkFileError: a file is missing, empty or malformed, or the two files disagree.
    """
    ids, school, dept, is_spec = _read_nodes(Path(nodes_path))
    order = np.r_[np.flatnonzero(~is_spec), np.flatnonzero(is_spec)]  # teachers first
    node_of = {ids[i]: new for new, i in enumerate(order)}
    edges = _read_edges(Path(edges_path), node_of, Path(nodes_path))
    return StaffNetwork.from_edges(
        edges,
        n_teachers=int((~is_spec).sum()),
        school=school[order],
        department=np.where(is_spec, -1, dept)[order],
        labels=tuple(ids[i] for i in order),
    )


def _rows(path: Path, expected: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """The data rows of a CSV file as (line number, {column: stripped value})."""
    what = "node table" if expected == NODE_COLUMNS else "edge list"
    try:
        text = read_text(path, what, "csv")
    except InputFileError as exc:
        raise NetworkFileError(exc.path, exc.line, exc.problem) from None
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


def _read_nodes(path: Path) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Node ids, school index, department index and specialist flag, in file order."""
    ids: list[str] = []
    first_line: dict[str, int] = {}
    schools: dict[str, int] = {}
    depts: dict[tuple[str, str], int] = {}
    school, dept, is_spec = [], [], []
    teachers_in: set[str] = set()
    first_spec_line: dict[str, int] = {}
    for line, row in _rows(path, NODE_COLUMNS):
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
    if not ids:
        raise NetworkFileError(path, 1, "the file has a header but no nodes")
    for name, line in first_spec_line.items():
        if name not in teachers_in:
            raise NetworkFileError(path, line, f"school {name!r} has a specialist but no "
                                   "teachers (every school needs at least one teacher)")
    return (ids, np.array(school, np.int32), np.array(dept, np.int32),
            np.array(is_spec, bool))


def _read_edges(path: Path, node_of: dict[str, int], nodes_path: Path) -> np.ndarray:
    """Edges (E, 2) as node indices; repeats are left for :class:`StaffNetwork` to merge."""
    edges: list[tuple[int, int]] = []
    for line, row in _rows(path, EDGE_COLUMNS):
        source, target = row["source"], row["target"]
        for end in (source, target):
            if end not in node_of:
                raise NetworkFileError(path, line, f"unknown node id {end!r} (not in the node "
                                       f"table {nodes_path})")
        if source == target:
            raise NetworkFileError(path, line, f"self loop: node {source!r} is tied to itself")
        edges.append((node_of[source], node_of[target]))
    return np.array(edges, dtype=np.int64).reshape(-1, 2)
