"""Lasso path with approximate leave-one-out (``ablatio.transforms.lasso``)."""

from __future__ import annotations

import numpy as np
import pytest
from sparse_games import sparse_additive

from ablatio.transforms.lasso import (
    PathLeverage,
    _screened,
    lasso_slopes,
    leverage,
    screened_slopes,
)


def test_leverage_is_the_hat_matrix_diagonal_also_when_columns_repeat():
    rng = np.random.default_rng(1)
    columns = (rng.random((50, 8)) < 0.5).astype(float)
    counts = columns[:, :3].sum(axis=1, keepdims=True)  # a tied lasso's count column
    for cols in (columns, np.hstack([columns, columns[:, :2]]), np.hstack([columns, counts])):
        Z = np.hstack([np.ones((50, 1)), cols])
        hat = Z @ np.linalg.pinv(Z)
        np.testing.assert_allclose(leverage(cols), np.diag(hat), atol=1e-9)


def test_path_leverage_extends_its_factor_and_equals_the_hat_diagonal_at_every_step():
    """Active sets that grow (the factor is extended), lose a column (it is deleted, the others
    keep their places), stay empty or hold a repeated column (singular: it stays out of the
    factor, also when it comes alone after its twin, and comes in once its twin has left) —
    always the hat diagonal."""
    rng = np.random.default_rng(2)
    X = (rng.random((60, 12)) < 0.5).astype(float)
    X[:, 11] = X[:, 3]  # a repeated column
    leverage = PathLeverage(X)
    steps = [[], [4], [4, 0, 7], [0, 4, 7, 9, 2], [0, 2, 4, 7], [0, 2, 7], [0, 2, 7, 3]]
    steps += [[0, 2, 3, 7, 11], [5]]
    for step in steps:
        active = np.array(sorted(step), dtype=int)
        Z = np.hstack([np.ones((60, 1)), X[:, active]])
        np.testing.assert_allclose(leverage(active), np.diag(Z @ np.linalg.pinv(Z)), atol=1e-9)
        if step == [0, 4, 7, 9, 2]:
            assert leverage.order == [4, 0, 7, 2, 9]  # extended, not refactored
        if step == [0, 2, 4, 7]:
            assert leverage.order == [4, 0, 7, 2]  # 9 deleted
        if step == [0, 2, 7]:
            assert leverage.order == [0, 7, 2]  # 4 deleted, the others kept in place
        if step == [0, 2, 3, 7, 11]:
            assert 3 in leverage.order and 11 not in leverage.order  # the twin adds nothing
    Z = np.hstack([np.ones((60, 1)), X[:, [5, 11]]])
    last = leverage(np.array([5, 11]))  # 3 has left: its twin 11 is independent now
    np.testing.assert_allclose(last, np.diag(Z @ np.linalg.pinv(Z)), atol=1e-9)
    assert sorted(leverage.order) == [5, 11]


def test_path_leverage_equals_the_hat_diagonal_along_a_long_random_path():
    """Sixty steps that each delete ~8 % of the active columns (anywhere in the factor) and
    add up to 11, with a repeated column and a sum of two columns among 120."""
    rng = np.random.default_rng(1)
    X = (rng.random((300, 120)) < 0.5).astype(float)
    X[:, 5], X[:, 7] = X[:, 3], X[:, 1] + X[:, 2]
    leverage, active = PathLeverage(X), set()
    for _ in range(60):
        active -= {j for j in sorted(active) if rng.random() < 0.08}
        active |= set(rng.choice(120, size=rng.integers(0, 12), replace=False).tolist())
        columns = rng.permutation(sorted(active)).astype(int)
        Z = np.hstack([np.ones((300, 1)), X[:, columns]])
        np.testing.assert_allclose(leverage(columns), np.diag(Z @ np.linalg.pinv(Z)), atol=1e-9)
    assert len(active) > 30


def test_the_strong_rule_screen_returns_the_lasso_on_every_column():
    """Columns outnumber rows; at each penalty the screened fit equals coordinate descent on
    every column, also when the screen first keeps nothing (a misleading previous penalty)
    and every column it wrongly dropped has to be brought back."""
    _, masks, values, _, _ = sparse_additive(400, 150, 12, seed=2)
    X = masks - masks.mean(axis=0)
    X, y = np.asfortranarray(X), values - values.mean()
    alpha_max = np.max(np.abs(X.T @ y)) / y.size
    slopes, previous = np.zeros(400), alpha_max

    def objective(b, alpha):  # what coordinate descent minimises, to its tolerance
        return np.sum((y - X @ b) ** 2) / (2 * y.size) + alpha * np.sum(np.abs(b))

    for alpha in alpha_max * np.logspace(-0.3, -2, 6):
        full = lasso_slopes(X, y, alpha, slopes, None)
        screened = screened_slopes(X, y, alpha, previous, slopes)
        blind = screened_slopes(X, y, alpha, -10 * alpha, np.zeros(400))
        for fit in (screened, blind):
            assert objective(fit, alpha) == pytest.approx(objective(full, alpha), rel=1e-5)
            # the lasso's fitted values are unique even where its slopes are not
            np.testing.assert_allclose(X @ fit, X @ full, atol=2e-3 * y.std())
        slopes, previous = full, alpha
    assert np.count_nonzero(slopes) > 12


def test_the_path_carries_each_solutions_residual_correlation_to_the_next_screen():
    """lasso_alo screens each penalty with the correlations the previous solution left: they
    are ``|x̃ᵀ r| / q`` at that solution, so the path equals one screened from scratch."""
    _, masks, values, _, _ = sparse_additive(400, 150, 12, seed=2)
    X = masks - masks.mean(axis=0)
    X, y = np.asfortranarray(X), values - values.mean()
    alpha_max = np.max(np.abs(X.T @ y)) / y.size
    carried, slopes, previous = np.abs(X.T @ y) / y.size, np.zeros(400), alpha_max
    for alpha in alpha_max * np.logspace(0, -2, 8):
        fresh = screened_slopes(X, y, alpha, previous, slopes)
        slopes, carried = _screened(X, y, alpha, previous, slopes, carried)
        np.testing.assert_allclose(slopes, fresh, atol=1e-10)
        np.testing.assert_allclose(carried, np.abs(X.T @ (y - X @ slopes)) / y.size, atol=1e-12)
        previous = alpha
    assert np.count_nonzero(slopes) > 12
