"""Game(timeout=...): enforced only by backends that can stop a worker, refused otherwise."""

from __future__ import annotations

import pytest

from ablatio import Game
from ablatio.backends.base import ThreadBackend
from ablatio.exceptions import ParameterError


def _kept(masks):
    return masks.sum(axis=1).astype(float)


@pytest.mark.parametrize("backend", [None, "serial", "threads", ThreadBackend(2)])
def test_in_process_backends_say_they_cannot_enforce_a_timeout(backend):
    with pytest.raises(ParameterError, match="cannot be interrupted.*'processes'.*'ray'"):
        Game(_kept, n=3, backend=backend, timeout=5)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), True, "5"])
def test_invalid_timeouts_are_refused(bad):
    with pytest.raises(ParameterError, match="timeout =="):
        Game(_kept, n=3, backend="processes", timeout=bad)


def test_no_timeout_is_the_default():
    with Game(_kept, n=3) as game:
        assert game.timeout is None
        assert game([[1, 0, 1]]).tolist() == [2.0]
