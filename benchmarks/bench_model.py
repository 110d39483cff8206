"""`make bench`: time the model at 1,000, 10,000 and 100,000 teachers against two references.

Each size runs one school year (180 days) of the default district scaled to that many
teachers (same mix of school sizes, more schools), in a child process so that its peak
memory (max RSS) is its own. In this process the 10,000-teacher model is timed again next to
Mesa's own ``virus_on_network`` example and a bare numpy/scipy linear-threshold step on
10,000 agents, and the ratios are printed. Setup is excluded from the per-day figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from references import time_mesa_virus, time_numpy_threshold

from sim.model import DiffusionModel
from sim.params import resolve, scaled_to

DAYS = 180
SIZES = (1_000, 10_000, 100_000)
# Acceptance thresholds (issue 2).
MAX_US_TEACHER_DAY = 0.5
MAX_US_PAIR_DAY = 0.1
MIN_SPEEDUP_VS_MESA = 10.0
MAX_PEAK_MB_100K = 4096


def time_model(n_teachers: int, seed: int = 1, days: int = DAYS) -> dict:
    """Build the scaled default district and time ``days`` steps."""
    params = scaled_to(resolve(), n_teachers)
    t0 = time.perf_counter()
    model = DiffusionModel(seed=seed, **params)
    setup = time.perf_counter() - t0
    live = []
    t0 = time.perf_counter()
    for _ in range(days):
        model.step()
        live.append(model.cat.n)
    seconds = time.perf_counter() - t0
    teachers = model.n_teachers
    mean_live = float(np.mean(live))
    return {
        "teachers": teachers, "specialists": len(model.specialists), "days": days,
        "setup_s": setup, "run_s": seconds,
        "us_per_teacher_day": seconds / days / teachers * 1e6,
        "mean_live_innovations": mean_live,
        "us_per_teacher_innovation_day": seconds / days / teachers / mean_live * 1e6,
    }


def child(n_teachers: int) -> None:
    """Run one size and print its figures with this process's peak memory (JSON)."""
    result = time_model(n_teachers)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_child(n_teachers: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(n_teachers)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "ok" if ok else "FAILS"


def main() -> int:
    """Run the benchmark and print a report; exit 1 if an acceptance threshold fails."""
    print(f"tis-sim model benchmark: default district scaled, {DAYS} days (one school year)\n")
    print(f"{'teachers':>9} {'specialists':>11} {'setup s':>8} {'run s':>7} "
          f"{'µs/teacher-day':>15} {'live innov.':>11} {'µs/teacher-innov-day':>21} "
          f"{'peak MB':>8}")
    rows = {}
    for n in SIZES:
        r = rows[n] = run_child(n)
        print(f"{r['teachers']:>9} {r['specialists']:>11} {r['setup_s']:>8.2f} "
              f"{r['run_s']:>7.2f} {r['us_per_teacher_day']:>15.3f} "
              f"{r['mean_live_innovations']:>11.2f} {r['us_per_teacher_innovation_day']:>21.4f} "
              f"{r['peak_rss_mb']:>8.0f}")

    print("\nSame process, 10,000 agents: the model (median of 3 seeds) and two references")
    model = sorted((time_model(10_000, seed) for seed in (1, 2, 3)),
                   key=lambda r: r["us_per_teacher_day"])[1]
    mesa = time_mesa_virus(10_000, 100)
    lt = time_numpy_threshold(10_000, 100)
    pair = model["us_per_teacher_innovation_day"]
    print(f"  tis-sim              {model['us_per_teacher_day']:.3f} µs/teacher-day, "
          f"{pair:.4f} µs/teacher-innovation-day ({model['mean_live_innovations']:.2f} "
          "innovations live on average)")
    print(f"  Mesa virus_on_network {mesa['us_per_agent_step']:.3f} µs/agent-step "
          f"(100 steps)")
    print(f"  numpy linear threshold {lt['us_per_agent_step']:.4f} µs/agent-step (100 steps)")
    speedup = mesa["us_per_agent_step"] / pair
    print(f"  ratio Mesa / tis-sim (per teacher-innovation-day): {speedup:.1f}x")
    print(f"  ratio tis-sim / numpy LT step (per teacher-day): "
          f"{model['us_per_teacher_day'] / lt['us_per_agent_step']:.1f}x")

    growth = rows[100_000]["us_per_teacher_day"] / rows[10_000]["us_per_teacher_day"]
    checks = [
        (f"≤ {MAX_US_TEACHER_DAY} µs per teacher-day at 10,000",
         model["us_per_teacher_day"] <= MAX_US_TEACHER_DAY),
        (f"≤ {MAX_US_PAIR_DAY} µs per teacher-innovation-day at 10,000",
         pair <= MAX_US_PAIR_DAY),
        (f"≥ {MIN_SPEEDUP_VS_MESA:.0f}x faster than Mesa virus_on_network", speedup >= 10),
        (f"per-teacher cost 100k / 10k = {growth:.2f} (≤ 1.10: linear)", growth <= 1.10),
        (f"peak memory at 100,000 teachers {rows[100_000]['peak_rss_mb']:.0f} MB ≤ 4 GB",
         rows[100_000]["peak_rss_mb"] <= MAX_PEAK_MB_100K),
    ]
    print()
    for text, ok in checks:
        print(f"  [{verdict(ok)}] {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
    else:
        sys.exit(main())
