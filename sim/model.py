"""DiffusionModel: setup, the daily schedule (written once, in ``step``) and measures."""

from __future__ import annotations

import inspect
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
    reachable_one_to_one,
    specialist_fte,
)
from sim.dynamics.submodels import Stage
from sim.network import build_network
from sim.params import PARAMS, ParameterError, resolve, validate
from sim.rng import Streams


def coerce_seed(seed: Any) -> int:
    """One integer seed: ints pass, digit strings are cast, None draws fresh entropy."""
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(seed, str) and seed.strip().lstrip("+").isdigit():
        return int(seed.strip())
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed: {seed!r} is not allowed; expected a non-negative integer")
    return int(seed)


class DiffusionModel(mesa.Model):
    """Technology diffusion through school staff carried by integration specialists.

    Every model parameter (see ``sim.params.PARAMS``) is a flat keyword argument, plus
    ``seed`` and ``preset``; unknown names and bad values raise ``ParameterError``.

    Example:
        >>> model = DiffusionModel(seed=1, specialist_fte=0.4)
        >>> model.run(180)
        >>> round(model.summary()["final_users_share"], 3)  # doctest: +SKIP
    """

    def __init__(self, seed: int | str | None = None, preset: str | None = None,
                 **params: Any) -> None:
        seed = coerce_seed(seed)
        super().__init__(seed=seed)
        self.seed = seed
        self.preset = preset or "default"
        self.p = resolve(preset, **params)
        self.rs = Streams(seed)
        self._build()
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m.measures[k]) for k in measures.DAILY_MEASURES}
        )
        self._collect()

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
        self.reachable = reachable_one_to_one(self.staff, self.specs)
        self.tickets = Tickets()
        self.cat = Catalogue.empty(p["max_innovations"])
        self.difficulty = np.full(self.n_schools, p["system_difficulty"])
        self.peak_share = np.zeros(p["max_innovations"])
        self.day, self.user_days, self.today = 0, 0, {}
        self.ticket_totals = {"created": 0, "specialist": 0, "helpdesk": 0, "peer": 0, "self": 0}
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
           retried alone; support requests from reliant teachers in TRIAL; routing to the
           help desk or the specialist.
        5. Specialist's day: help desk, tickets up to the cap (fixes, lessons), IT liaison,
           training days, coaching and co-teaching sessions in matching periods, own
           exploration, unused minutes.
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

    def _collect(self) -> None:
        self.measures = measures.daily(self)
        self.datacollector.collect(self)

    def run(self, days: int) -> None:
        """Advance ``days`` school days (180 make a school year)."""
        for _ in range(int(days)):
            self.step()

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
            self.reachable = reachable_one_to_one(self.staff, self.specs)

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
    """``seed``, ``preset`` and every parameter as keyword arguments with defaults."""
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
              inspect.Parameter("seed", kw, default=None),
              inspect.Parameter("preset", kw, default=None)]
    params += [inspect.Parameter(name, kw, default=spec.default) for name, spec in PARAMS.items()]
    return inspect.Signature(params)


# SolaraViz and help() read the signature: expose every parameter by name.
DiffusionModel.__init__.__signature__ = _signature()
