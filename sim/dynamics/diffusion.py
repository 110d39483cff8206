"""Teacher-side phases of the day (ODD 3.1-3.4 and 3.6-3.8) as whole-array operations.

Each function runs one phase for all teachers and all live innovations at once. Every
random process draws from its own named stream with a shape fixed by the state (not by
agent order), so updates are synchronous and scenarios share random numbers.

Chained events reuse one uniform: given ``u < p``, ``u / p`` is again uniform on [0, 1) and
independent of the first event, so "aware today, then tries", or "uses, fails, then solves
it alone" need one draw per pair, not one per event (random numbers are the largest cost
of the day).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.dynamics import submodels as sm
from sim.dynamics.state import A, introduce
from sim.dynamics.submodels import ABANDONED, ADOPTED, AWARE, INTEGRATED, TRIAL, UNAWARE

if TYPE_CHECKING:
    from sim.model import DiffusionModel


def neighbour_sum(m: DiffusionModel, x: np.ndarray) -> np.ndarray:
    """Sum of ``x`` over each node's neighbours (rows are nodes)."""
    if m.adjacency is None:  # complete graph: everyone but oneself
        return x.sum(axis=0, keepdims=x.ndim > 1) - x
    return m.adjacency @ x


def invent(m: DiffusionModel) -> None:
    """Phase 1: lead-user innovation (specialists) and external arrivals."""
    p, specs = m.p, m.specs
    if len(specs.node):
        prob = sm.invention_prob(specs.ledger_today[:, A["exploration"]], p["invention_minutes"])
        inventors = np.flatnonzero(m.rs["invention"].random(len(specs.node)) < prob)
        for s in inventors:  # rare events: a handful a year
            introduce(m.cat, m.staff, specs, np.array([s]), m.day, p, m.rs["innovation_traits"])
    arrivals = m.rs["external"].poisson(p["external_innovation_rate"] / sm.DAYS_PER_YEAR)
    for _ in range(arrivals):
        introduce(m.cat, m.staff, specs, np.zeros(0, np.int64), m.day, p,
                  m.rs["innovation_traits"])


def _user_neighbours(m: DiffusionModel) -> np.ndarray:
    """Integer count of using neighbours per node and live innovation."""
    users = (m.staff.stage[:, : m.cat.n] >= TRIAL).astype(np.float32)
    return neighbour_sum(m, users).astype(np.int32)  # sums of 0/1 in float32 are exact


def awareness(m: DiffusionModel) -> None:
    """Phase 2: unaware nodes hear of innovations from outside and from using neighbours.

    Specialists are lead users: on hearing of an innovation they use it at once.
    """
    n = m.cat.n
    if n == 0:
        return
    stage = m.staff.stage[:, :n]
    m.today["user_neighbours"] = k = _user_neighbours(m)
    prob = sm.awareness_prob(k, m.p["aware_ext"] / sm.DAYS_PER_YEAR, m.p["aware_peer"])
    u = m.rs["adoption"].random(stage.shape)
    new = (stage == UNAWARE) & (u < prob)
    stage[new] = AWARE
    # The trial phase turns u into a fresh uniform for the newly aware (see module doc).
    m.today.update(u_trial=u, newly_aware=new, p_aware=prob)
    spec_new = new[m.n_teachers:]
    if spec_new.any():
        stage[m.n_teachers:][spec_new] = INTEGRATED
        m.today["user_neighbours"] = None  # users changed: the trial phase recounts


def trial(m: DiffusionModel) -> None:
    """Phase 3: aware (and, less likely, abandoned) teachers start using an innovation."""
    n, N, p = m.cat.n, m.n_teachers, m.p
    if n == 0:
        return
    stage = m.staff.stage[:N, :n]
    k = m.today.get("user_neighbours")
    if k is None or k.shape[1] != n:
        k = _user_neighbours(m)
    # Only AWARE and ABANDONED pairs can start: compute on those (flat indices) alone.
    idx = np.flatnonzero((stage == AWARE) | (stage == ABANDONED))
    t, j = np.divmod(idx, n)
    x = k[:N].ravel()[idx] / m.degree_safe[t]
    u = m.today["u_trial"][:N].ravel()[idx]
    newly = m.today["newly_aware"][:N].ravel()[idx]
    u[newly] /= m.today["p_aware"][:N].ravel()[idx][newly]  # given u < p, u/p is uniform
    if p["trial_rule"] == "hazard":
        g = sm.trial_modifier(m.staff.se[t], m.cat.complexity[j], m.cat.advantage[j],
                              p["se_weight"], p["advantage_weight"])
        hazard = sm.trial_hazard(x, p["p_ext"], p["q_peer"], g)
        hazard[stage.ravel()[idx] == ABANDONED] *= p["retry_factor"]
        go = u < hazard
    else:
        go = sm.threshold_trial(x, m.staff.threshold[t], u, p["threshold_noise"])
    stage[t[go], j[go]] = TRIAL
    m.staff.successes[t[go], j[go]] = 0


