"""Identity digests: equal for equal models and data, different when what matters changes."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from ablatio._identity import array_id, digest, estimator_id


def test_estimator_id_survives_copies_and_sees_fitted_values():
    sklearn = pytest.importorskip("sklearn.ensemble")
    X = np.random.default_rng(0).normal(size=(60, 3))
    model = sklearn.RandomForestRegressor(n_estimators=5, random_state=0).fit(X, X[:, 0])
    same = estimator_id(model)
    model.predict(X[:2])  # using a model does not change its identity
    assert estimator_id(model) == same
    assert estimator_id(pickle.loads(pickle.dumps(model))) == same
    assert estimator_id(copy.deepcopy(model)) == same
    refit = sklearn.RandomForestRegressor(n_estimators=5, random_state=0).fit(X, X[:, 1])
    assert estimator_id(refit) != same
    assert estimator_id(model.predict) == f"{same}.predict"


def test_functions_are_told_apart_by_their_code():
    def f(x):
        return x + 1

    def g(x):
        return x + 2

    assert estimator_id(f) != estimator_id(g)
    assert estimator_id(f).startswith("function:")


def test_array_id_covers_values_dtype_and_columns():
    pd = pytest.importorskip("pandas")
    a = np.arange(6.0).reshape(2, 3)
    assert array_id(a) == array_id(a.copy())
    assert array_id(a) != array_id(a.astype(np.float32))
    assert array_id(a) != array_id(a.reshape(3, 2))
    frame = pd.DataFrame(a, columns=["x", "y", "z"])
    assert array_id(frame) != array_id(frame.rename(columns={"z": "w"}))
    assert array_id(np.array(["a", 1], dtype=object)) != array_id(np.array(["a", 2], dtype=object))


def test_digest_is_order_free():
    assert digest({"a": 1, "b": [1, 2]}) == digest({"b": [1, 2], "a": 1})
    assert digest({"a": 1}) != digest({"a": 2})


def test_estimator_id_is_the_same_in_another_process():
    """Tree nodes are structured arrays with padding bytes; the padding must not count."""
    import subprocess
    import sys

    pytest.importorskip("sklearn")
    code = (
        "import numpy as np\n"
        "from sklearn.ensemble import GradientBoostingRegressor\n"
        "from ablatio._identity import estimator_id\n"
        "X = np.random.default_rng(0).normal(size=(80, 4))\n"
        "print(estimator_id(GradientBoostingRegressor(random_state=0).fit(X, X[:, 0])))\n"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(runs) == 1
