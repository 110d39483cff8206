"""The staff-network view of the browser page: a cached layout and two drawings.

* Up to :data:`NODE_VIEW_MAX_TEACHERS` teachers, every staff member is a marker: its colour
  and its shape both give the stage of the chosen innovation (so stage never rests on
  colour alone), its size the self-efficacy; specialists are black-edged diamonds, teachers
  who share no free period with their specialist are ringed in dark red. Each school is its
  own cluster, so schools are visibly grouped.
* Larger districts switch to a school map: one square per school on a grid (schools in
  their order, so from the smallest to the largest), coloured by the share of its teachers
  using the innovation (viridis, readable in grey and under colour-vision deficiencies).
  Tens of thousands of dots, or the cross-school ties between hundreds of schools, say
  nothing a person can read.

A force-directed layout costs seconds on big graphs (DEPENDENCIES.md), so positions are
computed once per network and cached under a fingerprint of the network itself (schools
and ties). Steps, and Resets that rebuild the same network (same seed and network
parameters, or a changed policy), reuse them.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from matplotlib.patheffects import withStroke

from sim.app.render import (
    FONT_PT,
    STAGE_COLOR_BY_CODE,
    STAGE_COLORS,
    STAGE_MARKERS,
    STAGE_ORDER,
    TITLE_PT,
    LayeredFigure,
    stage_label,
)
from sim.dynamics.submodels import Stage

if TYPE_CHECKING:
    from sim.model import DiffusionModel
    from sim.network import StaffNetwork

#: Largest district drawn node by node; above it the page shows the school view.
NODE_VIEW_MAX_TEACHERS = 500
#: Networks whose layouts are kept (a few presets and seeds; each is at most a few MB).
CACHE_SIZE = 8
#: Spring-layout iterations per school (enough to separate departments; cost is per school).
SPRING_ITERATIONS = 50
#: Network figure size in inches (at render.DPI).
FIGURE_SIZE = (6.4, 5.2)


@dataclass(frozen=True)
class NetworkLayout:
    """Positions of one network, computed once.

    Attributes:
        school_center: float[S, 2] centre of each school's cluster.
        school_radius: float[S] radius of each school's disc (grows with its staff).
        school_size: int[S] teachers per school.
        pos: float[M, 2] position of every node, or None for the school view.
        segments: float[E, 2, 2] tie segments, or None (school view, complete network).
    """

    school_center: np.ndarray
    school_radius: np.ndarray
    school_size: np.ndarray
    pos: np.ndarray | None
    segments: np.ndarray | None

    @property
    def node_view(self) -> bool:
        """True when every staff member has a position."""
        return self.pos is not None


class _LayoutCache:
    """A small thread-safe LRU cache of layouts, shared by every browser session."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, NetworkLayout] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, net: StaffNetwork, node_view: bool) -> NetworkLayout:
        key = f"{fingerprint(net)}:{'nodes' if node_view else 'schools'}"
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        # Compute outside the lock: another session may draw meanwhile.
        layout = compute_layout(net, node_view)
        with self._lock:
            self.misses += 1
            self._items[key] = layout
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return layout

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0


LAYOUTS = _LayoutCache(CACHE_SIZE)


def fingerprint(net: StaffNetwork) -> str:
    """A digest of what the drawing depends on: teachers, schools and ties.

    Keying by content rather than by parameters keeps the cache right whatever shapes the
    network (a generator change, an edge-list file edited between two Resets).
    """
    h = hashlib.sha1(usedforsecurity=False)
    h.update(np.int64(net.n_teachers).tobytes())
    h.update(np.ascontiguousarray(net.school, dtype=np.int32).tobytes())
    if net.adjacency is None:
        h.update(b"complete")
    else:
        h.update(np.ascontiguousarray(net.adjacency.indptr, dtype=np.int64).tobytes())
        h.update(np.ascontiguousarray(net.adjacency.indices, dtype=np.int64).tobytes())
    return h.hexdigest()


def use_node_view(net: StaffNetwork) -> bool:
    """True when the district is small enough to draw every staff member."""
    return net.n_teachers <= NODE_VIEW_MAX_TEACHERS


