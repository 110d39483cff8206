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
from sim.dynamics import measures, schedule
from sim.dynamics.state import Catalogue
from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.dynamics.world import World
from sim.params import PARAMS, ParameterError, resolve, validate


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


def changed_params(p: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters ``p`` with ``changes`` made during a run, validated as a whole.

    Raises:
        ParameterError: a parameter that is not dynamic, or a value not allowed.
    """
    fixed = sorted(k for k in changes if k in PARAMS and not PARAMS[k].dynamic)
    if fixed:
        raise ParameterError(f"parameter(s) {fixed} cannot change during a run; only "
                             "dynamic ones can: "
                             + ", ".join(k for k, s in PARAMS.items() if s.dynamic))
    return validate({**p, **changes})


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
        self.datacollector = daily_collector(model_reporters, agent_reporters,
                                             agenttype_reporters)
        self._build()
        self._collect(measures.daily(self.world))
        self.running = self.day < self.days

    # -- setup -----------------------------------------------------------------------------
    def _build(self) -> None:
        """The run's state: a ``World`` of one run.

        Network, staff, specialists and day-0 innovations (external ones, then one per
        specialist as lead user).
        """
        self.world = w = World(self.p, [self.seed])
        self.rs = w.streams[0]
        self.network = w.networks[0]
        self.measures: dict[str, float] = {}
        self._make_agents()

    # The single run's state, read from its World (arrays are the World's own).
    staff = property(lambda self: self.world.staff)
    specs = property(lambda self: self.world.specs)
    tickets = property(lambda self: self.world.tickets)
    adjacency = property(lambda self: self.world.adjacency)
    degree = property(lambda self: self.world.degree)
    degree_safe = property(lambda self: self.world.degree_safe)
    school_of_teacher = property(lambda self: self.world.school_of_teacher)
    school_sizes = property(lambda self: self.world.school_sizes)
    difficulty = property(lambda self: self.world.difficulty)
    reach = property(lambda self: self.world.reach)
    reachable = property(lambda self: self.world.reachable)
    day_minutes = property(lambda self: self.world.day_minutes)
    n_teachers = property(lambda self: self.world.N)
    n_nodes = property(lambda self: self.world.n_nodes)
    n_schools = property(lambda self: self.world.C)
    peak_share = property(lambda self: self.world.peak_share[0])
    user_days = property(lambda self: float(self.world.user_days[0]))
    pattern_tracks = property(lambda self: self.world.pattern_tracks.run(0))

    @property
    def day(self) -> int:
        """School days simulated so far (0 before the first step)."""
        return self.world.day

    @property
    def cat(self) -> Catalogue:
        """The catalogue of innovations (``n`` live; arrays are views of the run's own)."""
        return self.world.cat.run(0)

    @property
    def request_totals(self) -> dict[str, int]:
        """Help requests created, served and lapsed so far."""
        return {k: int(v[0]) for k, v in self.world.request_totals.items()}

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
        """One school day: the ODD schedule (``sim.dynamics.schedule.step``), then collect.

        Invention -> awareness -> trial (what was heard) -> use and failures -> the
        specialist's day -> consolidation and self-efficacy (today's uses) ->
        abandonment -> the day's measures (Mesa's ``DataCollector``).
        """
        self._collect(schedule.step(self.world))
        self.running = self.day < self.days  # Mesa's run_model() stops at the horizon

    def _collect(self, row: np.ndarray) -> None:
        self.measures = dict(zip(measures.DAILY_MEASURES, row[0].tolist(), strict=True))
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
        self.p = changed_params(self.p, changes)
        self.world.set_params(self.p, set(changes))

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
