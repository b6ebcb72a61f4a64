"""``Method``: the scikit-learn-style base of every explanation method.

The constructor only stores its keyword arguments; :meth:`Method.fit` checks them against the
class's ``_parameter_constraints`` table, builds one :class:`numpy.random.Generator` from
``random_state``, runs the method inside a query tracker that enforces ``budget`` and stores
results in attributes ending in ``_``.
"""

from __future__ import annotations

import inspect
import numbers
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ablatio._validation import check_random_state
from ablatio.exceptions import BudgetTooSmallError, NotFittedError, ParameterError
from ablatio.games.game import Game
from ablatio.interactions import Interactions

__all__ = ["MAX_MASK_BYTES", "Interval", "Method", "Options", "as_game", "clone"]

#: Largest mask matrix (budget × n bools, in bytes) a method may build before refusing to run.
MAX_MASK_BYTES = 4 * 2**30


@dataclass(frozen=True)
class Interval:
    """Numbers of ``kind`` (int or float) within ``[low, high]`` (None = unbounded)."""

    kind: type
    low: float | None
    high: float | None

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, numbers.Integral):
            return False
        if self.kind is float and not isinstance(value, numbers.Real):
            return False
        if self.low is not None and value < self.low:
            return False
        return self.high is None or value <= self.high

    def __str__(self) -> str:
        low = "-inf" if self.low is None else self.low
        high = "inf" if self.high is None else self.high
        return f"{self.kind.__name__} in [{low}, {high}]"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values."""

    values: tuple[Any, ...]

    def accepts(self, value: Any) -> bool:
        return value in self.values

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


def _accepts(constraint: Any, value: Any) -> bool:
    if constraint is None:
        return value is None
    if constraint == "boolean":
        return isinstance(value, bool)
    if constraint == "random_state":
        return value is None or isinstance(value, numbers.Integral | np.random.Generator)
    return bool(constraint.accepts(value))


#: How the named constraints read in an error message.
_NAMED = {
    "random_state": "an int seed >= 0, a numpy.random.Generator or None",
    "boolean": "True or False",
}


def _describe(constraint: Any) -> str:
    if constraint is None:
        return "None"
    if isinstance(constraint, str):
        return _NAMED.get(constraint, constraint)
    return str(constraint)


def as_game(game: Any) -> Game:
    """Accept a :class:`Game`, or a target / synthetic game that knows its ``n_players``."""
    if isinstance(game, Game):
        return game
    if callable(game) and getattr(game, "n_players", None) is not None:
        return Game(game)
    msg = (
        "fit expects a Game (or an object with n_players); wrap a plain function with "
        "ablatio.Game(fn, n=...)"
    )
    raise ParameterError(msg)


class Method(ABC):
    """Base of every explanation method.

    Subclasses define ``name``, ``_parameter_constraints`` and ``_fit(game, rng)``; they may
    override :meth:`min_budget`. Results after :meth:`fit`:

    Attributes
    ----------
    interactions_ : Interactions
        The explanation, in the Möbius basis unless stated otherwise.
    n_queries_ : int
        Distinct ablations the fit requested.
    fit_time_ : float
        Seconds spent in ``fit``.
    """

    name: ClassVar[str] = ""
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self"]

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters and their values."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Method:
        """Set constructor parameters; unknown names raise."""
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                msg = f"{type(self).__name__} has no parameter {key!r}; valid: {sorted(valid)}"
                raise ParameterError(msg)
            setattr(self, key, value)
        return self

    def _check_params(self) -> None:
        for key, value in self.get_params().items():
            allowed = self._parameter_constraints.get(key)
            if allowed is None:
                continue
            if not any(_accepts(c, value) for c in allowed):
                options = " or ".join(_describe(c) for c in allowed)
                msg = f"{type(self).__name__}: {key} == {value!r}, must be {options}"
                raise ParameterError(msg)

    def _check_game(self, game: Game) -> None:  # noqa: B027 - optional hook
        """Method-specific checks of the game before any budget arithmetic (default: none)."""

    def min_budget(self, n_players: int) -> int:
        """Smallest budget this configuration can work with for ``n_players`` parts."""
        return 1

    def _check_budget(self, n_players: int) -> None:
        budget = getattr(self, "budget", None)
        if budget is None:
            return
        needed = self.min_budget(n_players)
        if budget < needed:
            msg = (
                f"budget={budget} < {needed} ablations {type(self).__name__} needs for "
                f"n={n_players}{self._budget_context()}: raise budget"
                + (" or lower max_order" if hasattr(self, "max_order") else "")
            )
            raise BudgetTooSmallError(msg, minimum=needed)

    def _check_memory(self, n_players: int) -> None:
        budget = getattr(self, "budget", None)
        if budget is not None and budget * n_players > MAX_MASK_BYTES:
            msg = (
                f"budget={budget} masks of n={n_players} parts need "
                f"{budget * n_players / 2**30:.1f} GiB, more than the {MAX_MASK_BYTES / 2**30:.0f}"
                " GiB limit (ablatio.methods.base.MAX_MASK_BYTES): lower the budget or group "
                "parts into fewer players"
            )
            raise ParameterError(msg)

    def _budget_context(self) -> str:
        order = getattr(self, "max_order", None)
        return f", max_order={order}" if order is not None else ""

    def fit(self, game: Any) -> Method:
        """Explain ``game`` (a :class:`Game` or an object with ``n_players``); return self."""
        game = as_game(game)
        self._check_params()
        max_order = getattr(self, "max_order", None)
        if max_order is not None and max_order > game.n_players:
            msg = (
                f"max_order == {max_order} > n == {game.n_players}: no interaction can involve "
                "more parts than exist; lower max_order"
            )
            raise ParameterError(msg)
        self._check_game(game)
        self._check_budget(game.n_players)
        self._check_memory(game.n_players)
        rng = check_random_state(getattr(self, "random_state", None))
        start = time.perf_counter()
        with game.track(budget=getattr(self, "budget", None)) as tracker:
            result = self._fit(game, rng)
        self.fit_time_ = time.perf_counter() - start
        self.interactions_ = result.with_feature_names(game.feature_names)
        self.n_queries_ = tracker.n_queries
        return self

    @abstractmethod
    def _fit(self, game: Game, rng: np.random.Generator) -> Interactions:
        """Compute the explanation; every random draw comes from ``rng``."""

    def predict(self, masks: Any) -> np.ndarray:
        """Surrogate values of masks ``(n_masks, n_players)`` from the fitted interactions."""
        if not hasattr(self, "interactions_"):
            msg = f"this {type(self).__name__} is not fitted yet: call fit(game) first"
            raise NotFittedError(msg)
        return self.interactions_.predict(masks)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def clone(method: Method) -> Method:
    """A new unfitted method with the same parameters."""
    return type(method)(**method.get_params())