def compute_layout(net: StaffNetwork, node_view: bool) -> NetworkLayout:
    """School discs on a grid and, for the node view, each school's staff inside its disc."""
    n_schools = net.n_schools
    teachers_school = net.school[: net.n_teachers]
    size = np.bincount(teachers_school, minlength=n_schools)
    radius = np.sqrt(np.maximum(size, 1) / max(size.max(), 1))
    cols = max(1, math.ceil(math.sqrt(n_schools * 1.4)))  # a landscape grid
    index = np.arange(n_schools)
    center = np.column_stack([index % cols, -(index // cols)]).astype(float) * 2.3
    if not node_view:
        return NetworkLayout(center, radius, size, None, None)
    pos = np.zeros((net.n_nodes, 2))
    for s in range(n_schools):
        members = np.flatnonzero(net.school == s)
        pos[members] = center[s] + 0.95 * radius[s] * _school_positions(net, members, s)
    segments = None
    if net.graph is not None:
        edges = np.asarray(net.graph.edges(), dtype=np.int64).reshape(-1, 2)
        segments = pos[edges]
    return NetworkLayout(center, radius, size, pos, segments)


def _school_positions(net: StaffNetwork, members: np.ndarray, school: int) -> np.ndarray:
    """Unit-disc positions of one school's staff: spring layout, or a sunflower if no ties."""
    if net.graph is None or len(members) < 3:
        # Vogel's sunflower spiral: evenly filled disc, deterministic, no ties needed.
        k = np.arange(len(members)) + 0.5
        r = np.sqrt(k / len(members))
        theta = k * math.pi * (3 - math.sqrt(5))
        return np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    sub = net.graph.subgraph(members.tolist())
    # The seed is the school index: the layout is a pure function of the network.
    placed = nx.spring_layout(sub, seed=school, iterations=SPRING_ITERATIONS)
    xy = np.array([placed[int(m)] for m in members])
    xy -= np.median(xy, axis=0)
    # Scale by a high quantile, not the maximum, so one loosely tied teacher does not shrink
    # the whole school; the few beyond it are pulled onto the rim.
    norm = np.linalg.norm(xy, axis=1)
    xy /= max(float(np.quantile(norm, 0.95)), 1e-9)
    return xy / np.maximum(norm / max(float(np.quantile(norm, 0.95)), 1e-9), 1.0)[:, None]


# --- drawing ----------------------------------------------------------------------------------


def innovation_label(model: DiffusionModel, j: int) -> str:
    """Short description of innovation ``j`` (0-based) for selects and titles."""
    cat = model.cat
    origin = int(cat.origin[j])
    source = f"specialist {origin + 1}" if origin >= 0 else "external"
    return f"#{j + 1} ({source}, day {int(cat.day[j])})"


class NetworkView:
    """The network figure of one model: ties, schools and legend drawn once, markers per frame."""

    name = "network"

    def __init__(self, model: DiffusionModel, title: str = "Staff network") -> None:
        net = model.network
        self.heading = title
        self.node_view = use_node_view(net)
        self.layout = LAYOUTS.get(net, self.node_view)
        self.layered = LayeredFigure(*FIGURE_SIZE)
        fig = self.layered.fig
        # Room below for the legend (node view); at the right for the colour bar.
        self.ax = fig.add_axes((0.01, 0.2, 0.98, 0.72) if self.node_view
                               else (0.03, 0.04, 0.78, 0.86))
        self.ax.set_aspect("equal", adjustable="box")
        self.ax.set_axis_off()
        self.title = self.layered.animate(fig.text(0.02, 0.965, "", ha="left", va="center",
                                                   fontsize=TITLE_PT))
        if self.node_view:
            self._static_nodes(model)
            self._fit_schools()
        else:
            self._static_schools(model)
        self.alt = ""

    def frame(self, model: DiffusionModel, innovation: int) -> bytes:
        """The figure for the model's current day, coloured by ``innovation``, as PNG."""
        live = 0 <= innovation < model.cat.n
        j = innovation if live else -1
        what = f"#{innovation + 1}" if live else "(none yet)"
        with self.layered.lock:
            if self.node_view:
                counts = self._update_nodes(model, j)
                self.title.set_text(f"{self.heading}, day {model.day}: stage of innovation {what}")
                shown = ", ".join(f"{n} {stage_label(Stage(s))}" for s, n in enumerate(counts) if n)
                self.alt = (f"{self.heading} on day {model.day}: {model.n_teachers} teachers in "
                            f"{model.n_schools} school clusters, coloured and shaped by their "
                            f"stage of innovation {what}: {shown}.")
            else:
                share = self._update_schools(model, j)
                self.title.set_text(f"{self.heading}, day {model.day}: share using "
                                    f"innovation {what}, per school")
                self.alt = (f"Map of {model.n_schools:,} schools ({model.n_teachers:,} teachers) "
                            f"on day {model.day}, one square per school, coloured by the share "
                            f"of its teachers using innovation {what}: median "
                            f"{np.median(share):.0%}, from {share.min():.0%} to "
                            f"{share.max():.0%}.")
            return self.layered.png("static")

    def export(self, fmt: str) -> bytes:
        """The current frame as a PNG or SVG file."""
        return self.layered.export(fmt)

    # -- node view ---------------------------------------------------------------------------
    def _static_nodes(self, model: DiffusionModel) -> None:
        ax, layout, net = self.ax, self.layout, model.network
        discs = [Circle(tuple(c), r) for c, r in zip(layout.school_center, layout.school_radius,
                                                      strict=True)]
        ax.add_collection(PatchCollection(discs, facecolors="#f5f5f5", edgecolors="#d0d0d0",
                                          linewidths=0.6, zorder=-1))
        if layout.segments is not None:
            ax.add_collection(LineCollection(layout.segments, colors="#9a9a9a",
                                             linewidths=0.35, alpha=0.45, zorder=0))
        for s, (x, y) in enumerate(layout.school_center):
            ax.text(x, y + layout.school_radius[s] + 0.1, f"school {s + 1}",
                    ha="center", va="bottom", fontsize=FONT_PT, color="#333333")
        if net.adjacency is None:
            self.layered.fig.text(0.5, 0.185, "complete network: everyone is tied to everyone "
                                  "(ties not drawn)", ha="center", va="top", fontsize=FONT_PT,
                                  color="#333333")
        n, pos = net.n_teachers, layout.pos
        # One collection per stage, each with its own marker: a collection of one marker
        # shape draws much faster than one collection of many shapes.
        self.by_stage = [self.layered.animate(ax.scatter(
            np.zeros(0), np.zeros(0), marker=STAGE_MARKERS[s], color=STAGE_COLORS[s],
            zorder=2)) for s in (Stage(c) for c in range(len(Stage)))]
        self.specialists = self.layered.animate(ax.scatter(
            pos[n:, 0], pos[n:, 1], s=110, marker="D", edgecolors="black", linewidths=1.4,
            zorder=3))
        handles = [Line2D([], [], ls="", marker=STAGE_MARKERS[s], ms=8, mfc=STAGE_COLORS[s],
                          mec="#555555", mew=0.5, label=stage_label(s)) for s in STAGE_ORDER]
        handles += [
            Line2D([], [], ls="", marker="D", ms=8, mfc="white", mec="black", mew=1.4,
                   label="specialist"),
            Line2D([], [], ls="", marker="o", ms=8, mfc="white", mec="#a50f15", mew=1.6,
                   label="no free period\nwith specialist"),
        ]
        self.layered.fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=FONT_PT,
                                frameon=False, title="marker size: self-efficacy",
                                title_fontsize=FONT_PT, bbox_to_anchor=(0.5, 0.0))

    def _fit_schools(self) -> None:
        """Fit the view to the school discs plus the labels above them."""
        c, r = self.layout.school_center, self.layout.school_radius
        self.ax.set_xlim((c[:, 0] - r).min() - 0.15, (c[:, 0] + r).max() + 0.15)
        self.ax.set_ylim((c[:, 1] - r).min() - 0.15, (c[:, 1] + r + 0.5).max() + 0.1)

    def _update_nodes(self, model: DiffusionModel, j: int) -> np.ndarray:
        n = model.n_teachers
        stage = model.staff.stage[:, j] if j >= 0 else np.zeros(model.network.n_nodes, np.int8)
        colors = np.asarray(STAGE_COLOR_BY_CODE)[stage]
        # Only teachers who have a specialist can be out of the specialist's reach.
        ringed = ~model.reachable & (model.staff.spec_of[:n] >= 0)
        pos, size = self.layout.pos[:n], 12 + 80 * model.staff.se[:n]
        for code, dots in enumerate(self.by_stage):
            mine = stage[:n] == code
            dots.set_offsets(pos[mine])
            dots.set_sizes(size[mine])
            dots.set_edgecolors(np.where(ringed[mine], "#a50f15", "#555555"))
            dots.set_linewidths(np.where(ringed[mine], 1.4, 0.3))
        self.specialists.set_facecolors(colors[n:])
        return np.bincount(stage[:n], minlength=len(Stage))

    # -- school view -------------------------------------------------------------------------
    def _static_schools(self, model: DiffusionModel) -> None:
        ax, fig = self.ax, self.layered.fig
        size = self.layout.school_size
        cols = max(1, math.ceil(math.sqrt(len(size) * 1.3)))
        rows = math.ceil(len(size) / cols)
        self.grid_shape = (rows, cols)
        grid = np.full(rows * cols, np.nan)
        self.schools = self.layered.animate(ax.imshow(
            grid.reshape(rows, cols), cmap="viridis", vmin=0, vmax=1, interpolation="nearest",
            aspect="equal"))
        bar = fig.colorbar(self.schools, cax=fig.add_axes((0.84, 0.12, 0.03, 0.7)))
        bar.set_label("share of the school's teachers using it", fontsize=FONT_PT)
        bar.ax.tick_params(labelsize=FONT_PT)
        if len(size) <= 60:
            for s in range(len(size)):
                ax.text(s % cols, s // cols, str(s + 1), ha="center", va="center",
                        fontsize=FONT_PT, color="black",
                        path_effects=[withStroke(linewidth=2.5, foreground="white")])
        fig.text(0.02, 0.015, f"one square per school, in school order ({size.min()} to "
                 f"{size.max()} teachers); white: no innovation yet", fontsize=FONT_PT,
                 color="#333333")

    def _update_schools(self, model: DiffusionModel, j: int) -> np.ndarray:
        n = model.n_teachers
        using = model.staff.stage[:n, j] >= Stage.TRIAL if j >= 0 else np.zeros(n, dtype=bool)
        size = self.layout.school_size
        share = np.bincount(model.school_of_teacher, weights=using,
                            minlength=len(size)) / np.maximum(size, 1)
        rows, cols = self.grid_shape
        grid = np.full(rows * cols, np.nan)
        if j >= 0:
            grid[: len(share)] = share
        self.schools.set_data(grid.reshape(rows, cols))
        return share
