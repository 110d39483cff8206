"""Phase 5, the specialist's day (ODD 3.5), for all specialists at once.

Order: help desk and specialist tickets (up to the troubleshooting cap) -> IT liaison ->
training (on training days) -> coaching and co-teaching sessions of one period each ->
own exploration (up to its cap) -> unused minutes. Minutes are booked in the time ledger.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.dynamics import submodels as sm
from sim.dynamics.state import A, periods_on_day
from sim.dynamics.submodels import ABANDONED, ADOPTED, AWARE, TRIAL, UNAWARE

if TYPE_CHECKING:
    from sim.model import DiffusionModel


def fifo_served(owner: np.ndarray, day: np.ndarray, key: np.ndarray,
                capacity: np.ndarray) -> np.ndarray:
    """Mask of tickets served first-come first-served, up to ``capacity[owner]`` per queue."""
    order = np.lexsort((key, day, owner))
    o = owner[order]
    rank = np.arange(len(o)) - np.searchsorted(o, o, side="left")
    served = np.empty(len(o), dtype=bool)
    served[order] = rank < capacity[o]
    return served


def specialist_day(m: DiffusionModel) -> None:
    """Run phase 5 for every specialist and the help desks."""
    specs, p = m.specs, m.p
    specs.ledger_today[:] = 0.0
    _help_desk(m)
    if len(specs.node) == 0:
        return
    # Today's specialist periods: the lowest ranks of each specialist's period order.
    k = periods_on_day(specs.fte, p["periods_per_day"], m.day)
    specs.free_today = specs.rank < k[:, None]
    specs.avail_today = avail = k * p["period_minutes"]
    _troubleshoot(m, avail)
    left = avail - specs.ledger_today.sum(axis=1)
    liaison = np.minimum(left, p["liaison_share"] * avail)
    specs.ledger_today[:, A["liaison"]] = liaison
    per_school = np.bincount(specs.school, liaison, minlength=m.n_schools)
    m.difficulty = sm.liaison_difficulty(m.difficulty, per_school, p["liaison_effect"],
                                         p["difficulty_floor"], m.day_minutes)
    every = p["training_every_days"]
    if every and m.day % every == every - 1:
        _training(m, avail)
    _sessions(m, avail)
    left = np.maximum(avail - specs.ledger_today.sum(axis=1), 0.0)  # no -1e-14 from rounding
    explore = np.minimum(left, p["explore_share"] * avail)
    specs.ledger_today[:, A["exploration"]] = explore
    specs.ledger_today[:, A["unused"]] = np.maximum(left - explore, 0.0)
    specs.ledger_total += specs.ledger_today


def _help_desk(m: DiffusionModel) -> None:
    """The help desk solves its queue first-come first-served within its daily capacity."""
    tk, specs = m.tickets, m.specs
    per_day = m.p["helpdesk_capacity"] * m.school_sizes / 100.0
    specs.desk_credit = np.minimum(specs.desk_credit + per_day, per_day + 1.0)
    if not tk.desk.any():
        return
    school = np.where(tk.desk, m.school_of_teacher[tk.teacher], m.n_schools)
    capacity = np.append(np.floor(specs.desk_credit), 0)
    served = fifo_served(school, tk.day, tk.key, capacity) & tk.desk
    specs.desk_credit -= np.bincount(school[served], minlength=m.n_schools + 1)[:-1]
    m.staff.last_support[tk.teacher[served]] = m.day
    tk.close(served, "helpdesk")


def _troubleshoot(m: DiffusionModel, avail: np.ndarray) -> None:
    """Specialists handle their oldest tickets up to the cap; a fix may become a lesson."""
    tk, p, st, specs = m.tickets, m.p, m.staff, m.specs
    n_specs = len(specs.node)
    owner = np.where(tk.desk, -1, m.staff.spec_of[tk.teacher])
    owner = np.where(owner < 0, n_specs, owner)  # desk or no specialist: not this queue
    capacity = np.append(np.floor(p["troubleshoot_cap"] * avail / p["minutes_per_ticket"]), 0)
    served = fifo_served(owner, tk.day, tk.key, capacity)
    handled = np.bincount(owner[served], minlength=n_specs + 1)[:-1]
    specs.ledger_today[:, A["troubleshooting"]] = handled * p["minutes_per_ticket"]
    u = m.rs["fix"].random((2, len(owner)))
    solved = served & (u[0] < p["first_contact_resolution"])
    teachers = tk.teacher[solved]
    st.last_support[tk.teacher[served]] = m.day
    if p["support_style"] == "do_for":  # fixed for them: reliance grows
        st.reliance[teachers] += sm.DO_FOR_FIX_RELIANCE * (1.0 - st.reliance[teachers])
    else:  # a fix may become a lesson: skill up, reliance down
        lesson = teachers[u[1][solved] < p["lesson_prob"]]
        st.skill[lesson] += sm.LESSON_SKILL * (1.0 - st.skill[lesson])
        st.reliance[lesson] -= sm.LESSON_RELIANCE * st.reliance[lesson]
    tk.close(solved, "specialist")


def _focus(m: DiffusionModel) -> np.ndarray:
    """Each specialist's focus: the newest live innovation it uses (-1 if none)."""
    uses = m.staff.stage[m.specs.node, : m.cat.n] >= TRIAL
    newest = uses.shape[1] - 1 - np.argmax(uses[:, ::-1], axis=1) if uses.shape[1] else None
    return np.where(uses.any(axis=1), newest, -1) if newest is not None else \
        np.full(len(m.specs.node), -1)


