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

from ablatio.exceptions import ParameterError

__all__ = ["Backend", "SerialBackend", "ThreadBackend", "get_backend"]

ValueFunction = Callable[[np.ndarray], Any]


class Backend(ABC):
    """Evaluates ``fn`` on each batch of masks and yields the raw results in batch order."""

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
