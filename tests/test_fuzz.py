"""Fuzzing the command line: no traceback, no hang, no invalid value accepted.

Hypothesis generates ``--set`` values, parameter files, experiment files, scenario files and
network files, plus raw bytes for every reader; a fixed list of nasty cases runs first.
Every case goes through ``tis-sim`` in this process (``--dry-run``: checks everything,
runs and writes nothing) under a per-case alarm (``fuzz_support.CASE_SECONDS``). A case
fails on a traceback, a hang, an error that is not one line, or a verdict that disagrees
with the independent oracle of ``fuzz_support``. Examples are derandomized, so CI sees the
same cases every time; raise ``MAX_EXAMPLES`` locally to search wider.
"""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path

import pytest
import tomli_w
from fault_support import NODES
from fuzz_support import (
    SETTABLE,
    check,
    invoke,
    name_ok,
    params_ok,
    raw_values,
    text_ok,
    typed_values,
    value_ok,
    weighted,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.params import PARAMS, PRESETS

MAX_EXAMPLES = 50
FUZZ = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
TMP = Path("/nonexistent")  # replaced by the module's temporary folder (see the fixture)


@pytest.fixture(scope="module", autouse=True)
def folder(tmp_path_factory):
    global TMP
    TMP = tmp_path_factory.mktemp("fuzz")
    yield TMP


def _file(name: str, data: bytes | str) -> Path:
    path = TMP / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def _toml(data: dict) -> str:
    return tomli_w.dumps(data)


OUT = ("--dry-run", "--out")


# --- --set values ---------------------------------------------------------------------------

@st.composite
def assignments(draw):
    """``name`` and ``raw`` of ``--set name=raw``: a known name with an allowed value (as
    text) or anything, or an unknown name."""
    name = draw(weighted((4, st.sampled_from(SETTABLE)), (1, st.text(min_size=1, max_size=12))))
    allowed = typed_values(name).map(lambda v: str(v).lower() if isinstance(v, bool)
                                     else str(v)) if name in SETTABLE else raw_values()
    return name, draw(weighted((3, allowed), (1, raw_values())))


@FUZZ
@given(case=assignments())
def test_set_values(case):
    name, raw = case
    result = invoke("run", "--set", f"{name}={raw}", "--days", "2", *OUT, TMP / "out")
    key = f"{name}={raw}".partition("=")[0].strip()
    valid = key in PARAMS and PARAMS[key].kind != "text" and text_ok(key, raw) \
        and params_ok("default", {key: _typed(key, raw)})
    check(result, valid)


def _typed(name: str, raw: str):
    spec, raw = PARAMS[name], raw.strip()
    if spec.kind == "bool":
        return raw.lower() == "true"
    if spec.kind in ("int", "float"):
        value = float(raw)
        return int(value) if spec.kind == "int" else value
    return raw


# --- parameter files -----------------------------------------------------------------------

@st.composite
def param_files(draw):
    names = draw(st.lists(weighted((6, st.sampled_from(SETTABLE)), (1, st.text(max_size=8))),
                          max_size=3, unique=True))
    values = {n: draw(typed_values(n if n in PARAMS else None)) for n in names}
    layout = draw(st.sampled_from(["top", "table", "top", "table", "both", "not a table"]))
    if layout == "top":
        data = dict(values)
    elif layout == "table":
        data = {"params": values}
    elif layout == "both":
        data = {"params": values, "specialist_fte": 0.5}
    else:
        data = {"params": draw(st.one_of(st.integers(), st.text(), st.lists(st.integers())))}
    valid = layout in ("top", "table") and "params" not in values \
        and params_ok("default", values)
    return data, valid


@FUZZ
@given(case=param_files())
def test_parameter_files(case):
    data, valid = case
    path = _file("p.toml", _toml(data))
    check(invoke("run", "--config", path, "--days", "2", *OUT, TMP / "out"), valid)


# --- experiment files ------------------------------------------------------------------------

BASE_EXPERIMENT = {
    "experiment": {"name": "fz", "preset": "small_school", "days": 3, "seed": 1,
                   "replicates": 2},
    "sweep": {"specialist_fte": {"values": [0.2, 0.4]}},
}


def _int_key(low: int, high: int | None):
    """(value, valid) for an integer key allowed from low to high (None: no upper bound)."""
    over = st.integers(min_value=high + 1, max_value=high * 10**6) if high is not None \
        else st.integers(min_value=low)
    return weighted(
        (6, st.integers(low, low + 20).map(lambda v: (v, True))),
        (1, st.integers(max_value=low - 1).map(lambda v: (v, False))),
        (1, over.map(lambda v: (v, high is None))),
        (1, st.one_of(st.floats(), st.text(max_size=5), st.booleans(),
                      st.lists(st.integers(), max_size=2)).map(lambda v: (v, False))))


@st.composite
def experiment_mutation(draw):
    """One change to the base experiment, and its verdict: True/False for a key judged on
    its own, "design" for one judged with the rest of the design at the end, None for
    changes the oracle does not judge."""
    kind = draw(st.sampled_from(["replicates", "days", "seed", "name", "preset", "keep",
                                 "fixed", "values", "range", "unknown", "sampler"]))
    if kind in ("replicates", "days", "seed"):
        high = {"replicates": 100_000, "days": 18_000, "seed": 2**63 - 1}[kind]
        value, ok = draw(_int_key(0 if kind == "seed" else 1, high))
        return (lambda e, v=value, k=kind: e["experiment"].__setitem__(k, v)), ok, \
            f"experiment.{kind}"
    if kind == "name":
        value = draw(st.one_of(st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}",
                                             fullmatch=True), st.text(max_size=120)))
        return (lambda e, v=value: e["experiment"].__setitem__("name", v)), name_ok(value), \
            "experiment.name"
    if kind == "preset":
        value = draw(st.one_of(st.sampled_from(sorted(PRESETS)), st.text(max_size=6)))
        return (lambda e, v=value: e["experiment"].__setitem__("preset", v)), "design", \
            "experiment.preset"
    if kind == "keep":
        value, ok = draw(_int_key(0, None))  # above the horizon: the last day only
        return (lambda e, v=value: e.setdefault("keep", {}).__setitem__("daily_every", v)), \
            ok, "keep.daily_every"
    if kind == "fixed":
        name = draw(st.sampled_from([n for n in SETTABLE if n != "specialist_fte"]))
        value = draw(typed_values(name))
        return (lambda e, n=name, v=value: e.setdefault("fixed", {}).__setitem__(n, v)), \
            "design", f"fixed.{name}"
    if kind == "values":
        raw = draw(st.lists(typed_values("specialist_fte"), min_size=0, max_size=4))
        return (lambda e, v=raw: e["sweep"].__setitem__("specialist_fte", {"values": v})), \
            "design", "sweep.specialist_fte"
    if kind == "range":
        lo, hi = draw(typed_values("q_peer")), draw(typed_values("q_peer"))
        steps = draw(st.one_of(st.none(), st.integers(-2, 12), st.sampled_from(BIG)))
        table = {"range": [lo, hi]} | ({} if steps is None else {"steps": steps})
        return (lambda e, t=table: e["sweep"].__setitem__("q_peer", t)), "design", \
            "sweep.q_peer"
    if kind == "unknown":
        where = draw(st.sampled_from(["top", "experiment", "sweep.specialist_fte"]))
        key = draw(st.text(min_size=1, max_size=8).filter(
            lambda k, w=where: w != "top" or k not in BASE_EXPERIMENT))

        def add(e, w=where, k=key):
            table = e if w == "top" else e["experiment"] if w == "experiment" \
                else e["sweep"]["specialist_fte"]
            table[k] = 1
        known = {"top": ("experiment", "keep", "fixed", "sweep", "report", "sensitivity"),
                 "experiment": (*BASE_EXPERIMENT["experiment"], "description", "sampler",
                                "samples", "levels", "second_order", "years"),
                 "sweep.specialist_fte": ("values", "range", "steps", "distribution", "mode",
                                          "mean", "sd")}[where]
        return add, None if key in known else False, f"{where}.{key}"
    sampler = draw(st.sampled_from(["lhs", "sobol", "morris", "grid", "other"]))
    samples = draw(st.one_of(st.integers(-1, 40), st.sampled_from(BIG),
                             st.text(max_size=3), st.floats()))
    return (lambda e, s=sampler, n=samples: e["experiment"].update(sampler=s, samples=n)), \
        "design", "experiment.sampler"


