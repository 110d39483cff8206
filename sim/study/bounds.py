"""Upper bounds for work, checked before anything is allocated, and CPU-time estimates.

Two kinds of limit:

- **hard limits** (:data:`LIMITS`): sizes no command accepts, because the request would
  exhaust memory before the first run (a billion replicates' seeds, a billion grid steps)
  or never end (``days = 10**12``). Files and options are checked against them when they
  are read, so the one-line error comes at once.
- **a soft limit** on the estimated CPU time (:data:`SOFT_CPU_HOURS`): larger requests are
  refused with the estimate unless ``--yes`` is given. Requests above
  :data:`NOTE_CPU_SECONDS` get the estimate printed before they start.

The estimate is a cost model measured on this project's 2-core machine (process time,
``make bench``: the default district alone and in batches of 20 and 64, 10,000 and
100,000 teachers alone): a run of ``T`` teachers and ``D`` days, one of ``B`` runs of a
cell run together (``sim.batch``; B = 1 alone), costs about
``SETUP_S + SETUP_TEACHER_S * T + D * (DAY_S / B + TEACHER_DAY_S * T)`` seconds: the
per-day cost of a few hundred numpy calls is shared by the batch. It is right to within a
factor of about 1.5 there; machines of the same kind differ by 2-3x, so it is meant as an
order of magnitude ("minutes or days?"), not a promise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.errors import UserError
from sim.files import read_text
from sim.params import PARAMS, PRESETS, school_sizes


@dataclass(frozen=True)
class Limit:
    """A hard upper bound: the largest value allowed and what it counts."""

    high: int
    what: str


LIMITS: dict[str, Limit] = {
    "days": Limit(18_000, "school days per run (100 school years)"),
    "replicates": Limit(100_000, "replicates (runs per design point or scenario)"),
    "samples": Limit(2**20, "sampled points, Sobol base samples or Morris trajectories"),
    "steps": Limit(10_000, "grid steps across one range"),
    "levels": Limit(1_000, "Morris grid levels"),
    "bootstrap": Limit(100_000, "bootstrap resamples"),
    "points": Limit(200_000, "design points of one experiment"),
    "runs": Limit(1_000_000, "runs of one command"),
}
#: A horizon given in school years (``--years``, ``years = N`` in a file) is bounded and
#: reported in years: at most the hard limit on days.
MAX_YEARS = LIMITS["days"].high // DAYS_PER_YEAR
YEARS_UNIT = f"school years of {DAYS_PER_YEAR} days"
YEARS_ALLOWED = f"an integer from 1 to {MAX_YEARS} ({YEARS_UNIT})"
#: Requests estimated above this many CPU-hours need ``--yes``.
SOFT_CPU_HOURS = 12.0
#: Requests estimated above this many CPU-seconds get the estimate printed first.
NOTE_CPU_SECONDS = 600.0
#: The cost model (seconds; see the module doc).
SETUP_S = 0.004
SETUP_TEACHER_S = 25e-6
DAY_S = 1.3e-3
TEACHER_DAY_S = 0.55e-6
#: Parameters that decide a district's size.
SIZE_PARAMS = ("n_schools", "school_size_min", "school_size_max", "specialists_per_school",
               "network_file", "nodes_file")


class WorkLimitError(UserError):
    """A request over a hard limit, or over the soft limit without ``--yes``."""


def over_limit(name: str, value: int) -> str | None:
    """The complaint when ``value`` exceeds the hard limit ``name``, else None."""
    limit = LIMITS[name]
    if value > limit.high:
        return f"{value:,} is more than the limit of {limit.high:,} {limit.what}"
    return None


def check_limit(name: str, value: int, where: str) -> int:
    """Return ``value`` if within the hard limit ``name``.

    Raises:
        WorkLimitError: naming ``where``, the value and the limit.
    """
    problem = over_limit(name, value)
    if problem:
        raise WorkLimitError(f"{where}: {problem}")
    return value


def teachers_of(params: Mapping[str, Any], preset: str | None = None) -> int:
    """Staff (teachers and specialists) of the district that ``params`` describe.

    For a loaded network the node table's rows are counted (read through the one input
    reader, so a bad file fails here with its own message). No validation: an estimate.
    """
    full = {n: s.default for n, s in PARAMS.items()} | PRESETS.get(preset or "default", {})
    full |= dict(params)
    if full.get("nodes_file"):
        text = read_text(full["nodes_file"], "node table", "csv")
        return max(0, sum(1 for line in text.splitlines() if line.strip()) - 1)
    try:
        sizes = school_sizes(full)
    except (TypeError, ValueError, ZeroDivisionError):
        return 0
    return int(sum(sizes)) + int(full["n_schools"]) * int(full["specialists_per_school"])


def run_seconds(teachers: float, days: float, batch: int = 1) -> float:
    """Estimated CPU seconds of one run, one of ``batch`` run together (module doc)."""
    return SETUP_S + SETUP_TEACHER_S * teachers + days * (DAY_S / max(1, batch)
                                                          + TEACHER_DAY_S * teachers)


@dataclass(frozen=True)
class Work:
    """The size of a request: runs, teacher-days and the estimated CPU time."""

    runs: int
    teacher_days: float
    cpu_seconds: float

    @classmethod
    def of(cls, groups: Iterable[tuple[int, ...]]) -> Work:
        """Work of ``(teachers, days, runs)`` or ``(teachers, days, runs, batch)`` groups.

        ``batch``: how many runs of a cell run together (1 when not given).
        """
        runs, teacher_days, cpu = 0, 0.0, 0.0
        for teachers, days, count, *batch in groups:
            runs += count
            teacher_days += float(teachers) * days * count
            cpu += run_seconds(teachers, days, *batch) * count
        return cls(runs, teacher_days, cpu)

    def __add__(self, other: Work) -> Work:
        return Work(self.runs + other.runs, self.teacher_days + other.teacher_days,
                    self.cpu_seconds + other.cpu_seconds)

    def describe(self, workers: int | None = None) -> str:
        """'1,400 runs (180 million teacher-days): about 9 CPU-minutes (5 min on 2 cores)'."""
        cpu = duration(self.cpu_seconds, "CPU-")
        text = (f"{self.runs:,} run{'s' if self.runs != 1 else ''} "
                f"({_count(self.teacher_days)} teacher-days): "
                f"{'' if cpu.startswith('under') else 'about '}{cpu}")
        if workers and workers > 1 and self.runs > 1:
            wall = self.cpu_seconds / min(workers, self.runs)
            text += f" ({duration(wall)} on {workers} workers)"
        return text


def check_work(work: Work, *, yes: bool = False, workers: int | None = None) -> str | None:
    """Refuse work over the soft limit unless ``yes``; return a note for large work.

    Returns:
        A line to print before starting when the work is large, else None.

    Raises:
        WorkLimitError: over :data:`SOFT_CPU_HOURS` without ``yes``, or over the hard
            limit of runs.
    """
    check_limit("runs", work.runs, "this request")
    text = work.describe(workers)
    if work.cpu_seconds > SOFT_CPU_HOURS * 3600 and not yes:
        raise WorkLimitError(
            f"this request is {text}, above the limit of {SOFT_CPU_HOURS:g} CPU-hours "
            "(estimate from the measured cost per teacher-day); pass --yes to run it "
            "anyway, or reduce replicates, samples, days or the district")
    if work.cpu_seconds > NOTE_CPU_SECONDS:
        return f"estimated work: {text}"
    return None


def duration(seconds: float, prefix: str = "") -> str:
    """'40 seconds', '9 CPU-minutes', '3.2 hours', '12 days'."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= 2 * size:
            value = seconds / size
            shown = f"{value:.1f}" if value < 10 else f"{value:,.0f}"
            return f"{shown} {prefix}{unit}s"
    if seconds < 1:
        return f"under a {prefix}second"
    return f"{math.ceil(seconds)} {prefix}second{'s' if math.ceil(seconds) > 1 else ''}"


def _count(x: float) -> str:
    for word, size in (("billion", 1e9), ("million", 1e6)):
        if x >= size:
            return f"{x / size:,.1f} {word}"
    return f"{x:,.0f}"
