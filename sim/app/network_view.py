"""The staff-network view of the browser page: a cached layout and two drawings.

* Up to :data:`NODE_VIEW_MAX_TEACHERS` teachers, every staff member is a dot: coloured by
  stage of the chosen innovation, sized by self-efficacy, specialists as black-edged
  diamonds, teachers who share no free period with their specialist ringed in red. Each
  school is its own cluster, so schools are visibly grouped.
* Larger districts switch to a school view (one dot per school, sized by staff, coloured
  by the share using the innovation), because tens of thousands of dots neither draw
  quickly nor say anything a person can read.

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

from sim.app.render import (
    STAGE_COLOR_BY_CODE,
    STAGE_COLORS,
    STAGE_ORDER,
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
#: Fewer cross-school pairs than this are drawn as lines in the school view.
MAX_SCHOOL_TIE_LINES = 3000


@dataclass(frozen=True)
class NetworkLayout:
    """Positions of one network, computed once.

    Attributes:
        school_center: float[S, 2] centre of each school's cluster.
        school_radius: float[S] radius of each school's disc (grows with its staff).
        school_size: int[S] teachers per school.
        school_ties: int[T, 3] rows (school a, school b, number of ties) with a < b.
        pos: float[M, 2] position of every node, or None for the school view.
        segments: float[E, 2, 2] tie segments, or None (school view, complete network).
    """

    school_center: np.ndarray
    school_radius: np.ndarray
    school_size: np.ndarray
    school_ties: np.ndarray
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
    ties = _school_ties(net)
    if not node_view:
        return NetworkLayout(center, radius, size, ties, None, None)
    pos = np.zeros((net.n_nodes, 2))
    for s in range(n_schools):
        members = np.flatnonzero(net.school == s)
        pos[members] = center[s] + 0.95 * radius[s] * _school_positions(net, members, s)
    segments = None
    if net.graph is not None:
        edges = np.asarray(net.graph.edges(), dtype=np.int64).reshape(-1, 2)
        segments = pos[edges]
    return NetworkLayout(center, radius, size, ties, pos, segments)


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


def _school_ties(net: StaffNetwork) -> np.ndarray:
    """Cross-school tie counts as rows (a, b, count), a < b."""
    if net.adjacency is None:
        return np.zeros((0, 3), dtype=np.int64)
    coo = net.adjacency.tocoo()
    a, b = net.school[coo.row].astype(np.int64), net.school[coo.col].astype(np.int64)
    keep = a < b  # each undirected cross-school tie once
    if not keep.any():
        return np.zeros((0, 3), dtype=np.int64)
    pairs, counts = np.unique(np.column_stack([a[keep], b[keep]]), axis=0, return_counts=True)
    return np.column_stack([pairs, counts])


# --- drawing ----------------------------------------------------------------------------------


def innovation_label(model: DiffusionModel, j: int) -> str:
    """Short description of innovation ``j`` (0-based) for selects and titles."""
    cat = model.cat
    origin = int(cat.origin[j])
    source = f"specialist {origin + 1}" if origin >= 0 else "external"
    return f"#{j + 1} ({source}, day {int(cat.day[j])})"


class NetworkView:
    """The network figure of one model: ties, schools and legend drawn once, dots per frame."""

    name = "network"

    def __init__(self, model: DiffusionModel) -> None:
        net = model.network
        self.node_view = use_node_view(net)
        self.layout = LAYOUTS.get(net, self.node_view)
        self.layered = LayeredFigure(7.6, 5.6)
        fig = self.layered.fig
        # Room below for the legend (node view) or the note, at the right for the colour bar.
        self.ax = fig.add_axes((0.01, 0.11, 0.98, 0.83) if self.node_view
                               else (0.01, 0.06, 0.84, 0.87))
        self.ax.set_aspect("equal", adjustable="box")
        self.ax.set_axis_off()
        self.title = self.layered.animate(fig.text(0.5, 0.965, "", ha="center", va="center",
                                                   fontsize=10))
        if self.node_view:
            self._static_nodes(model)
        else:
            self._static_schools(model)
        self._frame_limits()

    def frame(self, model: DiffusionModel, innovation: int) -> bytes:
        """The figure for the model's current day, coloured by ``innovation``, as PNG."""
        live = 0 <= innovation < model.cat.n
        j = innovation if live else -1
        what = innovation_label(model, innovation) if live else "no innovation yet"
        with self.layered.lock:
            if self.node_view:
                self._update_nodes(model, j)
                self.title.set_text(f"Staff network, day {model.day}: stage of innovation "
                                    f"{what}")
            else:
                self._update_schools(model, j)
                self.title.set_text(f"School view ({model.n_teachers:,} teachers > "
                                    f"{NODE_VIEW_MAX_TEACHERS}), day {model.day}: innovation "
                                    f"{what}")
            return self.layered.png("static")

    # -- node view ---------------------------------------------------------------------------
    def _static_nodes(self, model: DiffusionModel) -> None:
        ax, layout, net = self.ax, self.layout, model.network
        discs = [Circle(tuple(c), r) for c, r in zip(layout.school_center, layout.school_radius,
                                                      strict=True)]
        ax.add_collection(PatchCollection(discs, facecolors="#f3f3f3", edgecolors="#dddddd",
                                          linewidths=0.6, zorder=-1))
        if layout.segments is not None:
            ax.add_collection(LineCollection(layout.segments, colors="#9a9a9a",
                                             linewidths=0.35, alpha=0.45, zorder=0))
        for s, (x, y) in enumerate(layout.school_center):
            ax.text(x, y + layout.school_radius[s] + 0.1, f"school {s + 1}",
                    ha="center", va="bottom", fontsize=7, color="#444444")
        if net.adjacency is None:
            ax.text(0.5, -0.02, "complete network: everyone is tied to everyone (ties not "
                    "drawn)", transform=ax.transAxes, ha="center", va="top", fontsize=7,
                    color="#444444")
        n, pos = net.n_teachers, layout.pos
        self.teachers = self.layered.animate(ax.scatter(pos[:n, 0], pos[:n, 1], zorder=2))
        self.specialists = self.layered.animate(ax.scatter(
            pos[n:, 0], pos[n:, 1], s=110, marker="D", edgecolors="black", linewidths=1.4,
            zorder=3))
        handles = [Line2D([], [], ls="", marker="o", ms=6, mfc=STAGE_COLORS[s], mec="none",
                          label=stage_label(s)) for s in STAGE_ORDER]
        handles += [
            Line2D([], [], ls="", marker="D", ms=6, mfc="white", mec="black",
                   label="specialist"),
            Line2D([], [], ls="", marker="o", ms=6, mfc="white", mec="#b2182b", mew=1.2,
                   label="no free period with specialist"),
        ]
        self.layered.fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=7,
                                frameon=False, title="dot size: self-efficacy",
                                title_fontsize=7)

    def _update_nodes(self, model: DiffusionModel, j: int) -> None:
        n = model.n_teachers
        stage = model.staff.stage[:, j] if j >= 0 else np.zeros(model.network.n_nodes, np.int8)
        colors = np.asarray(STAGE_COLOR_BY_CODE)[stage]
        # Only teachers who have a specialist can be out of the specialist's reach.
        ringed = ~model.reachable & (model.staff.spec_of[:n] >= 0)
        self.teachers.set_facecolors(colors[:n])
        self.teachers.set_sizes(6 + 70 * model.staff.se[:n])
        self.teachers.set_edgecolors(np.where(ringed, "#b2182b", "white"))
        self.teachers.set_linewidths(np.where(ringed, 1.1, 0.3))
        self.specialists.set_facecolors(colors[n:])

    # -- school view -------------------------------------------------------------------------
    def _static_schools(self, model: DiffusionModel) -> None:
        ax, fig, layout = self.ax, self.layered.fig, self.layout
        center, ties = layout.school_center, layout.school_ties
        if 0 < len(ties) <= MAX_SCHOOL_TIE_LINES:
            width = 0.3 + 1.2 * np.log1p(ties[:, 2]) / np.log1p(ties[:, 2].max())
            ax.add_collection(LineCollection(center[ties[:, :2]], colors="#9a9a9a",
                                             linewidths=width, alpha=0.3, zorder=0))
        many = len(center) > 400
        scale = (30 if many else 900) / max(math.sqrt(len(center)), 1)
        self.schools = self.layered.animate(ax.scatter(
            center[:, 0], center[:, 1], s=scale * layout.school_size
            / max(layout.school_size.mean(), 1), c=np.zeros(len(center)), cmap="YlGn", vmin=0,
            vmax=1, edgecolors="#555555", linewidths=0.2 if many else 0.6, zorder=2))
        fig.colorbar(self.schools, cax=fig.add_axes((0.88, 0.15, 0.025, 0.7)),
                     label="share of the school's teachers using it")
        if len(center) <= 40:
            for s, (x, y) in enumerate(center):
                ax.text(x, y - 0.75, str(s + 1), ha="center", va="top", fontsize=7,
                        color="#444444")
        fig.text(0.43, 0.015, "one dot per school, sized by staff; lines: cross-school ties",
                 ha="center", fontsize=7, color="#444444")

    def _update_schools(self, model: DiffusionModel, j: int) -> None:
        n = model.n_teachers
        using = model.staff.stage[:n, j] >= Stage.TRIAL if j >= 0 else np.zeros(n, dtype=bool)
        size = self.layout.school_size
        share = np.bincount(model.school_of_teacher, weights=using,
                            minlength=len(size)) / np.maximum(size, 1)
        self.schools.set_array(share)

    def _frame_limits(self) -> None:
        """Fit the view to the school discs (plus labels above them), not to stray ties."""
        c, r = self.layout.school_center, self.layout.school_radius
        top = r + (0.45 if self.node_view else 0.0)
        self.ax.set_xlim((c[:, 0] - r).min() - 0.15, (c[:, 0] + r).max() + 0.15)
        self.ax.set_ylim((c[:, 1] - r).min() - 0.15, (c[:, 1] + top).max() + 0.1)
