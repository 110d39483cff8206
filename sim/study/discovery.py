"""Scenario discovery with PRIM: regions of the inputs where a condition holds.

The Patient Rule Induction Method (Friedman & Fisher 1999, *Stat Comput* 9:123) peels a
box off the input space step by step, keeping the cases of interest inside; scenario
discovery (Bryant & Lempert 2010, *Technol Forecast Soc Change* 77:34) reports each box
with its *coverage* (the share of all cases of interest inside the box), *density* (the
share of cases inside the box that are of interest) and the limits of the restricted
inputs. We use EMA Workbench's implementation (Kwakkel 2017), an optional dependency:
install the ``analysis`` extra.

Box choice: PRIM's peeling trajectory trades coverage for density; among the boxes whose
density reaches ``density`` (default 0.8) we take the one with the largest product
coverage × density (a balance of the two, like an F-score), else the densest box, and
look for further boxes among the cases left outside, up to ``max_boxes``.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import UserError, require_extra
from sim.study import figures
from sim.study.outputs import param_label

_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")


class DiscoveryError(UserError):
    """Discovery cannot run: a malformed condition, or PRIM failed on the data."""


@dataclass(frozen=True)
class Box:
    """One PRIM box: its quality and the limits of every input it restricts."""

    coverage: float
    density: float
    mass: float
    cases: int
    limits: pd.DataFrame  # parameter, low, high (numbers) or values (choices)


@dataclass(frozen=True)
class Discovery:
    """The result: how many cases, how many of interest, and the boxes found."""

    cases: int
    of_interest: int
    density_target: float
    boxes: list[Box] = field(default_factory=list)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)


def parse_condition(text: str) -> tuple[str, str, float]:
    """``"final_users_share<0.3"`` -> (output, operator, threshold).

    Raises:
        DiscoveryError: the text is not OUTPUT<THRESHOLD (or >, <=, >=).
    """
    m = _CONDITION.match(text)
    if not m:
        raise DiscoveryError(f"--discover {text!r} is not allowed; expected OUTPUT<THRESHOLD "
                             "(or >, <=, >=), e.g. 'final_users_share<0.3'")
    try:
        value = float(m.group(3))
    except ValueError:
        raise DiscoveryError(f"--discover {text!r}: {m.group(3)!r} is not a number") from None
    return m.group(1), m.group(2), value


def holds(values: np.ndarray, op: str, threshold: float) -> np.ndarray:
    """Elementwise ``values OP threshold`` (NaN never holds)."""
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return {"<": v < threshold, ">": v > threshold, "<=": v <= threshold,
                ">=": v >= threshold}[op] & np.isfinite(v)


def _prim():
    with warnings.catch_warnings():  # EMA warns about optional parallel back-ends
        warnings.simplefilter("ignore")
        require_extra("analysis", "scenario discovery (PRIM)", "ema_workbench.analysis.prim")
        from ema_workbench.analysis import prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim


def _limits(box_lims: pd.DataFrame, initial: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for col in box_lims.columns:
        lo, hi = box_lims[col].iloc[0], box_lims[col].iloc[1]
        if isinstance(lo, set):
            if lo != initial[col].iloc[0]:
                rows.append({"parameter": col, "low": np.nan, "high": np.nan,
                             "values": ", ".join(sorted(map(str, lo)))})
        elif lo > initial[col].iloc[0] or hi < initial[col].iloc[1]:
            rows.append({"parameter": col, "low": float(lo), "high": float(hi), "values": ""})
    return pd.DataFrame(rows, columns=["parameter", "low", "high", "values"])


def discover(x: pd.DataFrame, y: np.ndarray, density: float = 0.8,
             max_boxes: int = 2) -> Discovery:
    """PRIM boxes for the cases where ``y`` is True.

    Args:
        x: one row per case, one column per input (numbers, or text for choices).
        y: True for the cases of interest, shape (len(x),).
        density: the density a box should reach.
        max_boxes: boxes to look for at most.

    Raises:
        DiscoveryError: the ``analysis`` extra (EMA Workbench) is not installed, or PRIM
            failed on these data.
    """
    y = np.asarray(y, dtype=bool)
    ranges = {c: (float(x[c].min()), float(x[c].max())) for c in x
              if pd.api.types.is_numeric_dtype(x[c])}
    result = Discovery(len(y), int(y.sum()), density, [], ranges)
    if y.all() or not y.any() or x.shape[1] == 0:
        return result
    prim = _prim()
    data = x.reset_index(drop=True).copy()
    for c in data:  # floats (PRIM pastes fractional limits) or categories
        if pd.api.types.is_numeric_dtype(data[c]):
            data[c] = data[c].astype(float)
        else:
            data[c] = data[c].astype(str).astype("category")
    base = y.mean()
    try:
        _boxes(prim.Prim(data, y.astype(int), threshold=base / 2), result, density,
               max_boxes, base)
    except Exception as exc:  # a failure inside the library: one line, not a traceback
        raise DiscoveryError(f"PRIM failed ({type(exc).__name__}: {exc})") from None
    return result


def _boxes(finder, result: Discovery, density: float, max_boxes: int, base: float) -> None:
    """Find up to ``max_boxes`` boxes (see the module doc for the choice of each)."""
    for _ in range(max_boxes):
        box = finder.find_box()
        if box is None:
            break
        t = box.peeling_trajectory
        dense = t[t["density"] >= density]
        i = int((dense["coverage"] * dense["density"]).idxmax()) if len(dense) else \
            int(t["density"].idxmax())
        box.select(i)
        row = t.loc[i]
        if row["density"] <= base or row["res_dim"] == 0:
            break
        result.boxes.append(Box(float(row["coverage"]), float(row["density"]),
                                float(row["mass"]), int(row["n"]),
                                _limits(box.box_lims[i], box.box_lims[0])))


def markdown(d: Discovery, what: str) -> list[str]:
    """Report lines: the cases, then each box with its coverage, density and limits."""
    lines = [f"{d.of_interest} of {d.cases} cases: {what}."]
    if d.of_interest in (0, d.cases):
        return [*lines, "", "Nothing to discover: the condition holds in "
                + ("none" if d.of_interest == 0 else "all") + " of the cases."]
    if not d.boxes:
        return [*lines, "", "PRIM found no box denser than the whole input space."]
    for n, b in enumerate(d.boxes, start=1):
        where = "; ".join(
            f"{param_label(r.parameter)} in {r['values']}" if r["values"] else
            f"{param_label(r.parameter)} {r.low:.3g} to {r.high:.3g}"
            for r in (b.limits.iloc[j] for j in range(len(b.limits))))
        lines += ["", f"- **Box {n}**: coverage {b.coverage:.0%} (of the cases of interest "
                  f"inside it), density {b.density:.0%} (of the {b.cases} cases inside, the "
                  f"share of interest), mass {b.mass:.0%}: {where}."]
    return lines


def box_figure(d: Discovery, path: Path, fmt: str, title: str) -> Path | None:
    """Each box's limits within the inputs' ranges, one row per restricted input."""
    if not d.boxes:
        return None
    rows = [(n, r) for n, b in enumerate(d.boxes, start=1) for _, r in b.limits.iterrows()
            if not r["values"] and r.parameter in d.ranges]
    if not rows:
        return None
    with figures.style():
        fig, ax = plt_subplots(len(rows))
        for y, (n, r) in enumerate(rows):
            lo, hi = d.ranges[r.parameter]
            span = (hi - lo) or 1.0
            ax.plot([0, 1], [y, y], color=figures.UNCLEAR, lw=1, ls=":")
            ax.plot([(r.low - lo) / span, (r.high - lo) / span], [y, y], lw=6,
                    color=figures.PALETTE[(n - 1) % len(figures.PALETTE)],
                    solid_capstyle="butt")
            ax.text(1.02, y, f"{r.low:.3g} to {r.high:.3g}\n(of {lo:.3g} to {hi:.3g})",
                    va="center", fontsize=8)
        ax.set_yticks(range(len(rows)), [f"box {n}: {param_label(r.parameter)}"
                                         for n, r in rows])
        ax.set_xlim(0, 1.35)
        ax.set_xticks([0, 0.5, 1], ["lowest", "middle", "highest"])
        ax.set_xlabel("position within the sampled range")
        ax.invert_yaxis()
        ax.set_title(title)
        return figures.save(fig, path, fmt)


def plt_subplots(n_rows: int):
    """A page-wide figure with one row per restricted input."""
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figures.size(height=1.0 + 0.35 * n_rows))
