"""Sweep throughput: serial against the local process pool, and the pool's overhead per run.

Both backends run the same runs through ``sim.study.runner.execute`` (storage, manifest
and all), a stratified subset of the headline experiment (default district, 540 days).

    overhead per run = (pool time - pool startup) x workers / runs  vs  serial time per run

Pool startup (spawning the workers and importing the model in each) is measured apart,
by a warm-up pool that runs one 1-day run per worker, and reported separately; the
budget is that the pool's cost per run stays within 20% of serial's.

CPU seconds are reported too (serial: this process; pool: the workers, reaped, plus this
process's own share of the pool's work), because on a machine shared with other jobs the
wall-clock comparison measures the neighbours, not the pool: a second worker competing
with them gets less than a core.

Run: ``python benchmarks/bench_sweep.py [--runs N] [--workers N]``; exits 1 when the
wall-clock overhead is over budget.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from sim.study.backends import default_workers, run_all
from sim.study.design import run_specs
from sim.study.experiment import load_experiment
from sim.study.runner import execute
from sim.study.runspec import RunSpec

BUDGET = 0.20
HEADLINE = Path(__file__).resolve().parent.parent / "experiments" / "headline.toml"


def startup_seconds(workers: int) -> float:
    """Time for a fresh pool to start and finish one trivial run per worker."""
    tiny = [RunSpec(f"w{i}", {"preset": "small_school"}, i, 1) for i in range(workers)]
    t0 = time.perf_counter()
    for _ in run_all(tiny, "local", None, workers):
        pass
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="runs per backend (default 40)")
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args(argv)

    specs = run_specs(load_experiment(HEADLINE))
    step = max(1, len(specs) // args.runs)
    specs = specs[::step][: args.runs]  # every cell's mix of FTE and burden, not one corner
    n, w = len(specs), args.workers
    load_before = _load()
    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), time.process_time()
        execute(specs, Path(tmp) / "serial", backend="serial", progress=False)
        serial, serial_cpu = time.perf_counter() - t0, time.process_time() - c0
        k0 = _children_cpu()
        start = startup_seconds(w)
        start_cpu = _children_cpu() - k0  # spawning and importing, per pool
        t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
        report = execute(specs, Path(tmp) / "pool", backend="local", workers=w,
                         progress=False)
        pool = time.perf_counter() - t0
        # Workers are reaped when the pool shuts down, so their CPU time is counted here.
        pool_cpu = (time.process_time() - c0) + (_children_cpu() - k0) - start_cpu
    assert report.ran == n, report.failures

    per_serial = serial / n
    per_pool = max(pool - start, 1e-9) * w / n
    overhead = per_pool / per_serial - 1
    with_start = pool * w / n / per_serial - 1
    print(f"\nsweep throughput ({n} default-district runs of 540 days, {w} workers, "
          f"{os.cpu_count()} cores; 1-min load average {load_before:.1f} before, "
          f"{_load():.1f} after)")
    print(f"  serial       {serial:7.1f} s  {n / serial:6.2f} runs/s  "
          f"{per_serial:.3f} s per run")
    print(f"  local pool   {pool:7.1f} s  {n / pool:6.2f} runs/s  speed-up "
          f"{serial / pool:.2f}x  (pool startup {start:.1f} s, measured apart)")
    print(f"  pool cost per run x workers: {per_pool:.3f} s = {overhead:+.1%} over serial "
          f"({with_start:+.1%} counting startup); budget +{BUDGET:.0%}: "
          + ("OK" if overhead <= BUDGET else "OVER BUDGET"))
    print(f"  CPU seconds per run: serial {serial_cpu / n:.3f}, pool {pool_cpu / n:.3f} "
          f"(workers + parent, startup excluded) = {pool_cpu / serial_cpu - 1:+.1%}")
    if load_before > 0.5:
        print("  note: other processes were using the CPU; wall-clock figures include their "
              "competition (the CPU-seconds line does not)")
    return 0 if overhead <= BUDGET else 1


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    sys.exit(main())
