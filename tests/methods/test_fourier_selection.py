"""Support selection helpers: parity design, CV over prefixes, hierarchical growth."""

from __future__ import annotations

import numpy as np

from ablatio.methods._fourier_selection import (
    _fold_mse,
    cv_prefix,
    grow_terms,
    parity_columns,
    prefix_sizes,
)
from ablatio.transforms.fourier import evaluate_fourier
from ablatio.transforms.solve import least_squares_path
from ablatio.transforms.terms import terms_to_tuples, tuples_to_terms


def test_parity_columns_match_evaluation():
    rng = np.random.default_rng(0)
    masks = rng.random((30, 7)) < 0.5
    idx = tuples_to_terms([(), (2,), (0, 5), (1, 3, 6)])
    design = parity_columns(masks, idx)
    for j in range(idx.shape[0]):
        unit = np.eye(idx.shape[0])[j]
        np.testing.assert_array_equal(design[:, j], evaluate_fourier(idx, unit, masks))


def test_prefix_sizes_dense_then_geometric():
    sizes = prefix_sizes(400)
    assert sizes[:128].tolist() == list(range(1, 129))
    assert sizes[-1] == 400 and np.all(np.diff(sizes) > 0)


def test_cv_prefix_finds_true_support_size_without_noise():
    rng = np.random.default_rng(1)
    masks = rng.random((200, 12)) < 0.5
    terms = [(), (0,), (3, 4), (1, 2, 7), (5,), (9, 10), (6,), (8, 11)]
    design = parity_columns(masks, tuples_to_terms(terms))
    y = design[:, :5] @ np.array([1.0, 2.0, -1.5, 0.7, 1.2])
    choice = cv_prefix(design, y, n_folds=5, max_column_ratio=0.5, rng=rng)
    assert choice.size == 5
    assert choice.cv_r2 > 1 - 1e-12


def _qr_fold_mse(X, y, test, sizes):
    train = np.setdiff1d(np.arange(y.size), test)
    path = least_squares_path(X[train], y[train], sizes)
    errors = [np.mean((y[test] - X[test, :k] @ b) ** 2) for k, b in zip(sizes, path, strict=True)]
    return np.array(errors)


def test_the_gram_path_equals_one_qr_per_fold_and_refuses_ill_conditioned_designs():
    """Every prefix's held-out error from the shared Gram matrix (Cholesky, running sums of the
    whitened held-out rows) equals the QR path of the training rows; a near-duplicate column
    (a pivot of 1e-6 of the largest) is refused so cv_prefix falls back to QR."""
    rng = np.random.default_rng(0)
    masks = rng.random((400, 40)) < 0.5
    idx = tuples_to_terms([(), *[(i,) for i in range(40)], *[(i, i + 1) for i in range(39)]])
    X = parity_columns(masks, idx)
    y = X[:, :20] @ rng.normal(size=20) + rng.normal(size=400)
    test, sizes = np.arange(0, 400, 5), prefix_sizes(75)
    train = np.setdiff1d(np.arange(400), test)
    got = _fold_mse(X[train].T @ X[train], X[train].T @ y[train], X[test], y[test], sizes)
    np.testing.assert_allclose(got, _qr_fold_mse(X, y, test, sizes), rtol=1e-9)
    X[:, 7] = X[:, 3] + 1e-6 * rng.normal(size=400)
    assert _fold_mse(X[train].T @ X[train], X[train].T @ y[train], X[test], y[test], sizes) is None
    choice = cv_prefix(X, y, n_folds=5, max_column_ratio=0.3, rng=np.random.default_rng(1))
    assert 1 <= choice.size <= 75


def test_grow_terms_finds_missing_child():
    rng = np.random.default_rng(2)
    masks = rng.random((400, 20)) < 0.5
    parents = tuples_to_terms([(), (3,)])
    residual = parity_columns(masks, tuples_to_terms([(3, 11)]))[:, 0] * 1.5
    new, scores = grow_terms(masks, residual, parents, max_order=3, max_new=10)
    assert terms_to_tuples(new)[0] == (3, 11)
    np.testing.assert_allclose(scores[0], 1.5)


def test_grow_terms_returns_nothing_on_noise_or_at_max_order():
    rng = np.random.default_rng(3)
    masks = rng.random((400, 20)) < 0.5
    noise = rng.normal(size=400)
    new, _ = grow_terms(masks, noise, tuples_to_terms([(), (1,)]), max_order=3, max_new=10)
    assert new.shape[0] <= 1  # the Gaussian-maximum threshold rarely lets noise through
    full, _ = grow_terms(masks, noise, tuples_to_terms([(1, 2)]), max_order=2, max_new=10)
    assert full.shape[0] == 0


def test_r2_score_definition():
    from ablatio.methods._fourier_selection import r2_score

    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert r2_score(y, y) == 1.0
    assert r2_score(y, np.full(4, y.mean())) == 0.0
    assert r2_score(np.ones(3), np.ones(3)) == 1.0


def test_enumerated_spectrum_truncates_order():
    from ablatio.methods._fourier_selection import enumerated_spectrum
    from ablatio.methods.exact import all_masks

    masks = all_masks(4)
    idx = tuples_to_terms([(), (1,), (0, 2), (0, 1, 3)])
    y = evaluate_fourier(idx, np.array([0.5, 1.0, -2.0, 3.0]), masks)
    terms, coef, r2 = enumerated_spectrum(masks, y, max_order=2)
    assert dict(zip(terms, coef, strict=True)) == {(): 0.5, (1,): 1.0, (0, 2): -2.0}
    assert abs(r2 - (1.0 + 4.0) / (1.0 + 4.0 + 9.0)) < 1e-12
