"""Closed-form interaction indices from Möbius terms vs brute-force definitions (n <= 7)."""

from __future__ import annotations

import itertools
import math

import brute
import numpy as np
import pytest

from ablatio import Exact, Game, Interactions


def random_table_game(n: int, seed: int):
    values = np.random.default_rng(seed).normal(size=2**n)

    def fn(masks):
        return values[masks.astype(np.int64) @ (1 << np.arange(n))]

    return values, Exact().fit(Game(fn, n)).interactions_


@pytest.mark.parametrize(("n", "seed"), [(4, 0), (5, 1), (6, 2)])
def test_shapley_and_banzhaf_match_definitions(n, seed):
    values, inter = random_table_game(n, seed)
    np.testing.assert_allclose(inter.shapley_values(), brute.shapley(values, n), atol=1e-10)
    np.testing.assert_allclose(inter.banzhaf_values(), brute.banzhaf(values, n), atol=1e-10)


@pytest.mark.parametrize(("n", "seed", "k"), [(4, 3, 2), (5, 4, 3), (6, 5, 2)])
def test_sii_bii_stii_match_definitions(n, seed, k):
    values, inter = random_table_game(n, seed)
    sii, bii, stii = inter.index("sii", k), inter.index("bii", k), inter.index("stii", k)
    for r in range(1, k + 1):
        for T in itertools.combinations(range(n), r):
            assert sii[T] == pytest.approx(brute.sii(values, n, T), abs=1e-10)
            assert bii[T] == pytest.approx(brute.bii(values, n, T), abs=1e-10)
            assert stii[T] == pytest.approx(brute.stii(values, n, T, k), abs=1e-10)
    # the empty set as Grabisch & Roubens (and shapiq) define it
    sizes = np.array([bin(c).count("1") for c in range(2**n)])
    weights = np.array([math.factorial(n - s) * math.factorial(s) for s in sizes])
    assert sii[()] == pytest.approx(weights @ values / math.factorial(n + 1), abs=1e-10)
    assert bii[()] == pytest.approx(values.mean(), abs=1e-10)
    assert inter.index("bv", 1)[()] == pytest.approx(values.mean(), abs=1e-10)
    assert stii[()] == pytest.approx(values[0])


@pytest.mark.parametrize(("n", "seed", "k"), [(4, 6, 1), (5, 7, 2), (6, 8, 3)])
def test_faith_indices_match_least_squares(n, seed, k):
    values, inter = random_table_game(n, seed)
    fbii = inter.index("fbii", k)
    for T, v in brute.fbii(values, n, k).items():
        assert fbii[T] == pytest.approx(v, abs=1e-9)
    fsii = inter.index("fsii", k)
    for T, v in brute.fsii(values, n, k).items():
        if T:  # the empty set reports f(∅) by convention
            assert fsii[T] == pytest.approx(v, abs=1e-8)
    assert fsii[()] == pytest.approx(values[0])


@pytest.mark.parametrize("n", [4, 6])
def test_ksii_properties(n):
    values, inter = random_table_game(n, 11)
    k1 = inter.index("ksii", 1)
    np.testing.assert_allclose([k1[(i,)] for i in range(n)], brute.shapley(values, n), atol=1e-10)
    kn = inter.index("ksii", n)
    # order n gives back the Möbius transform
    assert kn.terms == inter.terms
    np.testing.assert_allclose(kn.coefficients, inter.coefficients, atol=1e-10)
    for k in range(1, n + 1):
        assert inter.index("ksii", k).coefficients.sum() == pytest.approx(values[-1])


def test_stii_efficiency_and_top_order_only():
    values, inter = random_table_game(5, 12)
    stii = inter.index("stii", 2)
    assert stii.coefficients.sum() == pytest.approx(values[-1])
    assert stii.max_order == 2


def test_index_rejects_unknown_name_and_index_basis():
    inter = Interactions([(0,)], [1.0], n_players=2)
    with pytest.raises(ValueError, match="choose one of"):
        inter.index("nope")
    with pytest.raises(ValueError, match="basis"):
        inter.index("sv").index("sv")
