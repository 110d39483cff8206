"""Robust choice: probability of being best, expected regret, and the draws they rest on.

A *draw* is one plausible state of the world together with its outcome for every scenario:

- with an ``[uncertainty]`` table, draw k is world k (a parameter draw; its value for a
  scenario is the mean over the world's R replicates), so the probabilities carry both
  parameter uncertainty and chance;
- without one, the draws are B bootstrap resamples of the paired replicates (the same
  resampled replicates for every scenario), so the probabilities carry chance only.

Over the draws, for a value V (an outcome in its better direction, or net monetary
benefit), P(best) of a scenario is the share of draws in which it has the highest V (ties
split evenly); its expected regret (expected opportunity loss) is the mean of
max_j V_j - V_s; the smallest expected regret is the expected value of perfect information
(EVPI; Raiffa & Schlaifer 1961; Claxton 1999, *J Health Econ* 18:341).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.rng import stream
from sim.study.intervals import wilson
from sim.whatif.stats import world_means

#: Bootstrap resamples when the draws are replicates (no worlds).
BOOTSTRAP = 2000


def resamples(n_units: int, seed: int, b: int = BOOTSTRAP) -> np.ndarray:
    """Bootstrap indices, shape (b, n_units), from the named stream ``"bootstrap"``."""
    return stream(seed, "bootstrap").integers(0, n_units, size=(b, n_units))


def resampled_means(y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Means of ``y[..., idx[b]]`` over the last axis for every resample b: (..., b)."""
    picked = y[..., idx]  # (..., b, n)
    ok = np.isfinite(picked)
    total = np.where(ok, picked, 0.0).sum(axis=-1)
    n = ok.sum(axis=-1)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def draws(values: np.ndarray, seed: int, b: int = BOOTSTRAP) -> tuple[np.ndarray, str]:
    """Per-draw scenario values from a (scenario, world, replicate) array.

    Returns:
        ``(array (scenario, draw), kind)``: kind ``"worlds"`` (one draw per world) or
        ``"bootstrap"`` (``b`` resamples of the replicates of the single world).
    """
    if values.shape[1] >= 2:
        return world_means(values), "worlds"
    return resampled_means(values[:, 0, :], resamples(values.shape[2], seed, b)), "bootstrap"


def best_shares(values: np.ndarray) -> np.ndarray:
    """Per draw, 1 for the best scenario (1/m each for m tied), shape (scenario, draw).

    Draws where any scenario's value is missing are left out (all zeros).
    """
    ok = np.isfinite(values).all(axis=0)
    top = np.where(ok, np.nanmax(np.where(np.isfinite(values), values, -np.inf), axis=0), 0)
    win = (values == top) & ok
    return win / np.maximum(win.sum(axis=0), 1)


def decision_table(values: np.ndarray, names: list[str], kind: str) -> tuple[pd.DataFrame,
                                                                             float]:
    """P(best), expected value and expected regret of each scenario over the draws.

    Args:
        values: (scenario, draw) values, higher is better.
        names: scenario names, same order.
        kind: ``"worlds"`` (P(best) gets a Wilson interval over the worlds) or
            ``"bootstrap"`` (a bootstrap probability: no interval).

    Returns:
        ``(table, evpi)``: columns scenario, p_best, p_best_low, p_best_high, expected,
        expected_regret, draws; and the EVPI (the smallest expected regret).
    """
    ok = np.isfinite(values).all(axis=0)
    v = values[:, ok]
    n = v.shape[1]
    wins = best_shares(v).sum(axis=1)
    regret = (v.max(axis=0) - v).mean(axis=1) if n else np.full(len(names), np.nan)
    rows = []
    for i, name in enumerate(names):
        low, high = wilson(wins[i], n) if kind == "worlds" else (np.nan, np.nan)
        rows.append({"scenario": name, "p_best": wins[i] / n if n else np.nan,
                     "p_best_low": low, "p_best_high": high,
                     "expected": float(v[i].mean()) if n else np.nan,
                     "expected_regret": float(regret[i]), "draws": n})
    table = pd.DataFrame(rows)
    return table, float(table["expected_regret"].min())


def flips(values: np.ndarray, top: int, runner_up: int) -> np.ndarray:
    """Per draw, True where the runner-up beats the top-ranked scenario (higher is better)."""
    return values[runner_up] > values[top]
