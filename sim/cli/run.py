"""``tis-sim run`` (one simulation) and ``tis-sim params`` (the parameter table)."""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path
from typing import Any

from sim.cli.options import (
    add_work_options,
    check_request,
    checked_out,
    dry_run_done,
    out_folder,
    school_years,
    warn_ignored,
    within_limit,
)
from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.network import district_used
from sim.params import PARAMS, PRESETS, ParameterError, parse_assignment, resolve
from sim.params.config import load_param_file
from sim.study.bounds import LIMITS, MAX_YEARS, Work, teachers_of


def add_param_options(parser: argparse.ArgumentParser) -> None:
    """--preset, --config and --set options shared by commands that build a model."""
    parser.add_argument("--preset", default="default", choices=sorted(PRESETS),
                        help="starting parameter set (default: %(default)s)")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="TOML file of parameter values applied after the preset")
    parser.add_argument("--set", dest="assignments", action="append", default=[],
                        metavar="NAME=VALUE",
                        help="set one parameter (repeatable); see `tis-sim params`")


def params_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Overrides from --config then --set, validated against the preset."""
    overrides = load_param_file(args.config) if args.config else {}
    for text in args.assignments:
        try:
            name, value = parse_assignment(text)
        except ParameterError as exc:
            raise ParameterError(f"--set {text}: {exc}") from None
        overrides[name] = value
    resolve(args.preset, **overrides)  # validate now: errors name the parameter
    return overrides


def seed_type(text: str) -> int:
    """An argparse type: a non-negative integer seed below 2**63."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; expected a non-negative "
                                         "integer below 2**63")
    return value


def _run(args: argparse.Namespace) -> int:
    from sim.model import DiffusionModel
    from sim.single.run import run_single

    overrides = params_from_args(args)
    # both options are bounded by their types, each in its own unit
    days = args.days if args.days is not None else args.years * DAYS_PER_YEAR
    warn_ignored(args, {**PRESETS[args.preset], **overrides}, "this run")
    work = Work.of([(teachers_of(overrides, args.preset), days, 1)])
    check_request(args, work)
    if args.dry_run:  # build the model (a few ms; reads network files), run nothing
        model = DiffusionModel(seed=args.seed, preset=args.preset, **overrides)
        district = district_used(model.p, model.network)
        print("district: " + ", ".join(f"{k} {v}" for k, v in district.items()))
        return dry_run_done(args, work)
    existed = args.out.exists()
    checked_out(args, args.out)
    try:
        summary = run_single(overrides, args.seed, days, args.out, preset=args.preset)
    except BaseException:
        if not existed:  # made by the check above: leave no empty folder behind
            with contextlib.suppress(OSError):
                args.out.rmdir()
        raise
    keys = ("final_users_share", "final_integrated_share", "independent_user_share",
            "days_to_25", "days_to_50", "innovations", "unreachable_share",
            "never_reached_share", "time_troubleshooting", "time_coaching", "wall_seconds")
    print(f"wrote {args.out}/ (daily.csv, summary.json, manifest.json, stages.png, "
          "specialist_minutes.png)")
    for k in keys:
        print(f"  {k:24s} {summary[k]:.3f}")
    return 0


def _params(args: argparse.Namespace) -> int:
    if args.json:
        rows = {n: {"default": s.default, "low": s.low, "high": s.high,
                    "choices": list(s.choices), "unit": s.unit, "help": s.help,
                    "group": s.group, "dynamic": s.dynamic} for n, s in PARAMS.items()}
        print(json.dumps(rows, indent=2))
        return 0
    group = None
    for name, s in PARAMS.items():
        if s.group != group:
            group = s.group
            print(f"\n[{group}]")
        print(f"  {name:26s} {s.default!s:>10}  {s.allowed()}  {s.unit}\n"
              f"  {'':26s} {s.help}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``run`` and ``params`` subcommands."""
    p = sub.add_parser("run", help="run one simulation and write its table, summary, figures",
                       description="Run one simulation (default: three school years of the "
                                   "default district) and write daily.csv, summary.json, "
                                   "manifest.json and two figures to --out.")
    add_param_options(p)
    p.add_argument("--seed", type=seed_type, default=1,
                   help="integer seed (default: %(default)s)")
    p.add_argument("--years", type=school_years(), default=3,
                   help=f"school years of {DAYS_PER_YEAR} days, 1 to {MAX_YEARS} (default: 3)")
    p.add_argument("--days", type=within_limit("days", 1),
                   help=f"school days, 1 to {LIMITS['days'].high:,} (overrides --years)")
    p.add_argument("--out", type=out_folder, default=Path("results/run"),
                   help="output folder (default: %(default)s)")
    add_work_options(p)
    p.set_defaults(func=_run)
    q = sub.add_parser("params", help="list every parameter with default, range and help")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(func=_params)
