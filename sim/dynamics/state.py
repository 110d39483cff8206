"""Model state as numpy arrays, and its initialisation (setup, not the daily step).

Rows of the per-node arrays are network nodes: teachers first (0..N-1), then specialists
(N..M-1). Per-innovation arrays are preallocated for the whole catalogue (M x K) and the
daily step works on the first ``n`` (live) columns only, as views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.dynamics.submodels import Stage, beta_params
from sim.network import StaffNetwork
from sim.rng import Streams

#: Activities of the specialist's time ledger, in the order of the day.
ACTIVITIES = (
    "troubleshooting", "duties", "liaison", "exploration", "training", "coaching",
    "coteaching", "unused",
)
A = {name: i for i, name in enumerate(ACTIVITIES)}
#: Planned work that accrues with the minutes worked and is done in blocks (ODD 7.5).
OWED = ("duties", "liaison", "exploration", "training")


@dataclass
class Catalogue:
    """The district's innovations (capacity K; the first ``n`` are live)."""

    complexity: np.ndarray
    advantage: np.ndarray
    origin: np.ndarray  # first originating specialist, or -1 for external innovations
    day: np.ndarray
    n: int = 0
    first_users: list[np.ndarray] = field(default_factory=list)  # nodes using it on day 1
    blocked: int = 0  # inventions not introduced because the catalogue was full

    @classmethod
    def empty(cls, capacity: int) -> Catalogue:
        """A catalogue with room for ``capacity`` innovations."""
        return cls(np.zeros(capacity), np.zeros(capacity), np.full(capacity, -1),
                   np.zeros(capacity, dtype=np.int64))

    @property
    def full(self) -> bool:
        """True when no further innovation can be introduced."""
        return self.n >= len(self.complexity)


@dataclass
class Staff:
    """Per-node and per-teacher arrays."""

    se: np.ndarray  # float64[M] technology self-efficacy
    se0: np.ndarray  # float64[N] initial self-efficacy of the teachers (for measures)
    skill: np.ndarray  # float64[M] technological knowledge
    reliance: np.ndarray  # float64[M] tendency to hand problems to others
    reliance_offset: np.ndarray  # float64[M] own offset of reliance from 1 - self-efficacy
    threshold: np.ndarray  # float64[M] adoption threshold (threshold rule)
    stage: np.ndarray  # int8[M, K]
    successes: np.ndarray  # int16[M, K] successful uses since trial
    teaches: np.ndarray  # bool[N, P] True where the teacher teaches in that period
    spec_of: np.ndarray  # int64[N] the teacher's specialist, -1 for none
    champion: np.ndarray  # bool[N] trained peer champion (champion_u < champion_share)
    champion_u: np.ndarray  # float64[N] fixed uniforms: raising the share keeps champions
    in_caseload: np.ndarray  # bool[N]
    cycle_sessions: np.ndarray  # int64[N] sessions in the current coaching cycle
    cycle_start: np.ndarray  # int64[N] day the current cycle began
    last_session: np.ndarray  # int64[N] day of the last coaching/co-teaching session
    last_support: np.ndarray  # int64[N] day of the last support of any kind
    reached: np.ndarray  # bool[N] had at least one session with their specialist
    coached: np.ndarray  # int64[N] one-to-one coaching sessions received
    cotaught: np.ndarray  # int64[N] co-teaching sessions received
    trainings: np.ndarray  # int64[N] trainings attended
    request_day: np.ndarray  # int64[N] day of the open help request, -1 for none


@dataclass
class Specialists:
    """Per-specialist arrays (S specialists)."""

    node: np.ndarray  # int64[S] network node of the specialist
    school: np.ndarray  # int64[S]
    fte: np.ndarray  # float64[S]
    rank: np.ndarray  # int64[S, P] order in which periods become free as fte grows
    free: np.ndarray  # bool[S, P] periods free on some day (rank < ceil(fte x P))
    free_today: np.ndarray  # bool[S, P] periods free of own teaching today
    avail_today: np.ndarray  # float64[S] minutes as specialist today
    ledger_today: np.ndarray  # float64[S, len(ACTIVITIES)] minutes
    ledger_total: np.ndarray  # float64[S, len(ACTIVITIES)] minutes since day 0
    desk_credit: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: float64[S, len(OWED)] minutes of planned work owed (accrue daily, done in blocks)
    owed: np.ndarray = field(default_factory=lambda: np.zeros((0, len(OWED))))


