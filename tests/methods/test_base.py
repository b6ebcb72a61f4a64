"""The Method contract: params, clone, not-fitted error, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from ablatio import Exact, clone, sparse_and_game
from ablatio.exceptions import NotFittedError, ParameterError


def test_get_set_params_and_clone():
    m = Exact(max_order=2, basis="fourier")
    assert m.get_params()["max_order"] == 2
    c = clone(m)
    assert c.get_params() == m.get_params() and c is not m
    m.set_params(max_order=3)
    assert m.max_order == 3
    with pytest.raises(ParameterError, match="no parameter"):
        m.set_params(depth=1)
    assert "Exact(max_order=3" in repr(m)


def test_constructor_only_stores():
    m = Exact(max_order=-5)  # invalid, but checked in fit
    assert m.max_order == -5
    with pytest.raises(ParameterError, match="max_order == -5"):
        m.fit(sparse_and_game(4, 2, 2, random_state=0))


def test_not_fitted_and_refit_identical():
    m = Exact()
    with pytest.raises(NotFittedError, match="not fitted"):
        m.predict(np.ones((1, 4), dtype=bool))
    game = sparse_and_game(7, 4, 3, random_state=1)
    first = m.fit(game).interactions_
    assert m.fit(game).interactions_ == first


def test_fit_rejects_plain_functions():
    with pytest.raises(ParameterError, match="wrap a plain function"):
        Exact().fit(lambda masks: masks.sum(axis=1))
