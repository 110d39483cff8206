"""Words and numbers of a what-if report: formatting, and the plain-language summary.

The summary is generated from the study's tables: the ranking, each verdict ("better",
"worse", "no detectable difference") and each cost ratio come from the intervals, so the
text can never claim more than the numbers show.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.whatif.stats import EFFECT_COUNTS, LEVEL, MEASURES

if TYPE_CHECKING:
    from sim.whatif.report import Analysis


def fmt_diff(value: float, unit: str) -> str:
    """A difference: shares in percentage points, days whole, counts with one decimal."""
    if not np.isfinite(value):
        return "n/a"
    if unit == "share":
        return f"{value * 100:+.1f} pts"
    if unit == "days":
        return f"{value:+.0f} days"
    return f"{value:+.1f}"


def fmt_level(value: float, unit: str) -> str:
    """A level: shares as percentages, days whole, counts with one decimal."""
    if not np.isfinite(value):
        return "n/a"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "days":
        return f"{value:.0f} days"
    return f"{value:.1f}"


def fmt_ci(low: float, high: float, unit: str) -> str:
    """``95% CI low to high`` in the unit's format (``ratio``: two decimals)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{LEVEL:.0%} CI n/a"
    if unit == "ratio":
        return f"{LEVEL:.0%} CI {low:+.2f} to {high:+.2f}"
    return f"{LEVEL:.0%} CI {fmt_diff(low, unit)} to {fmt_diff(high, unit)}"


def money(amount: float, currency: str) -> str:
    """``USD 75,000``."""
    return f"{currency} {amount:,.0f}"


def markdown_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table (pipes in cells are escaped)."""
    def cell(x: object) -> str:
        return str(x).replace("|", "\\|")

    out = ["| " + " | ".join(map(cell, head)) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(map(cell, r)) + " |" for r in rows]
    return "\n".join(out)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


VERDICT = {1: "better than today", -1: "worse than today", 0: "no detectable difference"}


def _effect(d: dict, key: str) -> str:
    r = d[key]
    unit = MEASURES[key].unit
    return (f"{MEASURES[key].label} {fmt_diff(r['difference'], unit)} "
            f"({fmt_ci(r['ci_low'], r['ci_high'], unit)})")


def summary_lines(a: Analysis) -> list[str]:
    """The ranked plain-language summary, one Markdown line per scenario plus a verdict."""
    s = a.study
    rank = s.rank_by
    measure = MEASURES[rank]
    # Counts are the friendlier headline for shares that have one (INTEGRATED, users).
    head = {share: count for count, share in
            (("integrated_teachers", "final_integrated_share"),
             ("user_teachers", "final_users_share"))}.get(rank, rank)
    second = "final_users_share" if rank != "final_users_share" else "final_integrated_share"
    diff = {(r["scenario"], r["outcome"]): r for r in a.differences.to_dict("records")}
    scen = a.scenarios.set_index("scenario")
    eff = a.effectiveness.set_index("scenario")
    base = diff[(a.order[0], head)]["baseline_mean"] if a.order else np.nan
    lines = [
        f"Ranked by the change in **{measure.label}** after {s.days} school days against "
        f"today's district (baseline: {MEASURES[head].label} "
        f"{fmt_level(base, MEASURES[head].unit)}, of {int(scen.loc['baseline', 'teachers'])}"
        f" teachers), {s.replicates} paired replicates each:", "",
    ]
    for i, sc in enumerate(a.order, start=1):
        d = {k: diff[(sc, k)] for k in MEASURES if (sc, k) in diff}
        r = scen.loc[sc]
        verdict = VERDICT[int(d[rank]["better"])]
        text = (f"{i}. **{r['label']}**: {_effect(d, head)}: {verdict}. "
                f"{_upper_first(_effect(d, second))}.")
        cost = r["cost_total"]
        if cost > 0:
            e = eff.loc[sc]
            k = f"{EFFECT_COUNTS[0]}_per_fte_year"
            text += (f" Costs {money(cost, s.currency)} over {r['years_active']:.3g} years "
                     f"({r['fte_years']:.2f} FTE-years): {e[k]:+.2f} INTEGRATED teachers "
                     f"per FTE-year ({fmt_ci(e[k + '_low'], e[k + '_high'], 'ratio')}).")
        else:
            text += " No extra cost."
        others = [k for k in MEASURES if k not in (rank, head, second) and k not in
                  ("integrated_teachers", "user_teachers") and d[k]["n"] >= 2]
        worse = [_effect(d, k) for k in others if d[k]["better"] == -1]
        better = [_effect(d, k) for k in others if d[k]["better"] == 1]
        if better:
            text += " Also better: " + "; ".join(better) + "."
        if worse:
            text += " But worse: " + "; ".join(worse) + "."
        lines.append(text)
    lines += ["", _bottom_line(a, head)]
    return lines


def _bottom_line(a: Analysis, head: str) -> str:
    """Which scenarios help with confidence, and which gives the most per FTE-year."""
    s = a.study
    d = a.differences[a.differences["outcome"] == s.rank_by].set_index("scenario")
    helps = [sc for sc in a.order if d.loc[sc, "better"] == 1]
    labels = a.scenarios.set_index("scenario")["label"]
    if not helps:
        return (f"**Bottom line:** no scenario changes {MEASURES[s.rank_by].label} with "
                f"{LEVEL:.0%} confidence over this horizon.")
    eff = a.effectiveness.set_index("scenario")
    col = f"{EFFECT_COUNTS[0]}_per_fte_year"
    paid = [sc for sc in helps if np.isfinite(eff.loc[sc, col])]
    free = [sc for sc in helps if sc not in paid]
    text = (f"**Bottom line:** {len(helps)} of {len(a.order)} scenarios improve "
            f"{MEASURES[s.rank_by].label} with {LEVEL:.0%} confidence ("
            + ", ".join(labels[sc] for sc in helps) + ").")
    if paid:
        best = max(paid, key=lambda sc: eff.loc[sc, col])
        text += (f" Among those with a cost, **{labels[best]}** buys the most: "
                 f"{eff.loc[best, col]:+.2f} INTEGRATED teachers per FTE-year.")
    if free:
        text += " At no extra cost: " + ", ".join(labels[sc] for sc in free) + "."
    return text
