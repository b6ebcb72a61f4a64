"""Ray backend: ship batches of ablations to Ray workers, stream results back in order.

``pip install 'ablatio[ray]'``. With no address, the backend starts (and on ``close``
stops) a local Ray runtime unless one is already running in this process. To use an
existing cluster, either connect first and let the backend reuse the connection::

    import ray
    ray.init(address="ray://head-node:10001")      # or "auto" on a cluster node
    game = ablatio.Game(target, cache="run.sqlite", backend="ray")

or give the address to the backend, which then connects on first use::

    game = ablatio.Game(target, backend=RayBackend(address="ray://head-node:10001"))

The value function is pickled once (``ray.put``) and every batch runs as one Ray task.
At most ``max_in_flight`` tasks are pending; results are yielded in batch order as they
complete, so the :class:`~ablatio.games.game.Game` commits each batch to its SQLite cache
as soon as it and all earlier batches are done. The cache stays on the driver: workers
need no access to the file.
"""

from __future__ import annotations

import importlib.util
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ablatio._optional import require
from ablatio.backends.base import Backend, ValueFunction, timed_out
from ablatio.exceptions import ParameterError

__all__ = ["RayBackend"]


def _evaluate(fn: ValueFunction, batch: np.ndarray) -> Any:
    return fn(batch)


class RayBackend(Backend):
    """Evaluate batches as Ray tasks.

    Parameters
    ----------
    address : str, optional
        Ray cluster to connect to (``"auto"``, ``"ray://host:10001"``, ...). ``None`` reuses
        a runtime already started in this process, or starts a local one.
    max_in_flight : int, default=8
        Largest number of batches submitted and not yet collected (bounds driver memory).
    num_cpus : float, default=1
        CPUs Ray reserves per task (``num_gpus``-style resources go in ``init_kwargs``).
    init_kwargs : dict, optional
        Extra arguments of ``ray.init`` when this backend starts or connects to Ray.

    With ``map(..., timeout=t)`` (``Game(timeout=t)``) each result is awaited at most ``t``
    seconds after the previous one; on a timeout the task's worker is killed
    (``ray.cancel(force=True)``) and the other pending tasks are cancelled.
    """

    can_stop_workers = True

    def __init__(
        self,
        address: str | None = None,
        *,
        max_in_flight: int = 8,
        num_cpus: float = 1,
        init_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if importlib.util.find_spec("ray") is None:  # say so before any work, not per batch
            require("ray", extra="ray")
        if not isinstance(max_in_flight, int) or max_in_flight < 1:
            msg = f"max_in_flight == {max_in_flight!r}, must be an int >= 1"
            raise ParameterError(msg)
        if num_cpus <= 0:
            msg = f"num_cpus == {num_cpus!r}, must be > 0"
            raise ParameterError(msg)
        self.address = address
        self.max_in_flight = max_in_flight
        self.num_cpus = num_cpus
        self.init_kwargs = dict(init_kwargs or {})
        self._started = False
        self._remote: Any = None

    def _ray(self) -> Any:
        ray = require("ray", extra="ray")
        if not ray.is_initialized():
            ray.init(address=self.address, **{"include_dashboard": False, **self.init_kwargs})
            self._started = True
        if self._remote is None:
            self._remote = ray.remote(num_cpus=self.num_cpus)(_evaluate)
        return ray

    def map(
        self, fn: ValueFunction, batches: Sequence[np.ndarray], *, timeout: float | None = None
    ) -> Iterator[Any]:
        if not batches:
            return
        ray = self._ray()
        fn_ref = ray.put(fn)
        pending: deque[Any] = deque()
        submitted = collected = 0
        try:
            while submitted < len(batches) or pending:
                while submitted < len(batches) and len(pending) < self.max_in_flight:
                    pending.append(self._remote.remote(fn_ref, batches[submitted]))
                    submitted += 1
                ref = pending.popleft()
                try:
                    result = ray.get(ref, timeout=timeout)
                except ray.exceptions.GetTimeoutError:
                    ray.cancel(ref, force=True)
                    raise timed_out(
                        collected + 1, len(batches), timeout or 0.0, "Ray worker"
                    ) from None
                collected += 1
                yield result
        finally:
            for ref in pending:
                ray.cancel(ref, force=timeout is not None)

    def close(self) -> None:
        """Shut Ray down if this backend started it (a runtime it found is left running)."""
        if self._started:
            ray = require("ray", extra="ray")
            ray.shutdown()
            self._started = False
        self._remote = None
