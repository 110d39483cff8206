"""The fuzz suite's machinery: the CLI under a watchdog, an independent oracle, strategies.

``invoke`` runs ``tis-sim`` in this process (``sim.cli.main``) with a per-case alarm, so a
hang fails the case instead of the suite. The oracle says, from the documented rules and
not from the code under test, whether a value is allowed: a case the oracle calls invalid
must end with exit status 2, one valid must pass.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import signal
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from strategies import value_of

from sim.cli import main
from sim.params import PARAMS, PRESETS

#: Seconds one case may take (a dry run takes about 0.1 s; the machine may be busy).
CASE_SECONDS = 20
#: The documented cross-rules between parameters (README, `tis-sim params`).
CROSS_RULES = (
    lambda p: p["school_size_min"] <= p["school_size_max"],
    lambda p: p["free_periods_min"] <= p["free_periods_max"],
    lambda p: p["free_periods_max"] < p["periods_per_day"],
    lambda p: p["n_external_at_start"] <= p["max_innovations"],
    lambda p: bool(p["network_file"]) == bool(p["nodes_file"]),
)
NAME_RULE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
NUMBERS = [name for name, s in PARAMS.items() if s.kind in ("int", "float")]
SETTABLE = [name for name, s in PARAMS.items() if s.kind != "text"]


class Hang(BaseException):  # not Exception: `except Exception` cannot hide it
    """A case that did not finish within CASE_SECONDS."""


@dataclass
class Result:
    """Exit status, stdout and stderr of one command."""

    code: int
    out: str
    err: str


def invoke(*args: Any) -> Result:
    """``tis-sim ARGS`` in this process, stopped by an alarm after CASE_SECONDS."""
    argv = [str(a) for a in args]

    def alarm(signum: int, frame: object) -> None:
        raise Hang(f"tis-sim {' '.join(argv)[:300]} did not finish in {CASE_SECONDS} s")

    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse: usage and one error line, status 2
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return Result(code, out.getvalue(), err.getvalue())


def check(result: Result, valid: bool | None) -> None:
    """No traceback; status 0 or 2; an error is one line; the oracle's verdict holds."""
    lines = [x for x in result.err.splitlines() if x.strip()]
    assert "Traceback" not in result.err, result.err
    assert result.code in (0, 2), (result.code, lines)
    errors = [x for x in lines if ": error: " in x]
    if result.code == 2:
        assert len(errors) == 1 and lines[-1] == errors[0], lines
        others = [x for x in lines[:-1] if not (x.startswith(("usage:", " "))
                                                or ": warning: " in x)]
        assert not others, lines
    else:
        assert not errors, lines
    if valid is True:
        assert result.code == 0, lines
    if valid is False:
        assert result.code == 2, f"an invalid input was accepted:\n{result.out}"


# --- the oracle ----------------------------------------------------------------------------


def value_ok(name: str, value: Any) -> bool:
    """A typed value (from a TOML file) allowed for parameter ``name``."""
    spec = PARAMS[name]
    if spec.kind == "bool":
        return isinstance(value, bool)
    if spec.kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if spec.kind == "int" and isinstance(value, float) and not value.is_integer():
            return False
        return spec.low <= value <= spec.high
    if spec.kind == "choice":
        return value in spec.choices
    return isinstance(value, str)


def text_ok(name: str, raw: str) -> bool:
    """A ``--set name=raw`` value allowed (numbers as Python's float() reads them)."""
    spec, raw = PARAMS[name], raw.strip()
    if spec.kind == "bool":
        return raw.lower() in ("true", "false")
    if spec.kind in ("int", "float"):
        try:
            value = float(raw)
        except ValueError:
            return False
        return value_ok(name, value)
    return value_ok(name, raw)


def params_ok(preset: str, values: dict[str, Any]) -> bool:
    """Every value allowed and the documented cross-rules hold over preset and defaults."""
    if any(name not in PARAMS or not value_ok(name, v) for name, v in values.items()):
        return False
    full = {n: s.default for n, s in PARAMS.items()} | PRESETS[preset] | values
    return all(rule(full) for rule in CROSS_RULES)


def name_ok(name: Any) -> bool:
    """A results folder name allowed by the documented rule."""
    return isinstance(name, str) and NAME_RULE.fullmatch(name) is not None


# --- strategies ------------------------------------------------------------------------------

NASTY_TEXT = ["", " ", "nan", "NaN", "inf", "-inf", "1e999", "-0", "1e-400", "0x10", "1_000",
              "True", "FALSE", "none", "null", "[]", "{}", "'1'", '"1"', "1,5", "١٢", "½",
              "\u200b1", "1\n2", "é", "../..", "/dev/null", "a" * 500, "9" * 400]


def raw_values() -> st.SearchStrategy[str]:
    """Text for ``--set name=...``: numbers, words, nasty strings, anything."""
    return st.one_of(
        st.sampled_from(NASTY_TEXT),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(-10**6, 10**6).map(str),
        st.floats(-5, 60).map(lambda x: f"{x:.3g}"),
        st.text(max_size=20).filter(lambda t: "\x00" not in t),
    )


def weighted(*branches: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, chosen with the given integer weights (Hypothesis's one_of
    treats its branches alike)."""
    table = [s for weight, s in branches for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


def typed_values(name: str | None = None) -> st.SearchStrategy[Any]:
    """Values a TOML file can hold: of the parameter's type, near its range, or anything."""
    anything = st.one_of(
        st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
        st.text(max_size=12), st.lists(st.integers(0, 3), max_size=3),
        st.dictionaries(st.text(max_size=4), st.integers(0, 3), max_size=2))
    if name is None:
        return anything
    spec = PARAMS[name]
    if spec.kind in ("int", "float"):
        near = st.floats(spec.low - 1, spec.high + 1, allow_nan=False)
        exact = st.integers(int(spec.low) - 2, int(spec.high) + 2)
        return weighted((4, value_of(name)), (1, exact), (1, near), (1, anything))
    if spec.kind == "choice":
        return weighted((4, st.sampled_from(spec.choices)), (1, anything))
    if spec.kind == "bool":
        return weighted((4, st.booleans()), (1, anything))
    return anything
