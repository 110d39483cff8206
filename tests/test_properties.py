"""Invariants over valid parameters (Hypothesis): they must hold every day of every run."""

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from strategies import small_districts

from sim.dynamics import pattern_measures
from sim.dynamics.measures import STAGE_COLUMNS
from sim.model import DiffusionModel

# derandomize: the same examples on every run, so CI is reproducible (Hypothesis found the
# -1e-14 minutes bug with random examples; raise max_examples locally to search wider).
RUN = settings(max_examples=40, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow])


def check_invariants(model: DiffusionModel) -> None:
    st_, n = model.staff, model.n_teachers
    m = model.measures
    # Stage shares sum to one (each live innovation's counts sum to the staff).
    assert abs(sum(m[c] for c in STAGE_COLUMNS) - 1.0) < 1e-9
    # Bounded teacher state, no NaN anywhere in it.
    for arr in (st_.se[:n], st_.skill[:n], st_.reliance[:n], model.difficulty):
        assert np.isfinite(arr).all() and (arr >= 0).all() and (arr <= 1).all()
    # Specialist minutes never exceed available minutes; no negative activity.
    available = model.specs.avail_today
    assert (model.specs.ledger_today >= 0).all()
    assert (model.specs.ledger_today.sum(axis=1) <= available + 1e-9).all()
    # Tickets are conserved: created = solved by every channel + backlog.
    tk = model.tickets
    assert tk.created == sum(tk.solved.values()) + tk.backlog
    # Help requests are conserved too, and none waits longer than its patience.
    req, open_ = model.request_totals, st_.request_day[st_.request_day >= 0]
    assert req["created"] == req["served"] + req["lapsed"] + len(open_)
    assert (model.day - open_ <= model.p["request_patience"]).all()
    # Planned work owed never goes negative.
    assert (model.specs.owed >= -1e-9).all()
    assert all(np.isfinite(v) for k, v in m.items())


#: Found by Hypothesis: a trimmed last session left exploration at -2.8e-14 minutes.
TRIMMED_SESSION = {
    "specialist_fte": 0.625, "specialists_per_school": 3, "part_time_below": 12,
    "troubleshoot_cap": 0.0, "liaison_share": 1e-10, "caseload": 4, "sessions_per_cycle": 1,
    "coteach_share": 0.0, "explore_share": 0.0, "max_innovations": 1, "use_prob": 1.0,
    "tickets_per_user_month": 0.0, "n_schools": 1, "school_size_min": 8, "school_size_max": 14,
}


@RUN
@given(params=small_districts(), seed=st.integers(0, 2**32))
@example(params=TRIMMED_SESSION, seed=0)
def test_invariants_hold_every_day(params, seed):
    model = DiffusionModel(seed=seed, **params)
    check_invariants(model)
    for _ in range(60):
        model.step()
        check_invariants(model)
    summary = model.summary()
    # pattern measures are NaN when undefined (no cycle closed, no innovation a year old)
    finite = {k: v for k, v in summary.items() if k not in ("days_to_25", "days_to_50",
                                                             "reach_distance",
                                                             *pattern_measures.SUMMARY)}
    assert all(np.isfinite(v) for v in finite.values())
    daily = model.daily_table()
    assert (daily["tickets_created"].sum() == model.tickets.created)


@RUN
@given(params=small_districts(), seed=st.integers(0, 2**32))
def test_daily_ticket_flows_add_up(params, seed):
    model = DiffusionModel(seed=seed, **params)
    model.run(40)
    d = model.daily_table()
    solved = d[[c for c in d.columns if c.startswith("solved_")]].sum(axis=1)
    backlog_change = d["backlog"].diff().fillna(d["backlog"].iloc[0])
    assert np.allclose(d["tickets_created"], solved + backlog_change)
