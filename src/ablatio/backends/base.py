"""The backend interface: map a value function over batches of masks, results in order.

A backend only decides *where* batches run; the :class:`~ablatio.games.game.Game` checks
every result and commits it to the cache as soon as it arrives, so a backend that streams
results (threads, Ray) loses nothing when the run is interrupted.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ablatio.exceptions import EvaluationError, ParameterError

__all__ = ["Backend", "SerialBackend", "ThreadBackend", "check_timeout", "get_backend"]

ValueFunction = Callable[[np.ndarray], Any]


class Backend(ABC):
    """Evaluates ``fn`` on each batch of masks and yields the raw results in batch order.

    A backend that can stop a running worker sets ``can_stop_workers = True`` and accepts
    ``map(fn, batches, timeout=seconds)``: it waits at most ``timeout`` seconds for each
    result, then stops the worker and raises :class:`~ablatio.exceptions.EvaluationError`.
    """

    #: Whether ``map`` accepts ``timeout=`` (the backend can stop a hung worker).
    can_stop_workers = False

    @abstractmethod
    def map(self, fn: ValueFunction, batches: Sequence[np.ndarray]) -> Iterator[Any]:
        """Yield ``fn(batch)`` for every batch, in order."""

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release workers (no-op by default)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialBackend(Backend):
    """Evaluate batches one after another in the calling thread (the default)."""

    def map(self, fn: ValueFunction, batches: Sequence[np.ndarray]) -> Iterator[Any]:
        for batch in batches:
            yield fn(batch)


class ThreadBackend(Backend):
    """Evaluate up to ``max_workers`` batches concurrently in threads.

    Suits value functions that release the GIL or wait on I/O (HTTP endpoints, torch).
    Results are yielded in batch order as soon as each is available.
    """

    def __init__(self, max_workers: int = 4) -> None:
        if max_workers < 1:
            msg = f"max_workers == {max_workers}, must be >= 1"
            raise ParameterError(msg)
        self.max_workers = max_workers

    def map(self, fn: ValueFunction, batches: Sequence[np.ndarray]) -> Iterator[Any]:
        with ThreadPoolExecutor(self.max_workers) as pool:
            futures = [pool.submit(fn, batch) for batch in batches]
            try:
                for future in futures:
                    yield future.result()
            finally:
                for future in futures:
                    future.cancel()


def check_timeout(timeout: float | None, backend: Backend) -> float | None:
    """A valid per-batch timeout for ``backend``, or a ParameterError saying why not."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < 1e9:
        msg = f"timeout == {timeout!r}, must be None or a number of seconds > 0"
        raise ParameterError(msg)
    if not backend.can_stop_workers:
        msg = (
            f"timeout={timeout} cannot be enforced by {type(backend).__name__}: a value function "
            "running in this process (or its threads) cannot be interrupted. Use "
            "backend='processes' or backend='ray', whose workers can be stopped"
        )
        raise ParameterError(msg)
    return float(timeout)


def timed_out(number: int, n_batches: int, timeout: float, worker: str) -> EvaluationError:
    """The error of a batch that gave no result within ``timeout`` seconds."""
    msg = (
        f"batch {number} of {n_batches} gave no result within timeout={timeout}s; its {worker} "
        "was stopped. Every batch finished before it is kept in the cache; raise timeout= "
        "if the value function is only slow"
    )
    return EvaluationError(msg)


def get_backend(backend: str | Backend | None) -> Backend:
    """Resolve ``None``/``"serial"``, ``"threads"``, ``"processes"``, ``"ray"`` or a Backend."""
    if backend is None or backend == "serial":
        return SerialBackend()
    if isinstance(backend, Backend):
        return backend
    if backend == "threads":
        return ThreadBackend()
    if backend == "processes":
        from ablatio.backends.process import ProcessBackend

        return ProcessBackend()
    if backend == "ray":
        from ablatio.backends.ray import RayBackend

        return RayBackend()
    msg = (
        f"backend == {backend!r}; choose 'serial', 'threads', 'processes', 'ray' or a "
        "Backend instance"
    )
    raise ParameterError(msg)
