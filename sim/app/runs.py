"""A run as the page holds it: the model, its per-innovation history and scheduled changes.

The page steps models itself (Step, Play, Run to day N, and the two arms of Compare), so it
records, after every day, the share of teachers using each innovation: the adoption curve of
each innovation. The model's DataCollector keeps this only for innovation #1
(``first_users_share``); the page computes the shares with the model's own
``sim.dynamics.measures.stage_counts``, so #1 matches that column exactly (a test checks it).

Scheduled changes (a policy that acts from day D) are applied as ``sim.run.simulate`` applies
them: at the start of the first day numbered D or later, before that day's step, so a page
arm and a ``tis-sim whatif`` run on the same seed are the same run (a test checks it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.dynamics.measures import first_day, stage_counts
from sim.dynamics.submodels import Stage
from sim.model import DiffusionModel

#: Rows added to the history array at a time (one school year).
_CHUNK = 180


class UsersHistory:
    """Share of teachers using each innovation (TRIAL or later), per day from day 0.

    ``shares()`` is float[D + 1, K]: day d, innovation j (catalogue capacity K); NaN before
    an innovation is introduced.
    """

    def __init__(self, model: DiffusionModel) -> None:
        self._data = np.full((_CHUNK, len(model.cat.complexity)), np.nan)
        self._days = 0
        self.record(model)

    def record(self, model: DiffusionModel) -> None:
        """Append the model's current day (call after every step)."""
        if model.day >= len(self._data):
            grown = np.full((len(self._data) + _CHUNK, self._data.shape[1]), np.nan)
            grown[: len(self._data)] = self._data
            self._data = grown
        live = model.cat.n
        if live:
            # The same arithmetic, in the same order, as sim.dynamics.measures.daily.
            counts = stage_counts(model) / model.n_teachers
            self._data[model.day, :live] = counts[:, Stage.TRIAL:].sum(axis=1)
        self._days = model.day + 1

    def shares(self) -> np.ndarray:
        """float[days so far, K] (a view: copy before keeping it)."""
        return self._data[: self._days]

    def days_to(self, innovation: int, level: float = 0.5) -> int | None:
        """First day ``innovation`` had ``level`` of teachers as users (None: not yet)."""
        day = first_day(np.nan_to_num(self.shares()[:, innovation]), level)
        return None if np.isnan(day) else int(day)


@dataclass
class LiveRun:
    """One model the page steps, with its history, pending changes and policy log.

    Attributes:
        model: the model.
        history: users share per innovation and day.
        pending: ``(day, {name: value})`` changes still to apply (sorted by day).
        log: policy changes made from the page, one line each ("day 3: Support style ...").
        lock: held while the model changes (Play steps in a worker thread).
    """

    model: DiffusionModel
    history: UsersHistory = field(init=False)
    pending: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        self.history = UsersHistory(self.model)
        self.pending = sorted(self.pending, key=lambda c: c[0])

    @classmethod
    def scheduled(cls, model: DiffusionModel,
                  changes: Sequence[tuple[int, Mapping[str, Any]]]) -> LiveRun:
        """A run whose parameters change on given days (a policy from day D)."""
        return cls(model, pending=[(int(d), dict(c)) for d, c in changes])

    def step(self, days: int = 1, stop: Callable[[], bool] | None = None) -> int:
        """Advance up to ``days`` days (fewer if ``stop()`` turns true); returns days run."""
        done = 0
        with self.lock:
            for _ in range(days):
                if stop is not None and stop():
                    break
                today = self.model.day + 1
                while self.pending and self.pending[0][0] <= today:
                    self.model.set_params(**self.pending.pop(0)[1])
                self.model.step()
                self.history.record(self.model)
                done += 1
        return done

    def change(self, name: str, value: Any, label: str, text: Callable[[Any], str]) -> None:
        """Change a dynamic parameter now and log it, merging repeated moves of one control.

        A slider dragged through several values on one day leaves one entry (first value →
        last value); moving it back to where it was that day removes the entry.
        """
        with self.lock:
            old = self.model.p[name]
            if old == value:
                return
            self.model.set_params(**{name: value})
            day = self.model.day
            head = f"day {day}: {label} "
            if self.log and self.log[-1].startswith(head):
                first = self.log.pop()[len(head):].split(" → ")[0]
                if first == text(value):
                    return
                self.log.append(f"{head}{first} → {text(value)}")
            else:
                self.log.append(f"{head}{text(old)} → {text(value)}")
