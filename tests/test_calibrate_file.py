"""Calibration files and observed-data CSVs: what is accepted, and one-line errors."""

import sys
from pathlib import Path

import pytest

from sim.calibrate.observed import ObservedDataError, load_observed
from sim.calibrate.spec import CalibrationFileError, load_calibration
from sim.cli.main import main

GOOD = """
[calibration]
name = "t"
preset = "small_school"
years = 2
seed = 1
population = 10

[fixed]
support_style = "coach"

[parameters.tickets_per_user_month]
range = [0.5, 3.0]
[parameters.caseload]
[parameters.coaching_effect]
range = [0.05, 0.6]
distribution = "triangular"
mode = 0.25

[arms.big]
caseload = 20

[observed]
file = "obs.csv"

[patterns.trouble]
output = "time_troubleshooting"
interval = [0.5, 0.7]
tolerance = 0.1
source = "eSchool News 2009"
evidence = "B"

[patterns.frequent]
output = "frequent_use_share"
year = 2
target = 0.45
tolerance = 0.05

[patterns.reach]
output = "coached_cycle_per_fte"
year = 1
over = "mean"
target = 9
tolerance = 3

[patterns.attenuation]
output = "coaching_effect_sd"
arm = "big"
compare = "ratio"
target = 0.5
tolerance = 0.2

[patterns.district]
output = "users_share"
year = 1
school = 1
observed = true
"""
OBS = "year,school,innovation,measure,value,n\n1,1,,users_share,0.3,40\n2,,1,tried_share,0.6,\n"


def _write(tmp_path: Path, text: str, obs: str | None = OBS) -> Path:
    if obs is not None:
        (tmp_path / "obs.csv").write_text(obs)
    path = tmp_path / "cal.toml"
    path.write_text(text)
    return path


def test_good_file(tmp_path):
    cal = load_calibration(_write(tmp_path, GOOD))
    assert cal.names == ["tickets_per_user_month", "caseload", "coaching_effect"]
    caseload = cal.priors[1]
    assert (caseload.low, caseload.high) == (1, 30)  # the parameter table's range
    assert cal.priors[2].distribution == "triangular"
    by = {p.name: p for p in cal.patterns}
    assert by["trouble"].kind == "summary" and by["trouble"].days == ()
    assert by["frequent"].kind == "observable" and by["frequent"].days == (360,)
    assert by["reach"].kind == "daily" and by["reach"].days == tuple(range(1, 181))
    assert by["attenuation"].arm == "big" and by["attenuation"].compare == "ratio"
    district = by["district"]
    assert district.low == district.high == 0.3 and district.school == 0
    # tolerance from n: the binomial standard error
    assert district.tolerance == pytest.approx((0.3 * 0.7 / 40) ** 0.5)
    assert cal.days == 360 and cal.population == 10 and cal.predictive == 10


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


