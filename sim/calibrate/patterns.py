"""Patterns of a calibration file: a model output, when and where, and its target.

Part of the calibration file schema (:mod:`sim.calibrate.spec`): ``[patterns.NAME]``
tables are checked here. An output is a per-run summary key, a daily measure (on a day,
at the end of a school year, or as the mean over one) or an observable share
(:data:`sim.calibrate.observe.OBSERVABLES`, also for one school or innovation).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.calibrate.observe import OBSERVABLES
from sim.calibrate.observed import DAILY_NAMES, Observation, is_share
from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.errors import UserError
from sim.study.experiment import _only_keys as only_keys  # shared key checks

PATTERN_KEYS = ("output", "day", "year", "over", "school", "innovation", "arm", "compare",
                "target", "interval", "observed", "tolerance", "weight", "source", "evidence")
COMPARE = ("ratio", "difference")
OVER = ("end", "mean")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class CalibrationFileError(UserError, ValueError):
    """A mistake in a calibration file; the message names the file and the key."""


def err(path: Path, key: str, message: str) -> CalibrationFileError:
    """The error for ``key`` of the file at ``path``."""
    return CalibrationFileError(f"{path}: [{key}] {message}")


def as_int(path: Path, key: str, value: Any, low: int, what: str) -> int:
    """``value`` if it is an integer >= ``low``, else an error saying ``what`` is expected."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise err(path, key, f"{value!r} is not allowed; expected {what}")
    return value


def as_float(path: Path, key: str, value: Any, what: str, ok=lambda v: True) -> float:
    """``value`` as a float if it is a finite number passing ``ok``, else an error."""
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or not ok(value):
        raise err(path, key, f"{value!r} is not allowed; expected {what}")
    return float(value)


@dataclass(frozen=True)
class Pattern:
    """One pattern: a model output, when and where it is measured, and its target.

    Attributes:
        name: the pattern's name (``[patterns.NAME]``).
        output: a summary key, a daily measure or an observable.
        kind: ``summary``, ``daily`` or ``observable`` (how ``output`` is measured).
        days: the days measured (one for ``over = "end"``, the year's days for ``mean``).
        school: school index (0-based) or None for the district.
        innovation: innovation number (1-based) or None for all.
        arm: the arm measured (None: the base model).
        compare: ``ratio`` or ``difference`` to the same output in the base model.
        low: lower end of the target (equal to ``high`` for a point target).
        high: upper end of the target.
        tolerance: how far outside the target counts as one unit of distance.
        weight: weight in the combined distance.
        source: where the target comes from (text).
        evidence: its evidence grade (text, e.g. "B").
    """

    name: str
    output: str
    kind: str
    days: tuple[int, ...] = ()
    school: int | None = None
    innovation: int | None = None
    arm: str | None = None
    compare: str | None = None
    low: float = 0.0
    high: float = 0.0
    tolerance: float = 1.0
    weight: float = 1.0
    source: str = ""
    evidence: str = ""

    def where(self) -> str:
        """When and where it is measured, in words (for reports)."""
        parts = []
        if self.days:
            d = self.days
            parts.append(f"day {d[0]}" if len(d) == 1 else f"mean of days {d[0]}-{d[-1]}")
        if self.school is not None:
            parts.append(f"school {self.school + 1}")
        if self.innovation is not None:
            parts.append(f"innovation {self.innovation}")
        if self.arm:
            parts.append(f"arm {self.arm}" + (f" ({self.compare} to base)" if self.compare
                                              else ""))
        return ", ".join(parts) or "per run"


def _kind(path: Path, key: str, output: Any, filtered: bool, timed: bool) -> str:
    """How ``output`` is measured: ``observable``, ``daily`` or ``summary``.

    A name that is both a daily measure and a summary key (``tickets_created``: per day, or
    the run's total) is the daily measure when the pattern gives a day or year.
    """
    from sim.study.design import summary_keys  # runs a one-day model: only when needed

    if not isinstance(output, str):
        raise err(path, f"{key}.output", f"{output!r} is not allowed; expected an output name")
    if output in OBSERVABLES:
        return "observable"
    if output in DAILY_NAMES and not filtered and (timed or output not in summary_keys()):
        return "daily"
    if output in summary_keys() and not filtered:
        return "summary"
    valid = sorted(OBSERVABLES) if filtered else sorted({*OBSERVABLES, *DAILY_NAMES,
                                                        *summary_keys()})
    scope = " for one school or innovation" if filtered else ""
    raise err(path, f"{key}.output", f"unknown output {output!r}{scope}; valid outputs are: "
                                      + ", ".join(valid))


def _when(path: Path, key: str, t: dict, kind: str, days: int) -> tuple[int, ...]:
    has_day, has_year = "day" in t, "year" in t
    if kind == "summary":
        for k in ("day", "year", "over"):
            if k in t:
                raise err(path, f"{key}.{k}", f"output {t['output']!r} is a per-run summary; "
                                               "'day', 'year' and 'over' are for daily measures")
        return ()
    if has_day == has_year:
        raise err(path, key, f"output {t['output']!r} changes daily: give 'day' or 'year' "
                              "(year y = the end of school year y, day 180 y)")
    over = t.get("over", "end")
    if over not in OVER:
        raise err(path, f"{key}.over", f"{over!r} is not allowed; expected one of "
                                        + ", ".join(OVER))
    if has_day:
        if "over" in t:
            raise err(path, f"{key}.over", "'over' goes with 'year'")
        day = as_int(path, f"{key}.day", t["day"], 0, f"a school day from 0 to {days}")
        if day > days:
            raise err(path, f"{key}.day", f"{day} is after the horizon ({days} days)")
        return (day,)
    year = as_int(path, f"{key}.year", t["year"], 1, "a school year >= 1")
    if year * DAYS_PER_YEAR > days:
        raise err(path, f"{key}.year", f"year {year} ends after the horizon ({days} days)")
    end = year * DAYS_PER_YEAR
    return (end,) if over == "end" else tuple(range(end - DAYS_PER_YEAR + 1, end + 1))


