"""pytest settings for the notebooks in docs/, which ``make test`` runs with nbmake."""

from __future__ import annotations

import pytest

#: The tutorial must run whole in under two minutes (each cell also has nbmake's timeout).
NOTEBOOK_SECONDS = 120


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give every notebook item a time limit for the whole notebook (pytest-timeout)."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.timeout(NOTEBOOK_SECONDS))
