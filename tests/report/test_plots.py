"""PNG export with matplotlib (no pyplot state)."""

from __future__ import annotations

import pytest

import ablatio
from ablatio.report.plots import plot_top, plot_waterfall, save_figures

pytest.importorskip("matplotlib")


def test_save_figures_writes_pngs(tmp_path):
    game = ablatio.sparse_and_game(6, n_terms=5, max_order=3, random_state=2)
    inter = ablatio.explain(game, method="exact").interactions
    written = save_figures(inter, tmp_path, k=5)
    assert {p.name for p in written} == {
        "top_interactions.png",
        "waterfall.png",
        "interaction_graph.png",
    }
    for path in written:
        assert path.read_bytes()[:4] == b"\x89PNG"


def test_top_bars_follow_the_terms():
    game = ablatio.sparse_and_game(6, n_terms=5, max_order=3, random_state=2)
    inter = ablatio.explain(game, method="exact").interactions
    fig = plot_top(inter, k=4)
    bars = fig.axes[0].patches
    assert sorted(abs(b.get_width()) for b in bars) == sorted(abs(inter.top(4).coefficients))
    assert plot_waterfall(inter.index("stii", 2)) is None


def test_depth_bars_stack_the_three_shares():
    from ablatio.report.plots import plot_depth

    depth = {
        "layers": [0, 1],
        "first_order": [0.5, 0.1],
        "within": [0.0, 0.2],
        "across": [0.1, 0.1],
    }
    fig = plot_depth(depth)
    heights = [round(p.get_height(), 6) for p in fig.axes[0].patches]
    assert heights == [0.5, 0.1, 0.0, 0.2, 0.1, 0.1]  # first-order, within, across per layer
    assert [round(p.get_y(), 6) for p in fig.axes[0].patches][2:4] == [0.5, 0.1]
