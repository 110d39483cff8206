"""``tis-sim whatif FILE``: compare policies against the baseline, with intervals and costs.

See ``experiments/policies.toml`` (an annotated scenario file) and the README section
"Policy what-if studies".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli.options import (
    add_backend_options,
    add_work_options,
    backend_from_args,
    check_request,
    checked_out,
    dry_run_done,
    warn_ignored,
    within_limit,
)
from sim.cli.sweep import add_format_option
from sim.params import PRESETS
from sim.study.backends import default_workers
from sim.study.batching import auto_batch_size
from sim.study.bounds import Work
from sim.whatif.run import default_out, run_study
from sim.whatif.scenarios import Study, load_study

EXAMPLES = """examples:
  tis-sim whatif experiments/policies.toml                   # all cores (local pool)
  tis-sim whatif experiments/policies.toml --replicates 2 --worlds 4   # a quick look
  tis-sim whatif experiments/policies.toml --scheduler tcp://10.0.0.5:8786   # Dask cluster
  tis-sim whatif experiments/policies.toml --fresh           # discard earlier runs
  tis-sim whatif experiments/policies.toml --format pdf      # vector figures
A file with an [uncertainty] table runs every scenario in K parameter worlds; the report
then leads with P(best), expected regret and the CEAC over those worlds.
Interrupted? Run the same command again: finished runs are kept and skipped."""




def _whatif(args: argparse.Namespace) -> int:
    overrides = {k: v for k, v in (("replicates", args.replicates), ("days", args.days),
                                   ("worlds", args.worlds)) if v is not None}
    # a value the user typed is blamed on the option, not on the file key it overrides
    study = load_study(args.file, options={k: f"--{k}" for k in overrides}, **overrides)
    n_runs = len(study.specs())
    out = args.out or default_out(study, quick=bool(overrides))
    backend = backend_from_args(args)  # as in `tis-sim sweep`
    warn_ignored(args, _given(study), str(args.file))
    runs_each = study.replicates * study.n_worlds  # every scenario in every world
    workers = args.workers or default_workers()
    size = Work.of([(sc.n_teachers, study.days, runs_each, min(
        study.replicates, args.batch_size or auto_batch_size(n_runs, workers, sc.n_teachers)))
        for sc in study.scenarios])
    check_request(args, size)
    checked_out(args, out)
    for name, reason in study.skipped:
        print(f"warning: scenario {name!r} {reason}: skipped (the report says so)",
              file=sys.stderr)
    worlds = f" x {study.n_worlds} worlds" if study.n_worlds > 1 else ""
    print(f"what-if study {study.name!r}: baseline + {len(study.scenarios) - 1} scenarios x "
          f"{study.replicates} replicates{worlds} = {n_runs} runs of {study.days} days -> "
          f"{out}/", file=sys.stderr)
    if args.dry_run:
        return dry_run_done(args, size)
    report, analysis, paths = run_study(
        study, out, backend=backend, scheduler=args.scheduler, workers=args.workers,
        fresh=args.fresh, progress=not args.quiet, worker_timeout=args.worker_timeout,
        figure_format=args.format, batch_size=args.batch_size)
    from sim.cli.sweep import print_report  # the same run summary as `sweep`

    print_report(report)
    print(f"wrote {out / 'report.md'} and {len(paths) - 1} other files")
    if analysis.discovery_note:
        print(f"note: {analysis.discovery_note}", file=sys.stderr)
    if analysis.missing:
        print(f"warning: {len(analysis.missing)} runs have no result (the report says so); "
              "run the same command again to retry them", file=sys.stderr)
        return 1
    return 0


def _given(study: Study) -> dict[str, Any]:
    """Parameters the study sets: the baseline's, then what each scenario changes."""
    base = dict(study.baseline.params)
    given = {**PRESETS[base.pop("preset", "default")], **base}
    for sc in study.scenarios[1:]:
        for changes in ({k: v for k, v in sc.params.items() if k != "preset"},
                        *(c for _, c in sc.changes)):
            given.update({k: v for k, v in changes.items() if base.get(k) != v})
    if study.uncertainty is not None:
        given.update(dict.fromkeys(study.uncertainty.names, "(uncertain)"))
    return given


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``whatif`` subcommand."""
    p = sub.add_parser(
        "whatif", help="compare staffing and support policies against the baseline",
        description="Run every scenario of a scenario file against the baseline on the same "
                    "seeds (common random numbers), resumably, and write report.md, CSV "
                    "tables and figures to results/<study>/.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", type=Path, help="scenario file (TOML), e.g. experiments/policies.toml")
    add_backend_options(
        p, fresh_help="discard this study's earlier runs (default: resume, keeping them)",
        out_help="results folder (default: results/<study name>, or "
                 "results/<study name>-<N>rep-<N>d[-<K>w] with --replicates/--days/--worlds)")
    p.add_argument("--replicates", type=within_limit("replicates", 2), metavar="N",
                   help="override the file's replicates (at least 2: intervals need them)")
    p.add_argument("--days", type=within_limit("days", 1), metavar="N",
                   help="override the file's horizon (school days); scenarios that start "
                        "after it are skipped with a warning")
    p.add_argument("--worlds", type=within_limit("points", 2), metavar="K",
                   help="override the [uncertainty] table's worlds (parameter draws)")
    add_work_options(p)
    add_format_option(p)
    p.set_defaults(func=_whatif)
