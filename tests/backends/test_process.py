"""ProcessBackend: batches evaluated in spawned worker processes, results in order."""

from __future__ import annotations

import pytest

import ablatio
from ablatio import Game
from ablatio.backends.base import get_backend
from ablatio.backends.process import ProcessBackend
from ablatio.exceptions import EvaluationError, ParameterError


def test_get_backend_builds_process_backend():
    backend = get_backend("processes")
    assert isinstance(backend, ProcessBackend)
    backend.close()


def test_invalid_settings_raise():
    with pytest.raises(ParameterError, match="max_workers"):
        ProcessBackend(0)
    with pytest.raises(ParameterError, match="max_in_flight"):
        ProcessBackend(2, max_in_flight=0)


def test_identical_to_serial_and_cached(tmp_path):
    game = ablatio.hierarchical_game(8, n_terms=10, max_order=3, noise_sd=0.05, random_state=2)
    serial = ablatio.explain(Game(game, batch_size=20), method="exact").interactions
    with Game(
        game, batch_size=20, backend=ProcessBackend(2, max_in_flight=3), cache=tmp_path / "p.sqlite"
    ) as g:
        assert ablatio.explain(g, method="exact").interactions == serial
        assert g.n_evaluated == 2**8


def _crash(masks):
    raise RuntimeError("model crashed in a worker")


def test_worker_error_becomes_evaluation_error():
    with Game(_crash, n=3, backend=ProcessBackend(1)) as g:
        with pytest.raises(EvaluationError, match="model crashed in a worker"):
            g([[1, 0, 1]])


def _hang_when_all_ablated(masks):
    """Sum of kept parts; never returns for the all-ablated mask (a hung model)."""
    import time

    if not masks.any(axis=1).all():
        time.sleep(3600)
    return masks.sum(axis=1).astype(float)


def test_timeout_kills_a_hung_worker_and_keeps_finished_batches(tmp_path):
    import time

    from ablatio.games.cache import AblationCache

    path = tmp_path / "hang.sqlite"
    with Game(
        _hang_when_all_ablated, n=3, batch_size=1, cache=path, backend=ProcessBackend(1), timeout=3
    ) as g:
        assert g([[1, 1, 1], [1, 0, 1]]).tolist() == [3.0, 2.0]
        start = time.monotonic()
        with pytest.raises(EvaluationError, match=r"batch 2 of 3 .*timeout=3.0s.*stopped"):
            g([[0, 1, 1], [0, 0, 0], [1, 1, 0]])
        assert time.monotonic() - start < 30
        assert g([[0, 0, 1]]).tolist() == [1.0]  # a fresh pool serves the next call
        fingerprint = g.fingerprint
    with AblationCache(path, fingerprint=fingerprint, n_players=3) as cache:
        assert len(cache) == 4  # 2 + the batch finished before the hung one + 1
