"""Dense Möbius transform and exact sparse Fourier ↔ Möbius conversion vs brute force."""

from __future__ import annotations

import brute
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ablatio import Interactions
from ablatio.methods.exact import all_masks
from ablatio.transforms.fourier import fourier_transform
from ablatio.transforms.moebius import moebius_transform, zeta_transform


@pytest.mark.parametrize("n", [1, 4, 7])
def test_dense_moebius_matches_definition(n):
    values = np.random.default_rng(n).normal(size=2**n)
    dividends = moebius_transform(values)
    for T, v in brute.moebius(values, n).items():
        assert dividends[brute.code(T)] == pytest.approx(v, abs=1e-10)
    np.testing.assert_allclose(zeta_transform(dividends), values, atol=1e-10)


def test_sparse_conversion_matches_dense_transforms():
    n = 7
    values = np.random.default_rng(3).normal(size=2**n)
    dividends = moebius_transform(values)
    terms = [tuple(i for i in range(n) if c >> i & 1) for c in range(2**n)]
    moeb = Interactions(terms, dividends, n_players=n, basis="moebius")
    four = moeb.to_fourier()
    dense = fourier_transform(values)
    for T, v in four.as_dict().items():
        assert v == pytest.approx(dense[brute.code(T)], abs=1e-10)
    assert four.to_moebius().allclose(moeb, atol=1e-10)


terms_strategy = st.lists(
    st.frozensets(st.integers(0, 9), max_size=4).map(lambda s: tuple(sorted(s))),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(terms=terms_strategy, data=st.data())
def test_round_trip_is_exact_and_predictions_agree(terms, data):
    coef = data.draw(
        st.lists(
            st.floats(-10, 10, allow_nan=False).filter(lambda x: abs(x) > 1e-3),
            min_size=len(terms),
            max_size=len(terms),
        )
    )
    for basis in ("moebius", "fourier"):
        f = Interactions(terms, coef, n_players=10, basis=basis)
        other = f.to_fourier() if basis == "moebius" else f.to_moebius()
        back = other.to_moebius() if basis == "moebius" else other.to_fourier()
        assert back.allclose(f, atol=1e-9)
        masks = all_masks(10)[::7]
        np.testing.assert_allclose(other.predict(masks), f.predict(masks), atol=1e-9)
        # predict equals the sum of the terms, evaluated one by one
        manual = np.zeros(len(masks))
        for T, c in f.as_dict().items():
            cols = masks[:, list(T)]
            manual += c * (cols.all(axis=1) if basis == "moebius" else (-1.0) ** cols.sum(1))
        np.testing.assert_allclose(f.predict(masks), manual, atol=1e-9)
