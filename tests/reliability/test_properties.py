"""Property tests: index conversions agree with brute force on random sparse games (n <= 8)."""

from __future__ import annotations

import itertools

import brute
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ablatio import Game, Interactions
from ablatio.methods.exact import all_masks


@st.composite
def sparse_games(draw):
    n = draw(st.integers(2, 7))
    terms = draw(
        st.lists(
            st.frozensets(st.integers(0, n - 1), max_size=min(n, 4)).map(
                lambda s: tuple(sorted(s))
            ),
            min_size=1,
            max_size=8,
        )
    )
    coef = draw(
        st.lists(
            st.floats(-5, 5, allow_nan=False, allow_infinity=False),
            min_size=len(terms),
            max_size=len(terms),
        )
    )
    basis = draw(st.sampled_from(["moebius", "fourier"]))
    return Interactions(terms, coef, n_players=n, basis=basis)


@settings(max_examples=40, deadline=None)
@given(f=sparse_games(), k=st.integers(1, 3))
def test_indices_agree_with_definitions(f, k):
    n = f.n_players
    k = min(k, n)
    values = f.predict(all_masks(n))
    np.testing.assert_allclose(f.shapley_values(), brute.shapley(values, n), atol=1e-8)
    np.testing.assert_allclose(f.banzhaf_values(), brute.banzhaf(values, n), atol=1e-8)
    sii, stii = f.index("sii", k), f.index("stii", k)
    for r in range(1, k + 1):
        for T in itertools.combinations(range(n), r):
            assert abs(sii[T] - brute.sii(values, n, T)) < 1e-8
            assert abs(stii[T] - brute.stii(values, n, T, k)) < 1e-8
    for T, v in brute.fbii(values, n, k).items():
        assert abs(f.index("fbii", k)[T] - v) < 1e-7


@settings(max_examples=25, deadline=None)
@given(f=sparse_games())
def test_cache_returns_byte_identical_values(f, tmp_path_factory):
    path = tmp_path_factory.mktemp("cache") / "c.sqlite"
    masks = all_masks(f.n_players)
    with Game(f.predict, n=f.n_players, cache=path, name="p", version="1") as game:
        fresh = game(masks)
    with Game(f.predict, n=f.n_players, cache=path, name="p", version="1") as game:
        cached = game(masks)
        assert game.n_evaluated == 0
    assert fresh.tobytes() == cached.tobytes() == f.predict(masks).tobytes()
