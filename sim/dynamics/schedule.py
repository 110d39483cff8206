"""The school day (ODD section 3, process overview): the phases in order, with their data flow.

``step`` is the one place where the day's schedule is written; the single model
(``DiffusionModel.step``) and batches of runs (``sim.batch``) both call it on their
``World``. Each phase takes what it needs and returns what a later phase uses.
"""

from __future__ import annotations

import numpy as np

from sim.dynamics import diffusion, measures
from sim.dynamics.specialist_day import specialist_day
from sim.dynamics.world import World


def step(w: World) -> np.ndarray:
    """One school day for every run of ``w``; returns the day's measures (B, measures).

    1. Lead-user innovation: specialists invent with a probability that grows with
       yesterday's exploration minutes; external innovations arrive.
    2. Awareness: from outside, from using neighbours (observability); specialists use
       what they hear of at once. -> ``heard`` (uniforms, newly aware pairs, neighbours)
    3. Trial decision (``heard``): hazard rule ``1 - exp(-(p + q x) g)`` or threshold rule.
    4. Use and failures: failures solved alone or turned into tickets; waiting tickets
       retried alone; drop-in questions from reliant teachers in TRIAL; routing to the
       help desk or the specialist; help requests for sessions (and lapsed ones).
       -> ``uses`` (successes, failures, failures solved alone, mastery per teacher)
    5. Specialist's day: help desk, tickets up to the cap (fixes, lessons), training
       days, coaching and co-teaching sessions in matching periods (caseload cycles
       first, then everyone with something to learn by the priority policy), waiting
       tickets, planned work (duties, IT liaison, exploration, training preparation),
       unused minutes (the time ledger).
    6. Consolidation (``uses``): TRIAL -> ADOPTED -> INTEGRATED; INTEGRATED peers answer
       tickets.
    7. Self-efficacy (``uses``): mastery, failures and waiting, vicarious experience.
    8. Abandonment: waiting tickets, or dependency without support.
    9. The day's measures (ODD section 4).
    """
    w.day += 1
    diffusion.invent(w)
    heard = diffusion.awareness(w)
    diffusion.trial(w, heard)
    uses = diffusion.use_and_failures(w)
    specialist_day(w)
    diffusion.consolidation(w, uses)
    diffusion.self_efficacy(w, uses)
    diffusion.abandonment(w)
    return measures.daily(w)
