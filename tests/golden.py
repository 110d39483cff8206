"""Golden baseline: the summary of one fixed run, to catch unintended behaviour changes.

Refresh after an intended change of the model's behaviour with ``make golden`` (which runs
``python tests/golden.py``) and commit the new ``tests/data/golden_summary.json`` together
with the change, saying why the numbers moved.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from sim.run import simulate

GOLDEN = Path(__file__).resolve().parent / "data" / "golden_summary.json"
#: The baseline run: default district, one school year, a coach-style scenario with a help
#: desk and champions so that every channel of the model is exercised.
SCENARIOS = {
    "default": ({}, 2026),
    "coach_helpdesk_champions": (
        {"support_style": "coach", "helpdesk_share": 0.3, "champion_share": 0.1,
         "priority_policy": "lowest_efficacy"}, 7),
    "threshold_rule": ({"trial_rule": "threshold", "specialist_fte": 0.2}, 11),
}
DAYS = 180


def current() -> dict[str, dict[str, float | None]]:
    """The summaries of the golden scenarios as the model computes them now."""
    out = {}
    for name, (params, seed) in SCENARIOS.items():
        summary = simulate(params, seed, DAYS, daily_every=0).summary
        out[name] = {k: (None if math.isnan(v) else v) for k, v in summary.items()}
    return out


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(current(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
