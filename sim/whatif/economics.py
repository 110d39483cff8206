"""Cost-effectiveness as in health-economic evaluation: ICER, frontier, NMB, CEAC.

Following Drummond et al. (2015), *Methods for the Economic Evaluation of Health Care
Programmes*, 4th ed., ch. 4, and Briggs, Claxton & Sculpher (2006), *Decision Modelling
for Health Economic Evaluation*, ch. 5 and 7:

- incremental cost ΔC (extra spending over the horizon) and effect ΔE (extra teachers,
  paired replicate differences) of each scenario against the baseline;
- the incremental cost-effectiveness ratio ICER = ΔC / ΔE (cost per extra INTEGRATED
  teacher, per extra user), with a percentile bootstrap interval over the paired
  replicates (or over worlds, with parameter uncertainty). A ratio's interval exists only
  when every resampled ΔE has one sign; otherwise it is reported as undefined and the net
  monetary benefit answers instead;
- dominance and extended dominance across all scenarios, leaving the efficient frontier
  with ICERs between its neighbours (Cantor 1994, *Med Decis Making* 14:259);
- net monetary benefit NMB = λ · E - C at the willingness to pay λ (Stinnett & Mullahy
  1998, *Med Decis Making* 18:S68) and the cost-effectiveness acceptability curve: the
  probability that each scenario has the highest NMB, as λ varies (van Hout et al. 1994;
  Fenwick, Claxton & Sculpher 2001).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from sim.study.intervals import LEVEL
from sim.whatif.robust import best_shares, resampled_means, resamples, world_means


def status(d_cost: float, d_effect: float) -> str:
    """Quadrant of the cost-effectiveness plane against the baseline."""
    if not (np.isfinite(d_cost) and np.isfinite(d_effect)):
        return "n/a"
    if d_effect > 0:
        return "dominant" if d_cost <= 0 else "ICER"
    if d_effect < 0:
        return "dominated" if d_cost >= 0 else "cheaper, less effective"
    return "no effect" if d_cost > 0 else "no effect, no cost"


def _pct(x: np.ndarray, level: float) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if not len(x):
        return float("nan"), float("nan")
    lo, hi = np.percentile(x, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def incremental(effect: np.ndarray, cost: np.ndarray, seed: int, *, wtp: float | None = None,
                per_money: float = 100_000.0, level: float = LEVEL) -> list[dict]:
    """ΔC, ΔE, ICER, effect per money and NMB of each arm against arm 0 (the baseline).

    Args:
        effect: effect per (scenario, world, replicate), scenario 0 the baseline.
        cost: extra cost over the horizon per (scenario, world); the baseline's is 0.
        seed: the study's master seed (bootstrap stream ``"bootstrap"``).
        wtp: willingness to pay per unit of effect (None: no NMB).
        per_money: report the effect per this much money.
        level: interval level.

    Returns:
        One dict per arm 1.. with d_cost, d_effect, status, icer, icer_low, icer_high,
        icer_note, effect_per_money (+ _low/_high), inmb (+ _low/_high), units, kind.
    """
    k = effect.shape[1]
    d = effect[1:] - effect[:1]  # (arm, world, replicate)
    dc = cost[1:] - cost[:1]  # (arm, world)
    if k >= 2:  # resample worlds; each world's mean difference carries its own chance
        units_e, units_c, kind = world_means(d), dc, "worlds"
    else:
        units_e, units_c, kind = d[:, 0, :], np.repeat(dc, d.shape[2], axis=1), "replicates"
    idx = resamples(units_e.shape[1], seed)
    boot_e = resampled_means(units_e, idx)  # (arm, b)
    boot_c = resampled_means(units_c, idx)
    rows = []
    for i in range(d.shape[0]):
        de = float(np.nanmean(units_e[i])) if np.isfinite(units_e[i]).any() else np.nan
        dci = float(np.nanmean(units_c[i]))
        be, bc = boot_e[i], boot_c[i]
        row = {"d_cost": dci, "d_effect": de, "status": status(dci, de), "units": kind,
               "icer": dci / de if de and np.isfinite(de) else np.nan,
               "icer_low": np.nan, "icer_high": np.nan, "icer_note": ""}
        one_sign = np.isfinite(be).all() and ((be > 0).all() or (be < 0).all())
        if row["status"] in ("ICER", "cheaper, less effective") and one_sign:
            row["icer_low"], row["icer_high"] = _pct(bc / be, level)
        elif row["status"] in ("ICER", "cheaper, less effective"):
            row["icer_note"] = "undefined: the effect's interval includes 0"
        elif row["status"] == "dominant":
            row["icer_note"] = "dominant: more effect at no extra cost"
        elif row["status"] == "dominated":
            row["icer_note"] = "dominated: on average no more effect, at no saving"
        if dci > 0:
            row["effect_per_money"] = de / dci * per_money
            lo, hi = _pct(be / bc * per_money, level)
            row["effect_per_money_low"], row["effect_per_money_high"] = lo, hi
        else:
            row |= {"effect_per_money": np.nan, "effect_per_money_low": np.nan,
                    "effect_per_money_high": np.nan}
        if wtp is not None:
            row["inmb"] = wtp * de - dci
            row["inmb_low"], row["inmb_high"] = _pct(wtp * be - bc, level)
        rows.append(row)
    return rows


def frontier(names: list[str], cost: np.ndarray, effect: np.ndarray) -> pd.DataFrame:
    """Dominance, extended dominance and the efficient frontier (mean cost and effect).

    An option is *dominated* when another costs no more and achieves no less (one of the
    two strictly); *extendedly dominated* when a mix of two other options would give more
    effect for the same cost, i.e. its ICER against the previous frontier option exceeds
    the next option's (Cantor 1994). Identical options keep the first.

    Args:
        names: option names (the baseline first, at cost 0 and effect 0 incremental).
        cost: mean cost of each option.
        effect: mean effect of each option.

    Returns:
        Columns scenario, cost, effect, status (``frontier``, ``dominated``,
        ``extendedly dominated``, ``identical``), compared_with (the frontier option it
        is compared with or dominated by), icer (on the frontier: against the previous
        frontier option).
    """
    n = len(names)
    status_ = ["frontier"] * n
    against = [""] * n
    for j in range(n):
        for i in range(n):
            if i == j or status_[i] != "frontier":
                continue
            if cost[i] == cost[j] and effect[i] == effect[j]:
                if i < j:
                    status_[j], against[j] = "identical", names[i]
                    break
            elif cost[i] <= cost[j] and effect[i] >= effect[j]:
                status_[j], against[j] = "dominated", names[i]
                break
    icer = np.full(n, np.nan)
    while True:
        live = sorted((i for i in range(n) if status_[i] == "frontier"),
                      key=lambda i: (cost[i], -effect[i]))
        ratios = [(cost[b] - cost[a]) / (effect[b] - effect[a])
                  for a, b in itertools.pairwise(live)]
        bad = next((m for m in range(len(ratios) - 1) if ratios[m] > ratios[m + 1]), None)
        if bad is None:
            break
        gone = live[bad + 1]
        status_[gone], against[gone] = "extendedly dominated", names[live[bad + 2]]
    for a, b in itertools.pairwise(live):
        icer[b] = (cost[b] - cost[a]) / (effect[b] - effect[a])
        against[b] = names[a]
    return pd.DataFrame({"scenario": names, "cost": cost, "effect": effect,
                         "status": status_, "compared_with": against, "icer": icer})


def nmb(effect: np.ndarray, cost: np.ndarray, wtp: float) -> np.ndarray:
    """Net monetary benefit λ · E - C, elementwise (same shapes)."""
    return wtp * effect - cost


def ceac(effect: np.ndarray, cost: np.ndarray, names: list[str],
         wtps: np.ndarray) -> pd.DataFrame:
    """Probability that each scenario has the highest NMB, for each willingness to pay.

    Args:
        effect: effect per (scenario, draw) (see :func:`sim.whatif.robust.draws`).
        cost: cost per (scenario, draw), broadcastable to ``effect``.
        names: scenario names.
        wtps: willingness-to-pay values (currency per unit of effect).

    Returns:
        Long table: wtp, scenario, probability (summing to 1 over scenarios at each wtp).
    """
    cost = np.broadcast_to(cost, effect.shape)
    rows = []
    for lam in wtps:
        p = best_shares(nmb(effect, cost, float(lam))).mean(axis=1)
        rows += [{"wtp": float(lam), "scenario": s, "probability": float(q)}
                 for s, q in zip(names, p, strict=True)]
    return pd.DataFrame(rows)


def wtp_grid(wtp: float | None, icers: np.ndarray, points: int = 61) -> np.ndarray:
    """λ from 0 to 3x the file's willingness to pay (or 2x the largest frontier ICER)."""
    finite = icers[np.isfinite(icers) & (icers > 0)]
    top = 3 * wtp if wtp else (2 * finite.max() if len(finite) else 10_000.0)
    grid = np.linspace(0, top, points)
    return np.unique(np.append(grid, wtp)) if wtp else grid
