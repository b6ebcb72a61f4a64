"""DataTarget's built-in retrainings run single-threaded, and the limit ends with the call."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info, threadpool_limits


def _threads() -> list[int]:
    return sorted(info["num_threads"] for info in threadpool_info())


def test_data_target_retrains_single_threaded_and_restores(monkeypatch):
    pytest.importorskip("sklearn")
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from ablatio.targets.data import DataTarget

    seen: list[list[int]] = []

    class Probe(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            seen.append(_threads())
            return super().fit(X, y, sample_weight)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    target = DataTarget(X, y, X[:4], y[:4], estimator=Probe(), n_groups=4, random_state=0)
    with threadpool_limits(limits=2):
        before = _threads()
        target(np.ones((2, 4), dtype=bool))
        assert _threads() == before
    assert seen and all(set(t) == {1} for t in seen)
