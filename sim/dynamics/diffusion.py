"""Teacher-side phases of the day (ODD 3.1-3.4 and 3.6-3.8) as whole-array operations.

Each function runs one phase for all teachers and all live innovations at once. Every
random process draws from its own named stream with a shape fixed by the state (not by
agent order), so updates are synchronous and scenarios share random numbers.

Chained events reuse one uniform: given ``u < p``, ``u / p`` is again uniform on [0, 1) and
independent of the first event, so "aware today, then tries", or "uses, fails, then solves
it alone" need one draw per pair, not one per event (random numbers are the largest cost
of the day).

Phases work on a ``World`` of one or many runs (``sim.dynamics.world``): teacher rows of
all runs at once, per-run draws from each run's own streams. What one phase hands to a
later one is returned as a small record (``Heard``, ``Uses``), never left in shared state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.dynamics import submodels as sm
from sim.dynamics.arrays import row_any
from sim.dynamics.state import A, beta_draw
from sim.dynamics.submodels import ABANDONED, ADOPTED, AWARE, INTEGRATED, TRIAL, UNAWARE
from sim.dynamics.world import World


@dataclass(frozen=True)
class Heard:
    """What the awareness phase hands to the trial phase (arrays over nodes x live columns).

    ``u_trial``: the trial decision's uniforms: the day's awareness uniforms, where a pair
    became aware today divided by its awareness probability (given ``u < p``, ``u / p`` is
    a fresh uniform: one draw for both events); ``user_neighbours``: using neighbours per
    pair after today's awareness (specialists who heard of something use it at once), or
    None on the complete graph when specialists started using something (the trial
    recounts).
    """

    u_trial: np.ndarray
    user_neighbours: np.ndarray | None


@dataclass(frozen=True)
class Uses:
    """What the use phase hands to consolidation and self-efficacy.

    ``succ_t``, ``succ_j``: (teacher, innovation) of today's successful uses; per teacher
    (float64[teachers]): successes, failures, failures solved alone, mastery experiences
    (a success in TRIAL counts 1, a routine one ``routine_mastery``).
    """

    succ_t: np.ndarray
    succ_j: np.ndarray
    n_succ: np.ndarray
    n_fail: np.ndarray
    n_alone: np.ndarray
    n_mastery: np.ndarray


def neighbour_sum(w: World, x: np.ndarray) -> np.ndarray:
    """Sum of ``x`` over each node's neighbours (rows are nodes), within each run."""
    if w.adjacency is None:  # complete graph: everyone of the run but oneself
        return w.by_run(x).sum(axis=1)[w.run_of_node(np.arange(len(x)))] - x
    return w.adjacency @ x


