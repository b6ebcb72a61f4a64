from __future__ import annotations

import warnings

import numpy as np
import pytest

from ablatio.audit.mappers import MapperSettings, fit_predict
from ablatio.exceptions import ParameterError


def test_fit_predict_errors_and_ffnn_shape():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(30, 4)), rng.normal(size=(30, 3))
    with pytest.raises(ParameterError, match="mapper"):
        fit_predict("svm", X, Y, X, settings=MapperSettings(), rng=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pred = fit_predict("ffnn", X, Y, X[:5], settings=MapperSettings(max_iter=5), rng=rng)
    assert pred.shape == (5, 3)


def test_ffnn_lanczos_maps_span_the_svd_subspaces(monkeypatch):
    # above _DENSE_SVD_MAX rows and columns the rank-limited input / target maps come from
    # Lanczos on a sparse Gram operator: same subspaces as LAPACK's SVD of the dense matrix
    from scipy import sparse

    from ablatio.audit import mappers

    rng = np.random.default_rng(4)
    Y = (rng.random((160, 140)) < 0.06) * rng.integers(5, 31, (160, 140)).astype(float)
    Y[:, 3] = 0.0  # a constant column (standardised by sd = 1)
    dense_x, dense_encode = mappers._input_map(Y, 12)
    dense_y, dense_decode = mappers._target_map(Y, 12)
    monkeypatch.setattr(mappers, "_DENSE_SVD_MAX", 50)
    Ys = sparse.csr_matrix(Y)
    large_x, large_encode = mappers._input_map(Ys, 12)
    large_y, large_decode = mappers._target_map(Ys, 12)
    # same coordinates up to an orthogonal change of basis: equal Gram matrices of the rows
    for dense, large in ((dense_x, large_x), (dense_y, large_y)):
        assert large.dtype == np.float32 and large.shape == dense.shape
        np.testing.assert_allclose(large @ large.T, dense @ dense.T, rtol=1e-3, atol=1e-3)
    new = Ys[:5]
    np.testing.assert_allclose(
        large_encode(new) @ large_encode(new).T, dense_encode(Y[:5]) @ dense_encode(Y[:5]).T,
        rtol=1e-3, atol=1e-3,
    )  # fmt: skip
    # decoding the training coordinates reconstructs the same rank-12 approximation of Y
    np.testing.assert_allclose(large_decode(large_y), dense_decode(dense_y), atol=1e-3)