@dataclass
class Tickets:
    """Open tickets, one row each, plus conservation counters per run.

    Teacher rows ``r * per_run .. (r + 1) * per_run - 1`` belong to run r (``World``); a
    single model is one run. ``created`` and ``solved`` are totals over the runs,
    ``created_runs`` and ``solved_runs`` the counts of each run (int64[B]).
    """

    teacher: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    innovation: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    day: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    key: np.ndarray = field(default_factory=lambda: np.zeros(0))  # FIFO tie-break
    desk: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    runs: int = 1
    per_run: int = 2**62
    created_runs: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    solved_runs: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def for_runs(cls, runs: int, per_run: int) -> Tickets:
        """No tickets yet, for ``runs`` runs of ``per_run`` teachers each."""
        return cls(runs=runs, per_run=per_run, created_runs=np.zeros(runs, np.int64),
                   solved_runs={c: np.zeros(runs, np.int64) for c in CHANNELS})

    def __post_init__(self) -> None:
        for c in CHANNELS:
            self.solved_runs.setdefault(c, np.zeros(self.runs, np.int64))

    def run_of(self, teacher: np.ndarray) -> np.ndarray:
        """Run index of tickets (or teachers) by teacher row."""
        return teacher // self.per_run

    def add(self, teacher: np.ndarray, innovation: np.ndarray, day: int,
            key: np.ndarray, desk: np.ndarray) -> None:
        """Append new tickets."""
        self.teacher = np.concatenate([self.teacher, teacher])
        self.innovation = np.concatenate([self.innovation, innovation])
        self.day = np.concatenate([self.day, np.full(len(teacher), day)])
        self.key = np.concatenate([self.key, key])
        self.desk = np.concatenate([self.desk, desk])
        self.created_runs += np.bincount(self.run_of(teacher), minlength=self.runs)

    def close(self, solved: np.ndarray, channel: str) -> None:
        """Remove the tickets where ``solved`` is True, crediting ``channel``."""
        self.solved_runs[channel] += np.bincount(self.run_of(self.teacher[solved]),
                                                 minlength=self.runs)
        keep = ~solved
        for name in ("teacher", "innovation", "day", "key", "desk"):
            setattr(self, name, getattr(self, name)[keep])

    @property
    def created(self) -> int:
        """Tickets created (all runs)."""
        return int(self.created_runs.sum())

    @property
    def solved(self) -> dict[str, int]:
        """Tickets solved by channel (all runs)."""
        return {c: int(v.sum()) for c, v in self.solved_runs.items()}

    @property
    def backlog(self) -> int:
        """Tickets still open (all runs)."""
        return len(self.teacher)

    def backlog_runs(self) -> np.ndarray:
        """Tickets still open in each run: int64[B]."""
        return np.bincount(self.run_of(self.teacher), minlength=self.runs)


#: Channels that solve tickets.
CHANNELS = ("specialist", "helpdesk", "peer", "self")


def beta_draw(g: np.random.Generator, mean: float, sd: float,
              size: int | None = None) -> np.ndarray | float:
    """Draws from the Beta distribution with this mean and sd (``submodels.beta_params``).

    At a mean of 0 or 1 (allowed for innovation traits) or an sd of 0 the distribution is
    the point mass at the mean: that value is returned without drawing.
    """
    if not 0.0 < mean < 1.0 or sd <= 0.0:
        return float(mean) if size is None else np.full(size, float(mean))
    a, b = beta_params(mean, sd)
    return g.beta(a, b, size)


def specialist_fte(p: dict[str, Any], sizes: np.ndarray) -> np.ndarray:
    """FTE of a school's specialists: part-time below ``part_time_below`` teachers."""
    return np.where(sizes < p["part_time_below"], p["specialist_fte"], 1.0)


