"""Sessions of the specialist's day (ODD 7.5, step 5): who is seen, when, and the effects.

Demand for the periods a specialist has left comes from three sources: caseload teachers
due the next session of their coaching cycle, teachers with an open help request, and
every other teacher with something to learn (planning and outreach). The caseload is a
target, not the only limit: committed cycle sessions come first, then the priority policy
orders everyone else, so a period stays unused only when nobody who needs the specialist
can be met in it. Ties between teachers are broken by a draw from the ``priority`` stream,
never by their row in the node table.
"""

from __future__ import annotations

import numpy as np

from sim.dynamics import submodels as sm
from sim.dynamics.arrays import group_sort_key, rank_in_groups, row_any, row_max_of
from sim.dynamics.state import A
from sim.dynamics.submodels import ABANDONED, ADOPTED, AWARE, TRIAL, UNAWARE
from sim.dynamics.world import World

#: Focus kinds of a session, best first: an innovation in TRIAL (supported use), one to
#: try (AWARE or ABANDONED), one the specialist uses that the teacher has not heard of,
#: one to integrate (ADOPTED); 0 = nothing to learn.
FOCUS_TRIAL, FOCUS_TRY, FOCUS_NEW, FOCUS_INTEGRATE = 4, 3, 2, 1


#: Focus kind of each stage code (UNAWARE only if the specialist uses the innovation).
_KIND_OF_STAGE = np.zeros(6, np.int8)
_KIND_OF_STAGE[[UNAWARE, AWARE, ABANDONED, TRIAL, ADOPTED]] = (
    FOCUS_NEW, FOCUS_TRY, FOCUS_TRY, FOCUS_TRIAL, FOCUS_INTEGRATE)
_KIND_OF_STAGE_KNOWN = _KIND_OF_STAGE.copy()
_KIND_OF_STAGE_KNOWN[UNAWARE] = 0


def focus_kind(w: World, t: np.ndarray) -> np.ndarray:
    """Focus kind per (teacher in ``t``, live innovation): int8 (len(t), n).

    Teachers ``t`` must have a specialist (an unheard-of innovation counts only if their
    specialist uses it).
    """
    st, n = w.staff, w.n_live
    stage = st.stage[t, :n]
    kind = _KIND_OF_STAGE[stage]
    spec_uses = st.stage[w.specs.node, :n] >= TRIAL
    kind[(stage == UNAWARE) & ~spec_uses[st.spec_of[t]]] = 0
    return kind


def best_focus(w: World) -> np.ndarray:
    """Each teacher's best focus kind over the live innovations: int8[N] (0 if none).

    Equal to ``focus_kind(w, t).max(axis=1)`` over all teachers (0 without a
    specialist); an unheard-of innovation the specialist uses is only looked for where
    nothing better exists (most teachers have something better).
    """
    st, n, N = w.staff, w.n_live, w.n_teachers
    stage = st.stage[:N, :n]
    best = row_max_of(_KIND_OF_STAGE_KNOWN, stage)
    low = np.flatnonzero((best < FOCUS_NEW) & (st.spec_of >= 0))
    if len(low):
        spec_uses = st.stage[w.specs.node, :n] >= TRIAL
        new = row_any((stage[low] == UNAWARE) & spec_uses[st.spec_of[low]])
        best[low[new]] = FOCUS_NEW
    best[st.spec_of < 0] = 0
    return best


def order_by(groups: np.ndarray, score: np.ndarray, g: np.random.Generator) -> np.ndarray:
    """Indices sorted by group, then by score (highest first), ties in a random order.

    Equivalent to ``np.lexsort((g.random(k), -score, groups))`` (the tie-break is a seeded
    random permutation, never the position): one stable sort of a combined key for
    integer scores (``arrays.group_sort_key``), otherwise two stable sorts.
    """
    return _sorted(groups, score, g.permutation(len(score)))


