"""Scenario files: the shipped example, common random numbers, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.whatif.scenarios import ScenarioError, load_study, parse_study

SHIPPED = Path(__file__).resolve().parent.parent / "experiments" / "policies.toml"

GOOD = """
[study]
name = "tiny"
days = 120
replicates = 3

[costs]
currency = "EUR"
fte_price = 60000

[baseline]
preset = "small_school"

[scenarios.desk]
policy = "help_desk"
share = 0.5
cost = 1000
"""


def parse(text: str) -> object:
    return parse_study(text, Path("study.toml"))


def test_shipped_file_has_every_policy_the_issue_asks_for():
    study = load_study(SHIPPED)
    names = {sc.name: sc for sc in study.scenarios}
    # K >= 16 parameter worlds, each with paired replicates: >= 30 runs per scenario
    assert study.n_worlds >= 16 and study.replicates >= 2 and study.days == 540
    assert study.n_worlds * study.replicates >= 30
    policies = {sc.policy.name for sc in study.scenarios if sc.policy}
    assert {"specialist_fte", "shared_specialists", "help_desk", "it_liaison", "support_style",
            "peer_champions", "training_days"} <= policies
    styles = {sc.params.get("support_style") for sc in study.scenarios}
    assert {"coach", "fade"} <= styles
    assert names["help_desk_year2"].changes == ((181, {"helpdesk_share": 0.5}),)
    assert names["two_half_time"].setup_changed and not names["full_time"].setup_changed
    assert names["full_time"].cost.fte == names["two_half_time"].cost.fte == 1.0


def test_replicate_r_has_the_same_seed_in_every_scenario():
    """Replicate r of world k: one seed in every scenario; a new seed for every (k, r)."""
    study = load_study(SHIPPED)
    specs = study.specs()
    by_rep: dict[tuple[int, int], set[int]] = {}
    for s in specs:
        by_rep.setdefault((s.labels.get("world", 0), s.labels["replicate"]), set()).add(s.seed)
    assert len(by_rep) == study.replicates * study.n_worlds
    assert all(len(seeds) == 1 for seeds in by_rep.values())
    assert len({next(iter(v)) for v in by_rep.values()}) == len(by_rep)
    assert len({s.run_id for s in specs}) == len(specs)


def test_overrides_replace_study_settings_and_are_checked():
    study = parse_study(GOOD, Path("x.toml"), replicates=5, days=80)
    assert (study.replicates, study.days) == (5, 80)
    with pytest.raises(ScenarioError, match="replicates = 1"):
        parse_study(GOOD, Path("x.toml"), replicates=1)


BAD = [
    # (replace this, with this, words the message must contain)
    ('policy = "help_desk"', 'policy = "help_dsk"',
     ["study.toml", "[scenarios.desk]", "'help_dsk'", "valid policies are", "help_desk"]),
    ('share = 0.5', 'share = 0.5\nshar = 0.4',
     ["study.toml", "[scenarios.desk]", "'shar'", "valid keys are", "share", "cost_fte"]),
    ('preset = "small_school"', 'preset = "small_school"\nspecialist_ftee = 0.4',
     ["study.toml", "[baseline]", "'specialist_ftee'", "specialist_fte"]),
    ('policy = "help_desk"\nshare = 0.5', 'policy = "parameters"\nset = { caseloads = 3 }',
     ["study.toml", "[scenarios.desk]", "set.caseloads", "caseload"]),
    ("cost = 1000", "cost = -1000", ["study.toml", "[scenarios.desk]", "cost = -1000",
                                     "0 or more"]),
    ("cost = 1000", "cost_fte = -0.5", ["[scenarios.desk]", "cost_fte = -0.5"]),
    ("replicates = 3", "replicates = 3\nreplicate = 4",
     ["study.toml", "[study]", "'replicate'", "valid keys are", "replicates"]),
    ("[baseline]", "[baseline]\n[extras]", ["[top level]", "'extras'", "scenarios"]),
    ("fte_price = 60000", "fte_price = 0", ["[costs]", "fte_price = 0", "above 0"]),
    ('currency = "EUR"\nfte_price = 60000', "", ["[costs]", "missing", "fte_price"]),
    ("share = 0.5", "share = 5", ["[scenarios.desk]", "share = 5", "from 0.0 to 1.0"]),
    ("share = 0.5", "share = 0.5\nfrom_day = 500", ["from_day = 500", "ends on day 120"]),
    ("replicates = 3", "replicates = 1", ["[study]", "replicates = 1", ">= 2"]),
    ("replicates = 3", 'rank_by = "happiness"', ["rank_by = 'happiness'",
                                                "final_integrated_share"]),
    ('preset = "small_school"', 'preset = "huge"', ["[baseline]", "'huge'", "small_school"]),
    ("[scenarios.desk]", "[scenarios.baseline]", ["scenario name 'baseline'"]),
    ('policy = "help_desk"\nshare = 0.5', 'policy = "shared_specialists"\ncount = 2\n'
     'fte = 0.5\nfrom_day = 60', ["cannot start on day 60", "specialists_per_school"]),
    ("[study]", "[study", ["study.toml", "not valid TOML"]),
]


@pytest.mark.parametrize(("old", "new", "words"), BAD)
def test_bad_scenario_files_name_the_file_the_key_and_the_choices(old, new, words):
    assert old in GOOD
    with pytest.raises(ScenarioError) as err:
        parse(GOOD.replace(old, new, 1))
    message = str(err.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message


def test_cli_reports_a_bad_file_in_one_line_without_traceback(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace('policy = "help_desk"', 'policy = "helpdesk"'))
    assert main(["whatif", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tis-sim whatif: error: ") and "Traceback" not in err
    assert str(path) in err and "'helpdesk'" in err and "help_desk" in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_reports_a_missing_file(tmp_path, capsys):
    assert main(["whatif", str(tmp_path / "nope.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err


LATE = GOOD + """
[scenarios.late]
policy = "help_desk"
share = 0.8
from_day = 60
"""


@pytest.mark.parametrize(("text", "days", "late"), [
    (LATE, 1, False), (LATE, 59, False), (LATE, 60, False), (LATE, 61, True),
    (LATE, 120, True), (SHIPPED.read_text(), 180, False), (SHIPPED.read_text(), 181, False),
    (SHIPPED.read_text(), 182, True),
])
def test_a_shorter_horizon_skips_exactly_the_scenarios_that_would_never_act(text, days, late):
    """--days N: a scenario starting on day N or later (days 0..N-1 are run) is left out
    with its reason, never run as a zero effect; every scenario that stays acts in time."""
    study = parse_study(text, SHIPPED if "policies" in text else Path("study.toml"), days=days)
    name = "late" if text == LATE else "help_desk_year2"
    kept = [sc.name for sc in study.scenarios]
    assert (name in kept) == late
    assert study.skipped == (() if late else ((name, study.skipped[0][1]),))
    if not late:
        assert f"after the {days}-day horizon" in study.skipped[0][1]
    assert all(sc.policy is None or sc.policy.from_day < days for sc in study.scenarios)
    assert study.days == days and all(s.days == days for s in study.specs()[:3])


def test_a_horizon_before_every_scenario_is_one_line_naming_it(tmp_path, capsys):
    path = tmp_path / "late.toml"
    path.write_text(LATE.replace("share = 0.5\ncost = 1000", "share = 0.5\nfrom_day = 30"))
    assert main(["whatif", str(path), "--days", "20", "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "late.toml: --days 20: " in err  # the option typed
    assert "every scenario starts after the horizon" in err and "Traceback" not in err
