"""`make bench`, district scale: CPU per run at the default district, solo and batched.

Three sections, each printed with the machine's load (os.getloadavg), because the
machine may be shared; ratios are measured in one process, so load affects both sides:

1. The default district (238 teachers, 540 school days): CPU seconds per run alone
   (median of 3 seeds) and in one batch of 64 runs (sim.batch; also with setup
   and summaries, the sweep runner's cost per run), next to
   Starsim's SIR on the same network (same agents, same number of steps; median of 3).
2. Larger districts, solo: CPU µs per teacher-day at 10,000 and 100,000 teachers (one
   school year), next to Starsim's SIR on the same network and steps.
3. One school year of 1,000,000 teachers in a child process: time and peak memory.

Setup (network, initial state) is excluded from every per-day figure; CPU seconds are
time.process_time() of this process. Exit status 1 when an acceptance check of issue 14
prints FAILS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from references import time_starsim_sir

from sim.batch import simulate_batch
from sim.dynamics import schedule
from sim.dynamics.world import World
from sim.model import DiffusionModel
from sim.params import resolve, scaled_to

DAYS = 540
BATCH = 64
#: Solo CPU per default run before this work (issue 14), on this machine, load 3.1-3.4:
#: 0.695 s (median of seeds 1-3; Starsim SIR 0.379 s in the same process: ratio 1.83).
START_SOLO_S = 0.695
# Acceptance thresholds (issue 14).
MAX_BATCH_VS_STARSIM = 0.30
MAX_BATCH_VS_START = 0.25
MAX_PEAK_MB_1M = 8192


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def solo_cpu(params: dict, seed: int, days: int) -> tuple[float, DiffusionModel]:
    """CPU seconds of ``days`` steps of one model (setup excluded)."""
    model = DiffusionModel(seed=seed, days=days, **params)
    t0 = time.process_time()
    for _ in range(days):
        model.step()
    return time.process_time() - t0, model


def batch_cpu(params: dict, seeds: list[int], days: int) -> tuple[float, float]:
    """CPU seconds of one batch's ``days`` steps (setup excluded, as for the solo figure),
    and of the whole batch as the runner pays it (setup and summaries included)."""
    world = World(resolve(**params), seeds)
    t0 = time.process_time()
    for _ in range(days):
        schedule.step(world)
    steps = time.process_time() - t0
    t0 = time.process_time()
    simulate_batch(params, seeds, days, daily_every=0)
    return steps, time.process_time() - t0


def default_district() -> list[tuple[str, bool]]:
    print(f"District scale: the default district, {DAYS} days ({load()})")
    solo = []
    for seed in (1, 2, 3):
        seconds, model = solo_cpu({}, seed, DAYS)
        solo.append(seconds)
    graph, agents = model.network.graph, model.n_nodes
    solo_s = statistics.median(solo)
    steps, whole = batch_cpu({}, list(range(100, 100 + BATCH)), DAYS)
    batched_s, whole_s = steps / BATCH, whole / BATCH
    star_s = statistics.median(time_starsim_sir(graph, DAYS, s)["seconds"] for s in (1, 2, 3))
    print(f"  tis-sim solo       {solo_s:6.3f} CPU s per run ({model.n_teachers} teachers + "
          f"{agents - model.n_teachers} specialists)")
    print(f"  tis-sim batched    {batched_s:6.3f} CPU s per run (batches of {BATCH}; "
          f"{whole_s:.3f} with setup and summaries, as the sweep runner pays it)")
    print(f"  Starsim SIR        {star_s:6.3f} CPU s per run ({agents} agents, {DAYS} steps)")
    print(f"  ratios: solo / Starsim {solo_s / star_s:.2f}, batched / Starsim "
          f"{batched_s / star_s:.2f}, batched / solo {batched_s / solo_s:.2f}, batched / "
          f"solo at the start of issue 14 ({START_SOLO_S} s) {batched_s / START_SOLO_S:.2f} "
          f"({load()})")
    return [(f"batched ≤ {MAX_BATCH_VS_STARSIM} x Starsim SIR per run",
             batched_s / star_s <= MAX_BATCH_VS_STARSIM),
            (f"batched ≤ {MAX_BATCH_VS_START} x the solo run at the start of issue 14",
             batched_s / START_SOLO_S <= MAX_BATCH_VS_START)]


def larger_districts() -> None:
    print(f"\nSolo, larger districts, one school year (180 days) ({load()})")
    for n in (10_000, 100_000):
        params = scaled_to(resolve(), n)
        seconds, model = solo_cpu(params, 1, 180)
        star = time_starsim_sir(model.network.graph, 180, 1)
        ours = seconds / 180 / model.n_teachers * 1e6
        theirs = star["us_per_agent_step"]
        print(f"  {model.n_teachers:>7} teachers: tis-sim {ours:.3f} µs/teacher-day, Starsim "
              f"SIR {theirs:.3f} µs/agent-step, ratio {ours / theirs:.2f} ({load()})")


def child(n_teachers: int) -> None:
    """One school year at ``n_teachers``: times and this process's peak memory (JSON)."""
    t0 = time.perf_counter()
    model = DiffusionModel(seed=1, days=180, **scaled_to(resolve(), n_teachers))
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.run_model()
    print(json.dumps({"teachers": model.n_teachers, "setup_s": setup,
                      "run_s": time.perf_counter() - t0,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def million() -> list[tuple[str, bool]]:
    out = subprocess.run([sys.executable, __file__, "--child", "1000000"],
                         capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"\n1,000,000 teachers, one school year: {r['teachers']} teachers, setup "
          f"{r['setup_s']:.0f} s, 180 days {r['run_s']:.0f} s, peak memory "
          f"{r['peak_mb']:.0f} MB ({load()})")
    return [(f"1,000,000 teachers within {MAX_PEAK_MB_1M / 1024:.0f} GB",
             r["peak_mb"] <= MAX_PEAK_MB_1M)]


def main(skip_million: bool = False) -> int:
    checks = default_district()
    larger_districts()
    if not skip_million:
        checks += million()
    print()
    for text, ok in checks:
        print(f"  [{'ok' if ok else 'FAILS'}] {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)  # section 3's process
    parser.add_argument("--skip-million", action="store_true",
                        help="leave out the 1,000,000-teacher year (minutes, ~GBs)")
    args = parser.parse_args()
    if args.child:
        child(args.child)
    else:
        sys.exit(main(args.skip_million))