def _sorted(groups: np.ndarray, score: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """Elements ``perm`` (a permutation) sorted stably by group, then score (highest first)."""
    key = group_sort_key(groups, score)
    if key is not None:
        return perm[np.argsort(key[perm], kind="stable")]
    by_score = perm[np.argsort(-score[perm], kind="stable")]
    g_sorted = groups[by_score]
    small = g_sorted.astype(np.uint16) if len(groups) and groups.max() < 2**16 else g_sorted
    return by_score[np.argsort(small, kind="stable")]


def order_by_runs(w: World, groups: np.ndarray, score: np.ndarray,
                  run: np.ndarray) -> np.ndarray:
    """``order_by`` for elements of many runs: each run's ties by its own ``priority`` draw.

    Run r draws ``permutation(k_r)`` for its k_r elements (in their order), as it would
    alone; the runs' permutations side by side are one permutation of all elements, and
    groups never mix runs, so the order within each group is the run's own.
    """
    if w.B == 1:
        return order_by(groups, score, w.streams[0]["priority"])
    counts = np.bincount(run, minlength=w.B)
    gens = w.generators("priority")
    # permutation(k) is arange(k) shuffled: each run shuffles its own segment in place.
    end = np.cumsum(counts)
    start = end - counts
    perm = np.arange(len(run)) - np.repeat(start, counts)
    for r in np.flatnonzero(counts).tolist():
        gens[r].shuffle(perm[start[r]:end[r]])
    by_run = np.argsort(run, kind="stable")
    return _sorted(groups, score, by_run[perm + np.repeat(start, counts)])


def _slot_draws(w: World) -> np.ndarray:
    """Uniforms (2, specialists, periods) of the ``slots`` stream.

    Runs without a live innovation draw nothing (they have no candidates).
    """
    S, P = w.S, w.p["periods_per_day"]
    if w.B == 1:
        return w.streams[0]["slots"].random((2, S, P))
    # Run r's random((2, S, P)) is its next 2 x (S * P) numbers, as ``draw`` gives them
    # for S * P elements and two rows.
    live = np.flatnonzero(w.cat.n > 0)
    u = np.full((2, w.B * S * P), 2.0)
    u[:, (live[:, None] * (S * P) + np.arange(S * P)).ravel()] = w.draw(
        "slots", np.repeat(live, S * P), rows=2)
    return u.reshape(2, w.B * S, P)


def priority(w: World, t: np.ndarray, best: np.ndarray) -> np.ndarray:
    """Priority score of teachers ``t`` under the priority policy (higher first).

    ``best`` is each teacher's best focus kind. ``requests``: open help requests first,
    the oldest first; then by need (never reached by a session first, then an innovation
    to start). ``lowest_efficacy``: lowest self-efficacy first. ``most_connected``: most
    advice ties first. ``round_robin``: longest since the last session first. ``random``:
    all equal (the seeded tie-break decides).

    Scores are integers (int64) except under ``lowest_efficacy`` (float64); only their
    order matters. ``requests``: 4 + the request's age in days for askers, else 0-3.
    """
    policy, st = w.p["priority_policy"], w.staff
    if policy == "requests":
        asked = st.request_day[t] >= 0
        need = 2 * ~st.reached[t] + ((best == FOCUS_TRY) | (best == FOCUS_NEW))
        return np.where(asked, 4 + (w.day - st.request_day[t]), need.astype(np.int64))
    if policy == "lowest_efficacy":
        return -st.se[t]
    if policy == "most_connected":
        return w.degree[t].astype(np.int64)
    if policy == "round_robin":
        return -st.last_session[t]
    return np.zeros(len(t), np.int64)


def _first(score: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``score`` with the ``mask`` elements above every other (keeps integer scores)."""
    if score.dtype.kind in "iu":
        return np.where(mask, score.max(initial=0) + 1, score)
    return np.where(mask, np.inf, score)


def fill_caseloads(w: World, best: np.ndarray) -> None:
    """Drop overlong cycles, then fill each caseload with the highest-priority teachers.

    Only teachers with an innovation not yet ADOPTED enter a cycle. A cycle that takes
    more than twice its planned length (``sessions_per_cycle`` x ``session_spacing``) is
    dropped, so an unreachable teacher does not block a caseload place for ever.
    """
    st, p, n_specs = w.staff, w.p, len(w.specs.node)
    limit = 2 * p["sessions_per_cycle"] * p["session_spacing"]
    stale = st.in_caseload & (w.day - st.cycle_start > limit)
    st.in_caseload[stale] = False
    count = np.bincount(st.spec_of[st.in_caseload], minlength=n_specs)
    need = p["caseload"] - count
    if not (need > 0).any() or w.n_live == 0:
        return
    open_ = (st.spec_of >= 0) & ~st.in_caseload & (best >= FOCUS_NEW)
    pool = np.flatnonzero(open_ & (need[np.maximum(st.spec_of, 0)] > 0))
    if len(pool) == 0:
        return
    order = order_by_runs(w, st.spec_of[pool], priority(w, pool, best[pool]), pool // w.N)
    owner = st.spec_of[pool][order]
    rank = rank_in_groups(owner)
    pick = pool[order[rank < need[owner]]]
    st.in_caseload[pick] = True
    st.cycle_sessions[pick] = 0
    st.cycle_start[pick] = w.day


def sessions(w: World, left: np.ndarray) -> None:
    """One-period sessions in the specialist's remaining free periods.

    Coaching needs a period where both are free; co-teaching a period where the specialist
    is free and the teacher teaches. Each slot is designated co-teaching with
    ``coteach_share`` and falls back to the other kind when nobody fits. In each period
    every specialist takes the first candidate that fits, in the order: caseload teachers
    due a session, then everyone else with something to learn by the priority policy; a
    teacher is seen at most once every ``session_spacing`` days.
    """
    st, specs, p = w.staff, w.specs, w.p
    n_specs = len(specs.node)
    if w.n_live == 0:
        return
    best = best_focus(w)
    fill_caseloads(w, best)
    minutes = p["period_minutes"]
    free = specs.free_today
    # A session takes a period, or what is left of the last one if that is at least
    # SESSION_MIN_SHARE of it (a few minutes of liaison do not cancel a session).
    whole = np.floor(left / minutes + (1.0 - sm.SESSION_MIN_SHARE) + 1e-9)
    n_slots = np.minimum(free.sum(axis=1), whole).astype(np.int64)
    u = _slot_draws(w)
    order = np.where(free, u[0], 2.0)
    slot = np.argsort(np.argsort(order, axis=1), axis=1) < n_slots[:, None]
    cote_first = u[1] < p["coteach_share"]
    rested = w.day - st.last_session >= p["session_spacing"]
    due = st.in_caseload & rested
    other = ~st.in_caseload & rested & (best > 0)
    spec = np.maximum(st.spec_of, 0)
    cand = np.flatnonzero((due | other) & (st.spec_of >= 0) & (n_slots[spec] > 0))
    if len(cand) == 0:
        return
    score = _first(priority(w, cand, best[cand]), due[cand])
    cand = cand[order_by_runs(w, st.spec_of[cand], score, cand // w.N)]
    chosen, is_cote = assign_slots(st.spec_of[cand], st.teaches[cand], slot, cote_first)
    if len(chosen) == 0:
        return
    t = cand[chosen]
    st.coached[t[~is_cote]] += 1
    st.cotaught[t[is_cote]] += 1
    booked = {name: minutes * np.bincount(st.spec_of[t[mask]], minlength=n_specs)
              for name, mask in (("coaching", ~is_cote), ("coteaching", is_cote))}
    # A trimmed last session books only the minutes that were left.
    total = booked["coaching"] + booked["coteaching"]
    trim = np.divide(np.minimum(total, left), total, out=np.ones_like(left), where=total > 0)
    for name, value in booked.items():
        specs.ledger_today[:, A[name]] = value * trim
    session_effects(w, t)


#: Candidates per specialist and period of the day examined first (exact: see below).
_WINDOW = 8


def assign_slots(owner: np.ndarray, teaches: np.ndarray, slot: np.ndarray,
                 cote_first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fill the specialists' slots from their ordered candidates, greedily by period.

    Args:
        owner: int64[C] each candidate's specialist; candidates sorted by specialist, then
            by priority.
        teaches: bool[C, P] where each candidate teaches.
        slot: bool[S, P] open slots of each specialist today.
        cote_first: bool[S, P] slots designated co-teaching.

    In each period, for the designated kind and then the other, each specialist with the
    slot open takes its first candidate not yet taken who fits (co-teaching: teaches then;
    coaching: free then).

    Returns:
        The chosen candidates' positions and whether each session is co-teaching, in the
        order period, pass, specialist.

    A specialist takes at most P candidates, so it first examines only its first
    ``_WINDOW`` x P; a specialist for which some pass found nobody in that window although
    it has more candidates is redone on its whole list. The result equals the greedy over
    all candidates, and the work per day is bounded by the slots, not by the staff.
    """
    limit = _WINDOW * slot.shape[1]
    rank = rank_in_groups(owner)
    picks, missed = _greedy(owner, teaches, slot, cote_first, np.flatnonzero(rank < limit))
    redo = missed & (np.bincount(owner, minlength=len(slot)) > limit)
    if redo.any():
        keep = ~redo[owner[picks[0]]]
        full, _ = _greedy(owner, teaches, slot & redo[:, None], cote_first,
                          np.flatnonzero(redo[owner]))
        picks = [np.concatenate([a[keep], b]) for a, b in zip(picks, full, strict=True)]
    chosen, is_cote, period, pass_ = picks
    order = np.lexsort((owner[chosen], pass_, period))
    return chosen[order], is_cote[order]


def _greedy(owner: np.ndarray, teaches: np.ndarray, slot: np.ndarray, cote_first: np.ndarray,
            among: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The greedy of :func:`assign_slots` over the candidates ``among`` (in order).

    Returns [chosen, is_cote, period, pass] arrays and a bool[S] mask of specialists for
    which some pass had an open slot but no fitting candidate. ``slot`` is not modified.
    """
    slot = slot.copy()
    who, teaches_t = owner[among], teaches[among].T.copy()
    free = np.ones(len(among), bool)  # not taken yet
    missed = np.zeros(len(slot), bool)
    chosen, kinds, sizes = [], [], []
    for period in np.flatnonzero(slot.any(axis=0)):  # a loop over periods, not agents
        designated = cote_first[:, period]  # per specialist: co-teaching first?
        fits_designated = teaches_t[period] == designated[who]
        for pass_ in (0, 1):
            before = slot[:, period].copy()
            fits = fits_designated if pass_ == 0 else ~fits_designated
            idx = np.flatnonzero(before[who] & free & fits)
            o = who[idx]
            first = np.empty(len(idx), bool)
            first[:1] = True
            np.not_equal(o[1:], o[:-1], out=first[1:])  # candidates grouped by specialist
            sel, spec = idx[first], o[first]
            free[sel] = False
            slot[spec, period] = False
            missed |= before & slot[:, period]
            chosen.append(among[sel])
            kinds.append(designated[spec] == (pass_ == 0))
            sizes.append((period, pass_, len(sel)))
    if not chosen:
        return [np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, np.int64),
                np.zeros(0, np.int64)], missed
    period, pass_, n = np.array(sizes).T
    return [np.concatenate(chosen), np.concatenate(kinds), np.repeat(period, n),
            np.repeat(pass_, n)], missed


def session_effects(w: World, t: np.ndarray) -> None:
    """Effects of a session on teachers ``t`` (each at most once a day).

    The session works on the teacher's innovation of the best focus kind, the newest
    first within a kind: UNAWARE -> AWARE, AWARE/ABANDONED -> TRIAL (the comfortable entry
    point), a supported successful use in TRIAL; persuasion raises self-efficacy and skill
    (``submodels.session_gain``); reliance moves by support style (``STYLE_EFFECTS``).
    """
    st, p, n = w.staff, w.p, w.n_live
    kind = focus_kind(w, t)
    j = np.argmax(kind.astype(np.int64) * (n + 1) + np.arange(n), axis=1)
    has = kind.max(axis=1) > 0
    asked = st.request_day[t] >= 0
    _book_session(w, t)
    reliance_step, success_prob = sm.style_effects(p["support_style"], p)
    if reliance_step > 0:  # do_for: doing it for those who asked breeds reliance
        r = st.reliance[t[asked]]
        st.reliance[t[asked]] = np.minimum(1.0, r + reliance_step * (1.0 - r))
    else:
        st.reliance[t] *= 1.0 + reliance_step
    t, j = t[has], j[has]
    u = w.draw("session", t // w.N)
    ok = u < success_prob
    s0 = st.stage[t, j]
    new = s0.copy()
    new[s0 == UNAWARE] = AWARE
    # A first try in a session is still the teacher's decision: it succeeds with the TAM
    # modifier's logistic, g / 2 (self-efficacy, complexity, advantage).
    r = t // w.N
    g = sm.trial_modifier(st.se[t], w.cat.complexity[r, j], w.cat.advantage[r, j],
                          p["se_weight"], p["advantage_weight"])
    start = (u < success_prob * 0.5 * g) & ((s0 == AWARE) | (s0 == ABANDONED))
    new[start] = TRIAL
    st.successes[t[start], j[start]] = 0
    practice = ok & (s0 == TRIAL)
    st.successes[t[practice], j[practice]] += 1
    st.stage[t, j] = new
    gain = sm.session_gain(p["coaching_effect"], p["se_sd"], p["sessions_per_cycle"])
    weight = np.where(ok, 1.0, 0.5)
    st.se[t] = np.minimum(1.0, st.se[t] + gain * weight)
    st.skill[t] = np.minimum(1.0, st.skill[t] + gain * weight)


def _book_session(w: World, t: np.ndarray) -> None:
    """Bookkeeping of a session: history, served help requests, caseload cycles."""
    st, day = w.staff, w.day
    st.last_session[t] = day
    st.last_support[t] = day
    st.reached[t] = True
    asked = t[st.request_day[t] >= 0]
    st.request_day[asked] = -1
    w.request_totals["served"] += np.bincount(asked // w.N, minlength=w.B)
    cycle = t[st.in_caseload[t]]
    st.cycle_sessions[cycle] += 1
    done = cycle[st.cycle_sessions[cycle] >= w.p["sessions_per_cycle"]]
    st.in_caseload[done] = False
    st.cycle_sessions[done] = 0
