"""Synthetic games: planted terms, hierarchy, frozen noise, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from ablatio import hierarchical_game, sparse_and_game, sparse_parity_game
from ablatio.exceptions import ParameterError


@pytest.mark.parametrize("make", [sparse_and_game, sparse_parity_game])
def test_planted_terms(make):
    game = make(30, n_terms=12, max_order=3, random_state=0)
    truth = game.true_interactions
    assert len(truth) == 12 and 1 <= truth.max_order <= 3
    assert np.all((np.abs(truth.coefficients) >= 1) & (np.abs(truth.coefficients) <= 2))
    masks = np.random.default_rng(1).random((20, 30)) < 0.5
    np.testing.assert_array_equal(game(masks), truth.predict(masks))


def test_hierarchical_game_is_closed_under_subsets():
    game = hierarchical_game(40, n_terms=20, max_order=3, random_state=2)
    terms = set(game.true_interactions.terms)
    assert 10 <= len(terms) <= 20
    for term in terms:
        for j in range(len(term)):
            sub = term[:j] + term[j + 1 :]
            assert not sub or sub in terms


def test_same_seed_same_game_and_frozen_noise():
    a = sparse_and_game(16, 5, 2, noise_sd=0.5, random_state=3)
    b = sparse_and_game(16, 5, 2, noise_sd=0.5, random_state=3)
    assert a.true_interactions == b.true_interactions
    masks = np.random.default_rng(4).random((2000, 16)) < 0.5
    va, vb = a(masks), b(masks)
    np.testing.assert_array_equal(va, vb)
    np.testing.assert_array_equal(va, a(masks[::-1])[::-1])  # depends on the mask only
    noise = va - a.true_interactions.predict(masks)
    assert abs(noise.std() - 0.5) < 0.03 and abs(noise.mean()) < 0.04
    assert a.fingerprint() == b.fingerprint()
    assert 0 < a.noise_ceiling() < 1


def test_bad_settings():
    with pytest.raises(ParameterError, match="max_order"):
        sparse_and_game(3, 2, 4)
    with pytest.raises(ParameterError, match="only"):
        sparse_parity_game(3, 10, 1)
    with pytest.raises(ParameterError, match="noise_sd"):
        sparse_and_game(5, 2, 2, noise_sd=-1)
