"""Many runs of one cell as one array program (a ``World`` of B runs), run for run identical.

``simulate_batch(params, seeds, days)`` returns what ``sim.run.simulate`` returns for each
seed alone, exactly (same summary, same daily table): every run draws from its own named
streams with the shapes it would draw alone (``sim.dynamics.world``). What is paid once
per day for the whole batch (a few hundred numpy calls) is paid once per run when runs go
alone, which is most of a small district's cost (``make bench``, district scale).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from sim.dynamics import measures, schedule
from sim.dynamics.world import World
from sim.model import changed_params, coerce_seed
from sim.params import ParameterError, resolve
from sim.run import RunResult, run_arguments, thin


def simulate_batch(params: Mapping[str, Any], seeds: Sequence[int], days: int,
                   changes: Sequence[tuple[int, Mapping[str, Any]]] = (),
                   daily_every: int = 1) -> list[RunResult]:
    """Run the cell ``params`` once per seed, all at once; results as ``simulate`` gives.

    Args:
        params: model parameters shared by every run (a preset may be given as
            ``params["preset"]``).
        seeds: one integer seed per run (several equal seeds give equal runs).
        days: school days to simulate (180 per year).
        changes: ``(day, {name: value})`` pairs applied to every run at the start of
            that day.
        daily_every: keep every k-th day of each daily table (0 keeps none).

    Returns:
        One ``RunResult`` per seed, in the order of ``seeds``.

    Raises:
        ParameterError: as ``simulate`` raises (``sim.run.run_arguments``), for a seed
            ``simulate`` refuses, for no seeds, and as ``DiffusionModel`` and
            ``set_params`` raise (for every run).
    """
    kwargs, days, changes, daily_every = run_arguments(params, days, changes, daily_every)
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence) or not seeds:
        raise ParameterError(f"seeds: {seeds!r} is not allowed; expected a non-empty "
                             "sequence of integer seeds, one per run")
    if any(s is None for s in seeds):
        raise ParameterError("seeds: None is not allowed; a batch needs one integer seed "
                             "per run")
    checked = [coerce_seed(s, "seeds") for s in seeds]
    p = resolve(kwargs.pop("preset", None), **kwargs)
    w = World(p, checked)
    history = [measures.daily(w)]
    pending = list(changes)
    for day in range(1, days + 1):
        while pending and pending[0][0] <= day:
            change = dict(pending.pop(0)[1])
            w.set_params(changed_params(w.p, change), set(change))
        history.append(schedule.step(w))
    table = np.stack(history, axis=1)  # (B, days + 1, measures)
    results = []
    for r in range(w.B):
        daily = pd.DataFrame(table[r], columns=list(measures.DAILY_MEASURES))
        daily["day"] = daily["day"].astype(int)
        results.append(RunResult(summary=measures.summary(run_view(w, r, table[r])),
                                 daily=thin(daily, daily_every)))
    return results


def run_view(w: World, r: int, daily: np.ndarray) -> SimpleNamespace:
    """Run ``r`` of ``w`` as the single model that ``measures.summary`` reads.

    ``daily`` is the run's (days + 1, measures) table of daily measures (also read as the
    DataCollector's columns by ``pattern_measures.summary``).
    """
    N, S, BN = w.N, w.S, w.n_teachers
    teachers = slice(r * N, (r + 1) * N)
    nodes = np.r_[r * N:(r + 1) * N, BN + r * S:BN + (r + 1) * S]
    st, specs, tk = w.staff, w.specs, w.tickets
    mine = tk.run_of(tk.teacher) == r
    col = {name: i for i, name in enumerate(measures.DAILY_MEASURES)}
    return SimpleNamespace(
        n_teachers=N, n_schools=w.C, p=w.p, day=w.day, cat=w.cat.run(r),
        staff=SimpleNamespace(se=st.se[nodes], reliance=st.reliance[nodes],
                              stage=st.stage[nodes], reached=st.reached[teachers],
                              se0=st.se0[teachers]),
        specs=SimpleNamespace(node=specs.node[r * S:(r + 1) * S],
                              fte=specs.fte[r * S:(r + 1) * S],
                              ledger_total=specs.ledger_total[r * S:(r + 1) * S]),
        tickets=SimpleNamespace(created=int(tk.created_runs[r]), backlog=int(mine.sum()),
                                solved={c: int(v[r]) for c, v in tk.solved_runs.items()}),
        measures=dict(zip(measures.DAILY_MEASURES, daily[-1].tolist(), strict=True)),
        first_series=daily[:, col["first_users_share"]].tolist(),
        user_days=float(w.user_days[r]), peak_share=w.peak_share[r],
        school_of_teacher=w.school_of_teacher[teachers] - r * w.C,
        adjacency=w.networks[r].adjacency, reach=w.reach[teachers],
        request_totals={k: int(v[r]) for k, v in w.request_totals.items()},
        pattern_tracks=w.pattern_tracks.run(r),
        datacollector=SimpleNamespace(model_vars={
            name: daily[:, i] for name, i in col.items()}),
    )
