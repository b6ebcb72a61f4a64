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
