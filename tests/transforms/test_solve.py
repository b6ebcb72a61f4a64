"""The shared least-squares solver."""

from __future__ import annotations

import numpy as np
import pytest

from ablatio.transforms.solve import least_squares, least_squares_path, ridge_loo


def test_weighted_solution_matches_normal_equations():
    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(50, 4)), rng.normal(size=50), rng.uniform(0.1, 2, 50)
    beta = least_squares(X, y, weights=w)
    expected = np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (w * y))
    np.testing.assert_allclose(beta, expected, atol=1e-10)


def test_ridge_and_constraints():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    ridge = least_squares(X, y, ridge=2.0)
    np.testing.assert_allclose(ridge, np.linalg.solve(X.T @ X + 2 * np.eye(3), X.T @ y))
    A, b = np.array([[1.0, 1.0, 1.0]]), np.array([5.0])
    beta = least_squares(X, y, constraints=(A, b))
    assert beta.sum() == np.float64(5.0) or abs(beta.sum() - 5.0) < 1e-10


def _problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, 5))
    y = rng.normal(size=30)
    w = rng.uniform(0.1, 2.0, size=30)
    return X, y, w


def test_per_column_ridge_leaves_unpenalised_columns_free():
    X, y, w = _problem(1)
    penalty = np.array([0.0, 1.0, 1.0, 2.0, 0.5])
    expected = np.linalg.solve(X.T @ (w[:, None] * X) + np.diag(penalty), X.T @ (w * y))
    np.testing.assert_allclose(least_squares(X, y, weights=w, ridge=penalty), expected, atol=1e-10)


@pytest.mark.parametrize("ridge", [1e-8, 0.5, "per column"])
def test_a_wide_ridge_solves_the_rows_system_with_the_same_answer(ridge):
    """More columns than rows (a reality check refitting a 3000-term support on 250 masks):
    the push-through identity gives the ridge solution of the (rows + columns) × columns
    system, weighted rows included."""
    rng = np.random.default_rng(3)
    X = (rng.random((60, 400)) < 0.5).astype(float)
    y, w = rng.normal(size=60), rng.random(60) + 0.5
    penalty = rng.random(400) + 0.1 if ridge == "per column" else np.full(400, ridge)
    sw = np.sqrt(w)
    augmented = np.vstack([X * sw[:, None], np.diag(np.sqrt(penalty))])
    expected = np.linalg.lstsq(augmented, np.concatenate([y * sw, np.zeros(400)]), rcond=None)[0]
    ours = least_squares(X, y, weights=w, ridge=penalty if ridge == "per column" else ridge)
    assert np.allclose(ours, expected, rtol=1e-6, atol=1e-9 * np.abs(expected).max())


def test_constraints_hold_and_match_the_kkt_solution():
    X, y, w = _problem(2)
    A = np.array([[1.0, 1.0, 1.0, 1.0, 1.0], [1.0, 0.0, 0.0, 0.0, 0.0]])
    b = np.array([2.0, -1.0])
    beta = least_squares(X, y, weights=w, constraints=(A, b))
    np.testing.assert_allclose(A @ beta, b, atol=1e-12)
    kkt = np.block([[2 * X.T @ (w[:, None] * X), A.T], [A, np.zeros((2, 2))]])
    expected = np.linalg.solve(kkt, np.concatenate([2 * X.T @ (w * y), b]))[:5]
    np.testing.assert_allclose(beta, expected, atol=1e-10)


def test_constraints_without_rows():
    beta = least_squares(
        np.zeros((0, 2)), np.zeros(0), constraints=(np.eye(2), np.array([3.0, 4.0]))
    )
    np.testing.assert_allclose(beta, [3.0, 4.0])


def test_rank_deficient_design_gets_the_minimum_norm_solution():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(20, 3))
    X = np.hstack([base, base[:, :1] + base[:, 1:2]])  # 4th column = 1st + 2nd
    y = rng.normal(size=20)
    np.testing.assert_allclose(least_squares(X, y), np.linalg.pinv(X) @ y, atol=1e-10)


