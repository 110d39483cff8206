"""ODD submodels as small pure functions on arrays.

Each function is one rule of docs/ODD.md ("Submodels"); the model calls them on whole
arrays (all teachers x all live innovations at once) and tests call them alone. None of
them draws random numbers: the model passes uniforms from its named streams.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import numpy as np

DAYS_PER_YEAR = 180
DAYS_PER_MONTH = 20
TERM_DAYS = 60
#: Smallest share of a period that still holds a (trimmed) session (assumed).
SESSION_MIN_SHARE = 0.9


class Stage(IntEnum):
    """Stage of one teacher for one innovation (CBAM Levels of Use).

    Codes are ordered so that ``stage >= TRIAL`` means "user".
    """

    UNAWARE = 0
    AWARE = 1
    ABANDONED = 2
    TRIAL = 3
    ADOPTED = 4
    INTEGRATED = 5


# Plain-int copies for hot array code (IntEnum attribute lookups are slow in loops).
UNAWARE, AWARE, ABANDONED, TRIAL, ADOPTED, INTEGRATED = (int(s) for s in Stage)

#: Display order (CBAM order, abandonment last).
STAGE_ORDER = (
    Stage.UNAWARE, Stage.AWARE, Stage.TRIAL, Stage.ADOPTED, Stage.INTEGRATED, Stage.ABANDONED,
)

#: Reliance increase of a ticket fixed under do_for, as a share of ``do_for_reliance`` (a
#: fix is a few minutes of doing it for them, a session a whole period; assumed).
DO_FOR_FIX_SHARE = 0.4
#: Skill gain and reliance cut of a fix that becomes a lesson.
LESSON_SKILL = 0.02
LESSON_RELIANCE = 0.03


def style_effects(style: str, p: dict) -> tuple[float, float]:
    """Support style -> (reliance change per session, probability a session succeeds today).

    ``do_for`` raises reliance towards 1 by ``do_for_reliance`` (for teachers who asked:
    the specialist does it for them); ``coach`` lowers it by ``coach_reliance``; ``fade``
    lowers it by ``fade_reliance`` but a faded session succeeds today with ``fade_success``
    only (gradual release of responsibility).
    """
    if style == "do_for":
        return p["do_for_reliance"], 1.0
    if style == "coach":
        return -p["coach_reliance"], 1.0
    return -p["fade_reliance"], p["fade_success"]


def awareness_prob(n_user_neighbours: np.ndarray, ext_daily: float, peer: float) -> np.ndarray:
    """Daily probability that an unaware teacher becomes aware.

    Independent channels: outside sources (``ext_daily``) and each using neighbour
    (observability, ``peer`` each). ``n_user_neighbours`` holds non-negative integers; a
    lookup table replaces a power per element (the model calls this on every pair daily).
    """
    top = int(n_user_neighbours.max(initial=0))
    table = 1.0 - (1.0 - ext_daily) * (1.0 - peer) ** np.arange(top + 1)
    return table[n_user_neighbours]


def trial_modifier(
    se: np.ndarray, complexity: np.ndarray, advantage: np.ndarray,
    se_weight: float, advantage_weight: float, pairs: tuple[Any, Any] | None = None,
) -> np.ndarray:
    """TAM-like modifier g of the trial hazard (g = 1 when both weights are 0).

    ``g = 2 * logistic(se_weight * (se - complexity) + advantage_weight * (advantage - 0.5))``
    grows with self-efficacy minus complexity and with relative advantage; it lies in (0, 2).
    Without ``pairs``, broadcasts ``se`` (teachers, 1) against ``complexity``/``advantage``
    (innovations,); with ``pairs`` (indices into ``se``, indices into the innovation
    arrays) the result is per pair, from one exp() per teacher and per innovation.
    """
    # exp(-z) factorises into a teacher part and an innovation part: an outer product of
    # two small exp() calls instead of one exp() per (teacher, innovation) pair.
    teacher = np.exp(-se_weight * se)
    innovation = np.exp(se_weight * complexity - advantage_weight * (advantage - 0.5))
    if pairs is not None:
        teacher, innovation = teacher[pairs[0]], innovation[pairs[1]]
    return 2.0 / (1.0 + teacher * innovation)


def trial_hazard(x: np.ndarray, p_year: float, q_year: float, g: np.ndarray) -> np.ndarray:
    """Daily trial hazard ``1 - exp(-(p + q x) g dt)`` with Bass p, q per year, dt = 1 day."""
    return -np.expm1(-(p_year + q_year * x) * g / DAYS_PER_YEAR)


def threshold_trial(
    x: np.ndarray, threshold: np.ndarray, u: np.ndarray, noise: float
) -> np.ndarray:
    """Threshold rule: try once the using share of neighbours reaches the own threshold.

    A small noise hazard lets a teacher try below threshold (Valente's network thresholds).
    """
    return (x >= threshold) | (u < noise)


def failure_scale(
    complexity: np.ndarray, difficulty: np.ndarray, skill: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Relative failure propensity: 1 for reference values (all 0.5), up to e^3 and down.

    Grows with the innovation's complexity and the school's system difficulty and falls
    with the teacher's skill. Without ``pairs`` the arguments broadcast; with ``pairs``
    (teacher indices, innovation indices) ``difficulty``/``skill`` are per teacher and
    ``complexity`` per innovation, and the result is per pair (two small exp() calls).
    """
    teacher = np.exp(2.0 * (difficulty - skill))
    innovation = np.exp(2.0 * (complexity - 0.5))
    if pairs is None:
        return teacher * innovation
    return teacher[pairs[0]] * innovation[pairs[1]]


def self_solve_prob(
    se: np.ndarray, skill: np.ndarray, reliance: np.ndarray, ceiling: float
) -> np.ndarray:
    """Probability of solving a failure alone.

    Rises with self-efficacy and skill, falls with reliance.
    """
    return ceiling * 0.5 * (se + skill) * (1.0 - reliance)


def base_failure_prob(
    tickets_per_month: float, use_prob: float, ref_self_solve: float
) -> float:
    """Failure probability per use that yields ``tickets_per_month`` for a reference user.

    A reference user (failure scale 1, population-mean self-efficacy, skill and reliance)
    uses the innovation ``use_prob`` of the days and turns ``1 - ref_self_solve`` of its
    failures into tickets.
    """
    per_day = tickets_per_month / DAYS_PER_MONTH
    return per_day / (use_prob * max(1e-9, 1.0 - ref_self_solve))


def efficacy_change(
    se: np.ndarray, successes: np.ndarray, failures: np.ndarray, waiting: np.ndarray,
    vicarious_share: np.ndarray, mastery_gain: float, failure_loss: float,
    wait_loss: float, vicarious_gain: float,
) -> np.ndarray:
    """New self-efficacy from Bandura's sources (persuasion is applied by sessions).

    Mastery (own successes) and vicarious experience (share of neighbours succeeding today)
    push towards 1; failures and days with a waiting ticket push towards 0. The result is
    clipped to [0, 1].
    """
    up = (mastery_gain * successes + vicarious_gain * vicarious_share) * (1.0 - se)
    down = (failure_loss * failures + wait_loss * waiting) * se
    return np.clip(se + up - down, 0.0, 1.0)


def reliance_change(
    reliance: np.ndarray, se: np.ndarray, offset: np.ndarray, solved_alone: np.ndarray,
    drift: float, independence_gain: float,
) -> np.ndarray:
    """New reliance: a pull towards the trait level ``1 - se + offset``, minus independence.

    Support styles push reliance away from this level (``style_effects``); the drift brings
    it back as self-efficacy changes. Clipped to [0, 1].
    """
    target = np.clip(1.0 - se + offset, 0.0, 1.0)
    new = reliance + drift * (target - reliance)
    new -= independence_gain * solved_alone * new
    return np.clip(new, 0.0, 1.0)


def liaison_difficulty(
    difficulty: np.ndarray, minutes: np.ndarray, effect: float, floor: float,
    day_minutes: float,
) -> np.ndarray:
    """System difficulty after a day's IT-liaison minutes (diminishing returns to a floor).

    ``effect`` is the cut (share of the distance to the floor) bought by one 60-day term of
    advocacy at 10% of a full day; the cut compounds, so returns diminish.
    """
    reference = TERM_DAYS * 0.1 * day_minutes
    rate = -np.log1p(-min(effect, 0.999)) / reference
    above = np.maximum(difficulty - floor, 0.0)
    return np.minimum(difficulty, floor + above * np.exp(-rate * minutes))


def invention_prob(explore_minutes: np.ndarray, invention_minutes: float) -> np.ndarray:
    """Probability that a specialist invents a new use after a day's exploration minutes."""
    return -np.expm1(-explore_minutes / invention_minutes)


def session_gain(coaching_effect: float, se_sd: float, sessions_per_cycle: int) -> float:
    """Self-efficacy (and skill) gain of one session: effect size x sd spread over a cycle."""
    return coaching_effect * se_sd / sessions_per_cycle


def peer_help_prob(
    n_integrated: np.ndarray, n_champions: np.ndarray, peer: float, champion: float
) -> np.ndarray:
    """Daily probability that some INTEGRATED neighbour (or champion) answers a ticket."""
    return 1.0 - np.power(1.0 - peer, n_integrated) * np.power(1.0 - champion, n_champions)


def beta_params(mean: float, sd: float) -> tuple[float, float]:
    """Shape parameters of the Beta distribution with this mean and sd (sd is capped)."""
    var = min(sd * sd, 0.99 * mean * (1.0 - mean))
    k = mean * (1.0 - mean) / var - 1.0
    return mean * k, (1.0 - mean) * k
