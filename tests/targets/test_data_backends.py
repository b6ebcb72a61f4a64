"""DataTarget on ablatio backends (threads, a local Ray runtime): bit-identical to serial."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import ablatio
from ablatio import Game
from ablatio.backends.base import ThreadBackend
from ablatio.exceptions import ParameterError
from ablatio.targets.data import DataTarget

_RAY_DIR = Path.home() / ".ray"


@pytest.fixture(scope="module")
def data() -> dict:
    rng = np.random.default_rng(5)
    centers = rng.normal(scale=2.0, size=(3, 4))
    y = np.repeat(np.arange(3), 20)
    X = centers[y] + rng.normal(size=(60, 4))
    return {
        "X": X, "y": y, "X_test": centers + 0.3, "y_test": np.arange(3),
        "estimator": LogisticRegression(max_iter=300), "n_groups": 12, "random_state": 0,
    }  # fmt: skip


def _masks(n: int) -> np.ndarray:
    masks = np.random.default_rng(1).random((23, n)) < 0.5
    masks[0] = False  # the empty set falls back to the prior
    return masks


def test_thread_backend_equals_serial_bit_for_bit(data):
    serial = DataTarget(**data)
    threaded = DataTarget(**data, backend=ThreadBackend(2), chunk_size=3)
    masks = _masks(serial.n_players)
    np.testing.assert_array_equal(threaded(masks), serial(masks))
    assert threaded.n_fallbacks == serial.n_fallbacks >= 1
    assert threaded.fingerprint() == serial.fingerprint()  # where it runs is not what it is


def test_user_training_loop_on_a_backend():
    def train_and_score(rows):
        return float(rows.sum() % 7) + 0.5 * len(rows)

    X, y = np.zeros((10, 1)), np.zeros(10)
    common = {"train_and_score": train_and_score, "groups": [[i, i + 5] for i in range(5)]}
    serial = DataTarget(X, y, X[:1], y[:1], **common)
    threaded = DataTarget(X, y, X[:1], y[:1], backend="threads", **common)
    masks = _masks(5)
    np.testing.assert_array_equal(threaded(masks), serial(masks))


def test_bad_chunk_size_raises(data):
    with pytest.raises(ParameterError, match="chunk_size == 0"):
        DataTarget(**data, backend="threads", chunk_size=0)
    with pytest.raises(ParameterError, match="backend == 'gpu'"):
        DataTarget(**data, backend="gpu")


@pytest.mark.slow
def test_ray_backend_explanation_is_bit_identical(data, tmp_path, monkeypatch):
    ray = pytest.importorskip("ray")
    from ablatio.backends.ray import RayBackend

    # Ray's token file ~/.ray/auth_token is shared by every local cluster of this user: another
    # test run removing it made the GCS abort at start; a local test cluster needs no token
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    existed = _RAY_DIR.exists()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        serial = DataTarget(**data)
        distributed = DataTarget(**data, backend=RayBackend(max_in_flight=4), chunk_size=8)
        masks = _masks(serial.n_players)
        np.testing.assert_array_equal(distributed(masks), serial(masks))
        assert distributed.n_fallbacks == serial.n_fallbacks
        expected = ablatio.explain(serial, method="banzhaf", budget=60, random_state=0)
        with Game(distributed, cache=tmp_path / "ray.sqlite", batch_size=16) as game:
            got = ablatio.explain(game, method="banzhaf", budget=60, random_state=0)
        assert got.interactions == expected.interactions
    finally:
        ray.shutdown()
        if not existed:
            shutil.rmtree(_RAY_DIR, ignore_errors=True)
