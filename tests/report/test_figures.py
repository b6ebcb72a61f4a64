"""Figure records checked against the game they describe."""

from __future__ import annotations

import numpy as np
import pytest

import ablatio
from ablatio import Interactions
from ablatio.report import figures
from ablatio.report.figures import attributions, interaction_graph, top_terms, waterfall


@pytest.fixture(scope="module")
def game():
    return ablatio.hierarchical_game(7, n_terms=10, max_order=3, random_state=1)


@pytest.fixture(scope="module")
def moebius(game):
    return ablatio.explain(game, method="exact").interactions


def test_top_terms_sorted_by_magnitude_without_constant(moebius):
    rows = top_terms(moebius, 5)
    values = [abs(r.value) for r in rows]
    assert values == sorted(values, reverse=True) and len(rows) == 5
    assert all(r.term and r.order == len(r.term) for r in rows)
    assert rows[0].label == " × ".join(moebius.feature_names[i] for i in rows[0].term)


@pytest.mark.parametrize("k", [1, 3, 100])
def test_waterfall_runs_from_empty_to_full_value(game, moebius, k):
    steps = waterfall(moebius, k)
    ones, zeros = np.ones((1, 7), dtype=bool), np.zeros((1, 7), dtype=bool)
    assert steps[0].end == pytest.approx(game(zeros)[0])
    assert steps[-1].end == pytest.approx(game(ones)[0])
    for before, after in zip(steps[1:-1], steps[2:-1], strict=False):
        assert after.start == pytest.approx(before.end)  # each step starts where one ended
    assert ("other terms" in [s.label for s in steps]) == (k < len(moebius))


def test_waterfall_of_fourier_equals_moebius(moebius):
    assert waterfall(moebius.to_fourier(), 4)[-1].end == pytest.approx(
        waterfall(moebius, 4)[-1].end
    )
    assert waterfall(moebius.index("sii", 2), 4) is None


def test_graph_edges_are_the_higher_order_top_terms(moebius):
    graph = interaction_graph(moebius, 8)
    expected = {r.term for r in top_terms(moebius, 8) if r.order >= 2}
    assert {e.members for e in graph.edges} == expected
    on_graph = {n.player for n in graph.nodes}
    assert all(set(e.members) <= on_graph for e in graph.edges)
    sv = moebius.shapley_values()
    assert all(n.value == pytest.approx(sv[n.player]) for n in graph.nodes)
    for n in graph.nodes:
        assert np.hypot(n.x - 0.5, n.y - 0.5) == pytest.approx(figures.GRAPH_RADIUS)


def test_graph_caps_the_number_of_nodes(monkeypatch):
    terms = [(i, i + 1) for i in range(0, 20, 2)]
    inter = Interactions(terms, np.arange(1.0, 11.0), n_players=20)
    monkeypatch.setattr(figures, "MAX_GRAPH_NODES", 6)
    graph = interaction_graph(inter, 10)
    assert len(graph.nodes) == 6
    assert {e.members for e in graph.edges} == {(14, 15), (16, 17), (18, 19)}


def test_attributions_of_index_values_are_first_order_terms(moebius):
    sv = moebius.index("sv")
    assert np.allclose(attributions(sv), moebius.shapley_values())
