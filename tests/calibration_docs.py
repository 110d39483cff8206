"""The numbers the docs quote from the shipped calibration, rendered from its own files.

``docs/calibration/`` keeps what ``tis-sim calibrate experiments/calibration.toml`` wrote
(``report.md``, ``fit.csv``, ``parameters.csv``, ``generations.csv``, the figures and the
manifest's sessions). The ODD's "Calibration" section and the README's calibration section
quote tables and sentences rendered here from those files, and ``tests/test_docs.py``
checks that they still match, so no number in the docs is written by hand.

After a new calibration run (each session under GNU ``time -v``, its log kept):
``python tests/calibration_docs.py results/calibration "LOAD" session1.log ...`` copies its
files into ``docs/calibration/`` and prints the blocks to paste.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "calibration"
FILES = ("report.md", "fit.csv", "parameters.csv", "generations.csv")
FIGURES = ("fit.png", "marginals.png")  # pairwise.png (0.6 MB) stays in results/


def _g(x: float, digits: int = 3) -> str:
    return "–" if pd.isna(x) else f"{x:.{digits}g}"


def budget(folder: Path = DOCS) -> str:
    """The budget and time sentence, from generations.csv and the measured sessions."""
    gens = pd.read_csv(folder / "generations.csv")
    meta = json.loads((folder / "sessions.json").read_text())
    wall = sum(meta["elapsed_seconds"])
    cpu = float(gens["cpu_seconds"].sum()) + float(meta["predictive_cpu_seconds"])
    return (f"{len(gens)} generations of {int(gens['particles'].iloc[0])} particles, "
            f"{int(gens['evaluations'].sum())} parameter sets evaluated (2 runs of 540 days "
            f"each) plus {meta['predictive']} posterior predictive sets; wall time "
            f"{wall / 60:.0f} min over {len(meta['elapsed_seconds'])} sessions (one killed "
            f"with SIGKILL) on a machine shared with other jobs (load average "
            f"{meta['load']} on 2 cores), {cpu / 60:.0f} CPU-minutes of model runs: "
            f"about {cpu / 120:.0f} min on 2 free cores")


def fit_rows(folder: Path = DOCS) -> str:
    """The ODD's pattern fit table."""
    fit = pd.read_csv(folder / "fit.csv")
    lines = ["| pattern | target ± tolerance | evidence | prior median | posterior predictive "
             "90% | within one tolerance | verdict |", "|---|---|---|---|---|---|---|"]
    for r in fit.itertuples():
        lines.append(f"| `{r.pattern}` | {r.target} ± {_g(r.tolerance)} | {r.evidence} | "
                     f"{_g(r.prior_median)} | {_g(r.posterior_low)}–{_g(r.posterior_high)} | "
                     f"{r.posterior_reproduced:.0%} | {r.verdict} |")
    return "\n".join(lines)


def parameter_rows(folder: Path = DOCS) -> str:
    """The ODD's identification table."""
    params = pd.read_csv(folder / "parameters.csv")
    lines = ["| parameter | prior | posterior median (90%) | width ratio | identified | "
             "default | default inside |", "|---|---|---|---|---|---|---|"]
    for r in params.itertuples():
        lines.append(f"| `{r.parameter}` | {r.prior} | {_g(r.posterior_median)} "
                     f"({_g(r.posterior_low)}–{_g(r.posterior_high)}) | {r.width_ratio:.2f} | "
                     f"{r.identified} | {_g(r.default)} | {'yes' if r.default_inside else 'no'} |")
    return "\n".join(lines)


def _report_line(folder: Path, start: str) -> str:
    text = (folder / "report.md").read_text()
    return next((line for line in text.splitlines() if line.startswith(start)), "")


def at_once(folder: Path = DOCS) -> str:
    """The report's sentence on how many patterns the posterior reproduces at once."""
    return _report_line(folder, "**How many patterns")


def conflicts(folder: Path = DOCS) -> str:
    """The report's sentence on the patterns the posterior conflicts with ("" if none)."""
    return _report_line(folder, "**Conflicts.**")


def ess(folder: Path = DOCS) -> str:
    """The report's line on the posterior's effective sample size."""
    return _report_line(folder, "- Effective sample size")[2:]


def _elapsed(log: Path) -> float:
    """Seconds of GNU time's "Elapsed (wall clock) time (h:mm:ss or m:ss): 5:39.46"."""
    line = next(x for x in log.read_text(errors="replace").splitlines() if "Elapsed" in x)
    seconds = 0.0
    for part in line.rsplit(" ", 1)[1].split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def copy(results: Path, load: str, logs: list[Path]) -> None:
    """Copy a calibration's files into docs/calibration/.

    ``load``: uptime's load average during the run; ``logs``: the GNU ``time -v`` logs of
    its sessions (their wall-clock times).
    """
    DOCS.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copy(results / name, DOCS / name)
    report = (DOCS / "report.md").read_text().replace(
        "![Pairwise posterior](figures/pairwise.png)",
        "(The pairwise figure, `figures/pairwise.png`, is in the results folder only.)")
    (DOCS / "report.md").write_text(report)
    (DOCS / "figures").mkdir(exist_ok=True)
    for name in FIGURES:
        shutil.copy(results / "figures" / name, DOCS / "figures" / name)
    meta = json.loads((results / "manifest.json").read_text())
    pred = pd.read_parquet(results / "predictive.parquet")
    keep = {"sessions": meta["sessions"], "load": load, "predictive": len(pred),
            "elapsed_seconds": [_elapsed(log) for log in logs],
            "predictive_cpu_seconds": float(pred["cpu_seconds"].sum())
            if "cpu_seconds" in pred else 0.0}
    (DOCS / "sessions.json").write_text(json.dumps(keep, indent=1) + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        copy(Path(sys.argv[1]), sys.argv[2], [Path(x) for x in sys.argv[3:]])
    print(budget(), "", ess(), "", fit_rows(), "", at_once(), "", conflicts(), "",
          parameter_rows(), sep="\n")
