"""The readable view: named Shapley values, pairwise interactions, variance shares by order."""

from __future__ import annotations

import brute
import numpy as np
import pytest

import ablatio
from ablatio.methods.exact import all_masks
from ablatio.report.summary import (
    pair_interactions,
    summarize,
    variance_by_order,
)

REVIEW = "The movie was not good at all, but the actors were brilliant"


@pytest.fixture(scope="module")
def vader_run():
    pytest.importorskip("vaderSentiment")
    game = ablatio.text_game(REVIEW, "vader")
    values = game(all_masks(game.n_players))  # the 4096 ablations, evaluated once
    return ablatio.explain(game, method="exact"), values


def test_default_repr_shows_named_shapley_values_then_pairs(vader_run):
    expl, values = vader_run
    text = repr(expl)
    lines = text.splitlines()
    shapley_at = lines.index(next(line for line in lines if line.startswith("Shapley values")))
    pairs_at = lines.index(next(line for line in lines if line.startswith("Strongest pairwise")))
    assert shapley_at < pairs_at
    # the largest Shapley value comes first, with its word
    phi = brute.shapley(values, 12)
    top = int(np.argmax(np.abs(phi)))
    assert lines[shapley_at + 1].split()[-1] == expl.interactions.feature_names[top]
    assert float(lines[shapley_at + 1].split()[0]) == pytest.approx(phi[top], rel=1e-3)
    # the raw Möbius view (orders up to 9 here) is one call away, not the default
    assert "Raw Möbius terms" in text and expl.interactions.max_order > 2
    assert "Variance by order" in text


def test_shapley_series_is_named_and_exact(vader_run):
    expl, values = vader_run
    phi = expl.shapley_values()
    assert list(phi.index) == list(expl.interactions.feature_names)
    assert phi["11:brilliant"] > 0 and phi["3:not"] < 0
    assert np.allclose(phi.to_numpy(), brute.shapley(values, 12), atol=1e-12)
    assert phi.sum() == pytest.approx(values[-1] - values[0])


def test_pairs_are_shapley_taylor_of_order_two(vader_run):
    expl, values = vader_run
    pairs = pair_interactions(expl.interactions, "stii", k=3)
    names = expl.interactions.feature_names
    for label, value in pairs.items():
        a, b = (names.index(part) for part in label.split(" × "))
        assert value == pytest.approx(brute.stii(values, 12, (a, b), 2), abs=1e-10)
    assert pairs.index[0] == "3:not × 11:brilliant"


def test_variance_shares_match_the_walsh_hadamard_of_the_values(vader_run):
    expl, values = vader_run
    shares = expl.variance_by_order()
    fourier = brute.fourier(values, 12)
    power = np.zeros(13)
    for term, coef in fourier.items():
        power[len(term)] += coef**2
    expected = power[1:] / power[1:].sum()
    assert shares.sum() == pytest.approx(1.0)
    for order, share in shares.items():
        assert share == pytest.approx(expected[order - 1], abs=1e-12)
    assert shares.loc[1] > 0.5  # mostly first order, although Möbius terms reach order 9


def test_dense_and_sparse_variance_paths_agree(monkeypatch):
    import ablatio.report.summary as summary

    game = ablatio.sparse_and_game(8, n_terms=12, max_order=5, random_state=3)
    inter = ablatio.explain(game, method="exact").interactions
    sparse = variance_by_order(inter)
    monkeypatch.setattr(summary, "MAX_FOURIER_TERMS", 1)
    dense = variance_by_order(inter)
    assert np.allclose(sparse.to_numpy(), dense.to_numpy(), atol=1e-12)


def test_constant_and_index_results():
    const = ablatio.Interactions([()], [2.0], n_players=3)
    assert len(variance_by_order(const)) == 0
    sv = ablatio.Interactions([(0,), (1,)], [1.0, -1.0], n_players=3, basis="sv")
    summary = summarize(sv, k=2)
    assert summary.variance is None and summary.base_value is None
    assert summary.shapley.tolist() == [1.0, -1.0, 0.0]
    assert "Shapley values" in str(summary)


def test_summary_k_is_checked():
    inter = ablatio.Interactions([(0,)], [1.0], n_players=2)
    with pytest.raises(ablatio.AblatioError, match="k == 0"):
        summarize(inter, k=0)
    with pytest.raises(ablatio.AblatioError, match="index == 'xyz'"):
        pair_interactions(inter, "xyz")