BAD_FILES = [
    ("unknown parameter",
     lambda t: t + "[parameters.tickets_per_month]\n", "[parameters.tickets_per_month] unknown "
     "parameter 'tickets_per_month' (did you mean 'tickets_per_user_month'?)"),
    ("unknown output", lambda t: _replace(t, '"time_troubleshooting"', '"time_trouble"'),
     "[patterns.trouble.output] unknown output 'time_trouble'"),
    ("prior outside range", lambda t: _replace(t, "[0.5, 3.0]", "[0.5, 5.0]"),
     "[parameters.tickets_per_user_month] range [0.5, 5.0] is outside the allowed range"),
    ("pattern without target", lambda t: _replace(t, "target = 0.45\n", ""),
     "[patterns.frequent] give exactly one target"),
    ("two targets", lambda t: _replace(t, "target = 0.45\n", "target = 0.45\ninterval = [0, 1]\n"),
     "[patterns.frequent] give exactly one target"),
    ("reversed interval", lambda t: _replace(t, "[0.5, 0.7]", "[0.7, 0.5]"),
     "[patterns.trouble.interval] [0.7, 0.5] is not allowed"),
    ("no tolerance", lambda t: _replace(t, "tolerance = 0.05\n", ""),
     "[patterns.frequent.tolerance] required"),
    ("zero tolerance", lambda t: _replace(t, "tolerance = 0.05\n", "tolerance = 0\n"),
     "[patterns.frequent.tolerance] 0 is not allowed; expected a number > 0"),
    ("missing observed file", lambda t: _replace(t, '"obs.csv"', '"nope.csv"'),
     "nope.csv: observed-data file does not exist"),
    ("unknown table", lambda t: t + "[pattern.x]\noutput = 'a'\n", "[pattern] unknown table"),
    ("unknown pattern key", lambda t: _replace(t, "tolerance = 0.1\n", "tolerence = 0.1\n"),
     "[patterns.trouble] unknown key 'tolerence' (did you mean 'tolerance'?)"),
    ("choice parameter fitted", lambda t: t + "[parameters.support_style]\n",
     "[parameters.support_style] parameter 'support_style' takes one of"),
    ("fixed and fitted", lambda t: _replace(t, 'support_style = "coach"',
                                            'support_style = "coach"\ncaseload = 4'),
     "[parameters.caseload] parameter 'caseload' is both fixed and fitted"),
    ("day after horizon", lambda t: _replace(t, "year = 2\n", "day = 400\n"),
     "[patterns.frequent.day] 400 is after the horizon (360 days)"),
    ("year after horizon", lambda t: _replace(t, "year = 2\n", "year = 3\n"),
     "[patterns.frequent.year] year 3 ends after the horizon"),
    ("time on a summary key", lambda t: _replace(t, 'interval = [0.5, 0.7]',
                                                 'interval = [0.5, 0.7]\nyear = 1'),
     "[patterns.trouble.year] output 'time_troubleshooting' is a per-run summary"),
    ("daily output without a day", lambda t: _replace(t, "year = 2\n", ""),
     "[patterns.frequent] output 'frequent_use_share' changes daily: give 'day' or 'year'"),
    ("school out of range", lambda t: _replace(t, "school = 1", "school = 9"),
     "[patterns.district.school] 9 is not allowed; expected a school number from 1 to 1"),
    ("unknown arm", lambda t: _replace(t, 'arm = "big"', 'arm = "huge"'),
     "[patterns.attenuation.arm] 'huge' is not an arm; defined arms: big"),
    ("bad compare", lambda t: _replace(t, 'compare = "ratio"', 'compare = "quotient"'),
     "[patterns.attenuation.compare] 'quotient' is not allowed"),
    ("arm changes a bad value", lambda t: _replace(t, "caseload = 20", "caseload = 99"),
     "[arms.big.caseload] parameter 'caseload': 99 is not allowed"),
    ("observed row missing", lambda t: _replace(t, "year = 1\nschool = 1", "year = 2\nschool = 1"),
     "[patterns.district.observed] no row of the observed-data file has measure 'users_share'"),
    ("no seed", lambda t: _replace(t, "seed = 1\n", ""),
     "[calibration.seed] None is not allowed; expected a non-negative integer"),
    ("tiny population", lambda t: _replace(t, "population = 10", "population = 3"),
     "[calibration.population] 3 is not allowed; expected an integer >= 10"),
    ("quantile", lambda t: _replace(t, "population = 10", "population = 10\nquantile = 1.0"),
     "[calibration.quantile] 1.0 is not allowed"),
    ("not toml", lambda t: t + "[[[", "not valid TOML"),
]