def neighbours_of(w: World, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The neighbours of nodes ``rows`` on the network (not the complete graph).

    Returns ``(neighbour, which)``: int arrays of equal length, ``neighbour`` a node row
    and ``which`` the position in ``rows`` it is a neighbour of (grouped by position).
    """
    a = w.adjacency
    start = a.indptr[rows]
    lengths = a.indptr[rows + 1] - start
    which = np.repeat(np.arange(len(rows)), lengths)
    offset = np.arange(len(which)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return a.indices[start[which] + offset].astype(np.int64), which


def introduce(w: World, r: int, origins: np.ndarray) -> int:
    """Add one innovation to run ``r``'s catalogue; its first users use it at once.

    Args:
        origins: the run's own indices of the originating specialists (lead users); empty
            for an external innovation, which every specialist of the run picks up at once.

    Returns:
        The new innovation's column, or -1 when the catalogue is full (counted as blocked).
    """
    cat, p, g = w.cat, w.p, w.streams[r]["innovation_traits"]
    j = int(cat.n[r])
    if j >= cat.complexity.shape[1]:
        cat.blocked[r] += 1
        return -1
    cat.complexity[r, j] = beta_draw(g, p["complexity_mean"], 0.15)
    cat.advantage[r, j] = beta_draw(g, p["advantage_mean"], 0.15)
    cat.origin[r, j] = origins[0] if len(origins) else -1
    cat.day[r, j] = w.day
    local = np.arange(w.S) if len(origins) == 0 else np.asarray(origins, np.int64)
    w.staff.stage[w.specs.node[r * w.S + local], j] = INTEGRATED
    cat.first_users[r].append(w.N + local)
    cat.n[r] += 1
    return j


def invent(w: World) -> None:
    """Phase 1: lead-user innovation (specialists) and external arrivals.

    Each run draws one uniform per specialist (``invention``), then the number of
    external arrivals (``external``); runs' catalogues are their own, so runs may be
    served one after another.
    """
    p, S = w.p, w.S
    prob = sm.invention_prob(w.specs.ledger_today[:, A["exploration"]], p["invention_minutes"])
    rate = p["external_innovation_rate"] / sm.DAYS_PER_YEAR
    if S:
        hits = np.flatnonzero(w.draw("invention", np.repeat(np.arange(w.B), S)) < prob)
        for r, s in zip(*np.divmod(hits, S), strict=True):  # a few a year
            introduce(w, int(r), np.array([s]))
    for r, g in enumerate(w.generators("external")):
        for _ in range(g.poisson(rate)):
            introduce(w, r, np.zeros(0, np.int64))


def _user_neighbours(w: World, n: int) -> np.ndarray:
    """Integer count of using neighbours per node and live column."""
    users = (w.staff.stage[:, :n] >= TRIAL).astype(np.float32)
    return neighbour_sum(w, users).astype(np.int32)  # sums of 0/1 in float32 are exact


def awareness(w: World) -> Heard | None:
    """Phase 2: unaware nodes hear of innovations from outside and from using neighbours.

    Specialists are lead users: on hearing of an innovation they use it at once. Returns
    None when no run has a live innovation.
    """
    n = w.n_live
    if n == 0:
        return None
    stage = w.staff.stage[:, :n]
    k = _user_neighbours(w, n)
    u = w.draw_pairs("adoption", slice(None), w.cat.n, n)  # 2.0 where not live: never
    # Only UNAWARE pairs can hear: the probabilities are computed on those (flat indices).
    idx = np.flatnonzero(stage == UNAWARE)
    prob = sm.awareness_prob(k.ravel()[idx], w.p["aware_ext"] / sm.DAYS_PER_YEAR,
                             w.p["aware_peer"])
    u_flat = u.ravel()
    hit = u_flat[idx] < prob
    new = idx[hit]
    rows, cols = np.divmod(new, n)
    stage[rows, cols] = AWARE
    u_flat[new] /= prob[hit]  # the trial decision's fresh uniform (module doc)
    spec = rows >= w.n_teachers
    if spec.any():
        stage[rows[spec], cols[spec]] = INTEGRATED
        k = _with_new_users(w, k, rows[spec], cols[spec])
    return Heard(u, k)


def _with_new_users(w: World, k: np.ndarray, rows: np.ndarray,
                    cols: np.ndarray) -> np.ndarray | None:
    """``k`` after nodes ``rows`` began using ``cols`` (distinct pairs, none a user before).

    Exactly the recount of :func:`_user_neighbours` (the adjacency is 0/1 and symmetric):
    each neighbour of a new user gains one using neighbour in that column. None on the
    complete graph (the trial phase recounts).
    """
    if w.adjacency is None:
        return None
    nbr, which = neighbours_of(w, rows)
    np.add.at(k, (nbr, cols[which]), 1)
    return k


def trial(w: World, heard: Heard | None) -> None:
    """Phase 3: aware (and, less likely, abandoned) teachers start using an innovation."""
    n, N, p = w.n_live, w.n_teachers, w.p
    if heard is None:
        return
    stage = w.staff.stage[:N, :n]
    k = heard.user_neighbours if heard.user_neighbours is not None else \
        _user_neighbours(w, n)
    # Only AWARE and ABANDONED pairs can start: compute on those (flat indices) alone.
    idx = np.flatnonzero((stage == AWARE) | (stage == ABANDONED))
    t, j = np.divmod(idx, n)
    x = k[:N].ravel()[idx] / w.degree_safe[t]
    u = heard.u_trial[:N].ravel()[idx]
    if p["trial_rule"] == "hazard":
        r = t // w.N
        g = sm.trial_modifier(w.staff.se[:N], w.cat.complexity, w.cat.advantage,
                              p["se_weight"], p["advantage_weight"], pairs=(t, (r, j)))
        hazard = sm.trial_hazard(x, p["p_ext"], p["q_peer"], g)
        hazard[stage.ravel()[idx] == ABANDONED] *= p["retry_factor"]
        go = u < hazard
    else:
        go = sm.threshold_trial(x, w.staff.threshold[t], u, p["threshold_noise"])
    stage[t[go], j[go]] = TRIAL
    w.staff.successes[t[go], j[go]] = 0


def use_and_failures(w: World) -> Uses:
    """Phase 4: users use innovations; failures are solved alone or become tickets.

    Waiting tickets are retried alone first; reliant teachers in TRIAL also ask for help
    although nothing failed. New tickets go to the help desk with ``helpdesk_share``,
    otherwise to the specialist (first contact).
    """
    n, N, p, st, tk = w.n_live, w.n_teachers, w.p, w.staff, w.tickets
    p_self = sm.self_solve_prob(st.se[:N], st.skill[:N], st.reliance[:N], p["self_solve_max"])
    retry = w.draw("self_retry", tk.run_of(tk.teacher)) < p_self[tk.teacher]
    tk.close(retry, "self")
    if n == 0:
        empty = np.zeros(0, np.int64)
        return Uses(empty, empty, np.zeros(N), np.zeros(N), np.zeros(N), np.zeros(N))
    stage = st.stage[:N, :n]
    ref_self = sm.self_solve_prob(p["se_mean"], p["skill_mean"], 1 - p["se_mean"],
                                  p["self_solve_max"])
    base = sm.base_failure_prob(p["tickets_per_user_month"], p["use_prob"], ref_self)
    # One uniform per pair for the chain use -> failure -> solved alone (module doc); the
    # failure chain is computed on today's uses only (flat indices).
    u = w.draw_pairs("use", slice(0, N), w.cat.n, n)
    p_use = p["use_prob"]
    idx = np.flatnonzero((stage >= TRIAL) & (u < p_use))
    t, j = np.divmod(idx, n)
    scale = sm.failure_scale(w.cat.complexity, w.difficulty[w.school_of_teacher],
                             st.skill[:N], pairs=(t, (t // w.N, j)))
    u = u.ravel()[idx]
    p_fail = np.minimum(scale * (p_use * base), 0.95 * p_use)
    fail = u < p_fail
    alone = fail & (u < p_fail * p_self[t])
    ok = ~fail | alone
    # Reliant teachers' pairs in TRIAL, in row-major order (rows of reliant teachers only).
    rows = np.flatnonzero(st.reliance[:N] > p["reliance_cut"])
    r_i, r_j = np.nonzero(stage[rows] == TRIAL)
    r_t = rows[r_i]
    asks = w.draw("requests", r_t // w.N) < p["request_rate"] * st.reliance[r_t]
    new_t = np.concatenate([t[~ok], r_t[asks]])
    new_j = np.concatenate([j[~ok], r_j[asks]])
    pair = np.unique(new_t * n + new_j)  # at most one new ticket per pair and day
    new_t, new_j = np.divmod(pair, n)
    route = w.draw("routing", new_t // w.N, rows=2)
    tk.add(new_t, new_j, w.day, key=route[0], desk=route[1] < p["helpdesk_share"])
    _help_requests(w, stage)
    # Mastery experiences: a success in TRIAL counts fully, a routine one (ADOPTED or
    # INTEGRATED) only ``routine_mastery`` of it (easy successes build little efficacy).
    weight = np.where(stage.ravel()[idx[ok]] == TRIAL, 1.0, p["routine_mastery"])
    return Uses(t[ok], j[ok], np.bincount(t[ok], minlength=N),
                np.bincount(t[fail], minlength=N), np.bincount(t[alone], minlength=N),
                np.bincount(t[ok], weight, minlength=N))


def _wants_help(stage: np.ndarray) -> np.ndarray:
    """Pairs in which a teacher may ask for a session: bool, the shape of ``stage``.

    AWARE, ABANDONED or TRIAL (an innovation to try, or in TRIAL): codes 1-3, so one
    unsigned comparison.
    """
    return stage.view(np.uint8) - np.uint8(1) < 3


assert (AWARE, ABANDONED, TRIAL) == (1, 2, 3), "_wants_help assumes these codes"


def _help_requests(w: World, stage: np.ndarray) -> None:
    """Teachers ask their specialist for a session; unanswered requests lapse.

    A teacher with a specialist, no open request and an innovation in AWARE, ABANDONED or
    TRIAL asks with daily probability ``help_request_rate`` x (0.5 + reliance). A request
    waits until a session serves it (``sim.dynamics.sessions``) or lapses after
    ``request_patience`` days. Runs without a live innovation skip this step.
    """
    st, p, N = w.staff, w.p, w.n_teachers
    run = np.arange(N) // w.N
    live = (w.cat.n > 0)[run]
    day = st.request_day
    lapsed = live & (day >= 0) & (w.day - day > p["request_patience"])
    day[lapsed] = -1
    w.request_totals["lapsed"] += np.bincount(run[lapsed], minlength=w.B)
    if p["help_request_rate"] == 0:
        return
    wants = row_any(_wants_help(stage))
    prob = p["help_request_rate"] * (0.5 + st.reliance[:N])
    u = np.full(N, 2.0)
    asking = np.flatnonzero(live)
    u[asking] = w.draw("help_requests", run[asking])
    new = wants & (day < 0) & (st.spec_of >= 0) & (u < prob)
    day[new] = w.day
    w.request_totals["created"] += np.bincount(run[new], minlength=w.B)


def consolidation(w: World, uses: Uses) -> None:
    """Phase 6: mastery moves TRIAL to ADOPTED and ADOPTED to INTEGRATED; peers answer tickets."""
    n, N, p, st = w.n_live, w.n_teachers, w.p, w.staff
    if n == 0:
        return
    stage, succ = st.stage[:N, :n], st.successes[:N, :n]
    succ[uses.succ_t, uses.succ_j] += 1
    se, rel = st.se[:N, None], st.reliance[:N, None]
    adopt = ((stage == TRIAL) & (succ >= p["adopt_successes"])
             & (se >= p["adopt_efficacy"]))
    integrate = ((stage == ADOPTED) & (se >= p["integrate_efficacy"])
                 & (rel <= p["integrate_reliance"]))
    stage[adopt] = ADOPTED
    stage[integrate] = INTEGRATED
    _peer_help(w)


def _peer_help(w: World) -> None:
    """INTEGRATED teachers (champions more often) answer their neighbours' waiting tickets."""
    tk, p, N, n = w.tickets, w.p, w.n_teachers, w.n_live
    if tk.backlog == 0 or (p["peer_help"] == 0 and p["champion_help"] == 0):
        return
    rows, cols = tk.teacher, tk.innovation
    # INTEGRATED teacher neighbours, and champions among them, per waiting ticket (exact
    # counts as float32; specialists help as specialists, not as peers).
    if w.adjacency is None:
        helpers = np.zeros((w.n_nodes, 2 * n), np.float32)
        helpers[:N, :n] = w.staff.stage[:N, :n] == INTEGRATED
        helpers[:N, n:] = helpers[:N, :n] * w.staff.champion[:, None]
        counts = w.by_run(helpers).sum(axis=1)[rows // w.N] - helpers[rows]
        k_int = counts[np.arange(len(rows)), cols]
        k_ch = counts[np.arange(len(rows)), n + cols]
    else:
        nbr, which = neighbours_of(w, rows)
        teacher = nbr < N
        nbr, which = nbr[teacher], which[teacher]
        integrated = w.staff.stage[nbr, cols[which]] == INTEGRATED
        champion = integrated & w.staff.champion[nbr]
        k_int = np.bincount(which, integrated, minlength=len(rows)).astype(np.float32)
        k_ch = np.bincount(which, champion, minlength=len(rows)).astype(np.float32)
    prob = sm.peer_help_prob(k_int - k_ch, k_ch, p["peer_help"], p["champion_help"])
    solved = w.draw("peer", tk.run_of(rows)) < prob
    w.staff.last_support[rows[solved]] = w.day
    tk.close(solved, "peer")


def self_efficacy(w: World, uses: Uses) -> None:
    """Phase 7: Bandura's sources update self-efficacy; success builds skill and independence."""
    N, p, st = w.n_teachers, w.p, w.staff
    # Vicarious experience: neighbours' mastery experiences today (a novel use counts
    # fully, a routine one by ``routine_mastery``), as a share of the neighbours.
    seen = np.zeros(w.n_nodes, np.float32)
    seen[:N] = np.minimum(uses.n_mastery, 1.0)
    vicarious = neighbour_sum(w, seen)[:N] / w.degree_safe[:N]
    waiting = np.bincount(w.tickets.teacher, minlength=N) > 0
    st.se[:N] = sm.efficacy_change(st.se[:N], uses.n_mastery, uses.n_fail,
                                   waiting, vicarious,
                                   p["mastery_gain"], p["failure_loss"], p["wait_loss"],
                                   p["vicarious_gain"])
    st.skill[:N] += p["skill_gain"] * uses.n_succ * (1.0 - st.skill[:N])
    # Reliance follows confidence (drifts to its trait level 1 - se + own offset); solving a
    # failure alone is independent mastery and wears it down further (assumed).
    st.reliance[:N] = sm.reliance_change(
        st.reliance[:N], st.se[:N], st.reliance_offset[:N], uses.n_alone,
        p["reliance_drift"], p["mastery_gain"])
    np.clip(st.skill[:N], 0.0, 1.0, out=st.skill[:N])


def abandonment(w: World) -> None:
    """Phase 8: users with a waiting ticket, or dependent and long unsupported, may stop."""
    n, N, p, st = w.n_live, w.n_teachers, w.p, w.staff
    if n == 0 or (p["abandon_rate"] == 0 and p["dependent_abandon_rate"] == 0):
        return
    dependent = ((st.reliance[:N] > p["reliance_cut"])
                 & (w.day - st.last_support >= p["unsupported_days"]))
    # Pairs at risk only, in row-major order: rows of dependent or waiting teachers.
    rows = np.flatnonzero(dependent | (np.bincount(w.tickets.teacher, minlength=N) > 0))
    waiting = np.zeros((len(rows), n), bool)
    waiting[np.searchsorted(rows, w.tickets.teacher), w.tickets.innovation] = True
    stage = st.stage[rows, :n]
    active = (stage == TRIAL) | (stage == ADOPTED)
    i, j = np.nonzero(active & (waiting | dependent[rows, None]))
    t = rows[i]
    waiting = waiting[i, j]
    keep = ((1.0 - p["abandon_rate"] * waiting)
            * (1.0 - p["dependent_abandon_rate"] * dependent[t]))
    quit_ = w.draw("abandon", t // w.N) < 1.0 - keep
    st.stage[t[quit_], j[quit_]] = ABANDONED
    st.successes[t[quit_], j[quit_]] = 0
