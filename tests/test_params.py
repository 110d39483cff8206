"""The one parameter definition: defaults, validation errors, presets, CLI parsing."""

import inspect
import math

import pytest

from sim.model import DiffusionModel
from sim.params import PARAMS, PRESETS, ParameterError, parse_assignment, resolve, validate


def test_defaults_are_within_their_own_ranges():
    for spec in PARAMS.values():
        assert spec.check(spec.default) == spec.default, spec.name


def test_every_preset_validates():
    for name in PRESETS:
        assert resolve(name)["n_schools"] >= 1


def test_unknown_parameter_names_the_valid_ones():
    with pytest.raises(ParameterError) as err:
        validate({"specialist_ftee": 0.5})
    msg = str(err.value)
    assert "'specialist_ftee'" in msg and "specialist_fte" in msg and "valid names" in msg


@pytest.mark.parametrize(("name", "value", "allowed"), [
    ("specialist_fte", 1.5, "from 0.1 to 1.0"),
    ("specialist_fte", 0.0, "from 0.1 to 1.0"),
    ("n_schools", 0, "from 1 to 25000"),
    ("p_ext", math.nan, "from 0.0 to 1.0"),
])
def test_out_of_range_value_names_parameter_value_and_range(name, value, allowed):
    with pytest.raises(ParameterError) as err:
        validate({name: value})
    assert repr(name) in str(err.value) and allowed in str(err.value)
    assert repr(value) in str(err.value)


@pytest.mark.parametrize(("name", "value", "allowed"), [
    ("n_schools", 2.5, "an integer"),
    ("n_schools", "5", "an integer"),
    ("specialist_fte", True, "a number"),
    ("support_style", "rescue", "'do_for', 'coach', 'fade'"),
    ("network_file", 3, "a text value"),
])
def test_wrong_type_names_parameter_and_what_is_allowed(name, value, allowed):
    with pytest.raises(ParameterError) as err:
        validate({name: value})
    assert repr(name) in str(err.value) and allowed in str(err.value)


def test_impossible_combination_is_rejected():
    with pytest.raises(ParameterError, match="school_size_min must not exceed school_size_max"):
        validate({"school_size_min": 90, "school_size_max": 40})


def test_unknown_preset_lists_presets():
    with pytest.raises(ParameterError, match="valid presets are: bass, default, small_school"):
        resolve("huge")


def test_ints_given_as_whole_floats_are_accepted_and_converted():
    assert validate({"n_schools": 3.0})["n_schools"] == 3
    assert isinstance(validate({"specialist_fte": 1})["specialist_fte"], float)


@pytest.mark.parametrize(("text", "expected"), [
    ("specialist_fte=0.4", ("specialist_fte", 0.4)),
    ("n_schools=7", ("n_schools", 7)),
    ("support_style=coach", ("support_style", "coach")),
])
def test_command_line_assignments_are_typed(text, expected):
    assert parse_assignment(text) == expected


def test_command_line_assignment_errors():
    with pytest.raises(ParameterError, match="name=value"):
        parse_assignment("specialist_fte")
    with pytest.raises(ParameterError, match="'n_schools'"):
        parse_assignment("n_schools=many")


def test_model_signature_lists_every_parameter_with_its_default():
    sig = inspect.signature(DiffusionModel.__init__)
    for name, spec in PARAMS.items():
        assert sig.parameters[name].default == spec.default
    run_controls = ("seed", "preset", "days", "rng", "model_reporters", "agent_reporters",
                    "agenttype_reporters")
    assert all(name in sig.parameters for name in run_controls)


def test_model_rejects_bad_keyword_with_named_error():
    with pytest.raises(ParameterError, match="'caseload'"):
        DiffusionModel(seed=1, caseload=0)


def test_preset_then_override():
    model = DiffusionModel(seed=1, preset="small_school", specialist_fte=0.2)
    assert model.n_teachers == 20 and model.specialists[0].fte == pytest.approx(0.2)
