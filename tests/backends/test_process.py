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