BIG = (2**20 + 1, 10**12, 2**63)  # over the hard limits (values up to them are slow to check)


def _verdict(mutations, check_design) -> bool | None:
    """The last verdict for each key; None if the oracle judges any of them not."""
    verdicts = {}
    for _, verdict, key in mutations:
        verdicts[key] = verdict
    if None in verdicts.values():
        return None
    if not all(v for v in verdicts.values() if v != "design"):
        return False
    return check_design()


def design_ok(exp: dict) -> bool:
    """The oracle for preset, fixed values, swept dimensions and sampler together."""
    head = exp["experiment"]
    preset = head.get("preset", "default")
    if not isinstance(preset, str) or preset not in PRESETS:
        return False
    fixed, sweep = exp.get("fixed", {}), exp["sweep"]
    if set(fixed) & set(sweep) or not params_ok(preset, fixed):
        return False
    sampler = head.get("sampler", "grid")
    if sampler not in ("grid", "lhs", "sobol", "morris"):
        return False
    samples = head.get("samples")
    if sampler == "grid" and "samples" in head:
        return False
    if sampler != "grid":
        low = {"lhs": 1, "sobol": 2, "morris": 2}[sampler]
        if isinstance(samples, bool) or not isinstance(samples, int) \
                or not low <= samples <= 2**20:
            return False
        if sampler == "sobol" and samples & (samples - 1):
            return False
    for name, table in sweep.items():
        if "values" in table:
            values = table["values"]
            if not values or not all(value_ok(name, v) for v in values) \
                    or len({float(v) for v in values}) != len(values):
                return False
            if sampler != "grid" and len(values) < 2:
                return False
        else:
            lo, hi = table["range"]
            if not all(value_ok(name, x) for x in (lo, hi)) or not lo < hi:
                return False
            steps = table.get("steps")
            if sampler == "grid":
                if isinstance(steps, bool) or not isinstance(steps, int) \
                        or not 2 <= steps <= 10_000:
                    return False
            elif steps is not None:
                return False
        for value in table.get("values", []):
            if not params_ok(preset, {**fixed, name: value}):
                return False
    return True


