"""Work is bounded before anything is allocated; names used as folders are validated.

Hard limits (replicates, days, samples, steps, points, runs) are refused at once, with
little memory; the soft limit on estimated CPU time needs --yes; designs that cannot say
anything (one Morris trajectory, ...) are refused; every command that turns a name into a
folder refuses paths, empty names and over-long ones the same way.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest
from fault_support import EXPERIMENT, SCENARIOS, SENSITIVITY, one_error, run_cli, write

import sim.cli.sweep
import sim.cli.whatif
import sim.sweep.sensitivity  # noqa: F401  (imported before memory is traced)
from sim.batch import simulate_batch
from sim.model import DiffusionModel
from sim.study.bounds import LIMITS, SOFT_CPU_HOURS, run_seconds, teachers_of
from sim.study.design import work
from sim.study.experiment import load_experiment

HUGE = 10**9


def _exp(**keys) -> str:
    """The valid experiment with [experiment] keys replaced or added."""
    head = "\n".join(f"{k} = {v}" for k, v in keys.items())
    lines = [x for x in EXPERIMENT.splitlines() if x.split(" = ")[0] not in keys]
    return "\n".join(lines).replace("[experiment]", f"[experiment]\n{head}")


SAMPLED = "\n[sweep.q_peer]\nrange = [0.2, 0.6]\n"
CASES = {
    "replicates": ("sweep", _exp(replicates=HUGE), "[experiment.replicates] 1,000,000,000 "
                                                   "is more than the limit of 100,000"),
    "days": ("sweep", _exp(days=10**12), "[experiment.days] 1,000,000,000,000 is more than "
                                         "the limit of 18,000 school days"),
    "years": ("sweep", _exp(years=10**9, days=None).replace("days = None\n", ""),
              "[experiment.years] 1000000000 is not allowed; expected an integer from 1 to "
              "100 (school years of 180 days)"),
    "steps": ("sweep", EXPERIMENT.replace("values = [0.2, 0.4]",
                                          f"range = [0.1, 1.0]\nsteps = {HUGE}"),
              "[sweep.specialist_fte.steps] 1,000,000,000 is more than the limit of 10,000"),
    "lhs samples": ("sweep", _exp(sampler='"lhs"', samples=HUGE) + SAMPLED,
                    "[experiment.samples] 1,000,000,000 is more than the limit"),
    "morris samples": ("sweep", _exp(sampler='"morris"', samples=HUGE) + SAMPLED,
                       "[experiment.samples] 1,000,000,000 is more than the limit"),
    "sobol samples": ("sweep", _exp(sampler='"sobol"', samples=2**30) + SAMPLED,
                      "[experiment.samples] 1,073,741,824 is more than the limit"),
    "levels": ("sweep", _exp(sampler='"morris"', samples=4, levels=2 * HUGE) + SAMPLED,
               "[experiment.levels] 2,000,000,000 is more than the limit of 1,000"),
    "bootstrap": ("sensitivity", SENSITIVITY + f"bootstrap = {HUGE}\n",
                  "[sensitivity.bootstrap] 1,000,000,000 is more than the limit"),
    "trajectories": ("sensitivity", SENSITIVITY.replace("morris_trajectories = 2",
                                                        f"morris_trajectories = {HUGE}"),
                     "[sensitivity.morris_trajectories] 1,000,000,000 is more than"),
    "grid points": ("sweep", EXPERIMENT.replace("values = [0.2, 0.4]", "range = [0.1, 1.0]\n"
                                                "steps = 10000\n[sweep.q_peer]\nrange = [0.0, "
                                                "3.0]\nsteps = 10000"),
                    "the grid design: 100,000,000 is more than the limit of 200,000"),
    "runs": ("sweep", _exp(replicates=100_000).replace("values = [0.2, 0.4]",
                                                       "range = [0.1, 1.0]\nsteps = 100"),
             "100 points x 100,000 replicates: 10,000,000 is more than the limit of "
             "1,000,000 runs"),
    "whatif replicates": ("whatif", SCENARIOS.replace("replicates = 2", f"replicates = {HUGE}"),
                          "[study] replicates = 1,000,000,000 is more than the limit"),
    "whatif days": ("whatif", SCENARIOS.replace("days = 5", f"days = {10**12}"),
                    "[study] days = 1,000,000,000,000 is more than the limit"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_work_over_a_hard_limit_is_refused_at_once(case, tmp_path, capsys):
    command, text, said = CASES[case]
    path = write(tmp_path, "big.toml", text)
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        line = one_error(capsys, command, path, "--dry-run")
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert f"{path}: " in line and said in line
    assert time.perf_counter() - t0 < 20 and peak < 50 * 2**20  # nothing was allocated


# Options given in a unit: (argv, what the message must say in that unit). The option as
# typed, the value as typed, the allowed range in the option's unit; never the internal days.
UNIT_OPTIONS = {
    "run --years -1": (["run", "--years", "-1"], "from 1 to 100 school years of 180 days"),
    "run --years 0": (["run", "--years", "0"], "from 1 to 100 school years of 180 days"),
    "run --years huge": (["run", "--years", str(HUGE)], "from 1 to 100 school years"),
    "run --days -1": (["run", "--days", "-1"], "from 1 to 18,000 school days"),
    "run --days huge": (["run", "--days", str(10**12)], "from 1 to 18,000 school days"),
    "whatif --days 0": (["whatif", "s.toml", "--days", "0"], "from 1 to 18,000 school days"),
    "whatif --days huge": (["whatif", "s.toml", "--days", str(10**12)], "from 1 to 18,000"),
}


@pytest.mark.parametrize("case", list(UNIT_OPTIONS))
def test_an_option_is_reported_in_its_own_unit(case, tmp_path, capsys):
    argv, said = UNIT_OPTIONS[case]
    argv = [str(write(tmp_path, a, SCENARIOS)) if a == "s.toml" else a for a in argv]
    option, value = argv[-2:]
    line = one_error(capsys, *argv, "--dry-run")
    assert f"argument {option}: {value!r} is not allowed" in line and said in line
    assert "days/" not in line and (option == "--days" or " days is" not in line)


UNCERTAIN = SCENARIOS + "[uncertainty]\nworlds = 16\n[uncertainty.q_peer]\nrange = [0.2, 0.6]\n"
# An option that overrides a file value: (file, argv, what the message says). It names the
# option and the value typed, never the file key alone ("[study] replicates = ...").
OVERRIDES = {
    "replicates over the limit": (SCENARIOS, ["--replicates", str(HUGE)],
                                  "argument --replicates: '1000000000' is not allowed; "
                                  "expected an integer from 2 to 100,000 replicates"),
    "replicates below 2": (SCENARIOS, ["--replicates", "1"], "argument --replicates: '1'"),
    "days over the limit": (SCENARIOS, ["--days", str(10**12)], "argument --days: "),
    "worlds over the limit": (UNCERTAIN, ["--worlds", str(HUGE)], "argument --worlds: "),
    "worlds without an uncertainty table": (SCENARIOS, ["--worlds", "4"],
                                            "--worlds 4 needs an [uncertainty] table"),
    "days before every scenario": (SCENARIOS.replace('style = "coach"',
                                                     'style = "coach"\nfrom_day = 3'),
                                   ["--days", "2"], "--days 2: every scenario starts after"),
    "replicates x worlds over the run limit": (UNCERTAIN, ["--replicates", "100000"],
                                               "[uncertainty] worlds = 16 x --replicates "
                                               "100000 x 2 arms"),
    "worlds x replicates over the run limit": (UNCERTAIN, ["--worlds", "200000",
                                                           "--replicates", "10"],
                                               "--worlds 200000 x --replicates 10 x 2 arms"),
}


@pytest.mark.parametrize("case", list(OVERRIDES))
def test_an_option_that_overrides_a_file_value_is_named_not_the_key(case, tmp_path, capsys):
    text, argv, said = OVERRIDES[case]
    path = write(tmp_path, "s.toml", text)
    line = one_error(capsys, "whatif", path, *argv, "--dry-run")
    assert said in line
    assert "[study] replicates =" not in line and "[study] days =" not in line
    assert "[uncertainty.worlds]" not in line


def test_the_soft_limit_gives_the_estimate_and_yes_passes_it(tmp_path, capsys):
    text = _exp(replicates=20_000, days=18_000).replace('preset = "small_school"',
                                                        'preset = "default"')
    path = write(tmp_path, "long.toml", text)
    line = one_error(capsys, "sweep", path, "--dry-run")
    assert "this request is 40,000 runs" in line and "CPU-" in line
    assert f"above the limit of {SOFT_CPU_HOURS:g} CPU-hours" in line and "--yes" in line
    code, out, _ = run_cli(capsys, "sweep", path, "--dry-run", "--yes")
    assert code == 0 and "dry run: 40,000 runs" in out


def test_large_work_prints_its_estimate_first(tmp_path, capsys):
    path = write(tmp_path, "mid.toml", _exp(replicates=500, days=1800))
    code, _, err = run_cli(capsys, "sweep", path, "--dry-run", "--backend", "serial")
    assert code == 0
    assert not err  # a dry run prints the estimate on stdout only
    code, out, _ = run_cli(capsys, "sweep", path, "--dry-run", "--workers", "2")
    assert "1,000 runs (37.8 million teacher-days): about" in out and "on 2 workers" in out


def test_the_cost_model_matches_a_measured_run_within_a_factor_of_four():
    """The estimate is an order of magnitude: within 4x of this machine's process time,
    alone and batched."""
    for preset, days in (("small_school", 120), ("default", 120)):
        t0 = time.process_time()
        model = DiffusionModel(seed=3, preset=preset)
        model.run(days)
        spent = time.process_time() - t0
        estimate = run_seconds(model.n_nodes, days)
        assert estimate / 4 < spent < estimate * 4, (preset, spent, estimate)
    t0 = time.process_time()
    simulate_batch({}, list(range(32)), 120, daily_every=0)
    spent = (time.process_time() - t0) / 32
    estimate = run_seconds(model.n_nodes, 120, batch=32)
    assert estimate / 4 < spent < estimate * 4, ("batched", spent, estimate)


def test_the_estimate_counts_the_runs_that_share_a_batch(tmp_path, capsys):
    """Replicates run in batches share each day's fixed cost; alone (--batch-size 1)
    they do not, and the dry run says so."""
    path = write(tmp_path, "reps.toml", _exp(replicates=64, days=540).replace(
        'preset = "small_school"', 'preset = "default"'))

    def cpu_seconds(*options: str) -> float:
        code, out, _ = run_cli(capsys, "sweep", path, "--dry-run", "--workers", "1", *options)
        size = work(load_experiment(path), 1, int(options[-1]) if options else None)
        assert code == 0 and f"dry run: {size.describe(1)}" in out
        return size.cpu_seconds

    alone, batched = cpu_seconds("--batch-size", "1"), cpu_seconds()
    teachers = teachers_of({}, "default")
    per_run = (run_seconds(teachers, 540, 1), run_seconds(teachers, 540, 64))
    assert alone / batched == pytest.approx(per_run[0] / per_run[1]) and alone > 3 * batched


DEGENERATE = {
    "one morris trajectory": (_exp(sampler='"morris"', samples=1) + SAMPLED,
                              "[experiment.samples] 1 is not allowed; expected an integer "
                              ">= 2 (trajectories"),
    "one sensitivity trajectory": (SENSITIVITY.replace("morris_trajectories = 2",
                                                       "morris_trajectories = 1"),
                                   "[sensitivity.morris_trajectories] 1 is not allowed"),
    "sobol N = 1": (_exp(sampler='"sobol"', samples=1) + SAMPLED,
                    "[experiment.samples] 1 is not allowed; expected a power of two >= 2"),
    "second order of one parameter": (
        _exp(sampler='"sobol"', samples=4, second_order="true").replace(
            "values = [0.2, 0.4]", "range = [0.2, 0.4]"),
        "Sobol second-order indices are about pairs of parameters"),
    "a sampled factor with one value": (_exp(sampler='"lhs"', samples=4).replace(
        "[0.2, 0.4]", "[0.2]") + SAMPLED, "[sweep.specialist_fte] has one value"),
    "a normal far outside its range": (
        _exp(sampler='"lhs"', samples=4) + SAMPLED + 'distribution = "truncnormal"\n'
                                                     "mean = 300.0\nsd = 0.01\n",
        "[sweep.q_peer] the range holds almost none of a normal distribution"),
}


@pytest.mark.parametrize("case", list(DEGENERATE))
def test_degenerate_designs_are_refused(case, tmp_path, capsys):
    text, said = DEGENERATE[case]
    command = "sensitivity" if "[sensitivity]" in text else "sweep"
    path = write(tmp_path, "d.toml", text)
    line = one_error(capsys, command, path, "--dry-run")
    assert said in line


BAD_NAMES = {"../../x": "(a path, not a name", "/tmp/abs": "(a path, not a name",
             "a/b": "(a path, not a name", "": "(empty)", ".": "(no folder of its own)",
             "..": "(no folder of its own)", "x" * 300: "(300 characters)",
             ".hidden": "(characters other", "-x": "(characters other",
             "a b": "(characters other", "naïve": "(characters other"}


@pytest.mark.parametrize("name", list(BAD_NAMES))
@pytest.mark.parametrize("command", ["sweep", "sensitivity", "whatif"])
def test_names_used_as_folders_are_validated_by_every_command(command, name, tmp_path,
                                                              capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = {"sweep": EXPERIMENT, "sensitivity": SENSITIVITY, "whatif": SCENARIOS}[command]
    key = "[study]" if command == "whatif" else "[experiment]"
    text = "\n".join(x for x in text.splitlines() if not x.startswith("name ="))
    path = write(tmp_path, "named.toml", text.replace(key, f"{key}\nname = {name!r}"))
    line = one_error(capsys, command, path)
    assert f"name = {name[:57]!r}"[:-1] in line and " is not allowed " in line
    assert BAD_NAMES[name] in line
    assert f"up to {LIMITS['points'].high}" not in line
    assert not (tmp_path / "results").exists() and not (tmp_path.parent / "x").exists()


def test_a_file_name_that_is_no_folder_name_asks_for_a_name(tmp_path, capsys):
    path = write(tmp_path, "my study (v2).toml", EXPERIMENT.replace('name = "ok"\n', ""))
    line = one_error(capsys, "sweep", path, "--dry-run")
    assert "[experiment] name (default: the file name) = 'my study (v2)'" in line
