"""One simulation written to a folder: daily table, summary, manifest and figures."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from sim.model import DiffusionModel
from sim.network import GENERATOR_PARAMS, district_used, ignored_with_files
from sim.params import PRESETS
from sim.single.plots import minutes_figure, stage_figure
from sim.study.manifest import atomic_write, manifest, now, write_json

FILES = ("daily.csv", "summary.json", "stages.png", "specialist_minutes.png", "manifest.json")


def run_single(params: dict[str, Any], seed: int, days: int, out: Path,
               preset: str | None = None) -> dict[str, Any]:
    """Run one model and write ``daily.csv``, ``summary.json``, ``manifest.json``, figures.

    The files are written into a hidden folder inside ``out`` and moved into place only
    when all of them are complete, so a failed write (no space left, ...) leaves no
    partial set behind and earlier results in ``out`` untouched.

    The manifest records the district actually simulated (``district``: teachers,
    schools, specialists, mean degree); with a loaded network the generator's parameters
    are left out of ``parameters`` and the ones given anyway are listed under
    ``ignored_parameters``.

    Returns:
        The summary, with the run time in seconds under ``"wall_seconds"``.

    Raises:
        OutputPathError, RunFailedError: a file could not be written.
    """
    out = Path(out)
    started, t0 = now(), time.perf_counter()
    model = DiffusionModel(seed=seed, preset=preset, **params)
    model.run(days)
    daily, summary = model.daily_table(), model.summary()
    wall = time.perf_counter() - t0
    loaded = bool(model.p["network_file"])
    parameters = {k: v for k, v in model.p.items() if not (loaded and k in GENERATOR_PARAMS)}
    meta = manifest(
        kind="single run", preset=model.preset, parameters=parameters, seed=model.seed,
        days=days, district=district_used(model.p, model.network),
        ignored_parameters=ignored_with_files({**PRESETS[model.preset], **params}),
        teachers=model.n_teachers, specialists=len(model.specialists),
        started=started, finished=now(), wall_seconds=wall, files=list(FILES[:-1]),
    )
    created = not out.exists()
    staging = out / f".staging-{uuid.uuid4().hex}"
    try:
        atomic_write(staging / "daily.csv", lambda p: daily.to_csv(p, index=False))
        write_json(staging / "summary.json", summary)
        stage_figure(daily, staging / "stages.png")
        minutes_figure(daily, staging / "specialist_minutes.png")
        write_json(staging / "manifest.json", meta)
        for name in FILES:  # renames need no space: all or (on a crash) most are moved
            os.replace(staging / name, out / name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            with contextlib.suppress(OSError):
                out.rmdir()  # only if empty: nothing of ours is left
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return {**summary, "wall_seconds": wall}