@FUZZ
@given(mutations=st.lists(experiment_mutation(), max_size=3))
def test_experiment_files(mutations):
    exp = copy.deepcopy(BASE_EXPERIMENT)
    for apply, *_ in mutations:
        apply(exp)
    valid = _verdict(mutations, lambda: design_ok(exp))
    path = _file("e.toml", _toml(exp))
    check(invoke("sweep", path, *OUT, TMP / "out"), valid)


# --- scenario files --------------------------------------------------------------------------

BASE_STUDY = {
    "study": {"name": "fz", "days": 3, "replicates": 2, "seed": 1},
    "costs": {"currency": "USD", "fte_price": 75000},
    "baseline": {"preset": "small_school"},
    "scenarios": {"coach": {"policy": "support_style", "style": "coach"}},
}


@st.composite
def study_mutation(draw):
    kind = draw(st.sampled_from(["days", "replicates", "seed", "curve_every", "name",
                                 "baseline", "fte_price", "scenario", "unknown"]))
    if kind in ("days", "replicates", "seed", "curve_every"):
        low = {"days": 1, "replicates": 2, "seed": 0, "curve_every": 1}[kind]
        high = {"days": 18_000, "replicates": 100_000, "seed": 2**63 - 1,
                "curve_every": None}[kind]
        value, ok = draw(_int_key(low, high))
        return (lambda s, v=value, k=kind: s["study"].__setitem__(k, v)), ok, f"study.{kind}"
    if kind == "name":
        value = draw(st.one_of(st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}",
                                             fullmatch=True), st.text(max_size=120)))
        return (lambda s, v=value: s["study"].__setitem__("name", v)), name_ok(value), \
            "study.name"
    if kind == "baseline":
        name = draw(st.sampled_from(SETTABLE))
        value = draw(typed_values(name))
        return (lambda s, n=name, v=value: s["baseline"].__setitem__(n, v)), None, \
            f"baseline.{name}"
    if kind == "fte_price":
        value = draw(typed_values(None))
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0 \
            and value == value and value != float("inf")
        return (lambda s, v=value: s["costs"].__setitem__("fte_price", v)), ok, \
            "costs.fte_price"
    if kind == "scenario":
        name = draw(st.text(min_size=1, max_size=10))
        table = draw(st.dictionaries(st.sampled_from(["policy", "style", "fte", "share",
                                                      "cost", "from_day", "set", "x"]),
                                     typed_values(None), max_size=3))
        return (lambda s, n=name, t=table: s["scenarios"].__setitem__(n, t)), None, \
            f"scenarios.{name}"
    key = draw(st.text(min_size=1, max_size=8))
    table = draw(st.sampled_from(["study", "costs"]))
    known = {"study": ("name", "title", "description", "days", "replicates", "seed",
                       "curve_every", "rank_by"),
             "costs": ("currency", "fte_price", "per_money")}[table]
    return (lambda s, t=table, k=key: s[t].__setitem__(k, 1)), \
        None if key in known else False, f"{table}.{key}"


