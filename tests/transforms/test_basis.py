from __future__ import annotations

from math import comb

import numpy as np

from ablatio.interactions import Interactions
from ablatio.transforms.basis import all_terms, moebius_basis, n_terms_up_to
from ablatio.transforms.terms import terms_to_tuples


def test_all_terms_lists_every_subset_up_to_the_order_in_canonical_order():
    idx = all_terms(5, 2)
    terms = terms_to_tuples(idx)
    assert len(terms) == n_terms_up_to(5, 2) == 1 + 5 + comb(5, 2)
    assert terms[0] == ()
    assert terms == sorted(terms, key=lambda t: (len(t), t))


def test_order_above_n_is_capped():
    assert n_terms_up_to(3, 7) == 8
    assert all_terms(3, 7).shape == (8, 3)


def test_design_matrix_times_coefficients_is_the_moebius_function():
    rng = np.random.default_rng(0)
    idx = all_terms(6, 3)
    coef = rng.normal(size=idx.shape[0])
    masks = rng.random((40, 6)) < 0.5
    f = Interactions(terms_to_tuples(idx), coef, n_players=6)
    np.testing.assert_allclose(moebius_basis(masks, idx) @ coef, f.predict(masks), atol=1e-12)


def test_empty_term_only():
    masks = np.zeros((3, 4), dtype=bool)
    np.testing.assert_array_equal(moebius_basis(masks, all_terms(4, 0)), np.ones((3, 1)))