@pytest.mark.parametrize("case, change, words", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_files_are_one_line_errors(tmp_path, case, change, words):
    path = _write(tmp_path, change(GOOD))
    with pytest.raises(CalibrationFileError) as info:
        load_calibration(path)
    message = str(info.value)
    assert words in message and str(path) in message and "\n" not in message


BAD_ROWS = [
    ("bad value", "year,measure,value\n1,users_share,lots\n",
     "line 2: column value: 'lots' is not allowed; expected a share from 0 to 1"),
    ("share above one", "year,measure,value\n1,users_share,1.5\n",
     "line 2: column value: '1.5' is not allowed; users_share is a share"),
    ("unknown measure", "year,measure,value\n1,users,0.5\n",
     "line 2: column measure: 'users' is not a measure the model can observe"),
    ("daily measure for a school", "year,school,measure,value\n1,1,backlog,3\n",
     "line 2: column measure: 'backlog' is not a measure the model can observe for a school"),
    ("both day and year", "day,year,measure,value\n10,1,users_share,0.5\n",
     "line 2: give exactly one of the columns day and year"),
    ("fractional year", "year,measure,value\n1.5,users_share,0.5\n", "line 2: column year"),
    ("bad n", "year,measure,value,n\n1,users_share,0.5,0\n", "line 2: column n: '0'"),
    ("bad innovation", "year,innovation,measure,value\n1,first,users_share,0.5\n",
     "line 2: column innovation: 'first'"),
    ("duplicate", "year,measure,value\n1,users_share,0.5\n\n1,users_share,0.4\n",
     "line 4: the same measure, day, school and innovation as line 2"),
    ("missing column", "year,measure\n1,users_share\n", "lacks column(s) value"),
    ("short row", "year,measure,value\n1,users_share\n", "line 2: expected 3 fields"),
    ("header only", "year,measure,value\n", "no observations"),
]


@pytest.mark.parametrize("case, text, words", BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_bad_observed_rows_name_the_line(tmp_path, case, text, words):
    path = tmp_path / "obs.csv"
    path.write_text(text)
    with pytest.raises(ObservedDataError) as info:
        load_observed(path)
    assert words in str(info.value) and "obs.csv" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_bad_csv_row_is_reported_through_the_calibration_file(tmp_path, capsys):
    path = _write(tmp_path, GOOD, obs=OBS + "x,,,users_share,0.2,\n")
    assert main(["calibrate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "obs.csv, line 4: column year: 'x'" in err
    assert "[observed.file]" in err


def test_missing_pyabc_names_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pyabc", None)  # import pyabc now fails
    assert main(["calibrate", str(_write(tmp_path, GOOD))]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("tis-sim calibrate: error: tis-sim calibrate needs the 'calibrate' extra "
                   "(module 'pyabc' is not installed); install it with: pip install "
                   "'tis-sim[calibrate]'")


def _utf16(tmp_path: Path) -> list[str]:
    path = _write(tmp_path, GOOD)
    path.write_bytes(GOOD.encode("utf-16"))
    return [str(path)]


def _cp1252(tmp_path: Path) -> Path:
    path = _write(tmp_path, GOOD)
    (tmp_path / "obs.csv").write_bytes((OBS + "1,Sch\xf6n,,users_share,0.2,\n").encode("cp1252"))
    return path


def _file_as_out(tmp_path: Path) -> list[str]:
    (tmp_path / "taken").write_text("a file, not a folder")
    return [str(_write(tmp_path, GOOD)), "--out", str(tmp_path / "taken")]


# The acceptance's bad files, plus the faults every input and output shares (sim.files,
# sim.study.paths), through the command line: (case, arguments, words in the one line).
BAD_COMMANDS = [
    ("unknown parameter", lambda d: [str(_write(d, BAD_FILES[0][1](GOOD)))],
     "[parameters.tickets_per_month] unknown parameter"),
    ("unknown output", lambda d: [str(_write(d, BAD_FILES[1][1](GOOD)))],
     "[patterns.trouble.output] unknown output 'time_trouble'"),
    ("prior outside range", lambda d: [str(_write(d, BAD_FILES[2][1](GOOD)))],
     "is outside the allowed range"),
    ("pattern without target", lambda d: [str(_write(d, BAD_FILES[3][1](GOOD)))],
     "[patterns.frequent] give exactly one target"),
    ("missing observed file", lambda d: [str(_write(d, GOOD, obs=None))],
     "obs.csv: observed-data file does not exist"),
    ("csv with a bad row", lambda d: [str(_write(d, GOOD, obs=OBS + "1,,,users_share,2,\n"))],
     "obs.csv, line 4: column value: '2' is not allowed"),
    ("csv in windows-1252", lambda d: [str(_cp1252(d))], "it looks like Windows-1252"),
    ("missing calibration file", lambda d: [str(d / "no.toml")],
     "{d}/no.toml: calibration file does not exist"),
    ("calibration file is a folder", lambda d: [str(d)], "is a folder; expected a calibration"),
    ("calibration file in UTF-16", _utf16, "UTF-16"),
    ("name is a path", lambda d: [str(_write(d, _replace(GOOD, 'name = "t"', 'name = "../x"')))],
     "[calibration] name = '../x' is not allowed (a path, not a name"),
    ("days over the hard limit",
     lambda d: [str(_write(d, _replace(GOOD, "years = 2", "years = 1000")))],
     "[calibration.years] 1000 is not allowed; expected an integer from 1 to 100 (school "
     "years of 180 days)"),
    ("population over the hard limit",
     lambda d: [str(_write(d, _replace(GOOD, "population = 10", "population = 9999999")))],
     "[calibration.population] 9,999,999 is more than the limit"),
    ("--out names a file", _file_as_out, "--out {d}/taken: is an existing file"),
]


@pytest.mark.parametrize("case, args, words", BAD_COMMANDS, ids=[c[0] for c in BAD_COMMANDS])
def test_bad_calibration_commands_are_one_line_exit_2(tmp_path, capsys, case, args, words):
    assert main(["calibrate", *args(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert words.format(d=tmp_path) in err
    assert not (tmp_path / "results").exists() and not Path("results/t").exists()


def test_shipped_calibration_file_covers_the_required_patterns():
    root = Path(__file__).resolve().parents[1]
    cal = load_calibration(root / "experiments" / "calibration.toml")
    outputs = {p.output for p in cal.patterns}
    assert {"time_troubleshooting", "coached_cycle_per_fte", "coached_year_per_fte",
            "coaching_effect_sd", "efficacy_rise_sd_year1", "integration_rise_year1",
            "frequent_use_share", "level_integrated", "funnel_never_tried",
            "funnel_dropped", "funnel_full", "first_use_inflection"} <= outputs
    assert any(p.compare == "ratio" and p.output == "coaching_effect_sd" for p in cal.patterns)
    assert all(p.source and p.evidence for p in cal.patterns)