def _training(m: DiffusionModel, avail: np.ndarray) -> None:
    """A one-period training: attendees hear of the specialist's focus innovation."""
    st, specs, p = m.staff, m.specs, m.p
    left = avail - specs.ledger_today.sum(axis=1)
    focus = _focus(m)
    holds = (left >= p["period_minutes"]) & (focus >= 0)
    specs.ledger_today[:, A["training"]] = np.where(holds, p["period_minutes"], 0.0)
    u = m.rs["training"].random(m.n_teachers)
    spec = st.spec_of
    attend = (spec >= 0) & holds[spec] & (u < p["training_attendance"])
    t = np.flatnonzero(attend)
    j = focus[spec[t]]
    st.stage[t, j] = np.where(st.stage[t, j] == UNAWARE, AWARE, st.stage[t, j])
    gain = 0.5 * sm.session_gain(p["coaching_effect"], p["se_sd"], p["sessions_per_cycle"])
    st.se[t] = np.minimum(1.0, st.se[t] + gain)
    st.trainings[t] += 1


def _priority(m: DiffusionModel, t: np.ndarray) -> np.ndarray:
    """Priority score of teachers ``t`` for the caseload (higher first)."""
    policy, st = m.p["priority_policy"], m.staff
    if policy == "requests":
        waiting = np.bincount(m.tickets.teacher, minlength=m.n_teachers)[t]
        in_trial = (st.stage[t, : m.cat.n] == TRIAL).any(axis=1)
        return 2.0 * waiting + in_trial
    if policy == "lowest_efficacy":
        return -st.se[t]
    if policy == "most_connected":
        return m.degree[t].astype(float)
    if policy == "round_robin":
        return -st.last_session[t].astype(float)
    return np.zeros(len(t))  # random: the tie-break decides


def _fill_caseloads(m: DiffusionModel) -> None:
    """Drop stale cycles, then fill each caseload with the highest-priority teachers."""
    st, p, n_specs = m.staff, m.p, len(m.specs.node)
    stale = st.in_caseload & (m.day - st.cycle_start > sm.MAX_CYCLE_DAYS)
    st.in_caseload[stale] = False
    has = st.spec_of >= 0
    count = np.bincount(st.spec_of[st.in_caseload], minlength=n_specs)
    need = p["caseload"] - count
    if not (need > 0).any() or m.cat.n == 0:
        return
    pool = np.flatnonzero(has & ~st.in_caseload & (need[np.maximum(st.spec_of, 0)] > 0))
    # Only teachers with something left to learn (an innovation not yet ADOPTED).
    pool = pool[(st.stage[pool, : m.cat.n] < ADOPTED).any(axis=1)]
    if len(pool) == 0:
        return
    tie = m.rs["priority"].random(len(pool))
    order = np.lexsort((tie, -_priority(m, pool), st.spec_of[pool]))
    owner = st.spec_of[pool][order]
    rank = np.arange(len(order)) - np.searchsorted(owner, owner, side="left")
    pick = pool[order[rank < need[owner]]]
    st.in_caseload[pick] = True
    st.cycle_sessions[pick] = 0
    st.cycle_start[pick] = m.day