def use_and_failures(m: DiffusionModel) -> None:
    """Phase 4: users use innovations; failures are solved alone or become tickets.

    Waiting tickets are retried alone first; reliant teachers in TRIAL also ask for help
    although nothing failed. New tickets go to the help desk with ``helpdesk_share``,
    otherwise to the specialist (first contact).
    """
    n, N, p, st = m.cat.n, m.n_teachers, m.p, m.staff
    tk = m.tickets
    p_self = sm.self_solve_prob(st.se[:N], st.skill[:N], st.reliance[:N], p["self_solve_max"])
    retry = m.rs["self_retry"].random(tk.backlog) < p_self[tk.teacher]
    tk.close(retry, "self")
    empty = np.zeros(0, np.int64)
    m.today.update(succ_t=empty, succ_j=empty, n_succ=np.zeros(N), n_fail=np.zeros(N),
                   n_alone=np.zeros(N), n_mastery=np.zeros(N))
    if n == 0:
        return
    stage = st.stage[:N, :n]
    ref_self = sm.self_solve_prob(p["se_mean"], p["skill_mean"], 1 - p["se_mean"],
                                  p["self_solve_max"])
    base = sm.base_failure_prob(p["tickets_per_user_month"], p["use_prob"], ref_self)
    # One uniform per pair for the chain use -> failure -> solved alone (module doc); the
    # failure chain is computed on today's uses only (flat indices).
    u = m.rs["use"].random(stage.shape)
    p_use = p["use_prob"]
    idx = np.flatnonzero((stage >= TRIAL) & (u < p_use))
    t, j = np.divmod(idx, n)
    scale = sm.failure_scale(m.cat.complexity[:n], m.difficulty[m.school_of_teacher],
                             st.skill[:N], pairs=(t, j))
    u = u.ravel()[idx]
    p_fail = np.minimum(scale * (p_use * base), 0.95 * p_use)
    fail = u < p_fail
    alone = fail & (u < p_fail * p_self[t])
    ok = ~fail | alone
    reliant = (stage == TRIAL) & (st.reliance[:N, None] > p["reliance_cut"])
    r_t, r_j = np.nonzero(reliant)
    asks = m.rs["requests"].random(len(r_t)) < p["request_rate"] * st.reliance[r_t]
    new_t = np.concatenate([t[~ok], r_t[asks]])
    new_j = np.concatenate([j[~ok], r_j[asks]])
    pair = np.unique(new_t * n + new_j)  # at most one new ticket per pair and day
    new_t, new_j = np.divmod(pair, n)
    route = m.rs["routing"].random((2, len(new_t)))
    tk.add(new_t, new_j, m.day, key=route[0], desk=route[1] < p["helpdesk_share"])
    # Mastery experiences: a success in TRIAL counts fully, a routine one (ADOPTED or
    # INTEGRATED) only ``routine_mastery`` of it (easy successes build little efficacy).
    weight = np.where(stage.ravel()[idx[ok]] == TRIAL, 1.0, p["routine_mastery"])
    m.today.update(succ_t=t[ok], succ_j=j[ok], n_succ=np.bincount(t[ok], minlength=N),
                   n_fail=np.bincount(t[fail], minlength=N),
                   n_alone=np.bincount(t[alone], minlength=N),
                   n_mastery=np.bincount(t[ok], weight, minlength=N))
    _help_requests(m, stage)


#: Stages in which a teacher may ask for a session: an innovation to try, or in TRIAL.
_WANTS_HELP = np.zeros(6, bool)
_WANTS_HELP[[AWARE, ABANDONED, TRIAL]] = True


def _help_requests(m: DiffusionModel, stage: np.ndarray) -> None:
    """Teachers ask their specialist for a session; unanswered requests lapse.

    A teacher with a specialist, no open request and an innovation in AWARE, ABANDONED or
    TRIAL asks with daily probability ``help_request_rate`` x (0.5 + reliance). A request
    waits until a session serves it (``sim.dynamics.sessions``) or lapses after
    ``request_patience`` days.
    """
    st, p = m.staff, m.p
    day = st.request_day
    lapsed = (day >= 0) & (m.day - day > p["request_patience"])
    day[lapsed] = -1
    m.request_totals["lapsed"] += int(lapsed.sum())
    if p["help_request_rate"] == 0:
        return
    wants = _WANTS_HELP[stage].any(axis=1)
    prob = p["help_request_rate"] * (0.5 + st.reliance[: m.n_teachers])
    u = m.rs["help_requests"].random(m.n_teachers)
    new = wants & (day < 0) & (st.spec_of >= 0) & (u < prob)
    day[new] = m.day
    m.request_totals["created"] += int(new.sum())


