"""``Game``: a value function over boolean masks, evaluated in checked, cached batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ablatio._identity import callable_id, digest, identity_stated
from ablatio._progress import resolve_progress
from ablatio._validation import (
    check_feature_names,
    check_flag,
    check_masks,
    check_n_players,
    check_part_keys,
    check_values,
)
from ablatio.backends.base import Backend, check_timeout, get_backend
from ablatio.exceptions import (
    AblatioError,
    BudgetExceededError,
    EvaluationError,
    GameIdentityError,
    ParameterError,
    ValueFunctionError,
)
from ablatio.games.cache import AblationCache, pack_masks

__all__ = ["Game", "Progress", "QueryTracker"]


@dataclass(frozen=True)
class Progress:
    """What a progress callback receives after each evaluated batch.

    Attributes
    ----------
    done : int
        Masks evaluated so far in the current call (cache hits excluded).
    total : int
        Masks that the current call has to evaluate.
    n_queries : int
        Distinct masks requested from the game since it was created.
    n_cached : int
        Masks served by the cache file since the game was created.
    """

    done: int
    total: int
    n_queries: int
    n_cached: int


class QueryTracker:
    """Counts the distinct masks requested while it is active; optionally enforces a budget."""

    def __init__(self, budget: int | None = None) -> None:
        self.budget = budget
        self._seen: set[bytes] = set()

    @property
    def n_queries(self) -> int:
        """Distinct masks requested while tracking."""
        return len(self._seen)

    @property
    def seen(self) -> frozenset[bytes]:
        """Packed keys (``np.packbits(mask).tobytes()``) of the masks requested so far."""
        return frozenset(self._seen)

    def _admit(self, keys: Sequence[bytes]) -> None:
        new = [k for k in keys if k not in self._seen]
        if self.budget is not None and len(self._seen) + len(new) > self.budget:
            msg = (
                f"the method asked for {len(self._seen) + len(new)} distinct ablations, more "
                f"than its budget of {self.budget}"
            )
            raise BudgetExceededError(msg)
        self._seen.update(new)


class Game:
    """A value function ``f(masks) -> values`` over ``n`` parts, evaluated safely.

    ``masks`` is ``bool (n_masks, n_players)`` with True = part kept, False = ablated; the
    function returns one float per mask. The game de-duplicates masks, evaluates the new ones in
    batches through a backend, checks every batch (shape, dtype, finiteness), stores each
    finished batch in the optional SQLite cache and counts distinct ablations.

    Parameters
    ----------
    fn : callable or target
        ``fn(masks) -> values``. An object with ``n_players`` (and optionally
        ``player_names`` and ``fingerprint()``) supplies ``n``, names and fingerprint itself.
    n : int, optional
        Number of parts; required unless ``fn`` has ``n_players``.
    feature_names : sequence of str, optional
        One unique name per part.
    part_keys : sequence of str or False, optional
        What each part is, e.g. its word (default: the target's ``part_keys``, which text
        targets supply; ``False``: none, even when the target has them). Parts that share a
        key are expected to act alike: the best-of stage of SPEX and ProxySPEX then also fits
        slopes shared by those parts (:func:`~ablatio.methods._alternatives.tied_lasso`). Never part
        of the cache identity.
    ordered : bool, optional
        Whether the parts are consecutive pieces of one sequence, in order (a text's words or
        sentences; default: the target's ``ordered``, True for text targets, else False).
        Nearby parts of a sequence tend to interact (a negation, a phrase): the best-of stage
        then also fits the pairs of parts a few positions apart
        (:data:`~ablatio.methods._alternatives.LOCAL`). Never part of the cache identity.
    name : str, optional
        Name used in the cache fingerprint (default: the function's qualified name).
    version : str, optional
        States the identity yourself: with ``version`` (and ``name`` for a lambda, partial or
        callable object) the fingerprint is name + version (+ the target's own description),
        not the function's code. Change it whenever the values change.
    batch_size : int, default=256
        Masks per call of ``fn`` (and per committed cache transaction).
    cache : str or Path, optional
        SQLite file storing every evaluated mask; re-used automatically on the next run. Needs
        an identity that determines the values (see Notes); otherwise
        :class:`~ablatio.exceptions.GameIdentityError` says how to state one.
    normalize : bool, default=False
        Divide every value by the value of the full input (all parts kept).
    progress : callable or bool, optional
        Called with a :class:`Progress` after every evaluated batch; ``True`` shows a
        progress bar (tqdm) counting distinct ablations, closed by :meth:`close`.
    backend : {"serial", "threads", "processes", "ray"} or Backend, optional
        Where batches run (default: serially in this thread).
    timeout : float, optional
        Seconds to wait for each batch's result before stopping its worker and raising
        :class:`~ablatio.exceptions.EvaluationError` (batches finished before it stay in the
        cache). Needs a backend that can stop a worker (``"processes"``, ``"ray"``): a
        function running in this process or its threads cannot be interrupted.

    Attributes
    ----------
    n_queries : int
        Distinct masks requested so far.
    n_evaluated : int
        Masks actually evaluated by ``fn`` in this process (cache misses).
    n_cached : int
        Masks served from the cache file.
    fingerprint : str or None
        Identity of the game the cache file is bound to (None without a cache).
    part_keys : tuple of str or None
        What each part is (``part_keys`` above).
    ordered : bool
        Whether the parts form a sequence (``ordered`` above).

    Notes
    -----
    The fingerprint hashes ``n``, ``name``, ``version`` and the identity of ``fn``
    (:func:`ablatio._identity.callable_id`): a target's ``fingerprint()``, or a ``def``
    function's module, name and code digest (bytecode, constants, defaults, captured values).
    A lambda, a callable object without ``fingerprint()`` or a closure over an undescribable
    object has no identity: a cached game then needs ``name=`` and ``version=``.

    Examples
    --------
    >>> import numpy as np
    >>> from ablatio import Game
    >>> game = Game(lambda m: m.sum(axis=1).astype(float), n=3)
    >>> game(np.array([[1, 1, 0], [1, 1, 0], [0, 0, 0]], dtype=bool))
    array([2., 2., 0.])
    >>> game.n_queries
    2
    """

    def __init__(
        self,
        fn: Callable[[np.ndarray], Any],
        n: int | None = None,
        *,
        feature_names: Sequence[str] | None = None,
        part_keys: Sequence[str] | Literal[False] | None = None,
        ordered: bool | None = None,
        name: str | None = None,
        version: str | None = None,
        batch_size: int = 256,
        cache: str | Path | None = None,
        normalize: bool = False,
        progress: Callable[[Progress], None] | bool | None = None,
        backend: str | Backend | None = None,
        timeout: float | None = None,
    ) -> None:
        if not callable(fn):
            msg = f"fn must be callable (masks -> values), got {type(fn).__name__}"
            raise ParameterError(msg)
        target_n = getattr(fn, "n_players", None)
        if n is None:
            if target_n is None:
                msg = "n is required: pass the number of parts, e.g. Game(fn, n=16)"
                raise ParameterError(msg)
            n = target_n
        elif target_n is not None and target_n != n:
            msg = f"n == {n} but the target has n_players == {target_n}"
            raise ParameterError(msg)
        self.n_players = check_n_players(n)
        if feature_names is None:
            feature_names = getattr(fn, "player_names", None)
        self.feature_names = check_feature_names(feature_names, self.n_players)
        if part_keys is None:
            part_keys = getattr(fn, "part_keys", None)
        self.part_keys = check_part_keys(part_keys, self.n_players)
        if ordered is None:
            ordered = getattr(fn, "ordered", False)
        self.ordered = check_flag(ordered, "ordered")
        if not isinstance(batch_size, int) or batch_size < 1:
            msg = f"batch_size == {batch_size!r}, must be a positive int"
            raise ParameterError(msg)
        self.fn = fn
        self.name = name or getattr(fn, "__qualname__", type(fn).__name__)
        self.version = "" if version is None else str(version)
        self.batch_size = batch_size
        self.normalize = normalize
        self.progress = resolve_progress(progress, description=str(self.name))
        self._own_progress = progress is True
        self.fingerprint: str | None = None
        self.cache: AblationCache | None = None
        self._named, self._stated = name is not None, version is not None
        self._fn_id = self._described_id()
        if cache is not None:
            identity = self._identity(named=self._named, stated=self._stated)
            self.fingerprint = digest(identity)
            self.cache = AblationCache(
                cache, fingerprint=self.fingerprint, n_players=self.n_players, meta=identity
            )
        self.backend = get_backend(backend)
        self.timeout = check_timeout(timeout, self.backend)
        self._memo: dict[bytes, float] = {}
        self._requested: set[bytes] = set()
        self._trackers: list[QueryTracker] = []
        self._full_value: float | None = None
        self.n_evaluated = 0
        self.n_cached = 0

    def _identity(self, *, named: bool, stated: bool) -> dict[str, object]:
        """Name, n, version and the identity of ``fn``, hashed into the fingerprint (Notes)."""
        role = f"the value function {self.name!r}"
        if stated and not callable(getattr(self.fn, "fingerprint", None)):
            if not named:
                callable_id(self.fn, role + " (version= alone needs a def function; add name=)")
            identity = f"stated:{getattr(self.fn, '__module__', None)}"
        else:
            with identity_stated(stated):
                identity = callable_id(self.fn, role)
        return {"name": self.name, "n": self.n_players, "version": self.version, "fn": identity}

    @property
    def n_queries(self) -> int:
        """Distinct masks requested so far."""
        return len(self._requested)

    @contextmanager
    def track(self, budget: int | None = None) -> Iterator[QueryTracker]:
        """Count the distinct masks requested inside the ``with`` block (cap at ``budget``)."""
        tracker = QueryTracker(budget)
        self._trackers.append(tracker)
        try:
            yield tracker
        finally:
            self._trackers.remove(tracker)

    def __call__(self, masks: Any) -> np.ndarray:
        """Values ``(n_masks,)`` of the masks ``(n_masks, n_players)``; see the class doc."""
        masks = check_masks(masks, self.n_players)
        self._check_unchanged()
        keys = pack_masks(masks)
        first_row: dict[bytes, int] = {}
        for row, key in enumerate(keys):
            first_row.setdefault(key, row)
        unique = list(first_row)
        for tracker in self._trackers:
            tracker._admit(unique)
        self._requested.update(unique)
        self._fill(unique, masks[[first_row[k] for k in unique]] if unique else masks[:0])
        values = np.fromiter((self._memo[k] for k in keys), dtype=np.float64, count=len(keys))
        if self.normalize:
            values = values / self.full_value()
        return values

    def _check_unchanged(self) -> None:
        """A value function that describes itself (``fingerprint()``) may change between calls
        (a model's weights edited in place): its earlier values then answer another question.
        Without a cache they are forgotten; a cache file is bound to the old identity, so the
        call is refused."""
        if self._fn_id is None:
            return
        now = self._described_id()
        if now == self._fn_id:
            return
        if self.cache is not None:
            msg = (
                f"the value function {self.name!r} changed since this Game opened its cache "
                f"{self.cache.path} (its fingerprint() is now {now!r}, was {self._fn_id!r}; e.g. "
                "the model's weights were edited in place): its cached values answer the old "
                "question. Build a new Game with another cache file"
            )
            raise GameIdentityError(msg)
        self._fn_id = now
        self._memo.clear()
        self._full_value = None

    def _described_id(self) -> str | None:
        """The identity of a value function that describes itself (``fingerprint()``), None
        for others or when it cannot say (e.g. a lambda inside a target, no name stated)."""
        if not callable(getattr(self.fn, "fingerprint", None)) or isinstance(self.fn, type):
            return None
        try:
            with identity_stated(self._stated):
                return callable_id(self.fn)
        except GameIdentityError:
            return None

    def full_value(self) -> float:
        """Value of the full input (every part kept), evaluated once."""
        if self._full_value is None:
            ones = np.ones((1, self.n_players), dtype=bool)
            key = pack_masks(ones)[0]
            self._fill([key], ones)
            value = self._memo[key]
            if self.normalize and value == 0.0:
                msg = "normalize=True but the full input's value is 0: cannot divide by it"
                raise ValueFunctionError(msg)
            self._full_value = value
        return self._full_value

    def _fill(self, keys: list[bytes], masks: np.ndarray) -> None:
        """Make sure every key is in the memo: memo, then cache file, then ``fn``."""
        todo = [i for i, k in enumerate(keys) if k not in self._memo]
        if todo and self.cache is not None:
            found = self.cache.get_many([keys[i] for i in todo])
            self._memo.update(found)
            self.n_cached += len(found)
            todo = [i for i in todo if keys[i] not in self._memo]
        if not todo:
            return
        pending = masks[todo]
        pending_keys = [keys[i] for i in todo]
        batches = [pending[s : s + self.batch_size] for s in range(0, len(todo), self.batch_size)]
        done = 0
        if self.timeout is None:
            results = self.backend.map(self.fn, batches)
        else:
            # check_timeout admitted only backends whose map takes timeout= (can_stop_workers)
            results = self.backend.map(self.fn, batches, timeout=self.timeout)  # type: ignore[call-arg]
        for batch, raw in zip(batches, _guard(results, len(batches)), strict=True):
            values = check_values(raw, batch)
            batch_keys = pending_keys[done : done + len(batch)]
            if self.cache is not None:
                self.cache.put_many(batch_keys, values)
            self._memo.update(zip(batch_keys, values.tolist(), strict=True))
            done += len(batch)
            self.n_evaluated += len(batch)
            if self.progress is not None:
                self.progress(Progress(done, len(todo), self.n_queries, self.n_cached))

    def close(self) -> None:
        """Close the cache file and the backend."""
        if self.cache is not None:
            self.cache.close()
        if self._own_progress and self.progress is not None:
            self.progress.close()
        self.backend.close()

    def __enter__(self) -> Game:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        cache = f", cache={str(self.cache.path)!r}" if self.cache is not None else ""
        return f"Game(name={self.name!r}, n_players={self.n_players}{cache})"


def _guard(results: Iterator[Any], n_batches: int) -> Iterator[Any]:
    """Re-raise a failure of the user's function as an EvaluationError naming the batch."""
    number = 0
    while True:
        try:
            raw = next(results)
        except StopIteration:
            return
        except AblatioError:
            raise
        except Exception as exc:
            msg = (
                f"the value function failed on batch {number + 1} of {n_batches} "
                f"({type(exc).__name__}: {exc}); every batch finished before it is kept"
            )
            raise EvaluationError(msg) from exc
        number += 1
        yield raw
