"""Tiny run specs shared by the sweep tests (a 20-teacher school, 30 days: ~0.05 s a run)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sim.cli import main
from sim.rng import child_seeds
from sim.study.runner import RunSpec

TINY = {"preset": "small_school"}
DAYS = 30


def tiny_specs(ftes=(0.2, 0.8), replicates: int = 3, master_seed: int = 11,
               daily_every: int = 10, days: int = DAYS) -> list[RunSpec]:
    """Cells over specialist_fte x replicates, replicate r on the same seed in every cell."""
    seeds = child_seeds(master_seed, replicates)
    return [
        RunSpec(run_id=f"c{c:02d}-r{r:02d}", params={**TINY, "specialist_fte": fte},
                seed=seeds[r], days=days, daily_every=daily_every,
                labels={"cell": c, "replicate": r, "param_specialist_fte": fte})
        for c, fte in enumerate(ftes) for r in range(replicates)
    ]


def failing_spec() -> RunSpec:
    """A spec the model rejects when it is built (n_schools must be at least 1)."""
    return RunSpec(run_id="zz-bad", params={**TINY, "n_schools": 0}, seed=5, days=DAYS,
                   labels={"cell": 99, "replicate": 0, "param_specialist_fte": 0.5})


def run_experiment_text(folder: Path, name: str, text: str, command: str = "sweep") -> Path:
    """Write an experiment file, run ``tis-sim COMMAND`` on it serially, return the output."""
    path = folder / f"{name}.toml"
    path.write_text(textwrap.dedent(text))
    out = folder / "out"
    assert main([command, str(path), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    return out