def consolidation(m: DiffusionModel) -> None:
    """Phase 6: mastery moves TRIAL to ADOPTED and ADOPTED to INTEGRATED; peers answer tickets."""
    n, N, p, st = m.cat.n, m.n_teachers, m.p, m.staff
    if n == 0:
        return
    stage, succ = st.stage[:N, :n], st.successes[:N, :n]
    succ[m.today["succ_t"], m.today["succ_j"]] += 1
    se, rel = st.se[:N, None], st.reliance[:N, None]
    adopt = ((stage == TRIAL) & (succ >= p["adopt_successes"])
             & (se >= p["adopt_efficacy"]))
    integrate = ((stage == ADOPTED) & (se >= p["integrate_efficacy"])
                 & (rel <= p["integrate_reliance"]))
    stage[adopt] = ADOPTED
    stage[integrate] = INTEGRATED
    _peer_help(m)


def _peer_help(m: DiffusionModel) -> None:
    """INTEGRATED teachers (champions more often) answer their neighbours' waiting tickets."""
    tk, p, N, n = m.tickets, m.p, m.n_teachers, m.cat.n
    if tk.backlog == 0 or (p["peer_help"] == 0 and p["champion_help"] == 0):
        return
    # Columns 0..n-1: INTEGRATED teachers; n..2n-1: INTEGRATED champions (specialists help
    # as specialists, not as peers).
    helpers = np.zeros((m.n_nodes, 2 * n), np.float32)
    helpers[:N, :n] = m.staff.stage[:N, :n] == INTEGRATED
    helpers[:N, n:] = helpers[:N, :n] * m.staff.champion[:, None]
    rows, cols = tk.teacher, tk.innovation
    if m.adjacency is None:
        counts = helpers.sum(axis=0) - helpers[rows]
    else:
        counts = m.adjacency[rows] @ helpers  # neighbours of the waiting teachers only
    k_int = counts[np.arange(len(rows)), cols]
    k_ch = counts[np.arange(len(rows)), n + cols]
    prob = sm.peer_help_prob(k_int - k_ch, k_ch, p["peer_help"], p["champion_help"])
    solved = m.rs["peer"].random(len(rows)) < prob
    m.staff.last_support[rows[solved]] = m.day
    tk.close(solved, "peer")


def self_efficacy(m: DiffusionModel) -> None:
    """Phase 7: Bandura's sources update self-efficacy; success builds skill and independence."""
    N, p, st = m.n_teachers, m.p, m.staff
    n_succ, n_mastery = m.today["n_succ"], m.today["n_mastery"]
    # Vicarious experience: neighbours' mastery experiences today (a novel use counts
    # fully, a routine one by ``routine_mastery``), as a share of the neighbours.
    seen = np.zeros(m.n_nodes, np.float32)
    seen[:N] = np.minimum(n_mastery, 1.0)
    vicarious = neighbour_sum(m, seen)[:N] / m.degree_safe[:N]
    waiting = np.bincount(m.tickets.teacher, minlength=N) > 0
    st.se[:N] = sm.efficacy_change(st.se[:N], n_mastery, m.today["n_fail"],
                                   waiting, vicarious,
                                   p["mastery_gain"], p["failure_loss"], p["wait_loss"],
                                   p["vicarious_gain"])
    st.skill[:N] += p["skill_gain"] * n_succ * (1.0 - st.skill[:N])
    # Reliance follows confidence (drifts to its trait level 1 - se + own offset); solving a
    # failure alone is independent mastery and wears it down further (assumed).
    st.reliance[:N] = sm.reliance_change(
        st.reliance[:N], st.se[:N], st.reliance_offset[:N], m.today["n_alone"],
        p["reliance_drift"], p["mastery_gain"])
    np.clip(st.skill[:N], 0.0, 1.0, out=st.skill[:N])


def abandonment(m: DiffusionModel) -> None:
    """Phase 8: users with a waiting ticket, or dependent and long unsupported, may stop."""
    n, N, p, st = m.cat.n, m.n_teachers, m.p, m.staff
    if n == 0 or (p["abandon_rate"] == 0 and p["dependent_abandon_rate"] == 0):
        return
    stage = st.stage[:N, :n]
    waiting = np.zeros((N, n), bool)
    waiting[m.tickets.teacher, m.tickets.innovation] = True
    dependent = ((st.reliance[:N] > p["reliance_cut"])
                 & (m.day - st.last_support >= p["unsupported_days"]))
    active = (stage == TRIAL) | (stage == ADOPTED)
    t, j = np.nonzero(active & (waiting | dependent[:, None]))  # pairs at risk only
    keep = ((1.0 - p["abandon_rate"] * waiting[t, j])
            * (1.0 - p["dependent_abandon_rate"] * dependent[t]))
    quit_ = m.rs["abandon"].random(len(t)) < 1.0 - keep
    stage[t[quit_], j[quit_]] = ABANDONED
    st.successes[t[quit_], j[quit_]] = 0
