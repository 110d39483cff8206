"""Shared drawing machinery of the browser page: colours and two-layer figures.

Every view is a matplotlib figure drawn in two layers. The static layer (axes, ticks,
legends, the network's ties) is rendered once and kept as pixels; each frame restores it and
draws only the artists that change (curves, dots, titles) on top, then encodes the PNG.
This is matplotlib's blitting technique. It makes a frame about four times cheaper than
drawing a fresh figure (about 15 ms instead of 60 ms per chart), which is what keeps a
step of the default district well inside half a second on a two-core machine.

The page draws with matplotlib's object API (``Figure``, never ``pyplot``): pyplot keeps
global figure state, which is neither thread-safe (Play steps the model in a worker thread)
nor free of leaks in a long-running server.
"""

from __future__ import annotations

import io
import math
import threading
import time
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from sim.dynamics.submodels import STAGE_ORDER, Stage
from sim.palette import (
    ACTIVITY_COLORS,
    STAGE_COLOR_BY_CODE,
    STAGE_COLORS,
    STAGE_HATCHES,
    STAGE_MARKERS,
)

#: Dots per inch of every page figure: sharp on ordinary screens, small PNGs.
DPI = 100
#: Font sizes (points) of the page's figures. At 100 dpi 10 pt is 13.9 px, so text stays at
#: 11 px or more while a figure is shown at 80% of its natural width or more (the page never
#: shows it smaller at 1280 x 720; the browser test measures it).
FONT_PT = 10.0
TITLE_PT = 11.0
#: Dots per inch of the PNGs offered for download (print quality).
EXPORT_DPI = 200
#: zlib level of the PNGs: level 1 is 3x faster than the default and 15% bigger, and
#: the page is served to this machine.
PNG_COMPRESSION = 1


def stage_label(stage: Stage) -> str:
    """Human label of a stage ("INTEGRATED" -> "integrated")."""
    return stage.name.lower()


def grown_limit(current: float, needed: float, floor: float = 1.0,
                headroom: float = 1.3) -> float:
    """An axis maximum that only changes when the data outgrow it (or shrink far below).

    Each change of a limit redraws the static layer, so limits move in jumps with headroom
    to a round number instead of following the data every frame; ``floor`` is the least.
    """
    if current / 4 <= needed <= current:
        return current
    target = max(needed * headroom, floor)
    magnitude = 10.0 ** math.floor(math.log10(target))
    return next(m * magnitude for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10) if m * magnitude >= target)


@dataclass
class RenderTimes:
    """Wall-clock seconds spent drawing each view in the latest frame (for measurements)."""

    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """Seconds summed over the views."""
        return sum(self.seconds.values())

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        """Record the seconds spent inside the ``with`` block under ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = time.perf_counter() - start


class LayeredFigure:
    """A figure with a cached static layer and per-frame artists drawn over it.

    Artists registered with :meth:`animate` or :meth:`swap` form the frame layer; all other
    artists form the static layer, which is redrawn only when the ``layout`` key given to
    :meth:`png` changes (new axis limits, say).
    """

    def __init__(self, width: float, height: float) -> None:
        #: No layout engine: constrained layout would cost a third of a full draw, so each
        #: view places its axes itself (``fig.add_axes``) at fixed fractions of the figure.
        self.fig = Figure(figsize=(width, height), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        #: Held by views while they update artists and draw: Play's worker thread and the
        #: page's event thread may both ask for a frame. Re-entrant, as ``png`` takes it too.
        self.lock = threading.RLock()
        self._frame_artists: list[Artist] = []
        self._groups: dict[str, list[Artist]] = {}
        self._background = None
        self._layout: Hashable = object()

    def animate(self, artist: Artist) -> Artist:
        """Make ``artist`` part of the frame layer (updated in place by the caller)."""
        artist.set_animated(True)
        self._frame_artists.append(artist)
        return artist

    def swap(self, group: str, artists: Iterable[Artist]) -> None:
        """Replace the frame artists of ``group`` (e.g. a stack plot rebuilt each frame)."""
        for old in self._groups.pop(group, []):
            old.remove()
        new = list(artists)
        for artist in new:
            artist.set_animated(True)
        self._groups[group] = new

    def png(self, layout: Hashable) -> bytes:
        """Draw the frame and return it as PNG bytes."""
        with self.lock:
            if layout != self._layout or self._background is None:
                self.canvas.draw()  # animated artists are left out of this draw
                self._background = self.canvas.copy_from_bbox(self.fig.bbox)
                self._layout = layout
            else:
                self.canvas.restore_region(self._background)
            frame = [*self._frame_artists, *(a for g in self._groups.values() for a in g)]
            for artist in sorted(frame, key=lambda a: a.get_zorder()):  # stable: ties keep order
                if artist.get_visible():
                    self.fig.draw_artist(artist)
            width, height = self.canvas.get_width_height()
            image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw",
                                     "RGBA", 0, 1).convert("RGB")
            buffer = io.BytesIO()
            image.save(buffer, format="png", compress_level=PNG_COMPRESSION)
            return buffer.getvalue()

    def export(self, fmt: str) -> bytes:
        """The current frame as a complete file: ``"png"`` (at EXPORT_DPI) or ``"svg"``.

        The frame layer is drawn like the static one (``savefig`` skips animated artists),
        then the figure goes back to blitting; its next frame redraws the static layer.
        """
        if fmt not in ("png", "svg"):
            raise ValueError(f"figure format {fmt!r}: expected 'png' or 'svg'")
        with self.lock:
            frame = [*self._frame_artists, *(a for g in self._groups.values() for a in g)]
            for artist in frame:
                artist.set_animated(False)
            try:
                buffer = io.BytesIO()
                self.fig.savefig(buffer, format=fmt, dpi=EXPORT_DPI if fmt == "png" else DPI,
                                 metadata={"Software": None} if fmt == "png" else None)
            finally:
                for artist in frame:
                    artist.set_animated(True)
                self._background = None
            return buffer.getvalue()

    def min_text_px(self) -> float:
        """Size in pixels (at DPI) of the smallest visible text of the figure."""
        sizes = [t.get_fontsize() for t in self.fig.findobj(Text)
                 if t.get_visible() and t.get_text().strip()]
        return min(sizes) * DPI / 72 if sizes else float("inf")


__all__ = [
    "ACTIVITY_COLORS",
    "DPI",
    "FONT_PT",
    "STAGE_COLORS",
    "STAGE_COLOR_BY_CODE",
    "STAGE_HATCHES",
    "STAGE_MARKERS",
    "STAGE_ORDER",
    "TITLE_PT",
    "LayeredFigure",
    "RenderTimes",
    "grown_limit",
    "stage_label",
]
