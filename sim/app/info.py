"""The About tab: the model's overview, generated from its ODD description, and the full ODD.

The text is not written twice: the overview is the ODD protocol's Overview part (Grimm et
al. 2020), sections 1 (purpose and patterns), 2 (entities, state variables and scales) and 3
(process overview and scheduling) of ``docs/ODD.md``, rendered to HTML on the server
(python-markdown, as Solara's own Markdown would load KaTeX from a CDN), followed by the
stages with their colour and marker, and what each view of the page shows (from the views
themselves). The whole ODD is one click further down.
"""

from __future__ import annotations

import functools
import re
from html import escape
from pathlib import Path

import markdown
import solara

import sim
from sim.app.charts import CHARTS
from sim.app.render import STAGE_COLORS, STAGE_MARKERS, STAGE_ORDER, stage_label
from sim.app.text import plain
from sim.app.widgets import Disclosure

#: Sections of the ODD that make the overview (by their number): the protocol's Overview.
OVERVIEW_SECTIONS = ("1", "2", "3")
_MARKER_WORDS = {"o": "circle", "^": "triangle", "s": "square", "P": "plus", "*": "star",
                 "X": "cross", "D": "diamond"}
_STAGE_MEANING = {
    "unaware": "has not heard of the innovation",
    "aware": "knows it, has not tried it",
    "trial": "uses it, not yet routinely (fragile use, needs support when it fails)",
    "adopted": "uses it routinely",
    "integrated": "uses it confidently and independently, and helps colleagues",
    "abandoned": "stopped using it (may try again later)",
}


def odd_path() -> Path | None:
    """Where ``docs/ODD.md`` is: inside an installed wheel or in the source checkout."""
    package = Path(sim.__file__).resolve().parent
    for path in (package / "docs" / "ODD.md", package.parent / "docs" / "ODD.md"):
        if path.is_file():
            return path
    return None


def sections(text: str) -> dict[str, str]:
    """The ODD's ``## N. Title`` sections by number, each with its heading line."""
    parts = re.split(r"(?m)^(?=## \d+\.)", text)
    out = {}
    for part in parts:
        match = re.match(r"## (\d+)\.", part)
        if match:
            out[match.group(1)] = part.strip()
    return out


def to_html(text: str, shift: int = 1) -> str:
    """Markdown to HTML, headings moved ``shift`` levels down (the page has h1 and h2)."""
    html = markdown.markdown(text, extensions=["tables"])
    return re.sub(r"<(/?)h([1-5])>",
                  lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + shift, 6)}>", html)


@functools.lru_cache(maxsize=1)
def overview_html() -> str:
    """The About tab's body: ODD overview, stages, views."""
    path = odd_path()
    if path is None:
        odd = ("<p>The model description (docs/ODD.md) is not installed with this copy of "
               "tis-sim; it is in the project's repository.</p>")
    else:
        found = sections(path.read_text(encoding="utf-8"))
        odd = "".join(to_html(found[n]) for n in OVERVIEW_SECTIONS if n in found)
    stages = "".join(
        f"<li><b>{stage_label(s)}</b> ({_MARKER_WORDS[STAGE_MARKERS[s]]}, colour "
        f"{STAGE_COLORS[s]}): {escape(_STAGE_MEANING.get(stage_label(s), ''))}</li>"
        for s in STAGE_ORDER)
    views = "".join(f"<li><b>{escape(c.title)}</b>: {escape(plain(c.about))}.</li>"
                    for c in CHARTS)
    return (f"{odd}<h3>Stages of use, as the page shows them</h3><ul>{stages}</ul>"
            "<h3>What each view shows</h3><ul><li><b>Staff network</b>: every teacher "
            "(up to 500 teachers) as a marker whose colour and shape give the stage of the "
            "chosen innovation and whose size gives self-efficacy; specialists are diamonds; "
            "a dark red ring marks a teacher who shares no free period with their "
            "specialist. Larger districts are shown as a map of schools coloured by the "
            f"share using the innovation.</li>{views}<li><b>Compare a policy</b>: today's "
            "district and the same district under a policy, on the same seed, stepping "
            "together; with replicates, the paired difference and its 95% interval, as "
            "<code>tis-sim whatif</code> computes it.</li></ul>")


@functools.lru_cache(maxsize=1)
def full_odd_html() -> str:
    """The whole ODD as HTML (empty when it is not installed)."""
    path = odd_path()
    return to_html(path.read_text(encoding="utf-8"), shift=2) if path else ""


@solara.component
def AboutTab() -> None:  # noqa: N802
    """The overview, then the full ODD in a panel that opens on request."""
    with solara.Card(margin=0, classes=["tis-about"]):
        solara.HTML(tag="h2", unsafe_innerHTML="About the model", classes=["tis-h2"])
        solara.HTML(tag="div", unsafe_innerHTML=overview_html()).meta(ref="about")
        full = full_odd_html()
        if full:
            with Disclosure("The full model description (ODD protocol, docs/ODD.md)"):
                solara.HTML(tag="div", unsafe_innerHTML=full).meta(ref="odd")
