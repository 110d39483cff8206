"""Words and numbers of a what-if report: formatting, and the plain-language summary.

The summary is generated from the study's tables: the ranking, each verdict ("better",
"worse", "no detectable difference") and each cost ratio come from the intervals, so the
text can never claim more than the numbers show.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.whatif.stats import EFFECT_NAMES, LEVEL, MEASURES

if TYPE_CHECKING:
    from sim.whatif.analysis import Analysis


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


def fmt_ci(low: float, high: float, unit: str, kind: str = "CI") -> str:
    """``95% CI low to high`` in the unit's format (``ratio``: two decimals; ``money``).

    ``kind``: ``CI`` (confidence interval) or ``UI`` (uncertainty interval: parameters
    and chance). Equal bounds (every pair, world or resample the same) are not an
    interval: ``no spread: no interval``.
    """
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{LEVEL:.0%} {kind} n/a"
    if low == high:
        return "no spread: no interval"
    if unit == "ratio":
        return f"{LEVEL:.0%} {kind} {low:+.2f} to {high:+.2f}"
    if unit == "money":
        return f"{LEVEL:.0%} {kind} {low:,.0f} to {high:,.0f}"
    return f"{LEVEL:.0%} {kind} {fmt_diff(low, unit)} to {fmt_diff(high, unit)}"


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


def _verdict(r: dict) -> str:
    """The verdict in words; a difference without spread says why it is undecided."""
    if r.get("no_spread") and not r["better"]:
        return ("no difference in any pair" if r["difference"] == 0 else "the same "
                "difference in every pair, too few to decide (sign test)")
    return VERDICT[int(r["better"])]


def _effect(d: dict, key: str) -> str:
    """``label +1.2 (95% CI ...)``; with worlds the uncertainty interval and world count."""
    r = d[key]
    unit = MEASURES[key].unit
    text = f"{MEASURES[key].label} {fmt_diff(r['difference'], unit)}"
    if r.get("worlds", 1) > 1 and np.isfinite(r["ui_low"]):
        better = round(r["share_better"] * r["worlds"])
        return (text + f" ({fmt_ci(r['ui_low'], r['ui_high'], unit, 'UI')}; better in "
                f"{better} of {r['worlds']} worlds)")
    return text + f" ({fmt_ci(r['ci_low'], r['ci_high'], unit)})"


def icer_text(e: dict, currency: str, what: str) -> str:
    """The ICER of one scenario in words, or why there is none."""
    if e["status"] == "ICER":
        return (f"{money(e['icer'], currency)} per extra {what} "
                + (f"({fmt_ci(e['icer_low'], e['icer_high'], 'money')})"
                   if np.isfinite(e["icer_low"]) else f"(interval {e['icer_note']})"))
    if e["status"] == "cheaper, less effective":
        return f"saves {money(e['icer'], currency)} per {what} fewer"
    return e["icer_note"] or e["status"]


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
    eff = {(r["scenario"], r["effect"]): r for r in a.effectiveness.to_dict("records")}
    base = diff[(a.order[0], head)]["baseline_mean"] if a.order else np.nan
    worlds = f" in each of {s.n_worlds} parameter worlds" if s.n_worlds > 1 else ""
    lines = [
        f"Ranked by the change in **{measure.label}** after {s.days} school days against "
        f"today's district (baseline: {MEASURES[head].label} "
        f"{fmt_level(base, MEASURES[head].unit)}, of {int(scen.loc['baseline', 'teachers'])}"
        f" teachers), {s.replicates} paired replicates{worlds}:", "",
    ]
    for i, sc in enumerate(a.order, start=1):
        d = {k: diff[(sc, k)] for k in MEASURES if (sc, k) in diff}
        r = scen.loc[sc]
        verdict = _verdict(d[rank])
        text = (f"{i}. **{r['label']}**: {_effect(d, head)}: {verdict}. "
                f"{_upper_first(_effect(d, second))}.")
        e = eff.get((sc, s.effect))
        if e is not None and (e["d_cost"] > 0 or r["cost_total"] > 0):
            text += (f" Costs {money(e['d_cost'], s.currency)} over {r['years_active']:.3g} "
                     f"years: {icer_text(e, s.currency, EFFECT_NAMES[s.effect][0])}.")
            if r["fte_years"] > 0:
                text += (f" {e['d_effect'] / r['fte_years']:+.1f} "
                         f"{EFFECT_NAMES[s.effect][1]} per added staff FTE-year.")
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
    lines += ["", _bottom_line(a)]
    return lines


def _bottom_line(a: Analysis) -> str:
    """Which scenarios help with confidence, and which lie on the efficient frontier."""
    s = a.study
    d = a.differences[a.differences["outcome"] == s.rank_by].set_index("scenario")
    helps = [sc for sc in a.order if d.loc[sc, "better"] == 1]
    labels = a.scenarios.set_index("scenario")["label"]
    sure = "in 95% of plausible worlds" if s.n_worlds > 1 else f"with {LEVEL:.0%} confidence"
    if not helps:
        return (f"**Bottom line:** no scenario changes {MEASURES[s.rank_by].label} {sure} "
                "over this horizon.")
    text = (f"**Bottom line:** {len(helps)} of {len(a.order)} scenarios improve "
            f"{MEASURES[s.rank_by].label} {sure} ("
            + ", ".join(labels[sc] for sc in helps) + ").")
    front = a.frontier[a.frontier["status"] == "frontier"].sort_values("cost")
    if len(front) > 1:
        text += (" Efficient frontier (cost per extra "
                 f"{EFFECT_NAMES[s.effect][0]} against the previous step): "
                 + " → ".join(labels[r.scenario] + (f" ({money(r.icer, s.currency)})"
                                                    if np.isfinite(r.icer) else "")
                              for r in front.itertuples()) + ".")
    return text
