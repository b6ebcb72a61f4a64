"""``expl.plot``: matplotlib figures that return a Figure and keep every label inside it."""

from __future__ import annotations

import numpy as np
import pytest

import ablatio
from ablatio.exceptions import ParameterError
from ablatio.report.html import write_html
from ablatio.report.plots import plot_interaction_graph, plot_top, plot_waterfall

pytest.importorskip("matplotlib")

REVIEW = "The movie was not good at all, but the actors were brilliant"


@pytest.fixture(scope="module")
def vader_expl():
    pytest.importorskip("vaderSentiment")
    return ablatio.explain(ablatio.text_game(REVIEW, "vader"), method="exact")


def _inside(fig) -> bool:
    """Every drawn artist (labels, titles, annotations) lies inside the figure after drawing."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    tight = fig.get_tightbbox(fig.canvas.get_renderer())
    width, height = fig.get_size_inches()
    tol = 0.01
    return (
        tight.x0 >= -tol
        and tight.y0 >= -tol
        and tight.x1 <= width + tol
        and tight.y1 <= height + tol
    )


@pytest.mark.parametrize("name", ["bar", "waterfall", "network", "text"])
def test_each_plot_returns_a_figure_with_nothing_clipped(vader_expl, name):
    from matplotlib.figure import Figure

    fig = getattr(vader_expl.plot, name)()
    assert isinstance(fig, Figure)
    assert _inside(fig)


def test_bar_shows_the_shapley_values_by_name(vader_expl):
    fig = vader_expl.plot.bar(k=4)
    ax = fig.axes[0]
    phi = vader_expl.shapley_values()
    top = phi.reindex(phi.abs().sort_values(ascending=False).index).head(4)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(top.index)
    assert np.allclose([p.get_width() for p in ax.patches], top.to_numpy())
    # every value is printed next to its bar, inside the axes
    assert len(ax.texts) == 4


def test_bar_pairs_and_moebius_kinds(vader_expl):
    pairs = vader_expl.plot.bar(k=3, kind="pairs").axes[0]
    assert pairs.get_yticklabels()[0].get_text() == "3:not × 11:brilliant"
    assert _inside(vader_expl.plot.bar(k=25, kind="moebius"))  # labels of order 9 terms: cut
    with pytest.raises(ParameterError, match="kind"):
        vader_expl.plot.bar(kind="violin")


def test_waterfall_runs_from_f_empty_to_f_full(vader_expl):
    ax = vader_expl.plot.waterfall(k=3).axes[0]
    bars = ax.patches
    summary = vader_expl.summary()
    assert bars[0].get_width() == pytest.approx(summary.base_value)
    assert bars[-1].get_width() == pytest.approx(summary.full_value)
    steps = sum(p.get_width() for p in bars[1:-1])
    assert steps == pytest.approx(summary.full_value - summary.base_value)


def test_plots_draw_into_a_given_axes(vader_expl):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert vader_expl.plot.bar(ax=ax) is fig and len(ax.patches) == 10


def test_text_needs_one_string_per_part(vader_expl):
    fig = vader_expl.plot.text(REVIEW.split())
    assert [t.get_text() for t in fig.texts] == REVIEW.split()
    with pytest.raises(ParameterError, match="12 parts"):
        vader_expl.plot.text(["too", "few"])


@pytest.mark.parametrize("plot", [plot_top, plot_waterfall, plot_interaction_graph])
def test_report_pngs_are_not_clipped_by_long_terms(vader_expl, plot):
    assert _inside(plot(vader_expl.interactions))


def test_write_html_takes_an_explanation(vader_expl, tmp_path):
    path = write_html(tmp_path / "report.html", vader_expl)
    html = path.read_text("utf-8")
    assert "chart-shapley" in html and "id='pairs'" in html and "id='variance'" in html
    assert html.index("Shapley values") < html.index("Top interactions (raw moebius terms)")
    with pytest.raises(ParameterError, match="Explanation or Interactions"):
        write_html(tmp_path / "x.html", object())


def test_long_names_and_many_parts_stay_inside():
    game = ablatio.sparse_and_game(30, n_terms=25, max_order=3, random_state=0)
    names = [f"a rather long feature name number {i} with words" for i in range(30)]
    expl = ablatio.explain(
        ablatio.Game(game, feature_names=names), method="spex", budget=3000, max_order=3,
        random_state=0,
    )  # fmt: skip
    for name in ("bar", "waterfall", "network", "text"):
        assert _inside(getattr(expl.plot, name)()), name
