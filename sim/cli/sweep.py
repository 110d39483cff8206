"""``tis-sim sweep``, ``tis-sim sensitivity`` and ``tis-sim report``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.options import (
    add_backend_options,
    add_work_options,
    backend_from_args,
    check_request,
    checked_out,
    dry_run_done,
    warn_ignored,
)
from sim.study.figures import FORMATS
from sim.study.runner import ExecuteReport

EXAMPLES = """examples:
  tis-sim sweep experiments/headline.toml                  # all cores (local pool)
  tis-sim sweep experiments/headline.toml --backend serial
  tis-sim sweep experiments/headline.toml --scheduler tcp://10.0.0.5:8786   # Dask cluster
  tis-sim sweep experiments/headline.toml --fresh          # discard earlier results
Interrupted? Run the same command again: finished runs are kept and skipped."""




def _size(path: Path) -> str:
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")]
        n = sum(p.stat().st_size for p in files)
        return f"{len(files)} files, {n / 1e6:.2f} MB"
    return f"{path.stat().st_size / 1e3:.1f} kB" if path.exists() else "missing"


def print_outputs(out_dir: Path, entries: list[tuple[str, str]]) -> None:
    """A table of what was written and where."""
    print(f"\nwritten to {out_dir}/")
    rows = [(name, what, _size(out_dir / name)) for name, what in entries
            if (out_dir / name).exists()]
    width = max((len(r[0]) for r in rows), default=10)
    for name, what, size in rows:
        print(f"  {name:<{width}}  {size:>22}  {what}")


def print_report(report: ExecuteReport) -> None:
    """Counts, and the failed runs with their seeds and errors."""
    print(f"{report.total} runs: {report.ran} ran now, {report.skipped} were already done, "
          f"{report.failed} failed ({report.seconds:.1f} s)")
    for run_id, seed, error in report.failures[:20]:
        print(f"  FAILED {run_id} (seed {seed}): {error}", file=sys.stderr)
    if len(report.failures) > 20:
        print(f"  ... and {len(report.failures) - 20} more (see load_failures / the report)",
              file=sys.stderr)


def _sweep(args: argparse.Namespace) -> int:
    from sim.study.backends import default_workers
    from sim.study.design import work
    from sim.study.experiment import load_experiment
    from sim.sweep.report import OUTPUT_ENTRIES, clear_report, write_report
    from sim.sweep.run import check_experiment, default_out, given_parameters, run_experiment

    exp = load_experiment(args.file)
    out = args.out or default_out(exp)
    backend = backend_from_args(args)
    warn_ignored(args, given_parameters(exp), str(args.file))
    size = work(exp, args.workers or default_workers(), args.batch_size)
    check_request(args, size)
    specs = check_experiment(exp)
    checked_out(args, out)
    if args.dry_run:
        return dry_run_done(args, size)
    if args.fresh:
        clear_report(out)
    report = run_experiment(exp, out, backend=backend, scheduler=args.scheduler,
                            workers=args.workers, fresh=args.fresh,
                            progress=not args.quiet, worker_timeout=args.worker_timeout,
                            specs=specs, batch_size=args.batch_size)
    print_report(report)
    if not args.no_report:
        print_warnings(write_report(out, args.format)[1])
    print_outputs(out, OUTPUT_ENTRIES)
    return 1 if report.failed else 0


def _sensitivity(args: argparse.Namespace) -> int:
    from sim.study.experiment import load_experiment
    from sim.sweep.report import OUTPUT_ENTRIES, clear_report
    from sim.sweep.run import default_out, given_parameters
    from sim.sweep.sensitivity import check_sensitivity, run_sensitivity

    exp = load_experiment(args.file)
    out = args.out or default_out(exp)
    backend = backend_from_args(args)
    warn_ignored(args, given_parameters(exp), str(args.file))
    size = check_sensitivity(exp)
    check_request(args, size)
    checked_out(args, out)
    if args.dry_run:
        return dry_run_done(args, size)
    if args.fresh:
        clear_report(out)
    reports, warnings = run_sensitivity(
        exp, out, backend=backend, scheduler=args.scheduler, workers=args.workers,
        fresh=args.fresh, progress=not args.quiet, worker_timeout=args.worker_timeout,
        figure_format=args.format)
    for method, report in reports.items():
        print(f"[{method}] ", end="")
        print_report(report)
    print_warnings(warnings)
    print_outputs(out, OUTPUT_ENTRIES)
    return 1 if any(r.failed for r in reports.values()) else 0


def _report(args: argparse.Namespace) -> int:
    from sim.sweep.report import OUTPUT_ENTRIES, write_report

    print_warnings(write_report(args.dir, args.format, args.discover)[1])
    print_outputs(args.dir, OUTPUT_ENTRIES)
    return 0


def print_warnings(warnings: list[str]) -> None:
    """The report's self-check warnings, one line each on stderr."""
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)


def add_format_option(p: argparse.ArgumentParser) -> None:
    """``--format png|svg|pdf`` for the report's figures."""
    p.add_argument("--format", choices=FORMATS, default="png",
                   help="figure format (default png; svg and pdf scale without blur)")


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="experiment file (TOML)")
    add_format_option(p)
    add_backend_options(
        p, fresh_help="discard earlier results in the output folder and start over",
        out_help="output folder (default: results/<experiment name>)")
    add_work_options(p)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sweep``, ``sensitivity`` and ``report`` subcommands."""
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("sweep", help="run a parameter sweep from an experiment file",
                       description="Run every run of an experiment file (resumable: finished "
                                   "runs are kept and skipped), then write its report.",
                       epilog=EXAMPLES, formatter_class=fmt)
    _add_run_options(p)
    p.add_argument("--no-report", action="store_true",
                   help="only run; write the report later with `tis-sim report DIR`")
    p.set_defaults(func=_sweep)
    s = sub.add_parser("sensitivity", help="Morris screening and Sobol indices (SALib)",
                       description="Run the Morris and/or Sobol designs of an experiment "
                                   "file's [sensitivity] table over its swept ranges, and "
                                   "write indices, ranked tables and plots to the report.",
                       formatter_class=fmt)
    _add_run_options(s)
    s.set_defaults(func=_sensitivity)
    r = sub.add_parser("report", help="(re)write the report of a sweep's output folder",
                       description="Write report.md, figures/ and tables/ from the results "
                                   "stored in DIR (a sweep or sensitivity output folder).")
    r.add_argument("dir", type=Path, metavar="DIR", help="output folder of a sweep")
    add_format_option(r)
    r.add_argument("--discover", metavar="OUTPUT<THRESHOLD",
                   help="scenario discovery: PRIM boxes of the swept parameters where the "
                        "condition holds, e.g. 'final_users_share<0.3' (needs the "
                        "'analysis' extra)")
    r.set_defaults(func=_report)