def _sessions(m: DiffusionModel, avail: np.ndarray) -> None:
    """One-period sessions in the specialist's remaining free periods.

    Coaching needs a period where both are free; co-teaching a period where the specialist
    is free and the teacher teaches. Each slot is designated co-teaching with
    ``coteach_share`` and falls back to the other kind when no caseload teacher fits.
    """
    st, specs, p = m.staff, m.specs, m.p
    _fill_caseloads(m)
    periods, minutes = p["periods_per_day"], p["period_minutes"]
    left = avail - specs.ledger_today.sum(axis=1)
    free = specs.free_today
    # A session takes a period, or what is left of the last one if that is at least
    # SESSION_MIN_SHARE of it (a few minutes of liaison do not cancel a session).
    whole = np.floor(left / minutes + (1.0 - sm.SESSION_MIN_SHARE) + 1e-9)
    n_slots = np.minimum(free.sum(axis=1), whole).astype(np.int64)
    u = m.rs["slots"].random((2, len(specs.node), periods))
    order = np.where(free, u[0], 2.0)
    slot = np.argsort(np.argsort(order, axis=1), axis=1) < n_slots[:, None]
    cote_first = u[1] < p["coteach_share"]
    cand = np.flatnonzero(st.in_caseload & (m.day - st.last_session >= p["session_spacing"]))
    if len(cand) == 0:
        return
    cand = cand[np.lexsort((-_priority(m, cand), st.spec_of[cand]))]
    owner = st.spec_of[cand]
    teaches = st.teaches[cand]
    taken = np.zeros(len(cand), bool)
    picked, kinds = [], []
    for period in np.flatnonzero(slot.any(axis=0)):  # a loop over periods, not agents
        for cote_pass in (True, False):
            cote = cote_first[owner, period] == cote_pass
            ok = slot[owner, period] & ~taken & (teaches[:, period] == cote)
            idx = np.flatnonzero(ok)
            if len(idx) == 0:
                continue
            # Candidates are sorted by specialist then priority: take the first of each.
            o = owner[idx]
            first = np.empty(len(o), bool)
            first[0], first[1:] = True, o[1:] != o[:-1]
            chosen = idx[first]
            taken[chosen] = True
            slot[owner[chosen], period] = False
            picked.append(cand[chosen])
            kinds.append(cote[chosen])
    if not picked:
        return
    t, is_cote = np.concatenate(picked), np.concatenate(kinds)
    st.coached[t[~is_cote]] += 1
    st.cotaught[t[is_cote]] += 1
    booked = {name: minutes * np.bincount(st.spec_of[t[mask]], minlength=len(specs.node))
              for name, mask in (("coaching", ~is_cote), ("coteaching", is_cote))}
    # A trimmed last session books only the minutes that were left.
    total = booked["coaching"] + booked["coteaching"]
    trim = np.divide(np.minimum(total, left), total, out=np.ones_like(left), where=total > 0)
    for name, value in booked.items():
        specs.ledger_today[:, A[name]] = value * trim
    _session_effects(m, t)


def _session_effects(m: DiffusionModel, t: np.ndarray) -> None:
    """Effects of a session on teachers ``t`` (each at most once a day)."""
    st, p, n = m.staff, m.p, m.cat.n
    stage = st.stage[t, :n]
    spec_uses = st.stage[m.specs.node[st.spec_of[t]], :n] >= TRIAL
    # Focus of the session: an innovation in TRIAL, else one to try, else a new one the
    # specialist uses, else one to integrate; the newest first within each kind.
    kind = np.select(
        [stage == TRIAL, (stage == AWARE) | (stage == ABANDONED),
         (stage == UNAWARE) & spec_uses, stage == ADOPTED], [4, 3, 2, 1], 0)
    score = kind * (n + 1) + np.arange(n)
    j = np.argmax(score, axis=1)
    has = kind.max(axis=1) > 0
    _book_session(m, t)
    t, j = t[has], j[has]
    reliance_step, success_prob = sm.STYLE_EFFECTS[p["support_style"]]
    ok = m.rs["session"].random(len(t)) < success_prob
    s0 = st.stage[t, j]
    new = s0.copy()
    new[s0 == UNAWARE] = AWARE
    start = ok & ((s0 == AWARE) | (s0 == ABANDONED))
    new[start] = TRIAL
    st.successes[t[start], j[start]] = 0
    practice = ok & (s0 == TRIAL)
    st.successes[t[practice], j[practice]] += 1
    st.stage[t, j] = new
    gain = sm.session_gain(p["coaching_effect"], p["se_sd"], p["sessions_per_cycle"])
    weight = np.where(ok, 1.0, 0.5)
    st.se[t] = np.minimum(1.0, st.se[t] + gain * weight)
    st.skill[t] = np.minimum(1.0, st.skill[t] + gain * weight)
    r = st.reliance[t]
    st.reliance[t] = np.clip(r + reliance_step * np.where(reliance_step > 0, 1 - r, r), 0, 1)


def _book_session(m: DiffusionModel, t: np.ndarray) -> None:
    """Caseload bookkeeping of a session; a completed cycle leaves the caseload."""
    st, day = m.staff, m.day
    st.cycle_sessions[t] += 1
    st.last_session[t] = day
    st.last_support[t] = day
    st.reached[t] = True
    done = t[st.cycle_sessions[t] >= m.p["sessions_per_cycle"]]
    st.in_caseload[done] = False
    st.cycle_sessions[done] = 0
