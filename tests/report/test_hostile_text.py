"""User text in figures and reports is text: no mathtext, no bidi reordering."""

from __future__ import annotations

import pytest

import ablatio
from ablatio.report.run import RunRecord, write_run

RLO = "\u202e"
#: Labels that matplotlib's mathtext would parse (and fail on, or render as formulas).
HOSTILE = ["isn't$\\frac", "$good$", "a$b$c$", "\\frac{1}{2}", "$x^2$", "$$", "100$"]


@pytest.fixture
def inter():
    game = ablatio.sparse_and_game(len(HOSTILE), n_terms=5, max_order=2, random_state=1)
    expl = ablatio.explain(game, method="exact")
    return expl.interactions.with_feature_names(HOSTILE)


def test_figures_draw_dollar_and_backslash_labels_verbatim(inter, tmp_path):
    pytest.importorskip("matplotlib")
    from ablatio.report.plots import save_figures

    written = save_figures(inter, tmp_path, 20)
    assert {p.name for p in written} == {
        "top_interactions.png",
        "waterfall.png",
        "interaction_graph.png",
    }
    assert all(p.stat().st_size > 0 for p in written)


def test_every_figure_text_is_plain(inter):
    pytest.importorskip("matplotlib")
    from matplotlib.text import Text

    from ablatio.report.plots import plot_interaction_graph, plot_top, plot_waterfall

    for fig in (plot_top(inter), plot_waterfall(inter), plot_interaction_graph(inter)):
        texts = fig.findobj(Text)
        shown = {t.get_text() for t in texts}
        assert any("$" in s for s in shown)  # the user's labels are there, verbatim
        assert all(not t.get_parse_math() for t in texts if "$" in t.get_text())


def test_bidi_controls_are_shown_not_obeyed_in_the_report(tmp_path):
    game = ablatio.sparse_and_game(3, n_terms=3, max_order=2, random_state=1)
    names = [f"good{RLO}evil", "b\u2066c\u2069", "plain"]
    inter = ablatio.explain(game, method="exact").interactions.with_feature_names(names)
    record = RunRecord(
        title=f"run {RLO}txt.exe",
        target={"prompt": f"abc{RLO}def"},
        method="exact",
        segments=[f"x{RLO}y ", "u\u200fv ", "w"],
    )
    write_run(tmp_path, inter, record, png=False)
    html = (tmp_path / "report.html").read_text("utf-8")
    for control in (RLO, "\u2066", "\u2069", "\u200f"):
        assert control not in html
    assert "good[U+202E]evil" in html and "x[U+202E]y" in html and "[U+2066]" in html


def test_python_plot_api_draws_user_text_verbatim():
    pytest.importorskip("matplotlib")
    from matplotlib.text import Text

    game = ablatio.sparse_and_game(len(HOSTILE), n_terms=5, max_order=2, random_state=1)
    expl = ablatio.explain(game, method="exact", feature_names=HOSTILE)
    for fig in (expl.plot.bar(), expl.plot.waterfall(), expl.plot.network(), expl.plot.text()):
        fig.canvas.draw()  # mathtext would raise here on "isn't$\frac"
        texts = fig.findobj(Text)
        assert any("$" in t.get_text() for t in texts)
        assert all(not t.get_parse_math() for t in texts if "$" in t.get_text())
