"""``tis-sim calibrate FILE``: fit parameters to patterns with ABC-SMC (pyABC).

See ``experiments/calibration.toml`` (an annotated calibration file) and the README
section "Calibration".
"""

from __future__ import annotations

import argparse
import sys

from sim.cli.options import add_backend_options, backend_from_args, warn_ignored
from sim.params import PRESETS
from sim.study.paths import check_out_dir

EXAMPLES = """examples:
  tis-sim calibrate experiments/calibration.toml            # all cores (local pool)
  tis-sim calibrate experiments/calibration.toml --scheduler tcp://10.0.0.5:8786   # Dask
  tis-sim calibrate experiments/calibration.toml --fresh    # discard the stored generations
  tis-sim calibrate experiments/calibration.toml --report-only
Interrupted or killed? Run the same command again: it continues from the last finished
generation. Raise 'generations' in the file and rerun to continue a finished calibration."""

OUTPUTS = [
    ("report.md", "the report: pattern fit, identifiability, ESS, run time (start here)"),
    ("posterior.parquet", "the posterior ensemble (parameters, weight, distances)"),
    ("figures", "fit.png, marginals.png, pairwise.png"),
    ("predictive.parquet", "posterior predictive runs"),
    ("prior.parquet", "the prior sample (generation 1) and its pattern values"),
    ("generations.csv", "epsilon, acceptance, ESS and seconds per generation"),
    ("abc.db", "pyABC's history (a rerun continues it)"),
    ("manifest.json", "calibration text, parameters, versions, git commit, sessions"),
]


def _calibrate(args: argparse.Namespace) -> int:
    from sim.calibrate.run import default_out, require_pyabc, run_calibration
    from sim.calibrate.spec import load_calibration
    from sim.cli.sweep import print_outputs

    cal = load_calibration(args.file)  # a bad file is reported even without pyABC
    warn_ignored(args, {**PRESETS[cal.preset], **cal.fixed}, str(args.file))
    require_pyabc()
    from sim.calibrate.report import write_report

    # the one output check of every command: a folder that can be made and written
    out = check_out_dir(args.out or default_out(cal),
                        "--out" if args.out is not None else "results folder")
    if args.report_only:
        write_report(out)
        print_outputs(out, OUTPUTS)
        return 0
    arms = len({p.arm for p in cal.patterns if p.arm})
    per_set = cal.replicates * (1 + arms)
    print(f"calibration {cal.name!r}: {len(cal.priors)} parameters, {len(cal.patterns)} "
          f"patterns; {cal.generations} generations x {cal.population} particles, "
          f"{per_set} run(s) of {cal.days} days per parameter set -> {out}/",
          file=sys.stderr)
    result = run_calibration(cal, out, backend=backend_from_args(args),
                             scheduler=args.scheduler, workers=args.workers, fresh=args.fresh,
                             progress=not args.quiet)
    why = {"generations": "all generations done",
           "min_epsilon": "epsilon fell below min_epsilon"}[result.stopped]
    print(f"{result.generations} generations ({why}); posterior ESS "
          f"{result.posterior.ess:.0f} of {len(result.posterior.params)}; this session "
          f"{result.seconds / 60:.1f} min")
    if not args.no_report:
        write_report(out)
    print_outputs(out, OUTPUTS)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``calibrate`` subcommand."""
    p = sub.add_parser(
        "calibrate", help="fit parameters to published patterns or a district's data (ABC)",
        description="Fit the file's parameters to its patterns with ABC-SMC (pyABC; the "
                    "'calibrate' extra), resumably, then write the posterior ensemble, the "
                    "posterior predictive check and report.md to results/<name>/.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="calibration file (TOML), e.g. experiments/calibration.toml")
    add_backend_options(
        p, fresh_help="discard the stored generations and start over",
        out_help="results folder (default: results/<calibration name>)")
    p.add_argument("--no-report", action="store_true", help="do not write report.md")
    p.add_argument("--report-only", action="store_true",
                   help="only rewrite report.md and figures from the stored results")
    p.set_defaults(func=_calibrate)
