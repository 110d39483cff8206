"""Colours, shapes and labels of the stages and the specialists' activities, for every figure.

One palette for the browser page and the figures of ``tis-sim run``. Stage colours follow
Okabe & Ito (2008), "Color universal design" (light grey, sky blue, yellow, bluish green,
dark blue, vermillion): their smallest pairwise CIELAB distance is ΔE*ab 42 for normal
vision and 34 under simulated protanopia and deuteranopia (Machado, Oliveira & Fernandes
2009; ``tests/test_app_parts.py`` measures it). Each stage also has a marker shape and a
hatching, so colour is never the only cue (WCAG 2.1, success criterion 1.4.1).
"""

from __future__ import annotations

from sim.dynamics.state import ACTIVITIES
from sim.dynamics.submodels import Stage

#: Stage -> colour (hex).
STAGE_COLORS: dict[Stage, str] = {
    Stage.UNAWARE: "#e0e0e0",
    Stage.AWARE: "#56b4e9",
    Stage.TRIAL: "#f0e442",
    Stage.ADOPTED: "#009e73",
    Stage.INTEGRATED: "#0b3d91",
    Stage.ABANDONED: "#d55e00",
}
#: A second cue besides colour: the marker of each stage in the network (matplotlib codes)...
STAGE_MARKERS: dict[Stage, str] = {
    Stage.UNAWARE: "o",
    Stage.AWARE: "^",
    Stage.TRIAL: "s",
    Stage.ADOPTED: "P",
    Stage.INTEGRATED: "*",
    Stage.ABANDONED: "X",
}
#: ... and the hatching of each stage's band in stacked charts.
STAGE_HATCHES: dict[Stage, str] = {
    Stage.UNAWARE: "",
    Stage.AWARE: "..",
    Stage.TRIAL: "//",
    Stage.ADOPTED: "\\\\",
    Stage.INTEGRATED: "xx",
    Stage.ABANDONED: "--",
}
#: Colour per stage code (index = ``Stage`` value), for vectorised lookups.
STAGE_COLOR_BY_CODE: tuple[str, ...] = tuple(STAGE_COLORS[Stage(c)] for c in range(len(Stage)))

#: Specialist time-ledger colours, in ``sim.dynamics.state.ACTIVITIES`` order.
ACTIVITY_COLORS: dict[str, str] = dict(zip(
    ACTIVITIES,
    ("#d73027", "#8c6d31", "#fc8d59", "#984ea3", "#fee090", "#4575b4", "#91bfdb", "#e6e6e6"),
    strict=True,
))
#: Specialist activity -> its name in legends and texts (the words of ODD 7.5).
ACTIVITY_LABELS: dict[str, str] = dict(zip(
    ACTIVITIES,
    ("troubleshooting", "role duties", "IT liaison", "own exploration", "training",
     "coaching", "co-teaching", "unused"),
    strict=True,
))
