"""DiffusionModel: setup, the daily schedule (written once, in ``step``) and measures."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import Network

from sim.agents import Specialist, Teacher
from sim.dynamics import diffusion, measures
from sim.dynamics.specialist_day import specialist_day
from sim.dynamics.state import (
    Catalogue,
    Tickets,
    free_periods,
    init_specialists,
    init_staff,
    introduce,
    reach_share,
    specialist_fte,
)
from sim.dynamics.submodels import DAYS_PER_YEAR, Stage
from sim.network import build_network
from sim.params import PARAMS, ParameterError, resolve, validate
from sim.rng import Streams


def coerce_seed(seed: Any, name: str = "seed") -> int:
    """One integer seed: ints pass, digit strings are cast, None draws fresh entropy."""
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(seed, str) and seed.strip().lstrip("+").isdigit():
        return int(seed.strip())
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"{name}: {seed!r} is not allowed; expected a non-negative integer")
    return int(seed)


#: The horizon when ``days`` is not given: three school years (ODD section 2, scales).
DEFAULT_DAYS = 3 * DAYS_PER_YEAR


def seed_from(seed: Any = None, rng: Any = None) -> int:
    """The run's one integer seed from Mesa's ``seed`` or ``rng`` argument (not both).

    ``rng`` takes what ``mesa.Model`` takes: an integer (the same run as ``seed=`` that
    integer), a ``numpy.random.SeedSequence`` or sequence of integers (hashed to 63 bits),
    or a ``numpy.random.Generator``/``BitGenerator`` (one integer is drawn from it, so the
    caller's generator advances). Every named stream (``sim.rng``) then derives from that
    integer, which is kept as ``model.seed``: ``DiffusionModel(seed=model.seed)`` repeats
    the run exactly.

    Raises:
        ParameterError: both given, or a value of neither kind.
    """
    if seed is not None and rng is not None:
        raise ParameterError(f"seed={seed!r} and rng={rng!r}: pass one of them, not both "
                             "(as for mesa.Model)")
    if rng is None:
        return coerce_seed(seed)
    if isinstance(rng, int | np.integer | str):
        return coerce_seed(rng, "rng")
    if isinstance(rng, np.random.BitGenerator):
        rng = np.random.Generator(rng)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    if isinstance(rng, Sequence) and rng and all(isinstance(v, int | np.integer) for v in rng):
        rng = np.random.SeedSequence([int(v) for v in rng])
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(1, np.uint64)[0] >> np.uint64(1))
    raise ParameterError(f"rng: {rng!r} is not allowed; expected an integer, a sequence of "
                         "integers, a numpy SeedSequence, Generator or BitGenerator")


def horizon(days: Any) -> int:
    """``days`` checked: a whole number of school days >= 0 (180 make a school year)."""
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 0:
        raise ParameterError(f"days: {days!r} is not allowed; expected a whole number of "
                             "school days, 0 or more (180 make a school year)")
    return int(days)


def daily_collector(model_reporters: Mapping[str, Any] | None = None,
                    agent_reporters: Mapping[str, Any] | None = None,
                    agenttype_reporters: Mapping[type, Mapping[str, Any]] | None = None,
                    ) -> mesa.DataCollector:
    """A Mesa ``DataCollector`` of the built-in daily measures plus the caller's reporters.

    Reporters take the forms ``mesa.DataCollector`` takes (an attribute name, a function
    of the model or agent, or ``[function, [args]]``). The caller's model reporters become
    extra columns after the built-in ones (``model.daily_table()``); agent reporters are
    read with ``model.datacollector.get_agent_vars_dataframe()`` (index: Step = day,
    AgentID). The model's random streams are its own (``sim.rng``), so reporters that only
    read the state leave the results unchanged.

    Raises:
        ParameterError: a reporter set that is not a mapping, or a model reporter named
            like a built-in measure (``sim.dynamics.measures.DAILY_MEASURES``).
    """
    given = {"model_reporters": model_reporters, "agent_reporters": agent_reporters,
             "agenttype_reporters": agenttype_reporters}
    for name, value in given.items():
        if value is not None and not isinstance(value, Mapping):
            raise ParameterError(f"{name}: expected a dict of reporters (as for "
                                 f"mesa.DataCollector), got {type(value).__name__}")
    clash = sorted(set(model_reporters or ()) & set(measures.DAILY_MEASURES))
    if clash:
        raise ParameterError(f"model_reporters: {clash} are built-in daily measures; give "
                             "your reporters other names")
    return DailyCollector(
        model_reporters=dict(model_reporters or {}),
        agent_reporters=dict(agent_reporters) if agent_reporters else None,
        agenttype_reporters=dict(agenttype_reporters) if agenttype_reporters else None,
    )


class DailyCollector(mesa.DataCollector):
    """Mesa's ``DataCollector`` whose built-in columns are the day's measures as floats.

    The built-in measures (``measures.DAILY_MEASURES``) are registered as model reporters
    (so ``model_vars``, ``get_model_vars_dataframe()`` and the column order are Mesa's),
    but ``collect`` appends the model's ``measures`` dict of floats directly: no reporter
    call and no deep copy of an immutable float per column and day. The caller's own
    reporters are collected by Mesa's ``collect`` unchanged (deep copies included).
    """

    def __init__(self, model_reporters: dict[str, Any], **kwargs: Any) -> None:
        built_in = {k: (lambda m, k=k: m.measures[k]) for k in measures.DAILY_MEASURES}
        super().__init__(model_reporters={**built_in, **model_reporters}, **kwargs)
        self._extra = model_reporters
        self._columns = [self.model_vars[k] for k in measures.DAILY_MEASURES]

    def collect(self, model: Any) -> None:
        """Append the day's built-in measures, then collect the caller's reporters."""
        values = model.measures
        for column, key in zip(self._columns, measures.DAILY_MEASURES, strict=True):
            column.append(values[key])
        everything, self.model_reporters = self.model_reporters, self._extra
        try:
            super().collect(model)
        finally:
            self.model_reporters = everything


class DiffusionModel(mesa.Model):
    """Technology diffusion through school staff carried by integration specialists.

    Every model parameter (see ``sim.params.PARAMS``) is a flat keyword argument, plus:

    - ``seed`` or ``rng`` (one of them, as for ``mesa.Model``; see ``seed_from``): the one
      integer seed of the run, kept as ``model.seed``; None draws fresh entropy.
    - ``preset``: the starting parameter set (``default``, ``small_school``, ``bass``).
    - ``days``: the horizon in school days (default ``DEFAULT_DAYS`` = 540, three school
      years). ``model.running`` turns False once ``model.day`` reaches it, so Mesa's
      ``model.run_model()`` stops there; ``model.run(n)`` advances n days regardless.
    - ``model_reporters``, ``agent_reporters``, ``agenttype_reporters``: extra Mesa
      ``DataCollector`` reporters collected each day beside the built-in measures (see
      ``daily_collector``); ``summary()`` and the built-in columns are unchanged.

    Agents cannot be removed (``remove()`` raises TypeError): each is a row of the model's
    arrays. Unknown names and bad values raise ``ParameterError``.

    Example:
        >>> model = DiffusionModel(seed=1, days=180, specialist_fte=0.4)
        >>> model.run_model()
        >>> model.day, model.running
        (180, False)
    """

    def __init__(self, seed: int | str | None = None, preset: str | None = None, *,
                 days: int = DEFAULT_DAYS, rng: Any = None,
                 model_reporters: Mapping[str, Any] | None = None,
                 agent_reporters: Mapping[str, Any] | None = None,
                 agenttype_reporters: Mapping[type, Mapping[str, Any]] | None = None,
                 **params: Any) -> None:
        seed = seed_from(seed, rng)
        super().__init__(seed=seed)
        self.seed = seed
        self.days = horizon(days)
        self.preset = preset or "default"
        self.p = resolve(preset, **params)
        self.rs = Streams(seed)
        self.datacollector = daily_collector(model_reporters, agent_reporters,
                                             agenttype_reporters)
        self._build()
        self._collect()
        self.running = self.day < self.days

    # -- setup -----------------------------------------------------------------------------
    def _build(self) -> None:
        p = self.p
        self.network = net = build_network(p, self.rs["network"])
        self.adjacency = net.adjacency
        self.n_nodes, self.n_teachers, self.n_schools = net.n_nodes, net.n_teachers, net.n_schools
        self.degree = np.asarray(net.degree)
        self.degree_safe = np.maximum(self.degree, 1).astype(np.float32)
        self.school_of_teacher = net.school[: net.n_teachers].astype(np.int64)
        self.school_sizes = np.bincount(self.school_of_teacher, minlength=self.n_schools)
        self.day_minutes = p["periods_per_day"] * p["period_minutes"]
        self.staff = init_staff(p, net, self.rs)
        self.specs = init_specialists(p, net, self.staff, self.rs)
        self._update_reach()
        self.tickets = Tickets()
        self.cat = Catalogue.empty(p["max_innovations"])
        self.difficulty = np.full(self.n_schools, p["system_difficulty"])
        self.peak_share = np.zeros(p["max_innovations"])
        self.day, self.user_days, self.today = 0, 0, {}
        self.ticket_totals = {"created": 0, "specialist": 0, "helpdesk": 0, "peer": 0, "self": 0}
        self.request_totals = {"created": 0, "served": 0, "lapsed": 0}
        self._day0_innovations()
        self._make_agents()

    def _day0_innovations(self) -> None:
        """External innovations at start, then one per specialist (lead users).

        When specialists outnumber the free catalogue places, several specialists bring the
        same idea (co-originators), so every specialist still starts as a first user.
        """
        p, g = self.p, self.rs["innovation_traits"]
        for _ in range(p["n_external_at_start"]):
            introduce(self.cat, self.staff, self.specs, np.zeros(0, np.int64), 0, p, g)
        n_specs, room = len(self.specs.node), p["max_innovations"] - self.cat.n
        groups = [np.arange(i, n_specs, room) for i in range(min(room, n_specs))]
        for origins in groups:
            introduce(self.cat, self.staff, self.specs, origins, 0, p, g)
        u = self.rs["initial_state"].random((2, self.n_teachers, self.cat.n))
        stage = self.staff.stage[: self.n_teachers, : self.cat.n]
        stage[u[0] < p["initial_aware_share"]] = Stage.AWARE
        stage[u[1] < p["initial_user_share"]] = Stage.TRIAL
        self._observed_initial_users(stage)

    def _observed_initial_users(self, stage: np.ndarray) -> None:
        """Teachers the node table marks as users at the start (adopted day <= 0).

        They use the matching external day-0 innovation (innovation k = column k - 1).
        """
        observed = self.network.adopted_day
        if observed is None:
            return
        k = observed.shape[1]
        if k > self.p["n_external_at_start"]:
            raise ParameterError(
                f"nodes_file {self.p['nodes_file']!r} marks first use of {k} innovation(s), "
                f"but n_external_at_start = {self.p['n_external_at_start']}; observed "
                f"innovations are external ones present on day 0: set n_external_at_start "
                f">= {k}")
        stage[:, :k][observed[: self.n_teachers] <= 0] = Stage.TRIAL

    def _make_agents(self) -> None:
        net = self.network
        self.grid = Network(net.graph, random=self.random) if net.graph is not None else None

        def cell(node: int):
            return self.grid[node] if self.grid is not None else None

        self.teachers = [Teacher(self, i, cell(i)) for i in range(self.n_teachers)]
        self.specialists = [Specialist(self, node, s, cell(node))
                            for s, node in enumerate(self.specs.node)]

    # -- the day ---------------------------------------------------------------------------
    def step(self) -> None:
        """One school day: synchronous phases over all teachers and specialists at once.

        1. Lead-user innovation: specialists invent with a probability that grows with
           yesterday's exploration minutes; external innovations arrive.
        2. Awareness: from outside, from using neighbours (observability); specialists use
           what they hear of at once.
        3. Trial decision: hazard rule ``1 - exp(-(p + q x) g)`` or threshold rule.
        4. Use and failures: failures solved alone or turned into tickets; waiting tickets
           retried alone; drop-in questions from reliant teachers in TRIAL; routing to the
           help desk or the specialist; help requests for sessions (and lapsed ones).
        5. Specialist's day: help desk, tickets up to the cap (fixes, lessons), training
           days, coaching and co-teaching sessions in matching periods (caseload cycles
           first, then everyone with something to learn by the priority policy), waiting
           tickets, planned work (duties, IT liaison, exploration, training preparation),
           unused minutes.
        6. Consolidation: TRIAL -> ADOPTED -> INTEGRATED; INTEGRATED peers answer tickets.
        7. Self-efficacy: mastery, failures and waiting, vicarious experience.
        8. Abandonment: waiting tickets, or dependency without support.
        9. Collect the day's measures.
        """
        self.day += 1
        self.today = {}  # scratch shared by the phases of this day only
        diffusion.invent(self)
        diffusion.awareness(self)
        diffusion.trial(self)
        diffusion.use_and_failures(self)
        specialist_day(self)
        diffusion.consolidation(self)
        diffusion.self_efficacy(self)
        diffusion.abandonment(self)
        self._collect()
        self.running = self.day < self.days  # Mesa's run_model() stops at the horizon

    def _collect(self) -> None:
        self.measures = measures.daily(self)
        self.datacollector.collect(self)

    def run(self, days: int) -> None:
        """Advance ``days`` school days (180 make a school year), past the horizon if asked.

        ``run_model()`` (Mesa's) instead steps until the horizon ``model.days``.
        """
        for _ in range(int(days)):
            self.step()

    def remove_all_agents(self) -> None:
        """Not supported: raises TypeError, as ``Teacher.remove()`` does."""
        raise TypeError("DiffusionModel agents cannot be removed: each teacher and "
                        "specialist is a row of the model's arrays, so the run would go on "
                        "with them. Build a new model instead.")

    def set_params(self, **changes: Any) -> None:
        """Change parameters during a run (policies that act from a given day).

        Only parameters marked dynamic may change; the result is validated as a whole.
        """
        fixed = sorted(k for k in changes if k in PARAMS and not PARAMS[k].dynamic)
        if fixed:
            raise ParameterError(f"parameter(s) {fixed} cannot change during a run; only "
                                 "dynamic ones can: "
                                 + ", ".join(k for k, s in PARAMS.items() if s.dynamic))
        self.p = validate({**self.p, **changes})
        if "champion_share" in changes:  # nested: champions stay champions as the share grows
            self.staff.champion = self.staff.champion_u < self.p["champion_share"]
        if {"specialist_fte", "part_time_below"} & set(changes):
            self.specs.fte = specialist_fte(self.p, self.school_sizes[self.specs.school])
            # The same period order as at setup: periods free before stay free (nesting).
            self.specs.free = free_periods(self.specs.fte, self.specs.rank)
            self._update_reach()

    def _update_reach(self) -> None:
        """One-to-one reach of every teacher.

        ``reach``: share of days with a common free period; ``reachable``: some day has one.
        """
        self.reach = reach_share(self.staff, self.specs)
        self.reachable = self.reach > 0.0

    # -- outputs ---------------------------------------------------------------------------
    @property
    def first_series(self) -> list[float]:
        """Daily users share of the first innovation (the DataCollector's column)."""
        return self.datacollector.model_vars["first_users_share"]

    def daily_table(self) -> pd.DataFrame:
        """One row per day (day 0 = initial state) with the measures of ODD section 4."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df["day"] = df["day"].astype(int)
        return df

    def summary(self) -> dict[str, float]:
        """Per-run measures (ODD section 4) as a dict of floats."""
        return measures.summary(self)


def _signature() -> inspect.Signature:
    """``seed``, ``preset``, the run controls and every parameter as keyword arguments."""
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
              inspect.Parameter("seed", kw, default=None),
              inspect.Parameter("preset", kw, default=None),
              inspect.Parameter("days", kw, default=DEFAULT_DAYS),
              inspect.Parameter("rng", kw, default=None)]
    params += [inspect.Parameter(name, kw, default=None) for name in
               ("model_reporters", "agent_reporters", "agenttype_reporters")]
    params += [inspect.Parameter(name, kw, default=spec.default) for name, spec in PARAMS.items()]
    return inspect.Signature(params)


# SolaraViz and help() read the signature: expose every parameter by name.
DiffusionModel.__init__.__signature__ = _signature()
