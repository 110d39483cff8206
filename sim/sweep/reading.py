"""A plain-language reading of a sweep, computed from its numbers (never canned text).

For a grid, each swept parameter is moved from its lowest to its highest value while the
others stay at a reference level (the grid value nearest the model default), and the
change of each output is reported with its replicate-paired 95% interval; the sentence also
says at how many levels of the other parameters the same direction holds. For sampled
designs, Spearman rank correlations between inputs and outputs are described instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.params import resolve
from sim.study.design import column
from sim.study.experiment import Experiment
from sim.sweep.analysis import Interval, fmt, paired_change, rank_correlations

OUTPUT_LABELS = {
    "final_users_share": "final users share",
    "final_any_user_share": "share of staff using at least one innovation",
    "final_integrated_share": "final INTEGRATED share",
    "independent_user_share": "independent share of users",
    "time_troubleshooting": "specialists' troubleshooting share of time",
    "time_coaching": "specialists' coaching share of time",
    "unreachable_share": "share of teachers unreachable one-to-one",
    "never_reached_share": "share of teachers never reached by their specialist",
    "days_to_25": "restricted mean days to 25% users of the first innovation",
    "days_to_50": "restricted mean days to 50% users of the first innovation",
}


def label(output: str) -> str:
    """Human name of a summary output."""
    return OUTPUT_LABELS.get(output, output.replace("_", " "))


def _verb(diff: Interval) -> str:
    if not diff.excludes_zero:
        return "does not clearly change"
    return "raises" if diff.mean > 0 else "lowers"


def reference_levels(df: pd.DataFrame, exp: Experiment) -> dict[str, float]:
    """For each swept column, the grid value nearest the model default.

    For a choice parameter: its default if it was swept, else the first value.
    """
    base = resolve(exp.preset, **exp.fixed)
    refs: dict[str, object] = {}
    for d in exp.dims:
        values = sorted(df[column(d.name)].unique())
        if d.spec.kind in ("int", "float"):
            x = np.array(values, dtype=float)
            refs[column(d.name)] = float(x[np.argmin(np.abs(x - float(base[d.name])))])
        else:  # a choice: the default if it was swept, else the first value
            refs[column(d.name)] = base[d.name] if base[d.name] in values else values[0]
    return refs


def _consistency(df: pd.DataFrame, col: str, lo: object, hi: object, output: str,
                 others: Sequence[str], sign: float) -> str:
    """How many combinations of the other swept values show the same clear direction."""
    if not others:
        return ""
    combos = df[list(others)].drop_duplicates().to_dict("records")
    same = sum(
        1 for at in combos
        if (d := paired_change(df, col, lo, hi, output, at)[2]).excludes_zero
        and np.sign(d.mean) == sign
    )
    names = " x ".join(o.removeprefix("param_") for o in others)
    return (f" The same clear direction holds at {same} of {len(combos)} levels of "
            f"{names}.")


def grid_reading(df: pd.DataFrame, exp: Experiment, outputs: Sequence[str]) -> list[str]:
    """One sentence per (swept parameter, output) for a grid design."""
    refs = reference_levels(df, exp)
    sentences = []
    for d in exp.dims:
        col = column(d.name)
        values = sorted(df[col].unique())
        if len(values) < 2:
            continue
        numeric = d.spec.kind in ("int", "float")
        # Numbers: lowest against highest. Choices: the reference against each other one.
        pairs = [(values[0], values[-1])] if numeric else \
            [(refs[col], v) for v in values if v != refs[col]]
        at = {c: v for c, v in refs.items() if c != col}
        where = ", ".join(f"{c.removeprefix('param_')} = {fmt(v)}" for c, v in at.items())
        for (lo, hi), out in ((pair, out) for pair in pairs for out in outputs):
            a, b, diff = paired_change(df, col, lo, hi, out, at)
            if a.n == 0 or b.n == 0:
                continue
            text = (f"{'Raising' if numeric else 'Switching'} **{d.name}** from {fmt(lo)} to "
                    f"{fmt(hi)}"
                    + (f" (at {where})" if where else "")
                    + f" {_verb(diff)} the {label(out)}: from {a.text()} to {b.text()}; "
                    f"paired difference {diff.mean:+.2f}"
                    + (f" (the same in all {diff.n} replicate pairs: no interval)."
                       if diff.no_spread else
                       f" (95% CI {diff.low:+.2f} to {diff.high:+.2f}, {diff.n} replicate "
                       "pairs)." if diff.n >= 2 else "."))
            if diff.excludes_zero:
                text += _consistency(df, col, lo, hi, out, list(at), float(np.sign(diff.mean)))
            sentences.append(text)
    return sentences


def sampled_reading(df: pd.DataFrame, exp: Experiment, outputs: Sequence[str],
                    threshold: float = 0.2) -> list[str]:
    """Inputs that move each output, by Spearman rank correlation over all runs."""
    # Rank correlation needs ordered inputs: choice parameters are left to the tables.
    cols = [column(d.name) for d in exp.dims if d.spec.kind in ("int", "float")]
    rho = rank_correlations(df, cols, outputs)
    sentences = []
    for out, group in rho.groupby("output", sort=False):
        strong = group[group["spearman"].abs() >= threshold].sort_values(
            "spearman", key=np.abs, ascending=False)
        if strong.empty:
            sentences.append(f"No swept parameter has a rank correlation of {threshold} or "
                             f"more with the {label(out)}.")
            continue
        parts = [f"{'rises' if r.spearman > 0 else 'falls'} with "
                 f"**{r.input.removeprefix('param_')}** (Spearman {r.spearman:+.2f})"
                 for r in strong.itertuples()]
        sentences.append(f"The {label(out)} " + "; ".join(parts)
                         + f" (over {int(group['n'].max())} runs).")
    return sentences


def reading(df: pd.DataFrame, exp: Experiment, outputs: Sequence[str]) -> list[str]:
    """The computed sentences for this sweep's design."""
    if not exp.dims:
        return []
    if exp.sampler == "grid":
        return grid_reading(df, exp, outputs)
    return sampled_reading(df, exp, outputs)


def describe_range(stats: pd.DataFrame, outputs: Sequence[str],
                   by: Mapping[str, str] | None = None) -> list[str]:
    """'The final users share ranges from X (cell ...) to Y (cell ...)' per output."""
    sentences = []
    for out in outputs:
        s = stats[stats["output"] == out].dropna(subset=["mean"])
        if len(s) < 2:
            continue
        lo, hi = s.loc[s["mean"].idxmin()], s.loc[s["mean"].idxmax()]

        def cell(row: pd.Series) -> str:
            return ", ".join(f"{c.removeprefix('param_')} = {fmt(row[c])}"
                             for c in (by or {}) if c in row)

        sentences.append(f"Across the design, cell means of the {label(out)} range from "
                         f"{lo['mean']:.2f} ({cell(lo)}) to {hi['mean']:.2f} ({cell(hi)}).")
    return sentences