@FUZZ
@given(mutations=st.lists(study_mutation(), max_size=3))
def test_scenario_files(mutations):
    study = copy.deepcopy(BASE_STUDY)
    for apply, *_ in mutations:
        apply(study)
    valid = _verdict(mutations, lambda: True)
    path = _file("s.toml", _toml(study))
    check(invoke("whatif", path, *OUT, TMP / "out"), valid)


# --- network files ---------------------------------------------------------------------------

IDS = ["a", "b", "c", "d", "e", "f"]
NASTY_IDS = ["é", " x y ", "a,b", 'q"', "", "a\nb"]


@st.composite
def networks(draw):
    """A node table and an edge list as rows, and whether the pair is valid."""
    rows = draw(st.lists(st.tuples(
        weighted((8, st.sampled_from(IDS)), (1, st.sampled_from(NASTY_IDS))),
        weighted((8, st.sampled_from(["s1", "s2"])), (1, st.just(""))),
        weighted((8, st.sampled_from(["d1", "d2"])), (1, st.just(""))),
        weighted((6, st.just("teacher")), (2, st.just("specialist")),
                 (1, st.sampled_from(["Teacher", "SPECIALIST", "boss", ""])))),
        min_size=0, max_size=6, unique_by=lambda r: r[0]))
    known = [r[0] for r in rows] or IDS
    ties = [(s, t) for s in known for t in known if s != t] or [("a", "b")]
    ends = st.sampled_from(IDS + NASTY_IDS)
    edges = draw(st.lists(weighted((8, st.sampled_from(ties)), (1, st.tuples(ends, ends))),
                          max_size=6))
    ids = [r[0].strip() for r in rows]
    ok = bool(rows) and all(ids) and len(set(ids)) == len(ids)
    ok = ok and all(r[3].lower() in ("teacher", "specialist") and r[1] for r in rows)
    ok = ok and all(r[2] for r in rows if r[3].lower() == "teacher")
    schools = {r[1] for r in rows if r[3].lower() == "teacher"}
    ok = ok and all(r[1] in schools for r in rows if r[3].lower() == "specialist")
    ok = ok and all(s.strip() in ids and t.strip() in ids and s.strip() != t.strip()
                    for s, t in edges)
    return rows, edges, ok


