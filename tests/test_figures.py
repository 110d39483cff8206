"""Every report figure is legible at page width, labelled from the tables, in 3 formats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.study import figures
from sim.study.discovery import Box, Discovery, box_figure
from sim.study.outputs import axis_label, param_label
from sim.sweep import plots as sweep_plots
from sim.whatif import plots as whatif_plots
from sim.whatif.economics import ceac, frontier
from sim.whatif.stats import MEASURES

NAMES = ["baseline", "coach", "desk", "two_half_time", "peer_champions", "training"]
LABELS = {n: n.replace("_", " ").title() for n in NAMES}


@pytest.fixture
def seen(monkeypatch):
    """Record every saved figure's smallest font at 16 cm, and its axis labels."""
    record = []
    real = figures.save

    def spy(fig, path, fmt="png", dpi=150):
        texts = [ax.get_xlabel() for ax in fig.axes] + [ax.get_ylabel() for ax in fig.axes]
        record.append((path.name, figures.smallest_font(fig), fig.get_figwidth(), texts))
        return real(fig, path, fmt, dpi)

    monkeypatch.setattr(figures, "save", spy)
    return record


def _diff() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for sc in NAMES[1:]:
        for key in MEASURES:
            d = rng.normal(0, 0.05)
            rows.append({"scenario": sc, "outcome": key, "difference": d, "ci_low": d - 0.02,
                         "ci_high": d + 0.02, "ui_low": d - 0.05, "ui_high": d + 0.05,
                         "better": int(np.sign(d)) if abs(d) > 0.02 else 0})
    return pd.DataFrame(rows)


def _all_figures(tmp_path, fmt: str) -> list:
    rng = np.random.default_rng(0)
    days = np.arange(0, 540, 5)
    curves = pd.DataFrame([{"scenario": s, "day": d, "mean": d / 1080, "p10": d / 1500,
                            "p90": d / 800} for s in NAMES for d in days])
    out = [whatif_plots.adoption_figure(curves, NAMES, LABELS, "baseline",
                                        tmp_path / "adoption", fmt=fmt),
           whatif_plots.forest_figure(_diff(), NAMES[1:], LABELS,
                                      ["final_integrated_share", "final_users_share",
                                       "independent_user_share", "never_reached_share",
                                       "time_troubleshooting", "days_to_50"],
                                      tmp_path / "forest", fmt=fmt)]
    cost = np.array([0, 15000, 165000, 225000, 72000, 30000.0])
    effect = np.array([0, 59, 13, 58, 1.4, 20.0])
    front = frontier(NAMES, cost, effect)
    plane = pd.DataFrame([{"scenario": s, "d_effect": e + rng.normal(0, 3), "d_cost": c}
                          for s, c, e in zip(NAMES[1:], cost[1:], effect[1:], strict=True)
                          for _ in range(50)])
    out.append(whatif_plots.plane_figure(plane, front, LABELS, 2000.0, "USD",
                                         "INTEGRATED teachers", tmp_path / "plane", fmt))
    draws = effect[:, None] + rng.normal(0, 3, (len(NAMES), 200))
    table = ceac(draws, cost[:, None], NAMES, np.linspace(0, 6000, 31))
    out.append(whatif_plots.ceac_figure(table, NAMES, LABELS, 2000.0, "USD",
                                        "INTEGRATED teacher", tmp_path / "ceac", fmt))
    grid = pd.DataFrame(rng.uniform(0, 1, (7, 10)), index=np.linspace(0, 3, 7),
                        columns=np.round(np.linspace(0.1, 1, 10), 1))
    out.append(sweep_plots.heatmap(grid, tmp_path / "heat", title="Users, final: mean",
                                   xlabel=param_label("specialist_fte"),
                                   ylabel=param_label("tickets_per_user_month"),
                                   colorbar=axis_label("final_users_share"),
                                   limits=(0, 100), scale=100, digits=0, fmt=fmt))
    sens = pd.DataFrame({"parameter": ["specialist_fte", "caseload", "q_peer", "se_mean"],
                         "ST": [0.9, 0.2, 0.05, 0.01], "ST_conf": 0.05, "S1": [0.8, 0.1, 0, 0],
                         "S1_conf": 0.05, "mu_star": [0.3, 0.1, 0.05, 0.01],
                         "mu_star_conf": 0.02, "mu": 0.1, "sigma": 0.05})
    out.append(sweep_plots.sobol_plot(sens, tmp_path / "sobol", title="Sobol", fmt=fmt))
    out.append(sweep_plots.morris_plot(sens, tmp_path / "morris", title="Morris", fmt=fmt))
    box = Box(0.9, 0.85, 0.2, 30, pd.DataFrame({"parameter": ["coaching_effect"],
                                                "low": [0.1], "high": [0.3], "values": [""]}))
    out.append(box_figure(Discovery(100, 20, 0.8, [box], {"coaching_effect": (0.0, 1.0)}),
                          tmp_path / "box", fmt, "Worlds where B beats A"))
    return out


def test_every_figure_is_legible_at_16_cm_and_labelled_with_units(tmp_path, seen):
    paths = _all_figures(tmp_path, "png")
    assert len(seen) == len(paths) == 8
    for name, smallest, width, texts in seen:
        assert width <= figures.PAGE_WIDTH_IN + 1e-9, name
        assert smallest >= figures.MIN_POINTS, (name, smallest)
        assert not any("_" in t for t in texts if t), (name, texts)  # no code names
    heat = next(t for n, _, _, t in seen if n == "heat")
    assert "Part-time FTE (FTE)" in heat and "Troubleshooting burden (tickets/month)" in heat
    assert any("(% of staff)" in t for t in seen[0][3])  # shares in %


@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_vector_formats(tmp_path, fmt):
    paths = _all_figures(tmp_path, fmt)
    assert all(p.suffix == f".{fmt}" and p.stat().st_size > 1000 for p in paths)
    head = paths[0].read_bytes()[:8]
    assert head.startswith(b"%PDF") if fmt == "pdf" else b"<?xml" in head or b"<svg" in head


def test_unknown_format_is_one_line():
    with pytest.raises(figures.FigureFormatError, match="'gif' is not allowed; expected one "
                                                        "of png, svg, pdf"):
        figures.check_format("gif")


def test_labels_come_from_the_tables():
    assert param_label("tickets_per_user_month") == "Troubleshooting burden (tickets/month)"
    assert axis_label("final_users_share") == "Users, final (%)"
    assert axis_label("days_to_50") == "Days to 50% users (first innovation) (days)"
    assert "Markdown" not in figures.embed("x.pdf", "x")  # PDFs are linked, not embedded
    assert figures.embed("x.pdf", "a") == "[a (PDF)](x.pdf)"
