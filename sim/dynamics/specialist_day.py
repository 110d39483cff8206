"""Phase 5, the specialist's day (ODD 7.5), for all specialists at once.

Order: help desk -> tickets (up to the troubleshooting cap) -> training (on training days)
-> coaching and co-teaching sessions (``sim.dynamics.sessions``) -> waiting tickets ->
planned work -> unused. Planned work (role duties, IT liaison, own exploration, training
preparation) is owed in proportion to the minutes worked; up to one period of it may wait
for another day, the rest is kept free of sessions, so a part-time specialist bunches it
and the minutes left after whole-period sessions are not wasted. Minutes are booked in
the time ledger; a specialist's minutes are never spent twice.
"""

from __future__ import annotations

import numpy as np

from sim.dynamics import submodels as sm
from sim.dynamics.arrays import rank_in_groups
from sim.dynamics.sessions import sessions
from sim.dynamics.state import OWED, A, periods_on_day
from sim.dynamics.submodels import AWARE, TRIAL, UNAWARE
from sim.dynamics.world import World


def fifo_served(owner: np.ndarray, day: np.ndarray, key: np.ndarray,
                capacity: np.ndarray) -> np.ndarray:
    """Mask of tickets served first-come first-served, up to ``capacity[owner]`` per queue."""
    order = np.lexsort((key, day, owner))
    o = owner[order]
    rank = rank_in_groups(o)
    served = np.empty(len(o), dtype=bool)
    served[order] = rank < capacity[o]
    return served


def specialist_day(w: World) -> None:
    """Run phase 5 for every specialist and the help desks."""
    specs, p = w.specs, w.p
    specs.ledger_today[:] = 0.0
    _help_desk(w)
    if w.S == 0:
        return
    # Today's specialist periods: the lowest ranks of each specialist's period order.
    k = periods_on_day(specs.fte, p["periods_per_day"], w.day)
    specs.free_today = specs.rank < k[:, None]
    specs.avail_today = avail = k * p["period_minutes"]
    _troubleshoot(w, np.minimum(p["troubleshoot_cap"] * avail, _left(w)))
    every = p["training_every_days"]
    prep = p["training_prep"] * p["period_minutes"] / every if every else 0.0
    specs.owed += np.outer(avail, [p["duty_share"], p["liaison_share"], p["explore_share"],
                                   0.0]) + np.array([0.0, 0.0, 0.0, prep])
    if every and w.day % every == every - 1:
        _training(w)
    # Up to one period of planned work may wait; sessions take whole periods of the rest,
    # and the minutes left go to waiting tickets, then to planned work.
    must = np.maximum(specs.owed.sum(axis=1) - p["period_minutes"], 0.0)
    sessions(w, np.maximum(_left(w) - must, 0.0))
    _troubleshoot(w, np.maximum(_left(w) - must, 0.0))
    _do_owed(w)
    specs.ledger_today[:, A["unused"]] = _left(w)
    specs.ledger_total += specs.ledger_today
    per_school = np.bincount(specs.school, specs.ledger_today[:, A["liaison"]],
                             minlength=w.n_schools)
    w.difficulty = sm.liaison_difficulty(w.difficulty, per_school, p["liaison_effect"],
                                         p["difficulty_floor"], w.day_minutes)


def _left(w: World) -> np.ndarray:
    """Minutes each specialist has not yet spent today (never below 0)."""
    return np.maximum(w.specs.avail_today - w.specs.ledger_today.sum(axis=1), 0.0)


def _do_owed(w: World) -> None:
    """Specialists do their owed planned work as far as today's minutes last."""
    specs = w.specs
    owed = specs.owed.sum(axis=1)
    share = np.where(owed > 0, np.minimum(1.0, _left(w) / np.maximum(owed, 1e-12)), 0.0)
    done = specs.owed * share[:, None]
    specs.owed -= done
    for i, name in enumerate(OWED):
        specs.ledger_today[:, A[name]] += done[:, i]


