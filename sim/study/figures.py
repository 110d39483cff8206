"""One look for every report figure: page-width sizes, legible fonts, safe colours, formats.

- Size: figures are drawn at most 16 cm wide (a page's text width) with fonts of at least
  8 pt, so they stay readable when placed at that width; :func:`smallest_font` checks it.
- Colour: the Okabe & Ito (2008) palette for categories (distinguishable with the common
  colour-vision deficiencies), viridis/cividis for continuous scales (Nuñez, Anderton &
  Renslow 2018), and never colour alone: better/worse also differ by marker (▲ / ▼ / ○).
- Formats: PNG (150 dpi), SVG or PDF (``--format``), written atomically.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import UserError
from sim.study.manifest import atomic_write

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

FORMATS = ("png", "svg", "pdf")
PAGE_WIDTH_IN = 16 / 2.54
MIN_POINTS = 8.0
#: Okabe & Ito (2008), black last.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000")
BETTER, WORSE, UNCLEAR = "#0072B2", "#D55E00", "#7F7F7F"
#: Marker per verdict (+1 better, -1 worse, 0 unclear), so the verdict never rests on colour.
MARKERS = {1: "^", -1: "v", 0: "o"}
SEQUENTIAL = "viridis"
RC = {"font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "xtick.labelsize": 8,
      "ytick.labelsize": 8, "legend.fontsize": 8, "legend.title_fontsize": 8,
      "figure.titlesize": 9, "image.cmap": SEQUENTIAL, "svg.fonttype": "none",
      "pdf.fonttype": 42}


class FigureFormatError(UserError, ValueError):
    """An unknown figure format."""


def check_format(fmt: str) -> str:
    """``fmt`` if it is one of :data:`FORMATS`, else a one-line error."""
    if fmt not in FORMATS:
        raise FigureFormatError(f"figure format {fmt!r} is not allowed; expected one of "
                                + ", ".join(FORMATS))
    return fmt


@contextmanager
def style() -> Iterator[None]:
    """Draw inside this context: fonts >= 8 pt, the safe palette, the sequential map."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context({**RC, "axes.prop_cycle": matplotlib.cycler(color=PALETTE)}):
        yield


def size(width: float = PAGE_WIDTH_IN, height: float = 3.2) -> tuple[float, float]:
    """A figure size in inches, no wider than the page width (16 cm)."""
    return min(width, PAGE_WIDTH_IN), height


def smallest_font(fig: plt.Figure, width_in: float = PAGE_WIDTH_IN) -> float:
    """The smallest visible text size (pt) once the figure is placed ``width_in`` wide."""
    from matplotlib.text import Text

    scale = min(1.0, width_in / fig.get_figwidth())
    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip()]
    return min(sizes) * scale if sizes else float("inf")


def save(fig: plt.Figure, path: Path, fmt: str = "png", dpi: int = 150) -> Path:
    """Write ``fig`` to ``path`` with the format's suffix (atomically) and close it."""
    import matplotlib.pyplot as plt

    path = Path(path).with_suffix("." + check_format(fmt))
    atomic_write(path, lambda p: fig.savefig(p, dpi=dpi, format=fmt, bbox_inches="tight"))
    plt.close(fig)
    return path


def embed(path: str, alt: str) -> str:
    """Markdown for a figure: an image (PNG, SVG) or a link (PDF cannot be embedded)."""
    if path.endswith(".pdf"):
        return f"[{alt} (PDF)]({path})"
    return f"![{alt}]({path})"