def _school(path: Path, key: str, value: Any, base: dict) -> int:
    """School label (node table) or number 1..n (generated district) -> 0-based index."""
    if base["nodes_file"]:
        from sim.network.files import load_network

        labels = load_network(base["network_file"], base["nodes_file"]).school_labels or ()
        if str(value) not in labels:
            raise err(path, f"{key}.school", f"{value!r} is not a school of the node table "
                                              f"{base['nodes_file']}; its schools are: "
                                              + ", ".join(labels))
        return labels.index(str(value))
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= \
            base["n_schools"]:
        raise err(path, f"{key}.school", f"{value!r} is not allowed; expected a school number "
                                          f"from 1 to {base['n_schools']} (n_schools)")
    return value - 1


def parse_pattern(path: Path, name: str, t: Any, days: int, arms: dict,
                  observed: list[Observation], base: dict) -> Pattern:
    """Check ``[patterns.NAME]`` against the horizon, the arms and the observed data."""
    key = f"patterns.{name}"
    if not NAME.match(name):
        raise err(path, key, "pattern names start with a letter and hold letters, digits, _")
    t = only_keys(path, key, t, PATTERN_KEYS)
    if "output" not in t:
        raise err(path, key, "no 'output': name the model output that measures the pattern")
    filtered = "school" in t or "innovation" in t
    kind = _kind(path, key, t["output"], filtered, "day" in t or "year" in t)
    when = _when(path, key, t, kind, days)
    school = _school(path, key, t["school"], base) if "school" in t else None
    innovation = as_int(path, f"{key}.innovation", t["innovation"], 1,
                      "an innovation number >= 1") if "innovation" in t else None
    arm, compare = t.get("arm"), t.get("compare")
    if arm is not None and arm not in arms:
        raise err(path, f"{key}.arm", f"{arm!r} is not an arm; defined arms: "
                                       + (", ".join(arms) or "none (add [arms.NAME])"))
    if compare is not None and (compare not in COMPARE or arm is None):
        raise err(path, f"{key}.compare", f"{compare!r} is not allowed; expected one of "
                                           f"{', '.join(COMPARE)}, together with 'arm'")
    targets = [k for k in ("target", "interval", "observed") if k in t]
    if len(targets) != 1:
        raise err(path, key, "give exactly one target: target = value, interval = [low, high]"
                              " or observed = true (a row of the [observed] file)")
    tolerance = t.get("tolerance")
    if targets == ["target"]:
        low = high = as_float(path, f"{key}.target", t["target"], "a number")
    elif targets == ["interval"]:
        iv = t["interval"]
        if not (isinstance(iv, list) and len(iv) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in iv)
                and iv[0] <= iv[1]):
            raise err(path, f"{key}.interval", f"{iv!r} is not allowed; expected [low, high] "
                                                "with low <= high")
        low, high = float(iv[0]), float(iv[1])
    else:
        obs = _matching_row(path, key, t, when, school, innovation, observed)
        low = high = obs.value
        if tolerance is None and math.isfinite(obs.n) and is_share(obs.measure):
            tolerance = max(math.sqrt(obs.value * (1 - obs.value) / obs.n), 0.5 / obs.n)
    if tolerance is None:
        raise err(path, f"{key}.tolerance", "required: how far from the target counts as one "
                                             "unit of distance (in the output's units)")
    return Pattern(
        name=name, output=t["output"], kind=kind, days=when, school=school,
        innovation=innovation, arm=arm, compare=compare, low=low, high=high,
        tolerance=as_float(path, f"{key}.tolerance", tolerance, "a number > 0", lambda v: v > 0),
        weight=as_float(path, f"{key}.weight", t.get("weight", 1.0), "a number > 0",
                      lambda v: v > 0),
        source=str(t.get("source", "")), evidence=str(t.get("evidence", "")),
    )


def _matching_row(path: Path, key: str, t: dict, when: tuple[int, ...], school: int | None,
                  innovation: int | None, observed: list[Observation]) -> Observation:
    if t["observed"] is not True:
        raise err(path, f"{key}.observed", f"{t['observed']!r} is not allowed; expected true")
    if not observed:
        raise err(path, f"{key}.observed", "needs an observed-data file: add [observed] "
                                            "file = \"PATH.csv\"")
    if len(when) != 1:
        raise err(path, f"{key}.over", "observed rows are values on a day: use over = 'end'")
    label = "" if school is None else str(t["school"])
    want = (t["output"], when[0], label, innovation or 0)
    for obs in observed:
        if obs.key == want:
            return obs
    have = "; ".join(f"{o.measure} day {o.day}" + (f" school {o.school}" if o.school else "")
                     + (f" innovation {o.innovation}" if o.innovation else "")
                     for o in observed[:8])
    raise err(path, f"{key}.observed", f"no row of the observed-data file has measure "
                                        f"{want[0]!r} on day {want[1]}"
                                        + (f", school {label!r}" if label else "")
                                        + (f", innovation {want[3]}" if want[3] else "")
                                        + f"; it has: {have}")
