"""``tis-sim examples``: list the shipped experiment, scenario and data files; copy one out.

The files of the repository's ``experiments/`` folder ship inside the package as
``sim/examples/`` (package data), so a user who installed tis-sim with pip can start from
them::

    tis-sim examples                        # list them, with the command that runs each
    tis-sim examples headline               # write ./headline.toml
    tis-sim examples headline my_study/     # write my_study/headline.toml
    tis-sim examples headline mine.toml     # write mine.toml
    tis-sim examples headline -             # print it

Run from a source checkout, the checkout's own ``experiments/`` folder is used.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from sim.errors import UserError, did_you_mean
from sim.study.manifest import atomic_write
from sim.study.provenance import package_version, source_checkout

#: Command that runs a file, by its top-level TOML table (first match wins).
COMMANDS = (("sensitivity", "tis-sim sensitivity"), ("experiment", "tis-sim sweep"),
            ("study", "tis-sim whatif"), ("calibration", "tis-sim calibrate"))
DESCRIPTION_WIDTH = 72


class ExampleError(UserError):
    """An unknown example name, or a destination that would be overwritten."""


def examples_dir() -> Traversable:
    """The folder of example files: the checkout's ``experiments/``, else ``sim/examples``."""
    root = source_checkout()
    if root is not None and (root / "experiments").is_dir():
        return root / "experiments"
    return resources.files("sim") / "examples"


def example_files() -> dict[str, Traversable]:
    """File name -> file, sorted by name (hidden files and folders left out)."""
    folder = examples_dir()
    if not folder.is_dir():
        raise ExampleError(f"no example files in this installation of tis-sim (looked in "
                           f"{folder}); reinstall it, e.g. pip install --force-reinstall "
                           "tis-sim")
    return {f.name: f for f in sorted(folder.iterdir(), key=lambda f: f.name)
            if f.is_file() and not f.name.startswith(".")}


def _toml(file: Traversable) -> dict:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def describe(file: Traversable) -> tuple[str, str]:
    """``(command that runs it, one-line description)`` of an example file."""
    if not file.name.endswith(".toml"):
        return "", "data file used by the examples"
    data = _toml(file)
    command = next((cmd for table, cmd in COMMANDS if table in data), "")
    head = next((data[t] for t, _ in COMMANDS if isinstance(data.get(t), dict)
                 and t != "sensitivity"), {})
    text = " ".join(str(head.get("title") or head.get("description") or "").split())
    if len(text) > DESCRIPTION_WIDTH:
        text = text[: DESCRIPTION_WIDTH - 3].rsplit(" ", 1)[0].rstrip(",;:") + "..."
    return command, text


def find(name: str, files: dict[str, Traversable]) -> Traversable:
    """The example called ``name`` (with or without its ``.toml`` ending)."""
    for candidate in (name, f"{name}.toml"):
        if candidate in files:
            return files[candidate]
    stems = sorted({n.removesuffix(".toml") for n in files})
    raise ExampleError(f"example {name!r} does not exist{did_you_mean(name, stems)}; "
                       "available: "
                       + ", ".join(stems))


def companions(file: Traversable, files: dict[str, Traversable]) -> list[Traversable]:
    """Other example files that ``file`` names in one of its string values (data files)."""
    if not file.name.endswith(".toml"):
        return []
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str):
            base = Path(value).name
            if base in files and base != file.name:
                found.add(base)

    walk(_toml(file))
    return [files[n] for n in sorted(found)]


def write_example(name: str, dest: str | Path | None = None, *,
                  force: bool = False) -> list[Path]:
    """Copy example ``name`` (and the data files it names) to ``dest``; the paths written.

    Args:
        name: an example's file name, with or without ``.toml``.
        dest: a folder to copy into (an existing one, or a string ending in ``/``), or a
            file path; default: the current folder.
        force: overwrite existing files.

    Raises:
        ExampleError: unknown name, or a file would be overwritten without ``force``.
    """
    files = example_files()
    source = find(name, files)
    folder_named = isinstance(dest, str) and dest.endswith(("/", os.sep))
    dest = Path(dest) if dest is not None else Path.cwd()
    target = dest / source.name if folder_named or dest.is_dir() else dest
    plan = [(source, target)] + [(c, target.parent / c.name) for c in companions(source, files)]
    clashes = [str(t) for _, t in plan if t.exists()]
    if clashes and not force:
        raise ExampleError(f"{clashes[0]} already exists; choose another destination or "
                           "pass --force to overwrite it")
    for src, tgt in plan:
        data = src.read_bytes()
        atomic_write(tgt, lambda p, data=data: p.write_bytes(data))
    return [t for _, t in plan]


def _list() -> int:
    files = example_files()
    rows = [(n, *describe(f)) for n, f in files.items()]
    w_name = max((len(r[0]) for r in rows), default=4)
    w_cmd = max((len(r[1]) for r in rows), default=7)
    print(f"Example files of tis-sim {package_version()} (from {examples_dir()}):\n")
    for name, command, text in rows:
        print(f"  {name:<{w_name}}  {command:<{w_cmd}}  {text}".rstrip())
    print("\nCopy one out with `tis-sim examples NAME [DEST]`, then run it with the command "
          "shown,\ne.g. tis-sim examples headline && tis-sim sweep headline.toml")
    return 0


def _examples(args: argparse.Namespace) -> int:
    if args.name is None:
        if args.dest is not None or args.force:
            raise ExampleError("DEST and --force need an example NAME; `tis-sim examples` "
                               "lists the names")
        return _list()
    if args.dest == "-":
        sys.stdout.write(find(args.name, example_files()).read_text(encoding="utf-8"))
        return 0
    for path in write_example(args.name, args.dest, force=args.force):
        print(f"wrote {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``examples`` subcommand."""
    p = sub.add_parser(
        "examples", help="list the shipped example files, or copy one out to start from",
        description="Without NAME: list the example experiment, scenario and data files "
                    "that ship with tis-sim and the command that runs each. With NAME: "
                    "write that file (and any data file it names) to DEST.",
        epilog="examples:\n  tis-sim examples\n  tis-sim examples headline            # "
               "writes ./headline.toml\n  tis-sim examples policies studies/   # writes "
               "studies/policies.toml\n  tis-sim examples sensitivity -        # prints it",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", metavar="NAME",
                   help="example to write (file name, .toml may be left out)")
    p.add_argument("dest", nargs="?", metavar="DEST",
                   help="folder or file to write to (default: the current folder; "
                        "'-' prints the file)")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=_examples)
