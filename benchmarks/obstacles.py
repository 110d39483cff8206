"""The obstacle patterns of issue 10 with more replicates than the test suite affords.

    python benchmarks/obstacles.py [--replicates 10] [--workers 2]

Runs the default district for three school years: every priority policy x support style
x troubleshooting burden (0, 0.5, 1, 2, 3 tickets per user-month), paired by seed, and
prints per combination the mean coaching + co-teaching share of the specialists' minutes,
the final INTEGRATED and users shares, and the paired t statistic of every step; then the
scarcity and dependency figures at the default. At 10 replicates that is 750 + 40 runs
(about 7 minutes on 2 quiet cores). tests/test_obstacles.py checks the same patterns with
4 replicates.
"""

from __future__ import annotations

import argparse
import itertools
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sim.params import PARAMS
from sim.rng import child_seeds
from sim.run import simulate

LEVELS = (0.0, 0.5, 1.0, 2.0, 3.0)
DAYS = 540
KEYS = ("time_coaching", "time_coteaching", "time_unused", "final_integrated_share",
        "final_users_share", "final_dependent_share", "dependent_share_low_se0",
        "dependent_share_high_se0", "final_se_mean", "independent_user_share")


def run(job: tuple[dict, int]) -> dict[str, float]:
    params, seed = job
    summary = simulate(params, seed, DAYS, daily_every=0).summary
    return {k: summary[k] for k in KEYS}


def t_of(diff: np.ndarray) -> float:
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    return float(diff.mean() / se) if se > 0 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicates", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261010)
    args = parser.parse_args()
    seeds = child_seeds(args.seed, args.replicates)
    cells = [{"priority_policy": pol, "support_style": sty, "tickets_per_user_month": lev}
             for pol, sty, lev in itertools.product(PARAMS["priority_policy"].choices,
                                                    PARAMS["support_style"].choices, LEVELS)]
    extra = [{"helpdesk_share": 0.5}] + [
        {"support_style": sty, "specialist_fte": fte, "part_time_below": 1000}
        for sty in PARAMS["support_style"].choices for fte in (0.2, 1.0)]
    jobs = [(c, s) for c in cells + extra for s in seeds]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(run, jobs, chunksize=2))
    by = {}
    for (c, _), r in zip(jobs, results, strict=True):
        by.setdefault(tuple(sorted(c.items())), []).append(r)

    def get(cell: dict, key: str) -> np.ndarray:
        rows = by[tuple(sorted(cell.items()))]
        if key == "sessions":
            return np.array([r["time_coaching"] + r["time_coteaching"] for r in rows])
        return np.array([r[key] for r in rows])

    print(f"{len(jobs)} runs of {DAYS} days, {args.replicates} paired replicates, "
          f"{time.perf_counter() - t0:.0f} s\n")
    print("Displacement: mean at 0, 0.5, 1, 2, 3 tickets per user-month; "
          "[t of each step] (expected: negative)")
    for pol, sty in itertools.product(PARAMS["priority_policy"].choices,
                                      PARAMS["support_style"].choices):
        cs = [{"priority_policy": pol, "support_style": sty, "tickets_per_user_month": lev}
              for lev in LEVELS]
        for key in ("sessions", "final_integrated_share", "final_users_share"):
            series = [get(c, key) for c in cs]
            means = " ".join(f"{s.mean():.3f}" for s in series)
            steps = " ".join(f"{t_of(b - a):+6.1f}" for a, b in itertools.pairwise(series))
            print(f"  {pol:16s} {sty:7s} {key:24s} {means}  [{steps}]  "
                  f"0->3 t = {t_of(series[-1] - series[0]):+.1f}")
    default = {"priority_policy": "requests", "support_style": "do_for",
               "tickets_per_user_month": 1.0}
    desk = get({"helpdesk_share": 0.5}, "sessions") - get(default, "sessions")
    print(f"\nHelp desk (half the tickets): sessions share {desk.mean():+.3f} "
          f"(t = {t_of(desk):.1f})")
    for key in ("final_dependent_share", "dependent_share_low_se0", "dependent_share_high_se0",
                "final_se_mean", "time_unused"):
        print(f"Default {key}: {get(default, key).mean():.3f}")
    for sty in PARAMS["support_style"].choices:
        low, high = (get({"support_style": sty, "specialist_fte": f, "part_time_below": 1000},
                         "independent_user_share") for f in (0.2, 1.0))
        print(f"Independent users, {sty}: FTE 0.2 {low.mean():.3f} -> 1.0 {high.mean():.3f} "
              f"(t = {t_of(high - low):.1f})")


if __name__ == "__main__":
    main()