def _help_desk(w: World) -> None:
    """The help desk solves its queue first-come first-served within its daily capacity."""
    tk, specs = w.tickets, w.specs
    per_day = w.p["helpdesk_capacity"] * w.school_sizes / 100.0
    specs.desk_credit = np.minimum(specs.desk_credit + per_day, per_day + 1.0)
    if not tk.desk.any():
        return
    school = np.where(tk.desk, w.school_of_teacher[tk.teacher], w.n_schools)
    capacity = np.append(np.floor(specs.desk_credit), 0)
    served = fifo_served(school, tk.day, tk.key, capacity) & tk.desk
    specs.desk_credit -= np.bincount(school[served], minlength=w.n_schools + 1)[:-1]
    w.staff.last_support[tk.teacher[served]] = w.day
    tk.close(served, "helpdesk")


def _troubleshoot(w: World, budget: np.ndarray) -> None:
    """Specialists handle their oldest tickets within ``budget`` minutes each.

    A fix may become a lesson (or, under ``do_for``, raise reliance).
    """
    tk, p, st, specs = w.tickets, w.p, w.staff, w.specs
    n_specs = len(specs.node)
    if tk.backlog == 0:
        return
    owner = np.where(tk.desk, -1, w.staff.spec_of[tk.teacher])
    owner = np.where(owner < 0, n_specs, owner)  # desk or no specialist: not this queue
    capacity = np.append(np.floor(budget / p["minutes_per_ticket"] + 1e-9), 0)
    served = fifo_served(owner, tk.day, tk.key, capacity)
    handled = np.bincount(owner[served], minlength=n_specs + 1)[:-1]
    specs.ledger_today[:, A["troubleshooting"]] += handled * p["minutes_per_ticket"]
    u = w.draw("fix", tk.run_of(tk.teacher), rows=2)
    solved = served & (u[0] < p["first_contact_resolution"])
    teachers = tk.teacher[solved]
    st.last_support[tk.teacher[served]] = w.day
    if p["support_style"] == "do_for":  # fixed for them: reliance grows
        step = sm.DO_FOR_FIX_SHARE * p["do_for_reliance"]
        st.reliance[teachers] += step * (1.0 - st.reliance[teachers])
    else:  # a fix may become a lesson: skill up, reliance down
        lesson = teachers[u[1][solved] < p["lesson_prob"]]
        st.skill[lesson] += sm.LESSON_SKILL * (1.0 - st.skill[lesson])
        st.reliance[lesson] -= sm.LESSON_RELIANCE * st.reliance[lesson]
    tk.close(solved, "specialist")


def _focus(w: World) -> np.ndarray:
    """Each specialist's focus: the newest live innovation it uses (-1 if none)."""
    uses = w.staff.stage[w.specs.node, : w.n_live] >= TRIAL
    newest = uses.shape[1] - 1 - np.argmax(uses[:, ::-1], axis=1) if uses.shape[1] else None
    return np.where(uses.any(axis=1), newest, -1) if newest is not None else \
        np.full(len(w.specs.node), -1)


def _training(w: World) -> None:
    """A one-period whole-staff training on training days (preparation is owed work).

    Each of the specialist's teachers attends with probability ``training_attendance``
    (an independent draw per teacher), hears of the specialist's newest innovation and
    gains half a session's persuasion.
    """
    st, specs, p = w.staff, w.specs, w.p
    focus = _focus(w)
    holds = (_left(w) >= p["period_minutes"]) & (focus >= 0)
    specs.ledger_today[:, A["training"]] += np.where(holds, p["period_minutes"], 0.0)
    u = w.draw("training", np.arange(w.n_teachers) // w.N)
    spec = st.spec_of
    attend = (spec >= 0) & holds[spec] & (u < p["training_attendance"])
    t = np.flatnonzero(attend)
    j = focus[spec[t]]
    st.stage[t, j] = np.where(st.stage[t, j] == UNAWARE, AWARE, st.stage[t, j])
    gain = 0.5 * sm.session_gain(p["coaching_effect"], p["se_sd"], p["sessions_per_cycle"])
    st.se[t] = np.minimum(1.0, st.se[t] + gain)
    st.trainings[t] += 1
