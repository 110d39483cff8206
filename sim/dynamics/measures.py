"""Outputs (ODD section 4): the day's measures and the per-run summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csgraph

from sim.dynamics import pattern_measures
from sim.dynamics.state import ACTIVITIES
from sim.dynamics.submodels import DAYS_PER_MONTH, STAGE_ORDER, Stage

if TYPE_CHECKING:
    from sim.model import DiffusionModel

STAGE_COLUMNS = tuple(f"share_{s.name.lower()}" for s in STAGE_ORDER)
TICKET_CHANNELS = ("specialist", "helpdesk", "peer", "self")
#: Names of the per-day measures, in the daily table's column order.
DAILY_MEASURES: tuple[str, ...] = (
    "day", *STAGE_COLUMNS, "users_share", "any_user_share", "first_users_share",
    "se_mean", "se_sd", "skill_mean", "reliance_mean", "dependent_share",
    "tickets_created", *(f"solved_{c}" for c in TICKET_CHANNELS), "backlog",
    "requests_open",
    *(f"min_{a}" for a in ACTIVITIES), "min_available", "system_difficulty",
    "live_innovations", *pattern_measures.DAILY,
)


def stage_counts(m: DiffusionModel) -> np.ndarray:
    """Teachers per (live innovation, stage code): shape (n, 6)."""
    n = m.cat.n
    # uint8 codes (at most 6 x 32 = 192) keep bincount's input small: 5x faster than int64.
    offsets = (6 * np.arange(n)).astype(np.uint8)
    codes = m.staff.stage[: m.n_teachers, :n].view(np.uint8) + offsets
    return np.bincount(codes.ravel(), minlength=6 * n).reshape(n, 6)


def daily(m: DiffusionModel) -> dict[str, float]:
    """The day's measures (teachers only; specialists are not staff shares)."""
    N, st, specs, tk = m.n_teachers, m.staff, m.specs, m.tickets
    counts = stage_counts(m) / N
    out: dict[str, float] = {"day": float(m.day)}
    mean_share = counts.mean(axis=0) if m.cat.n else np.eye(6)[Stage.UNAWARE]
    for col, s in zip(STAGE_COLUMNS, STAGE_ORDER, strict=True):
        out[col] = float(mean_share[s])
    using = counts[:, Stage.TRIAL:].sum(axis=1)
    m.user_days += float(using.sum()) * N
    m.peak_share[: m.cat.n] = np.maximum(m.peak_share[: m.cat.n], using)
    users = (st.stage[:N, : m.cat.n] >= Stage.TRIAL).any(axis=1)
    se = st.se[:N]
    out.update(
        users_share=float(using.mean()) if m.cat.n else 0.0,
        any_user_share=float(users.mean()),
        first_users_share=float(using[0]) if m.cat.n else 0.0,
        se_mean=float(se.mean()), se_sd=float(se.std()),
        skill_mean=float(st.skill[:N].mean()), reliance_mean=float(st.reliance[:N].mean()),
        dependent_share=float((st.reliance[:N][users] > m.p["reliance_cut"]).mean())
        if users.any() else 0.0,
    )
    prev = m.ticket_totals
    now = {"created": tk.created, **tk.solved}
    out["tickets_created"] = float(now["created"] - prev["created"])
    for c in TICKET_CHANNELS:
        out[f"solved_{c}"] = float(now[c] - prev[c])
    m.ticket_totals = now
    out["backlog"] = float(tk.backlog)
    out["requests_open"] = float((st.request_day >= 0).sum())
    day_total = specs.ledger_today.sum(axis=0)
    for a, minutes in zip(ACTIVITIES, day_total, strict=True):
        out[f"min_{a}"] = float(minutes)
    out["min_available"] = float(specs.avail_today.sum())
    out["system_difficulty"] = float(m.difficulty.mean())
    out["live_innovations"] = float(m.cat.n)
    out.update(pattern_measures.daily(m))
    return out


def first_day(series: np.ndarray, level: float) -> float:
    """First day at which ``series`` reaches ``level`` (NaN if never)."""
    hit = np.flatnonzero(series >= level)
    return float(hit[0]) if len(hit) else float("nan")


