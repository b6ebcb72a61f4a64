"""Process-pool backend: evaluate batches in worker processes of this machine.

Suits CPU-bound value functions in pure Python that hold the GIL. The function and each
batch are pickled to the workers (define the function at module level, or use a target
object). Workers start with ``spawn`` so that no lock or thread of the parent is copied.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import numpy as np

from ablatio.backends.base import Backend, ValueFunction, timed_out
from ablatio.exceptions import EvaluationError, ParameterError

#: Seconds allowed for starting the worker processes before a timed run (not counted in it).
_STARTUP_S = 300.0


def _ready() -> bool:
    return True


__all__ = ["ProcessBackend"]


class ProcessBackend(Backend):
    """Evaluate up to ``max_workers`` batches at once in worker processes.

    Parameters
    ----------
    max_workers : int, default=2
        Worker processes (kept alive until :meth:`close`).
    max_in_flight : int, optional
        Batches submitted and not yet collected (default ``2 * max_workers``).

    With ``map(..., timeout=t)`` (``Game(timeout=t)``) the workers are started first (not
    counted), then each result is awaited at most ``t`` seconds after the previous one; on
    a timeout every worker process is killed (a new pool starts on the next call).
    """

    can_stop_workers = True

    def __init__(self, max_workers: int = 2, *, max_in_flight: int | None = None) -> None:
        if not isinstance(max_workers, int) or max_workers < 1:
            msg = f"max_workers == {max_workers!r}, must be an int >= 1"
            raise ParameterError(msg)
        if max_in_flight is not None and (not isinstance(max_in_flight, int) or max_in_flight < 1):
            msg = f"max_in_flight == {max_in_flight!r}, must be None or an int >= 1"
            raise ParameterError(msg)
        self.max_workers = max_workers
        self.max_in_flight = max_in_flight
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.max_workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    def map(
        self, fn: ValueFunction, batches: Sequence[np.ndarray], *, timeout: float | None = None
    ) -> Iterator[Any]:
        pool = self._executor()
        if timeout is not None and batches:
            starting = [pool.submit(_ready) for _ in range(self.max_workers)]
            try:
                for future in starting:
                    future.result(timeout=_STARTUP_S)
            except FutureTimeout:
                self._kill()
                msg = f"the worker processes did not start within {_STARTUP_S:.0f} s"
                raise EvaluationError(msg) from None
        window = self.max_in_flight or 2 * self.max_workers
        pending: deque[Future[Any]] = deque()
        submitted = collected = 0
        try:
            while submitted < len(batches) or pending:
                while submitted < len(batches) and len(pending) < window:
                    pending.append(pool.submit(fn, batches[submitted]))
                    submitted += 1
                try:
                    result = pending.popleft().result(timeout=timeout)
                except FutureTimeout:
                    self._kill()
                    raise timed_out(
                        collected + 1, len(batches), timeout or 0.0, "worker process"
                    ) from None
                collected += 1
                yield result
        finally:
            for future in pending:
                future.cancel()

    def _kill(self) -> None:
        """Kill every worker process at once (a hung one ignores polite requests)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            process.kill()
        for process in processes:
            process.join()
        pool.shutdown(wait=bool(processes), cancel_futures=True)

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
