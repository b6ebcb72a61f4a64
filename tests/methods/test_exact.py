"""Exact enumeration vs brute force and planted terms."""

from __future__ import annotations

import brute
import numpy as np
import pytest

from ablatio import Exact, Game, sparse_and_game, sparse_parity_game
from ablatio.exceptions import BudgetTooSmallError, NonFiniteValueError, ParameterError


def test_recovers_planted_and_terms_exactly():
    game = sparse_and_game(10, n_terms=8, max_order=3, random_state=5)
    method = Exact().fit(game)
    assert method.interactions_.allclose(game.true_interactions, atol=1e-10)
    assert method.n_queries_ == 2**10


def test_fourier_basis_and_truncation_is_best_low_order_fit():
    game = sparse_parity_game(8, n_terms=6, max_order=3, random_state=1)
    four = Exact(basis="fourier").fit(game).interactions_
    assert four.allclose(game.true_interactions, atol=1e-10)
    low = Exact(max_order=2, basis="fourier").fit(game).interactions_
    truth = game.true_interactions
    keep = truth.orders <= 2
    assert set(low.terms) == {t for t, k in zip(truth.terms, keep, strict=True) if k}
    moeb = Exact(max_order=2).fit(game).interactions_
    assert moeb.basis == "moebius" and moeb.to_fourier().allclose(low, atol=1e-10)


def test_matches_brute_force_on_random_table():
    n = 6
    values = np.random.default_rng(0).normal(size=2**n)
    fn = lambda m: values[m.astype(np.int64) @ (1 << np.arange(n))]  # noqa: E731
    inter = Exact().fit(Game(fn, n)).interactions_
    for T, v in brute.moebius(values, n).items():
        assert inter[T] == pytest.approx(v, abs=1e-10)


def test_errors():
    game = sparse_and_game(6, 3, 2, random_state=0)
    with pytest.raises(BudgetTooSmallError, match="budget=10 < 64") as info:
        Exact(budget=10).fit(game)
    assert info.value.minimum == 64
    with pytest.raises(ParameterError, match="max_players"):
        Exact(max_players=4).fit(game)
    with pytest.raises(ParameterError, match="max_order == 7 > n == 6"):
        Exact(max_order=7).fit(game)
    with pytest.raises(ParameterError, match="basis"):
        Exact(basis="haar").fit(game)
    with pytest.raises(NonFiniteValueError):
        Exact().fit(Game(lambda m: np.where(m[:, 0], np.inf, 1.0), n=3))