def test_least_squares_path_matches_each_prefix_fit():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(60, 8)), rng.normal(size=60)
    sizes = np.array([0, 1, 3, 8])
    path = least_squares_path(X, y, sizes)
    assert path[0].shape == (0,)
    for k, beta in zip(sizes[1:], path[1:], strict=True):
        np.testing.assert_allclose(beta, np.linalg.lstsq(X[:, :k], y, rcond=None)[0], atol=1e-10)


def test_least_squares_path_handles_dependent_columns():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 3))
    X = np.column_stack([X, X[:, 0] + X[:, 1]])  # column 3 is dependent
    y = X[:, :3] @ np.array([1.0, -2.0, 0.5])
    (beta,) = least_squares_path(X, y, np.array([4]))
    np.testing.assert_allclose(X @ beta, y, atol=1e-8)


def test_one_blas_thread_limits_scipys_blas_even_when_scipy_loads_after_numpy():
    """Fresh interpreter: numpy only, then the first limited call, then scipy's BLAS must
    also run on one thread inside it (each wheel ships its own OpenBLAS)."""
    import subprocess
    import sys

    code = (
        "import numpy\n"
        "from threadpoolctl import threadpool_info\n"
        "from ablatio.transforms.solve import one_blas_thread\n"
        "@one_blas_thread\n"
        "def inside():\n"
        "    import scipy.linalg\n"
        "    return [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
        "print(inside())\n"
    )
    env = {"OPENBLAS_NUM_THREADS": "2", "PATH": "", "PYTHONPATH": ":".join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    threads = eval(out.stdout.strip())  # noqa: S307 - a list of ints printed by the child
    assert threads and all(t == 1 for t in threads), threads


@pytest.mark.parametrize(("rows", "columns"), [(60, 8), (20, 40)])
def test_ridge_loo_equals_brute_force_leave_one_out(rows, columns):
    # tall and wide designs (their spectra come from ZᵀZ and ZZᵀ), each with a part kept in
    # every row: a constant column, which must get no slope and change no leverage
    rng = np.random.default_rng(0)
    X = (rng.random((rows, columns)) < 0.5).astype(float)
    y = X @ rng.normal(size=columns) + 0.3 * rng.normal(size=rows)
    w = rng.random(rows) + 0.5
    alpha = 3.0
    fit = ridge_loo(np.hstack([X, np.ones((rows, 1))]), y, weights=w, alphas=np.array([alpha]))
    assert fit.coef[-1] == 0.0
    mean, scale = w @ X / w.sum(), np.sqrt(w @ (X - w @ X / w.sum()) ** 2 / w.sum())
    Z = np.hstack([np.ones((rows, 1)), (X - mean) / scale])
    errors = []
    for i in range(rows):
        keep = np.arange(rows) != i
        W = np.diag(w[keep])
        A = Z[keep].T @ W @ Z[keep] + alpha * np.diag([0.0] + [1.0] * columns)
        beta = np.linalg.solve(A, Z[keep].T @ W @ y[keep])
        errors.append(y[i] - Z[i] @ beta)
    ybar = w @ y / w.sum()
    expected = 1 - w @ np.square(errors) / (w @ (y - ybar) ** 2)
    assert fit.loo_r2 == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(fit.loo_residuals, errors, rtol=1e-9)
    full = np.linalg.solve(
        Z.T @ np.diag(w) @ Z + alpha * np.diag([0.0] + [1.0] * columns), Z.T @ (w * y)
    )
    np.testing.assert_allclose(fit.coef[:-1], full[1:] / scale, rtol=1e-9)
    mean_only = ridge_loo(X[:, :0], y, weights=w)
    brute = [y[i] - np.average(np.delete(y, i), weights=np.delete(w, i)) for i in range(rows)]
    np.testing.assert_allclose(mean_only.loo_residuals, brute, rtol=1e-12)