def free_periods(fte: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """The periods each specialist has free on some day.

    ``rank`` (S, P) is each specialist's random order of periods; on a day with k specialist
    periods the k lowest ranks are free, so raising fte keeps every period that was free
    before (schedules nest, which keeps scenarios comparable). A specialist has
    ceil(fte x P) periods free on some days (at least one).
    """
    most = np.maximum(1, np.ceil(fte * rank.shape[1] - 1e-9)).astype(np.int64)
    return rank < most[:, None]


def periods_on_day(fte: np.ndarray, periods: int, day: int) -> np.ndarray:
    """Specialist periods on school day ``day`` (1, 2, ...): fte x P spread evenly over days.

    A 0.2-FTE specialist with 7 periods has 1.4 periods a day on average: one period on
    three days out of five and two on the others (cumulative rounding), so even a 0.1-FTE
    specialist holds a whole-period session on some days instead of never.
    """
    total = fte * periods
    return (np.floor(day * total + 1e-9) - np.floor((day - 1) * total + 1e-9)).astype(np.int64)


def period_availability(fte: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Share of school days on which each specialist period is free of own teaching.

    With ``c = fte x P`` specialist periods a day on average (``periods_on_day``), the
    period of rank r is free on ``clip(c - r, 0, 1)`` of the days: the first floor(c)
    periods every day, the next one on the fractional part of the days (a period partly
    free: the specialist teaches it on some days only), the others never. Shape (S, P).
    """
    return np.clip(fte[:, None] * rank.shape[1] - rank, 0.0, 1.0)


def reach_share(staff: Staff, specs: Specialists) -> np.ndarray:
    """Share of school days on which a teacher can meet the specialist one to one.

    A one-to-one meeting needs a period in which both are free. Because the specialist's
    periods nest (the free periods of a day with k periods are the k lowest ranks), a
    teacher can meet on exactly the days on which their best period is free:
    ``max`` over the teacher's free periods of :func:`period_availability`. 0 for teachers
    without a specialist. Float64[N].
    """
    has = staff.spec_of >= 0
    out = np.zeros(len(staff.spec_of))
    avail = period_availability(specs.fte, specs.rank)[staff.spec_of[has]]
    out[has] = np.where(staff.teaches[has], 0.0, avail).max(axis=1, initial=0.0)
    return out


def init_staff(p: dict[str, Any], net: StaffNetwork, rs: Streams) -> Staff:
    """Initial teacher state: self-efficacy, skill, reliance, thresholds, schedules."""
    m, n = net.n_nodes, net.n_teachers
    g = rs["teachers"]
    se = beta_draw(g, p["se_mean"], p["se_sd"], m)
    # Skill correlates with self-efficacy through a shared normal score (assumed).
    z = (se - se.mean()) / max(se.std(), 1e-9)
    mix = p["skill_se_corr"] * z + np.sqrt(1 - p["skill_se_corr"] ** 2) * g.standard_normal(m)
    ranks = np.argsort(np.argsort(mix)) / max(m - 1, 1)
    skill = np.sort(beta_draw(g, p["skill_mean"], 0.2, m))
    skill = skill[np.rint(ranks * (m - 1)).astype(np.int64)]
    offset = p["reliance_noise"] * g.standard_normal(m)
    reliance = np.clip(1.0 - se + offset, 0.0, 1.0)
    threshold = beta_draw(g, p["threshold_mean"], p["threshold_sd"], m)
    spec_rows = net.is_specialist
    se[spec_rows], skill[spec_rows], reliance[spec_rows] = 1.0, 1.0, 0.0

    sched = rs["schedule"]
    periods = p["periods_per_day"]
    n_free = sched.integers(p["free_periods_min"], p["free_periods_max"] + 1, n)
    ranks_p = np.argsort(np.argsort(sched.random((n, periods)), axis=1), axis=1)
    teaches = ranks_p >= n_free[:, None]

    k = p["max_innovations"]
    never = np.full(n, -10**9, dtype=np.int64)
    return Staff(
        se=se, se0=se[:n].copy(), skill=skill, reliance=reliance, reliance_offset=offset,
        threshold=threshold,
        stage=np.zeros((m, k), dtype=np.int8), successes=np.zeros((m, k), dtype=np.int16),
        teaches=teaches, spec_of=np.full(n, -1, dtype=np.int64),
        champion=(champion_u := rs["champions"].random(n)) < p["champion_share"],
        champion_u=champion_u,
        in_caseload=np.zeros(n, dtype=bool), cycle_sessions=np.zeros(n, dtype=np.int64),
        cycle_start=never.copy(), last_session=never.copy(), last_support=np.zeros(n, np.int64),
        reached=np.zeros(n, dtype=bool), trainings=np.zeros(n, dtype=np.int64),
        coached=np.zeros(n, dtype=np.int64), cotaught=np.zeros(n, dtype=np.int64),
        request_day=np.full(n, -1, dtype=np.int64),
    )


def init_specialists(
    p: dict[str, Any], net: StaffNetwork, staff: Staff, rs: Streams
) -> Specialists:
    """Specialists' FTE and free periods; assign each teacher to a specialist of the school."""
    nodes = np.flatnonzero(net.is_specialist)
    school = net.school[nodes].astype(np.int64)
    sizes = np.bincount(net.school[: net.n_teachers], minlength=net.n_schools)
    fte = specialist_fte(p, sizes[school]) if len(nodes) else np.zeros(0)
    u = rs["schedule_specialists"].random((len(nodes), p["periods_per_day"]))
    rank = np.argsort(np.argsort(u, axis=1), axis=1)
    free = free_periods(fte, rank)
    specs = Specialists(
        node=nodes, school=school, fte=fte, rank=rank, free=free,
        free_today=np.zeros_like(free), avail_today=np.zeros(len(nodes)),
        ledger_today=np.zeros((len(nodes), len(ACTIVITIES))),
        ledger_total=np.zeros((len(nodes), len(ACTIVITIES))),
        desk_credit=np.zeros(net.n_schools), owed=np.zeros((len(nodes), len(OWED))),
    )
    staff.spec_of[:] = assign_specialists(net.school[: net.n_teachers], school,
                                          rs["assignment"])
    return specs


def assign_specialists(teacher_school: np.ndarray, spec_school: np.ndarray,
                       g: np.random.Generator) -> np.ndarray:
    """Each teacher's specialist: a school's teachers are shared evenly among its specialists.

    Teachers are dealt out in a random order (a seeded draw, not their row in the node
    table), so with several specialists per school nobody's specialist depends on position.
    Returns int64[N], -1 for teachers of a school without a specialist.
    """
    n_schools = int(max(teacher_school.max(initial=-1), spec_school.max(initial=-1))) + 1
    count = np.bincount(spec_school, minlength=n_schools)
    by_school = np.argsort(spec_school, kind="stable")  # specialists grouped by school
    first_spec = np.cumsum(count) - count
    order = np.lexsort((g.random(len(teacher_school)), teacher_school))
    school_sorted = teacher_school[order]
    position = np.arange(len(order)) - np.searchsorted(school_sorted, school_sorted)
    out = np.full(len(teacher_school), -1, dtype=np.int64)
    has = count[school_sorted] > 0
    slot = first_spec[school_sorted] + position % np.maximum(count[school_sorted], 1)
    out[order[has]] = by_school[slot[has]]
    return out


def introduce(cat: Catalogue, staff: Staff, specs: Specialists, origins: np.ndarray,
              day: int, p: dict[str, Any], g: np.random.Generator) -> int:
    """Add one innovation to the catalogue and make its first users use it.

    Args:
        origins: indices of the originating specialists (lead users); empty for an external
            innovation, which every specialist picks up at once (they follow the field).

    Returns:
        The new innovation's column, or -1 when the catalogue is full (counted as blocked).
    """
    if cat.full:
        cat.blocked += 1
        return -1
    j = cat.n
    cat.complexity[j] = beta_draw(g, p["complexity_mean"], 0.15)
    cat.advantage[j] = beta_draw(g, p["advantage_mean"], 0.15)
    cat.origin[j] = origins[0] if len(origins) else -1
    cat.day[j] = day
    firsts = specs.node if len(origins) == 0 else specs.node[origins]
    staff.stage[firsts, j] = Stage.INTEGRATED
    cat.first_users.append(np.asarray(firsts, dtype=np.int64))
    cat.n += 1
    return j
