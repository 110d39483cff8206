"""Outputs (ODD section 4): the day's measures and the per-run summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.sparse import csgraph

from sim.dynamics import pattern_measures
from sim.dynamics.arrays import row_max
from sim.dynamics.state import ACTIVITIES
from sim.dynamics.submodels import DAYS_PER_MONTH, STAGE_ORDER, Stage

if TYPE_CHECKING:
    from sim.dynamics.world import World

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


def stage_counts(model: Any) -> np.ndarray:
    """Teachers of a single model per (live innovation, stage code): shape (n, 6)."""
    return stage_counts_runs(model.world)[0]


def stage_counts_runs(w: World) -> np.ndarray:
    """Teachers per (run, live column, stage code): int64 (B, n, 6), n = ``w.n_live``.

    Columns a run has not reached yet count all its teachers as UNAWARE.
    """
    n, B = w.n_live, w.B
    # uint8 codes (at most 6 x 32 = 192) keep bincount's input small: 5x faster than int64.
    offsets = (6 * np.arange(n)).astype(np.uint8)
    codes = w.staff.stage[: w.n_teachers, :n].view(np.uint8) + offsets
    if B == 1:
        return np.bincount(codes.ravel(), minlength=6 * n).reshape(1, n, 6)
    if B * 6 * n < 2**16:  # small codes keep bincount's input small (as above)
        codes = np.add(codes.reshape(B, -1), (6 * n * np.arange(B, dtype=np.uint16))[:, None],
                       dtype=np.uint16)
    else:
        codes = codes.reshape(B, -1).astype(np.int64) + (6 * n) * np.arange(B)[:, None]
    return np.bincount(codes.ravel(), minlength=B * 6 * n).reshape(B, n, 6)


def _per_run_sum(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Sum of each run's first n[r] values of ``x`` (B, width): float64[B], 0 where n is 0.

    Runs are grouped by n so that each sum is numpy's own of that run's values alone.
    """
    out = np.zeros(len(n))
    for k in np.unique(n[n > 0]).tolist():
        rows = np.flatnonzero(n == k)
        out[rows] = x[rows, :k].sum(axis=1)
    return out


def daily(w: World) -> np.ndarray:
    """The day's measures of every run: float64 (B, len(DAILY_MEASURES)).

    Teachers only (specialists are not staff shares); a run's row is what it would
    measure alone. Keeps the running totals of ``w`` (user-days, peak shares, tickets).
    """
    B, N, st, specs, tk = w.B, w.N, w.staff, w.specs, w.tickets
    n, live = w.cat.n, w.n_live
    out = np.empty((B, len(DAILY_MEASURES)))
    col = {name: i for i, name in enumerate(DAILY_MEASURES)}
    out[:, 0] = w.day
    counts = stage_counts_runs(w) / N
    # Columns beyond a run's live count add +0.0 to the sum, which leaves it exact.
    mask = np.arange(live) < n[:, None]
    mean_share = np.where(mask[:, :, None], counts, 0.0).sum(axis=1) / np.maximum(n, 1)[:, None]
    mean_share[n == 0] = np.eye(6)[Stage.UNAWARE]
    for name, s in zip(STAGE_COLUMNS, STAGE_ORDER, strict=True):
        out[:, col[name]] = mean_share[:, s]
    using = np.where(mask, counts[:, :, Stage.TRIAL:].sum(axis=2), 0.0)
    using_sum = _per_run_sum(using, n)
    w.user_days += using_sum * N
    w.peak_share[:, :live] = np.maximum(w.peak_share[:, :live], using)
    # Each teacher's highest stage over the live columns (not-yet-live ones are UNAWARE).
    top = row_max(st.stage[: w.n_teachers, :live]) if live else np.zeros(w.n_teachers, np.int8)
    users = top >= Stage.TRIAL
    dependent = users & (st.reliance[: w.n_teachers] > w.p["reliance_cut"])
    n_users = users.reshape(B, N).sum(axis=1)
    out[:, col["users_share"]] = using_sum / np.maximum(n, 1)  # numpy's mean: sum / count
    out[:, col["any_user_share"]] = users.reshape(B, N).mean(axis=1)
    out[:, col["first_users_share"]] = np.where(n > 0, using[:, 0] if live else 0.0, 0.0)
    se = st.se[: w.n_teachers].reshape(B, N)
    out[:, col["se_mean"]], out[:, col["se_sd"]] = se.mean(axis=1), se.std(axis=1)
    out[:, col["skill_mean"]] = st.skill[: w.n_teachers].reshape(B, N).mean(axis=1)
    out[:, col["reliance_mean"]] = st.reliance[: w.n_teachers].reshape(B, N).mean(axis=1)
    out[:, col["dependent_share"]] = np.divide(
        dependent.reshape(B, N).sum(axis=1), n_users, out=np.zeros(B), where=n_users > 0)
    now = {"created": tk.created_runs, **tk.solved_runs}
    prev = w.ticket_totals
    out[:, col["tickets_created"]] = now["created"] - prev["created"]
    for c in TICKET_CHANNELS:
        out[:, col[f"solved_{c}"]] = now[c] - prev[c]
    w.ticket_totals = {k: v.copy() for k, v in now.items()}
    out[:, col["backlog"]] = tk.backlog_runs()
    out[:, col["requests_open"]] = (st.request_day >= 0).reshape(B, N).sum(axis=1)
    S = w.S
    ledger = specs.ledger_today.reshape(B, S, len(ACTIVITIES)).sum(axis=1)
    for i, a in enumerate(ACTIVITIES):
        out[:, col[f"min_{a}"]] = ledger[:, i]
    out[:, col["min_available"]] = specs.avail_today.reshape(B, S).sum(axis=1)
    out[:, col["system_difficulty"]] = w.difficulty.reshape(B, w.C).mean(axis=1)
    out[:, col["live_innovations"]] = n
    out[:, col[pattern_measures.DAILY[0]]:] = pattern_measures.daily(w, top)
    return out


def first_day(series: np.ndarray, level: float) -> float:
    """First day at which ``series`` reaches ``level`` (NaN if never)."""
    hit = np.flatnonzero(series >= level)
    return float(hit[0]) if len(hit) else float("nan")


def reach(m: Any) -> dict[str, float]:
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


def dependency_by_initial_efficacy(m: Any, users: np.ndarray) -> dict[str, float]:
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


def summary(m: Any) -> dict[str, float]:
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
