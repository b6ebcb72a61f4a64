"""Walsh–Hadamard transform and sparse parity evaluation vs brute force."""

from __future__ import annotations

import brute
import numpy as np
import pytest

from ablatio.methods.exact import all_masks
from ablatio.transforms.fourier import (
    evaluate_fourier,
    fourier_transform,
    fwht,
    inverse_fourier_transform,
)
from ablatio.transforms.terms import tuples_to_terms


@pytest.mark.parametrize("n", [1, 3, 6])
def test_transform_matches_definition(n):
    values = np.random.default_rng(n).normal(size=2**n)
    coef = fourier_transform(values)
    expected = brute.fourier(values, n)
    for T, v in expected.items():
        assert coef[brute.code(T)] == pytest.approx(v, abs=1e-12)
    np.testing.assert_allclose(inverse_fourier_transform(coef), values, atol=1e-12)


def test_parseval():
    values = np.random.default_rng(0).normal(size=2**7)
    coef = fourier_transform(values)
    assert np.mean(values**2) == pytest.approx(np.sum(coef**2))


def test_fwht_rejects_non_power_of_two():
    with pytest.raises(ValueError, match="power-of-two"):
        fwht(np.ones(6))


def test_sparse_evaluation_equals_dense_synthesis():
    n = 6
    rng = np.random.default_rng(1)
    terms = [(), (0,), (1, 4), (0, 2, 5), (3,)]
    coef = rng.normal(size=len(terms))
    dense = np.zeros(2**n)
    for T, c in zip(terms, coef, strict=True):
        dense[brute.code(T)] = c
    got = evaluate_fourier(tuples_to_terms(terms), coef, all_masks(n))
    np.testing.assert_allclose(got, inverse_fourier_transform(dense), atol=1e-12)


def test_values_do_not_depend_on_how_masks_are_batched():
    rng = np.random.default_rng(5)
    terms = [tuple(sorted(rng.choice(40, size=3, replace=False).tolist())) for _ in range(300)]
    idx, coef = tuples_to_terms(terms), rng.normal(size=300)
    masks = rng.random((257, 40)) < 0.5
    whole = evaluate_fourier(idx, coef, masks)
    one_by_one = np.concatenate([evaluate_fourier(idx, coef, masks[i : i + 1]) for i in range(257)])
    assert whole.tobytes() == one_by_one.tobytes()
