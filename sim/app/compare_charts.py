"""The two charts of Compare mode: overlaid curves, and the running paired difference.

Both read the two arms' daily measures (the DataCollector's ``users_share`` and
``share_integrated``, means over live innovations) and, once the replicates are done, the
replicates' 10-90% bands. Colours: today's district blue, the policy orange (Okabe & Ito
2008); line style separates the two curves, so neither rests on colour alone.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.app.charts import Chart, series
from sim.app.compare import CURVES
from sim.app.render import FONT_PT

if TYPE_CHECKING:
    from sim.app.compare import Replicates
    from sim.model import DiffusionModel

BASE_COLOR, POLICY_COLOR = "#0072b2", "#c65300"
_STYLES = {"users_share": "-", "share_integrated": "--"}


class _CompareChart(Chart):
    def __init__(self, horizon: int) -> None:
        super().__init__()
        self.ax.set_xlim(0, horizon)
        self.horizon = horizon
        self.lines: dict[tuple[str, str], Line2D] = {}

    def _line(self, key: tuple[str, str], color: str, style: str) -> Line2D:
        if key not in self.lines:
            self.lines[key] = self.layered.animate(self.ax.plot([], [], color=color, lw=1.8,
                                                                ls=style)[0])
        return self.lines[key]

    def update(self, model, innovation, history):  # pragma: no cover - not used
        """Compare charts draw with :meth:`compare`."""
        raise NotImplementedError

    def compare(self, base: DiffusionModel, policy: DiffusionModel,
                batch: Replicates | None) -> bytes:
        """The chart for both arms' current day, as PNG bytes (sets ``alt``)."""
        with self.layered.lock:
            return self.layered.png(self.draw(base, policy, batch))

    def draw(self, base: DiffusionModel, policy: DiffusionModel,
             batch: Replicates | None) -> Hashable:
        raise NotImplementedError


class CurvesChart(_CompareChart):
    """Users and INTEGRATED shares of both arms over time, with replicate bands."""

    name = "compare-curves"
    title = "Today's district and the policy"
    about = "users and INTEGRATED teachers over time in both arms"

    def __init__(self, horizon: int, label: str) -> None:
        super().__init__(horizon)
        self.ax.set_ylim(0, 1)
        self.ax.set_ylabel("share of teachers (0–1)", fontsize=FONT_PT)
        self._legend([Patch(color=BASE_COLOR, label="today"),
                      Patch(color=POLICY_COLOR, label=label),
                      Line2D([], [], color="black", ls="-", label="users"),
                      Line2D([], [], color="black", ls="--", label="INTEGRATED")], ncol=2)

    def draw(self, base, policy, batch):
        """Lines for the stepping pair; bands once the replicates are in."""
        bands = []
        days = np.arange(self.horizon + 1)
        for curve, style in _STYLES.items():
            for arm, model, color in (("baseline", base, BASE_COLOR),
                                      ("policy", policy, POLICY_COLOR)):
                self._line((arm, curve), color, style).set_data(series(base, "day"),
                                                                series(model, curve))
                if batch is not None:
                    _, lo, hi = batch.band(arm, curve)
                    bands.append(self.ax.fill_between(days[: len(lo)], lo, hi, color=color,
                                                      alpha=0.18, lw=0))
        self.layered.swap("bands", bands)
        b, p = (series(m, "users_share")[-1] for m in (base, policy))
        bi, pi = (series(m, "share_integrated")[-1] for m in (base, policy))
        self.alt = (f"{self.title}, day {base.day}: users {b:.0%} today vs {p:.0%} with the "
                    f"policy; INTEGRATED {bi:.0%} vs {pi:.0%}"
                    + (f"; bands: 10-90% of {len(batch.seeds)} replicates." if batch else "."))
        return batch is not None


class DifferenceChart(_CompareChart):
    """Policy minus today, day by day, for the stepping pair and the replicates."""

    name = "compare-difference"
    title = "Paired difference (policy − today)"
    about = "the running paired difference of users and INTEGRATED shares"

    def __init__(self, horizon: int) -> None:
        super().__init__(horizon)
        self.ax.set_ylabel("difference\n(percentage points)", fontsize=FONT_PT)
        self.ax.axhline(0, color="#444444", lw=0.9)
        self.ymax = 5.0
        self._legend([Line2D([], [], color=POLICY_COLOR, label="this pair"),
                      Line2D([], [], color="black", label="replicates' mean"),
                      Patch(color=POLICY_COLOR, alpha=0.25, label="replicates 10-90%"),
                      Line2D([], [], color="#444444", ls="-", label="users"),
                      Line2D([], [], color="#444444", ls="--", label="INTEGRATED")],
                     ncol=3)

    def draw(self, base, policy, batch):
        """The pair's difference; the replicates' mean and band."""
        days = series(base, "day")
        peak, bands, texts = 1.0, [], []
        for curve, style in _STYLES.items():
            diff = 100 * (series(policy, curve) - series(base, curve))
            self._line(("pair", curve), POLICY_COLOR, style).set_data(days, diff)
            peak = max(peak, float(np.abs(diff).max()))
            texts.append(f"{CURVES[curve].split(' (')[0]} {diff[-1]:+.1f} points")
            if batch is not None:
                mean, lo, hi = (100 * x for x in batch.difference_band(curve))
                grid = np.arange(len(mean))
                bands.append(self.ax.fill_between(grid, lo, hi, color=POLICY_COLOR, alpha=0.18,
                                                  lw=0))
                self._line(("mean", curve), "black", style).set_data(grid, mean)
                peak = max(peak, float(np.abs(lo).max()), float(np.abs(hi).max()))
        self.layered.swap("bands", bands)
        if peak > self.ymax or peak < self.ymax / 4:
            self.ymax = float(np.ceil(peak * 1.3))
        self.ax.set_ylim(-self.ymax, self.ymax)
        self.alt = (f"{self.title}, day {base.day}, this pair: " + "; ".join(texts) + ".")
        return self.ymax, batch is not None
