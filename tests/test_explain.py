"""The public entry point ``ablatio.explain``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import ablatio
from ablatio.exceptions import BudgetTooSmallError, ParameterError


def test_documented_call_works():
    game = ablatio.sparse_and_game(8, 5, 3, random_state=0)
    expl = ablatio.explain(game, 8, method="exact", budget=None, max_order=3, random_state=0)
    masks = np.random.default_rng(0).random((10, 8)) < 0.5
    assert expl.predict(masks).shape == (10,)
    assert expl.n_queries == 256
    assert expl.interactions.allclose(game.true_interactions, atol=1e-10)


def test_plain_function_with_names_and_cache(tmp_path):
    def fn(m):  # a def function: its code is its cache identity (a lambda needs name/version)
        return 2.0 * m[:, 0] * m[:, 2] - m[:, 1]

    expl = ablatio.explain(fn, 3, feature_names=["a", "b", "c"], cache=tmp_path / "c.sqlite")
    assert expl.interactions[(0, 2)] == pytest.approx(2.0)
    assert expl.interactions.feature_names == ("a", "b", "c")
    assert "a × c" in repr(expl)


def test_errors_are_clear():
    fn = lambda m: m.sum(axis=1).astype(float)  # noqa: E731
    with pytest.raises(ParameterError, match="choose one of"):
        ablatio.explain(fn, 3, method="magic")
    with pytest.raises(ParameterError, match="no option 'depth'"):
        ablatio.explain(fn, 3, options={"depth": 2})
    with pytest.raises(BudgetTooSmallError, match="budget=4 < 8"):
        ablatio.explain(fn, 3, budget=4)
    with pytest.raises(ParameterError, match="n == 0"):
        ablatio.explain(fn, 0)


def test_same_seed_identical_across_processes():
    code = (
        "import ablatio;"
        "g=ablatio.sparse_and_game(10,6,3,noise_sd=0.3,random_state=4);"
        "e=ablatio.explain(g,method='exact',max_order=2,random_state=0);"
        "print(e.interactions.coefficients.tobytes().hex(), e.interactions.terms)"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }
    assert len(runs) == 1