def reach(m: DiffusionModel) -> dict[str, float]:
    """How far innovations spread: staff and school shares, distance from their origin."""
    N, n = m.n_teachers, m.cat.n
    if n == 0:
        return {"reach_staff": 0.0, "reach_schools": 0.0, "reach_distance": float("nan"),
                "innovations_over_10pct": 0.0}
    users = m.staff.stage[:N, :n] >= Stage.TRIAL
    schools = np.array([len(np.unique(m.school_of_teacher[users[:, j]])) for j in range(n)])
    distances = []
    for j in range(n):
        if not users[:, j].any():
            continue
        if m.adjacency is None:
            distances.append(1.0)
            continue
        d = csgraph.dijkstra(m.adjacency, unweighted=True, indices=m.cat.first_users[j],
                             min_only=True)[:N][users[:, j]]
        d = d[np.isfinite(d)]
        if len(d):
            distances.append(float(d.mean()))
    return {
        "reach_staff": float(users.mean(axis=0).mean()),
        "reach_schools": float((schools / m.n_schools).mean()),
        "reach_distance": float(np.mean(distances)) if distances else float("nan"),
        "innovations_over_10pct": float((m.peak_share[:n] >= 0.10).sum()),
    }


def dependency_by_initial_efficacy(m: DiffusionModel, users: np.ndarray) -> dict[str, float]:
    """Dependent share of today's users by initial self-efficacy quartile.

    Users who started in the bottom and in the top quartile of initial self-efficacy
    (``dependent_share_low_se0``, ``dependent_share_high_se0``); 0 without users, like
    ``final_dependent_share``.
    """
    st, N = m.staff, m.n_teachers
    dependent = st.reliance[:N] > m.p["reliance_cut"]
    low, high = np.quantile(st.se0, [0.25, 0.75]) if N else (0.0, 0.0)
    out = {}
    for name, group in (("low", st.se0 <= low), ("high", st.se0 >= high)):
        mine = users & group
        out[f"dependent_share_{name}_se0"] = float(dependent[mine].mean()) if mine.any() else 0.0
    return out


def summary(m: DiffusionModel) -> dict[str, float]:
    """Per-run measures (ODD section 4) as a flat dict of floats."""
    N, st, tk, specs = m.n_teachers, m.staff, m.tickets, m.specs
    last = m.measures
    users = (st.stage[:N, : m.cat.n] >= Stage.TRIAL).any(axis=1)
    first = np.array(m.first_series)
    ledger = specs.ledger_total.sum(axis=0)
    total = max(ledger.sum(), 1e-9)
    user_months = max(m.user_days / DAYS_PER_MONTH, 1e-9)
    out = {
        "days": float(m.day),
        "teachers": float(N),
        "specialists": float(len(specs.node)),
        "specialist_fte_total": float(specs.fte.sum()),
        "final_users_share": last["users_share"],
        "final_any_user_share": last["any_user_share"],
        "final_integrated_share": last["share_integrated"],
        "final_abandoned_share": last["share_abandoned"],
        "independent_user_share": float((st.reliance[:N][users] <= m.p["reliance_cut"]).mean())
        if users.any() else 0.0,
        "days_to_25": first_day(first, 0.25),
        "days_to_50": first_day(first, 0.50),
        "innovations": float(m.cat.n),
        "inventions_blocked": float(m.cat.blocked),
        **reach(m),
        **{f"time_{a}": float(v / total) for a, v in zip(ACTIVITIES, ledger, strict=True)},
        "unreachable_share": float(1.0 - m.reach.mean()),
        "never_reached_share": float(1.0 - st.reached.mean()),
        "tickets_created": float(tk.created),
        **{f"tickets_solved_{c}": float(tk.solved[c]) for c in TICKET_CHANNELS},
        "tickets_backlog": float(tk.backlog),
        "tickets_per_user_month": float(tk.created / user_months),
        "final_se_mean": last["se_mean"],
        "final_dependent_share": last["dependent_share"],
        **dependency_by_initial_efficacy(m, users),
        **{f"requests_{k}": float(v) for k, v in m.request_totals.items()},
        "final_system_difficulty": last["system_difficulty"],
        **pattern_measures.summary(m),
    }
    return out
