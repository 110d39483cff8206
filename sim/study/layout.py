"""Where the files of a results folder live, in this layout and in the one of tis-sim 0.1.

Since 0.2 each kind of result is its own Parquet dataset (one folder of parts)::

    parts/summary/part-000001.parquet     parts/daily/part-000001.parquet
    parts/failures/part-000001.parquet    (.pending-* and *.tmp files: work in progress)

tis-sim 0.1 kept all kinds side by side in ``parts/`` (``summary-000001.parquet``,
``daily-000001.parquet``, ``failures-000001.parquet``), so ``pd.read_parquet("parts")``
mixed three tables into one. :func:`parts` lists both layouts, so the loaders read 0.1
folders, and also a folder whose conversion was interrupted; :func:`upgrade_layout`
converts a folder in place (the runner does so before it writes to an old folder, so one
folder never mixes layouts for long).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PARTS = "parts"
KINDS = ("summary", "daily", "failures")
#: Every successful run in one file, written when a session runs to its end.
SUMMARY_FILE = "summary.parquet"
_PART = re.compile(r"^part-(\d{6,})\.parquet$")
_PENDING = re.compile(r"^\.pending-(\d{6,})\.parquet$")
_OLD_PART = re.compile(r"^(summary|daily|failures)-(\d{6,})\.parquet$")


def kind_dir(out_dir: Path, kind: str) -> Path:
    """The dataset folder of one kind of result: ``out_dir/parts/<kind>``."""
    return Path(out_dir) / PARTS / kind


def part_name(number: int) -> str:
    """File name of part ``number`` (a complete part)."""
    return f"part-{number:06d}.parquet"


def pending_name(number: int) -> str:
    """Hidden name of a daily part written but not yet published (see sim.study.storage)."""
    return f".pending-{number:06d}.parquet"


def _scan(folder: Path, pattern: re.Pattern[str]) -> dict[int, Path]:
    if not folder.is_dir():
        return {}
    return {int(m.group(1)): p for p in folder.iterdir() if (m := pattern.match(p.name))}


def _old(out_dir: Path, kind: str) -> dict[int, Path]:
    folder = Path(out_dir) / PARTS
    if not folder.is_dir():
        return {}
    return {int(m.group(2)): p for p in folder.iterdir()
            if (m := _OLD_PART.match(p.name)) and m.group(1) == kind}


def parts(out_dir: Path, kind: str) -> dict[int, Path]:
    """Complete parts of one kind by number, in either layout (temporary files never match).

    Raises:
        FileNotFoundError: ``out_dir`` does not exist (a typo must not read as "no results").
    """
    if not Path(out_dir).is_dir():
        raise FileNotFoundError(f"results folder {str(out_dir)!r} does not exist")
    found = _old(out_dir, kind) | _scan(kind_dir(out_dir, kind), _PART)
    return dict(sorted(found.items()))


def pending(out_dir: Path) -> dict[int, Path]:
    """Daily parts written but not yet published, by number."""
    return _scan(kind_dir(out_dir, "daily"), _PENDING)


def old_layout_files(out_dir: Path) -> list[Path]:
    """Parts in the 0.1 layout (flat in ``parts/``); empty for a 0.2 folder."""
    return sorted(p for kind in KINDS for p in _old(out_dir, kind).values())


def upgrade_layout(out_dir: Path, *, quiet: bool = False) -> int:
    """Convert a results folder written by tis-sim 0.1 to this layout, in place.

    Only renames within the folder (each atomic), so no result is copied, changed or lost;
    an interrupted conversion leaves a folder that the loaders still read whole and that
    the next call finishes. Summary parts move first, so a daily part never appears in
    ``parts/daily/`` without its summary part in ``parts/summary/``; a daily part whose
    summary part is missing (its batch was killed mid-write) is deleted, as 0.1 would have
    done on resume. Do not run it while a 0.1 sweep is writing to the folder.

    Args:
        out_dir: the results folder (holding ``parts/``).
        quiet: do not print the one-line note on stderr.

    Returns:
        The number of parts moved (0 for a folder already in this layout).

    Raises:
        FileNotFoundError: ``out_dir`` does not exist.
    """
    summaries = set(parts(out_dir, "summary"))
    moved = 0
    for kind in KINDS:  # summary first: it is the completion record
        for number, path in sorted(_old(out_dir, kind).items()):
            if kind == "daily" and number not in summaries:
                path.unlink(missing_ok=True)
                continue
            target = kind_dir(out_dir, kind) / part_name(number)
            target.parent.mkdir(parents=True, exist_ok=True)
            path.replace(target)
            moved += 1
    if moved and not quiet:
        print(f"note: converted {out_dir} to the tis-sim 0.2 layout ({moved} parts moved "
              "into parts/summary/, parts/daily/, parts/failures/)", file=sys.stderr)
    return moved
