"""The golden baseline (see tests/golden.py for what it is and how to refresh it)."""

import json

import pytest
from golden import GOLDEN, current


def test_summaries_match_the_golden_baseline():
    expected = json.loads(GOLDEN.read_text())
    got = current()
    assert set(got) == set(expected)
    for scenario, values in expected.items():
        assert set(got[scenario]) == set(values), scenario
        for key, value in values.items():
            if value is None:
                assert got[scenario][key] is None, (scenario, key)
            else:
                assert got[scenario][key] == pytest.approx(value, rel=1e-9, abs=1e-12), (
                    f"{scenario}.{key} moved: refresh with `make golden` if intended")
