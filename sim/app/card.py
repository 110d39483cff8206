"""The summary card of the browser page: facts about today's run, from the model's state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.dynamics.submodels import DAYS_PER_YEAR, Stage

if TYPE_CHECKING:
    from sim.app.runs import UsersHistory
    from sim.model import DiffusionModel


def card_facts(model: DiffusionModel, innovation: int,
               history: UsersHistory) -> list[tuple[str, str]]:
    """The summary card: (label, value) rows computed from the model's public state.

    Rows about one innovation are about ``innovation`` (0-based), the one chosen on the page.
    """
    n = model.n_teachers
    st, m = model.staff, model.measures
    live = model.cat.n
    stage = st.stage[:n, :live]
    users = (stage >= Stage.TRIAL).any(axis=1)
    integrated = (stage == Stage.INTEGRATED).any(axis=1)
    year, day_in_year = divmod(model.day, DAYS_PER_YEAR)
    rows = [
        ("Day", f"{model.day} (year {year + 1}, day {day_in_year})"),
        ("Users, any innovation", f"{users.mean():.0%} ({users.sum():,} of {n:,} teachers)"),
        ("INTEGRATED, any innovation", f"{integrated.mean():.0%} ({integrated.sum():,})"),
    ]
    if 0 <= innovation < live:
        share = float((stage[:, innovation] >= Stage.TRIAL).mean())
        rows.append((f"Users of #{innovation + 1}", f"{share:.0%}"))
        reached = history.days_to(innovation)
        rows.append((f"Days to 50% users of #{innovation + 1}",
                     f"{reached}" if reached is not None else f"not yet (now {share:.0%})"))
    if len(model.specialists) == 0:
        rows.append(("Unreachable one to one", "all: no specialists in this district"))
    else:
        unreachable = int((~model.reachable).sum())
        rows.append(("Unreachable one to one (no free period shared with their specialist)",
                     f"{unreachable:,} ({unreachable / n:.0%})"))
        never = int((~st.reached[:n]).sum())
        rows.append(("Not coached or co-taught yet", f"{never:,} ({never / n:.0%})"))
    rows += [
        ("Dependent users", f"{m['dependent_share']:.0%} of users"),
        ("Open tickets", f"{int(m['backlog']):,}"),
        ("Live innovations", f"{live} of {model.p['max_innovations']}"),
    ]
    return rows
