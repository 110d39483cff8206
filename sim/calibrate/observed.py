"""A district's observed data: shares over time, as a CSV file that patterns point to.

One row per observation::

    year,school,innovation,measure,value,n
    1,,,frequent_use_share,0.41,212
    2,North,1,users_share,0.55,48

Columns (the header names them; order is free; extra columns are ignored):

* ``day`` or ``year`` (one of the two; a row may fill either when both columns exist):
  when it was observed. Year y is the end of school year y, day 180 y.
* ``measure``: a name from :data:`sim.calibrate.observe.OBSERVABLES`; rows without school
  and innovation may also name a daily measure of the model (an unknown name is refused
  with the list of valid ones).
* ``value``: the observed value (shares between 0 and 1).
* ``school`` (optional): a school label of the node table (``nodes_file``), or the school
  number 1, 2, ... of a generated district; empty for the whole district.
* ``innovation`` (optional): 1, 2, ... in order of arrival; empty for the mean over all.
* ``n`` (optional): teachers behind the value; gives a default tolerance (the binomial
  standard error) to patterns that use the row.

Every problem is one :class:`ObservedDataError` naming the file, the line, the column, the
value and what is allowed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from sim.calibrate.observe import OBSERVABLES
from sim.dynamics.measures import DAILY_MEASURES
from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.errors import UserError
from sim.network.files import NetworkFileError, read_table

REQUIRED = ("measure", "value")
OPTIONAL = ("day", "year", "school", "innovation", "n")
#: Daily measures that observed rows may name (district-wide rows only).
DAILY_NAMES = tuple(k for k in DAILY_MEASURES if k != "day")


class ObservedDataError(UserError, ValueError):
    """An observed-data file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Observation:
    """One observed value.

    Attributes:
        line: line in the file (header = 1).
        day: school day observed (year y is day 180 y).
        measure: what was observed.
        value: the observed value.
        school: school label ("" = district).
        innovation: innovation number (0 = mean over all).
        n: teachers behind the value (NaN if not given).
    """

    line: int
    day: int
    measure: str
    value: float
    school: str = ""
    innovation: int = 0
    n: float = math.nan

    @property
    def key(self) -> tuple[str, int, str, int]:
        """What identifies the observation (a file holds each key once)."""
        return (self.measure, self.day, self.school, self.innovation)


def is_share(measure: str) -> bool:
    """True for measures that are shares (between 0 and 1)."""
    return measure != "se_mean" and (measure.startswith(("share_", "level_"))
                                     or measure.endswith("_share"))


def _number(path: Path, line: int, column: str, text: str, what: str, *, whole: bool = False,
            low: float = -math.inf) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < low or (whole and not value.is_integer()):
        raise ObservedDataError(f"{path}, line {line}: column {column}: {text!r} is not "
                                f"allowed; expected {what}")
    return value


def _observation(path: Path, line: int, row: dict[str, str]) -> Observation:
    measure, school = row["measure"], row.get("school", "")
    innovation = int(_number(path, line, "innovation", row["innovation"],
                             "a whole number >= 1 (1 = the first innovation) or empty",
                             whole=True, low=1)) if row.get("innovation") else 0
    allowed = sorted(OBSERVABLES) if school or innovation else sorted({*OBSERVABLES,
                                                                      *DAILY_NAMES})
    if measure not in allowed:
        scope = " for a school or an innovation" if school or innovation else ""
        raise ObservedDataError(f"{path}, line {line}: column measure: {measure!r} is not a "
                                f"measure the model can observe{scope}; allowed: "
                                + ", ".join(allowed))
    day_text, year_text = row.get("day", ""), row.get("year", "")
    if bool(day_text) == bool(year_text):
        raise ObservedDataError(f"{path}, line {line}: give exactly one of the columns day "
                                f"and year (got day={day_text!r}, year={year_text!r})")
    if day_text:
        day = int(_number(path, line, "day", day_text, "a whole school day >= 0", whole=True,
                          low=0))
    else:
        day = DAYS_PER_YEAR * int(_number(path, line, "year", year_text,
                                          "a whole school year >= 1", whole=True, low=1))
    share = is_share(measure)
    value = _number(path, line, "value", row["value"],
                    "a share from 0 to 1" if share else "a finite number")
    if share and not 0 <= value <= 1:
        raise ObservedDataError(f"{path}, line {line}: column value: {row['value']!r} is not "
                                f"allowed; {measure} is a share, expected a number from 0 to 1")
    n = _number(path, line, "n", row["n"], "a whole number of teachers >= 1 or empty",
                whole=True, low=1) if row.get("n") else math.nan
    return Observation(line, day, measure, value, school, innovation, n)


def load_observed(path: Path | str) -> list[Observation]:
    """Read and check an observed-data CSV file (see the module docstring).

    Raises:
        ObservedDataError: the file is missing or a row is malformed, naming the line.
    """
    path = Path(path)
    rows: list[Observation] = []
    first: dict[tuple, int] = {}
    try:
        for line, row in read_table(path, "observed-data file", REQUIRED, OPTIONAL):
            obs = _observation(path, line, row)
            if obs.key in first:
                raise ObservedDataError(f"{path}, line {line}: the same measure, day, school "
                                        f"and innovation as line {first[obs.key]}")
            first[obs.key] = line
            rows.append(obs)
    except NetworkFileError as exc:
        raise ObservedDataError(str(exc)) from None
    if not rows:
        raise ObservedDataError(f"{path}: no observations (only a header)")
    return rows