def _csv(header: list[str], rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@FUZZ
@given(case=networks(), encoding=weighted((6, st.just("utf-8")), (1, st.just("utf-8-sig")),
                                          (1, st.sampled_from(["utf-16", "cp1252"]))))
def test_network_files(case, encoding):
    rows, edges, ok = case
    node_text = _csv(["id", "school", "department", "role"], rows)
    edge_text = _csv(["source", "target"], edges)
    readable = encoding.startswith("utf-8") or all(ord(c) < 128 for c in node_text + edge_text)
    if encoding == "utf-16":
        readable = False
    nodes = _file("n.csv", node_text.encode(encoding))
    edge_file = _file("e.csv", edge_text.encode(encoding))
    result = invoke("run", "--set", f"nodes_file={nodes}", "--set",
                    f"network_file={edge_file}", "--days", "2", *OUT, TMP / "out")
    check(result, ok and readable)


# --- raw bytes and arbitrary tables, for every reader ---------------------------------------

READERS = {
    "config": lambda p: ("run", "--config", p, "--days", "2"),
    "experiment": lambda p: ("sweep", p),
    "sensitivity": lambda p: ("sensitivity", p),
    "scenario": lambda p: ("whatif", p),
    "nodes": lambda p: ("run", "--set", f"nodes_file={p}", "--set",
                        f"network_file={_file('e0.csv', 'source,target')}", "--days", "2"),
    "edges": lambda p: ("run", "--set", f"network_file={p}", "--set",
                        f"nodes_file={_file('n0.csv', NODES)}", "--days", "2"),
}
TABLES = st.recursive(
    st.one_of(st.booleans(), st.integers(-10**30, 10**30), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=12)


@FUZZ
@given(reader=st.sampled_from(sorted(READERS)), data=st.one_of(
    st.binary(max_size=200), st.text(max_size=200).map(lambda t: t.encode("utf-8")),
    st.dictionaries(st.sampled_from(["experiment", "study", "sweep", "fixed", "baseline",
                                     "scenarios", "costs", "params", "sensitivity", "x"]),
                    TABLES, max_size=4).map(lambda d: tomli_w.dumps(d).encode("utf-8"))))
def test_any_bytes_in_any_reader(reader, data):
    path = _file("any.toml" if reader not in ("nodes", "edges") else "any.csv", data)
    check(invoke(*READERS[reader](path), *OUT, TMP / "out"), None)


# --- fixed nasty cases -----------------------------------------------------------------------

NASTY_FILES = {
    "empty": b"",
    "only a BOM": b"\xef\xbb\xbf",
    "NUL": b"\x00",
    "lone CR": b"seed = 1\rname = 'x'\r",
    "CRLF": b"[experiment]\r\nseed = 1\r\n",
    "deep arrays": b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "deep tables": b"a = " + b"{b = " * 2000 + b"1" + b"}" * 2000 + b"\n",
    "many keys": b"".join(b"k%d = %d\n" % (i, i) for i in range(20000)),
    "surrogate": b"name = '\xed\xa0\x80'\n",
    "overlong UTF-8": b"name = '\xc0\xaf'\n",
    "UTF-16 BE BOM": "seed = 1\n".encode("utf-16-be").join([b"\xfe\xff", b""]),
    "UTF-32": "seed = 1\n".encode("utf-32"),
    "PNG": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "a date": b"[experiment]\nseed = 1979-05-27\n[params]\nspecialist_fte = 07:32:00\n",
    "huge integer": b"[experiment]\nseed = 99999999999999999999999\n",
    "too large": b"#" * (17 * 2**20),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("case", list(NASTY_FILES))
def test_nasty_files(case, reader):
    path = _file("nasty.toml" if reader not in ("nodes", "edges") else "nasty.csv",
                 NASTY_FILES[case])
    result = invoke(*READERS[reader](path), *OUT, TMP / "out")
    check(result, None)
    if case in ("NUL", "surrogate", "overlong UTF-8", "UTF-32", "PNG", "too large",
                "UTF-16 BE BOM"):
        assert result.code == 2 and str(path) in result.err


NASTY_ARGS = [
    ("run", "--days", "-1"), ("run", "--days", "0"), ("run", "--days", "1e3"),
    ("run", "--years", str(10**30)), ("run", "--seed", "-1"), ("run", "--seed", str(2**63)),
    ("run", "--seed", "x"), ("run", "--set", "=1"), ("run", "--set", "specialist_fte"),
    ("run", "--set", "specialist_fte=="), ("run", "--preset", "nope"),
    ("sweep", "/dev/null"), ("sweep", "/"), ("sweep", "does-not-exist.toml"),
    ("sweep", "--workers", "0", "x.toml"), ("sweep", "--worker-timeout", "0", "x.toml"),
    ("sweep", "--worker-timeout", "nan", "x.toml"), ("sweep", "--backend", "gpu", "x.toml"),
    ("whatif", "--replicates", "1", "x.toml"), ("whatif", "--days", "0", "x.toml"),
    ("report", "/"), ("report", "/dev/null"), ("report", "does-not-exist"),
]


@pytest.mark.parametrize("args", NASTY_ARGS, ids=" ".join)
def test_nasty_arguments_are_one_line_errors(args):
    result = invoke(*args)
    check(result, False)
