"""Docstrings and help texts as the page shows them: plain text, never reStructuredText.

Docstrings are written for Sphinx and ``help()`` (inline literals in double backticks,
roles such as ``:func:`x```, emphasis in asterisks). A ``<select>`` option, a tooltip or a
label cannot show markup, so every text the page takes from a docstring or a parameter's
help goes through :func:`plain` (HTML blocks may then wrap it as they like).
"""

from __future__ import annotations

import re

_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`~?([^`]+)`")
_LITERAL = re.compile(r"``(.+?)``")
_INTERPRETED = re.compile(r"`([^`]+)`_{0,2}")
_STRONG = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*(\S(?:.*?\S)?)\*(?![\w*])")


def plain(text: str) -> str:
    """``text`` with reStructuredText inline markup removed, whitespace collapsed.

    ````share```` -> ``share``; ``:func:`sim.run.simulate``` -> ``sim.run.simulate``;
    ```x``` -> ``x``; ``**x**`` and ``*x*`` -> ``x``. Plain text passes unchanged.
    """
    for pattern in (_ROLE, _LITERAL, _INTERPRETED, _STRONG, _EMPHASIS):
        text = pattern.sub(r"\1", text)
    return " ".join(text.split())


def summary(doc: str | None, fallback: str = "") -> str:
    """The first line of a docstring as plain text, without its final full stop."""
    first = (doc or fallback).strip().split("\n")[0]
    return plain(first).rstrip(".")
