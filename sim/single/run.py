"""One simulation written to a folder: daily table, summary, manifest and figures."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sim.model import DiffusionModel
from sim.single.plots import minutes_figure, stage_figure
from sim.study.manifest import atomic_write, manifest, now, write_json


def run_single(params: dict[str, Any], seed: int, days: int, out: Path,
               preset: str | None = None) -> dict[str, Any]:
    """Run one model and write ``daily.csv``, ``summary.json``, ``manifest.json``, figures.

    Returns:
        The summary, with the run time in seconds under ``"wall_seconds"``.
    """
    out = Path(out)
    started, t0 = now(), time.perf_counter()
    model = DiffusionModel(seed=seed, preset=preset, **params)
    model.run(days)
    daily, summary = model.daily_table(), model.summary()
    wall = time.perf_counter() - t0
    atomic_write(out / "daily.csv", lambda p: daily.to_csv(p, index=False))
    write_json(out / "summary.json", summary)
    stage_figure(daily, out / "stages.png")
    minutes_figure(daily, out / "specialist_minutes.png")
    write_json(out / "manifest.json", manifest(
        kind="single run", preset=model.preset, parameters=model.p, seed=model.seed,
        days=days, teachers=model.n_teachers, specialists=len(model.specialists),
        started=started, finished=now(), wall_seconds=wall,
        files=["daily.csv", "summary.json", "stages.png", "specialist_minutes.png"],
    ))
    return {**summary, "wall_seconds": wall}
