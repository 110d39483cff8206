"""Teacher and Specialist: Mesa agents that are thin faces over the model's arrays.

The day's work runs on whole arrays in the model (see ``DiffusionModel.step``); an agent
reads and writes its own row, so ``teacher.self_efficacy`` and the visualization work as
users of Mesa expect, and changing an attribute changes the simulation. For the same reason
an agent cannot be removed (``remove()`` raises TypeError instead of leaving its row in the
run), and under the complete network (``network = "complete"``, the ``bass`` preset) there
is no Mesa space, so ``agent.cell`` raises AttributeError saying why.
"""

from __future__ import annotations

import itertools
import weakref
from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import FixedAgent

from sim.dynamics.state import ACTIVITIES
from sim.dynamics.submodels import Stage

if TYPE_CHECKING:
    from mesa.discrete_space import Cell

    from sim.model import DiffusionModel


def _row_property(array: str, doc: str) -> property:
    """A float attribute backed by ``model.staff.<array>[self.node]``."""

    def get(self: _Node) -> float:
        return float(getattr(self.model.staff, array)[self.node])

    def set_(self: _Node, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{array} must be in [0, 1], got {value!r}")
        getattr(self.model.staff, array)[self.node] = value

    return property(get, set_, doc=doc)


class _IdCounters(weakref.WeakKeyDictionary):
    """Mesa's per-model ``unique_id`` counters, holding each model weakly.

    Mesa 3.3.1 keeps them in ``Agent._ids``, a class-level dict that holds every model
    ever built, so no model is ever freed (mesa issue #3179, fixed upstream after 3.3.1).
    Our agents count here instead: ids still start at 1 in each model, and a model is
    freed like any object once nothing refers to it, however it was built (``simulate``,
    a script, a notebook, the browser page).
    """

    def __getitem__(self, model: object) -> itertools.count:
        counter = self.get(model)
        if counter is None:
            counter = self[model] = itertools.count(1)
        return counter


class _Node(FixedAgent):
    """An agent on a node of the staff network (``node`` is its row in the arrays)."""

    model: DiffusionModel
    _ids = _IdCounters()  # read by mesa.Agent.__init__ as self._ids[model]

    def __init__(self, model: DiffusionModel, node: int, cell=None) -> None:
        super().__init__(model)
        self.node = int(node)
        if cell is not None:
            self.cell = cell

    @property
    def cell(self) -> Cell:
        """The agent's cell of the ``mesa.discrete_space.Network`` (``model.grid``).

        Raises:
            AttributeError: under the complete network, which has no Mesa space.
        """
        if self._mesa_cell is None:
            n = self.model.n_nodes
            raise AttributeError(
                f"{type(self).__name__} {self.node} has no cell: the network is complete "
                "(network='complete', as in the bass preset), where everyone is everyone's "
                f"neighbour, so no Mesa Network space is built (model.grid is None; it would "
                f"hold {n * (n - 1) // 2:,} ties). The neighbours are all other agents "
                "(model.agents).")
        return self._mesa_cell

    @cell.setter
    def cell(self, cell: Cell) -> None:
        if self._mesa_cell is not None:
            raise ValueError("Cannot move agent in FixedCell")  # as mesa's FixedCell
        self._mesa_cell = cell
        cell.add_agent(self)

    def remove(self) -> None:
        """Not supported: raises TypeError (Mesa's ``remove`` would leave the row in the run).

        An agent is a row of the model's arrays (network, schedules, stages, tickets); the
        day's phases work on those arrays, not on the agent set, so a removed agent would go
        on teaching, using and spreading innovations unseen.
        """
        raise TypeError(
            f"{type(self).__name__} {self.node} cannot be removed: agents are rows of the "
            "model's arrays, so the run would go on with them. Build a new model without "
            "them instead (smaller schools, specialists_per_school, or a network_file and "
            "nodes_file without them).")

    @property
    def school(self) -> int:
        """School index (0-based)."""
        return int(self.model.network.school[self.node])

    @property
    def stages(self) -> list[Stage]:
        """Stage for each live innovation (index = innovation)."""
        return [Stage(s) for s in self.model.staff.stage[self.node, : self.model.cat.n]]

    def stage(self, innovation: int) -> Stage:
        """Stage for one innovation."""
        if not 0 <= innovation < self.model.cat.n:
            raise IndexError(f"innovation {innovation} is not live (0..{self.model.cat.n - 1})")
        return Stage(int(self.model.staff.stage[self.node, innovation]))

    def uses(self, innovation: int) -> bool:
        """True in TRIAL, ADOPTED or INTEGRATED."""
        return self.stage(innovation) >= Stage.TRIAL


class Teacher(_Node):
    """A teacher: technology self-efficacy, skill, reliance, schedule and stages."""

    self_efficacy = _row_property("se", "Technology self-efficacy in [0, 1].")
    skill = _row_property("skill", "Technological knowledge (TK of TPACK) in [0, 1].")
    reliance = _row_property("reliance", "Tendency to hand problems to others, in [0, 1].")

    @property
    def department(self) -> int:
        """District-wide department id."""
        return int(self.model.network.department[self.node])

    @property
    def free_periods(self) -> list[int]:
        """Periods (0-based) in which the teacher does not teach."""
        return [int(p) for p in np.flatnonzero(~self.model.staff.teaches[self.node])]

    @property
    def specialist(self) -> Specialist | None:
        """The specialist who serves this teacher, if any."""
        s = int(self.model.staff.spec_of[self.node])
        return self.model.specialists[s] if s >= 0 else None

    @property
    def reachable_one_to_one(self) -> bool:
        """True when a free period coincides with one of the specialist's free periods."""
        return bool(self.model.reachable[self.node])

    @property
    def reached(self) -> bool:
        """True once the specialist has held a coaching or co-teaching session with them."""
        return bool(self.model.staff.reached[self.node])

    @property
    def in_caseload(self) -> bool:
        """True while in the specialist's coaching cycle."""
        return bool(self.model.staff.in_caseload[self.node])

    @property
    def waiting_tickets(self) -> int:
        """Open tickets of this teacher."""
        return int((self.model.tickets.teacher == self.node).sum())


class Specialist(_Node):
    """A technology integration specialist (lead user, mentor, advocate)."""

    def __init__(self, model: DiffusionModel, node: int, index: int, cell=None) -> None:
        super().__init__(model, node, cell)
        self.index = int(index)

    @property
    def fte(self) -> float:
        """Share of the day spent as specialist; the rest is own teaching."""
        return float(self.model.specs.fte[self.index])

    @property
    def available_periods(self) -> list[int]:
        """Periods (0-based) free of own teaching on some days: sessions happen only there.

        A part-time specialist has fte x periods specialist periods a day on average, so on
        a given day only the first of these (``periods_today``) are free.
        """
        return [int(p) for p in np.flatnonzero(self.model.specs.free[self.index])]

    @property
    def periods_today(self) -> list[int]:
        """Periods (0-based) free of own teaching today."""
        return [int(p) for p in np.flatnonzero(self.model.specs.free_today[self.index])]

    @property
    def available_minutes(self) -> float:
        """Minutes per day as specialist, on average (day length x fte)."""
        return float(self.model.day_minutes * self.fte)

    @property
    def minutes_today(self) -> float:
        """Minutes as specialist today (whole periods)."""
        return float(self.model.specs.avail_today[self.index])

    @property
    def ledger(self) -> dict[str, float]:
        """Today's minutes by activity."""
        return dict(zip(ACTIVITIES, map(float, self.model.specs.ledger_today[self.index]),
                        strict=True))

    @property
    def ledger_total(self) -> dict[str, float]:
        """Minutes by activity since day 0."""
        return dict(zip(ACTIVITIES, map(float, self.model.specs.ledger_total[self.index]),
                        strict=True))

    @property
    def priority_policy(self) -> str:
        """Whom to take into the coaching caseload first."""
        return str(self.model.p["priority_policy"])

    @property
    def support_style(self) -> str:
        """do_for, coach or fade."""
        return str(self.model.p["support_style"])

    @property
    def caseload(self) -> list[Teacher]:
        """Teachers currently in this specialist's coaching cycle."""
        st = self.model.staff
        mine = np.flatnonzero(st.in_caseload & (st.spec_of == self.index))
        return [self.model.teachers[t] for t in mine]
