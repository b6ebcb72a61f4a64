"""``Method``: the scikit-learn-style base of every explanation method, and its contract.

The contract every method follows (checked by :func:`ablatio.testing.check_method`):

* **Common parameters** :data:`COMMON_PARAMS` — ``budget``, ``max_order``, ``random_state`` —
  are keyword arguments of every method. ``None`` means the method's default:
  ``budget=None`` → :meth:`Method.default_budget` (one policy for all methods),
  ``max_order=None`` → the class's ``default_max_order`` capped at ``n`` (an explicit
  ``max_order > n`` raises), ``random_state=None`` → fresh OS entropy.
* The constructor only stores its keyword arguments; :meth:`Method.fit` checks them against
  the class's ``_parameter_constraints`` table, builds one :class:`numpy.random.Generator`
  from ``random_state`` (an int, a ``SeedSequence`` or a ``Generator``), runs the method inside
  a query tracker that enforces the budget and stores results in attributes ending in ``_``.
* **Learned attributes** of every method: ``interactions_``, ``n_queries_``, ``budget_``,
  ``max_order_``, ``holdout_r2_`` (R² on ablations each predicted by terms chosen and fitted
  without it: fresh held-out masks, or cross-fitting; ``nan`` when it makes no such
  estimate), ``holdout_r2_se_`` (its standard error; ``nan`` when unknown), ``train_r2_`` (R² on
  the ablations it learned from; ``nan`` if not computed), ``warnings_`` (messages of the
  :class:`~ablatio.exceptions.RecoveryWarning` s it raised) and ``fit_time_``.
* Methods are built from a registry name and options by one function,
  :func:`ablatio.methods.make_method`; a new method is one new module plus one registry line.
"""

from __future__ import annotations

import inspect
import math
import numbers
import time
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ablatio._metrics import r2_with_se
from ablatio._validation import check_random_state
from ablatio.designs.distinct import distinct_masks
from ablatio.exceptions import (
    BudgetTooSmallError,
    NotFittedError,
    ParameterError,
    RecoveryWarning,
    UnconfirmedRecoveryWarning,
)
from ablatio.games.game import Game
from ablatio.interactions import Interactions

__all__ = [
    "COMMON_PARAMS",
    "DEFAULT_BUDGET",
    "HOLDOUT_SE_TARGET",
    "MAX_MASK_BYTES",
    "Interval",
    "Method",
    "Options",
    "WARN_Z",
    "as_game",
    "clone",
    "holdout_size",
]

#: Largest mask matrix (budget × n bools, in bytes) a method may build before refusing to run.
MAX_MASK_BYTES = 4 * 2**30
#: Constructor parameters every method takes (``None`` = the method's default).
COMMON_PARAMS = ("budget", "max_order", "random_state")
#: ``budget=None`` means ``min(2^n, max(min_budget(n), DEFAULT_BUDGET))`` for every method.
DEFAULT_BUDGET = 5000
#: Held-out uniform ablations of a self-estimate: this share of the budget, within the bounds
#: (never more than a quarter of the budget; fewer than ``MIN_USEFUL_HOLDOUT`` means none).
HOLDOUT_SHARE, MIN_HOLDOUT, MAX_HOLDOUT, MIN_USEFUL_HOLDOUT = 0.1, 100, 1000, 20
#: Standard error the held-out estimate aims at: while it is larger, budget the fit left
#: unused pays for more fresh masks that score the result (never beyond the budget).
HOLDOUT_SE_TARGET = 0.01
#: A method warns unless its estimate clears the threshold by this many standard errors
#: (``holdout_r2_ - WARN_Z · holdout_r2_se_ < threshold``; one-sided 95 %).
WARN_Z = 1.645


def holdout_size(budget: int) -> int:
    """Held-out ablations reserved from ``budget`` for ``holdout_r2_``.

    ``min(clip(HOLDOUT_SHARE · budget, MIN_HOLDOUT, MAX_HOLDOUT), budget // 4)``, or 0 when
    that is below ``MIN_USEFUL_HOLDOUT``. With 100 masks the standard error of an R² near 0.9
    is about 0.015.
    """
    size = min(MAX_HOLDOUT, max(MIN_HOLDOUT, round(HOLDOUT_SHARE * budget)), budget // 4)
    return int(size) if size >= MIN_USEFUL_HOLDOUT else 0


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
        return value is None or isinstance(
            value, numbers.Integral | np.random.Generator | np.random.SeedSequence
        )
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
    """Base of every explanation method (the contract is in the module docstring).

    Subclasses define ``name``, ``_parameter_constraints``, ``default_max_order`` and
    ``_fit(game, rng)``, take the :data:`COMMON_PARAMS` as keyword arguments, and may override
    :meth:`min_budget`. Inside ``_fit`` they read the resolved ``self.budget_`` and
    ``self.max_order_``, and report a recovery problem with :meth:`_warn`.

    Attributes
    ----------
    interactions_ : Interactions
        The explanation, in the Möbius basis unless stated otherwise.
    n_queries_ : int
        Distinct ablations the fit requested.
    budget_ : int
        The budget used (``budget``, or :meth:`default_budget` when it is None).
    max_order_ : int
        The interaction order used (``max_order``, or ``default_max_order`` capped at ``n``).
    holdout_r2_ : float
        R² on ablations not used to choose or fit the terms that predict them (fresh
        held-out masks, or out-of-fold predictions of a cross-fit; ``nan`` if not estimated).
    holdout_r2_se_ : float
        Standard error of ``holdout_r2_`` (:func:`~ablatio._metrics.r2_with_se`; ``nan`` if
        unknown, 0 when it is exact).
    train_r2_ : float
        R² on the ablations the fit used (``nan`` if not computed); optimistic.
    warnings_ : list of str
        Messages of the RecoveryWarnings the fit emitted.
    fit_time_ : float
        Seconds spent in ``fit``.
    model_ : str
        The surrogate returned: the method's name (its class name when it has none), or for
        a sparse decoder with a best-of stage ``"decoded"``, one of its alternatives, or
        ``"stacked"``.
    model_weights_ : dict of str to float
        Weight of each candidate in the surrogate (``{model_: 1.0}`` unless stacked).
    """

    name: ClassVar[str] = ""
    #: Order used when ``max_order`` is None (capped at ``n``; None = ``n``, every order).
    default_max_order: ClassVar[int | None] = 1
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    budget: int | None
    max_order: int | None
    random_state: Any
    #: Probability that a random ablation keeps each part (1/2: uniform masks); a method
    #: that samples from another distribution takes it as a parameter.
    keep_probability: float = 0.5

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self"]

    @classmethod
    def accepts(cls, param: str, value: Any) -> bool:
        """Whether ``param=value`` passes this class's constraint table (unknown names: no)."""
        if param not in cls._param_names():
            return False
        allowed = cls._parameter_constraints.get(param)
        return allowed is None or any(_accepts(c, value) for c in allowed)

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

    def resolved_max_order(self, n_players: int) -> int:
        """``max_order``, or ``default_max_order`` capped at ``n_players`` when it is None."""
        if self.max_order is not None:
            return int(self.max_order)
        default = self.default_max_order
        return n_players if default is None else min(default, n_players)

    def min_budget(self, n_players: int) -> int:
        """Smallest budget this configuration can work with for ``n_players`` parts."""
        return 1

    def default_budget(self, n_players: int) -> int:
        """The budget used when ``budget`` is None, the same policy for every method.

        ``min(2^n, max(min_budget(n), DEFAULT_BUDGET))``: every mask for small ``n`` (exact
        for the enumerating and regression methods), else :data:`DEFAULT_BUDGET` ablations, or
        the method's minimum if that is larger.
        """
        floor = max(self.min_budget(n_players), DEFAULT_BUDGET)
        return floor if n_players >= 63 else min(2**n_players, floor)

    def _check_budget(self, n_players: int, budget: int) -> None:
        needed = self.min_budget(n_players)
        if budget < needed:
            order = f", max_order={self.resolved_max_order(n_players)}"
            msg = (
                f"budget={budget} < {needed} ablations {type(self).__name__} needs for "
                f"n={n_players}{order}: raise budget or lower max_order"
            )
            raise BudgetTooSmallError(msg, minimum=needed)

    def _check_memory(self, n_players: int, budget: int) -> None:
        if budget * n_players > MAX_MASK_BYTES:
            msg = (
                f"budget={budget} masks of n={n_players} parts need "
                f"{budget * n_players / 2**30:.1f} GiB, more than the {MAX_MASK_BYTES / 2**30:.0f}"
                " GiB limit (ablatio.methods.base.MAX_MASK_BYTES): lower the budget or group "
                "parts into fewer players"
            )
            raise ParameterError(msg)

    def fit(self, game: Any) -> Method:
        """Explain ``game`` (a :class:`Game` or an object with ``n_players``); return self."""
        game = as_game(game)
        self._check_params()
        n = game.n_players
        if self.max_order is not None and self.max_order > n:
            msg = (
                f"max_order == {self.max_order} > n == {n}: no interaction can involve "
                "more parts than exist; lower max_order (or leave it None for the default)"
            )
            raise ParameterError(msg)
        self._check_game(game)
        budget = self.budget if self.budget is not None else self.default_budget(n)
        self._check_budget(n, budget)
        self._check_memory(n, budget)
        rng = check_random_state(self.random_state)
        self.budget_, self.max_order_ = budget, self.resolved_max_order(n)
        self.holdout_r2_ = self.holdout_r2_se_ = self.train_r2_ = math.nan
        self.warnings_: list[str] = []
        self.model_ = self.name or type(self).__name__
        self.model_weights_: dict[str, float] = {}
        start = time.perf_counter()
        with game.track(budget=budget) as tracker:
            self._tracker = tracker
            try:
                result = self._fit(game, rng)
            finally:
                del self._tracker
        self.fit_time_ = time.perf_counter() - start
        self.model_weights_ = self.model_weights_ or {self.model_: 1.0}
        self.interactions_ = result.with_feature_names(game.feature_names)
        self.n_queries_ = tracker.n_queries
        return self

    @abstractmethod
    def _fit(self, game: Game, rng: np.random.Generator) -> Interactions:
        """Compute the explanation; every random draw comes from ``rng``."""

    def _warn(self, message: str, category: type[Warning] = RecoveryWarning) -> None:
        """Record ``message`` in ``warnings_`` and emit it (a RecoveryWarning by default)."""
        self.warnings_.append(message)
        warnings.warn(message, category, stacklevel=4)

    def _holdout_sample(
        self, game: Game, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Fresh ablations the fit never requested, and their values.

        Each part kept with probability ``keep_probability`` (uniform masks at 1/2).

        At most :func:`holdout_size` of the budget (and at least ``MIN_HOLDOUT`` when the
        budget left after the fit allows it): a fit that stopped early spends the rest of its
        budget on the estimate only when :meth:`_top_up` finds it imprecise. None when fewer
        than ``MIN_USEFUL_HOLDOUT`` fresh masks are left.
        """
        cap = max(holdout_size(self.budget_), MIN_HOLDOUT)
        left = min(cap, self.budget_ - self._tracker.n_queries)
        if left < MIN_USEFUL_HOLDOUT:
            return None
        masks = distinct_masks(
            game.n_players, left, rng, set(self._tracker.seen), self.keep_probability
        )
        if masks.shape[0] < MIN_USEFUL_HOLDOUT:
            return None
        return masks, game(masks)

    def _score_sample(
        self,
        game: Game,
        rng: np.random.Generator,
        result: Interactions,
        sample: tuple[np.ndarray, np.ndarray],
    ) -> None:
        """Score ``result`` on held-out ``sample`` grown by :meth:`_top_up`."""
        _, se = r2_with_se(sample[1], result.predict(sample[0]))
        masks, values = self._top_up(game, rng, *sample, se)
        self._set_holdout(values, result.predict(masks))

    def _top_up(
        self,
        game: Game,
        rng: np.random.Generator,
        masks: np.ndarray,
        values: np.ndarray,
        se: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Held-out ``masks``/``values`` grown by fresh masks while ``se`` is large.

        Fresh masks come from the held-out distribution (each part kept with probability
        ``keep_probability``), so the estimate stays on the distribution the fit is judged on.

        When the estimate's standard error ``se`` on the ``m`` held-out masks exceeds
        :data:`HOLDOUT_SE_TARGET` and the fit left budget unused, ``m ((se / target)² - 1)``
        more (at most the rest of the budget) are drawn: the error of an R² estimate falls
        as ``1/√m``, and a converged fit (se ≈ 0) spends nothing more.
        """
        left = self.budget_ - self._tracker.n_queries
        if not se > HOLDOUT_SE_TARGET or left <= 0:
            return masks, values
        want = math.ceil(values.size * ((se / HOLDOUT_SE_TARGET) ** 2 - 1.0))
        seen = set(self._tracker.seen)
        extra = distinct_masks(game.n_players, min(left, want), rng, seen, self.keep_probability)
        if not extra.shape[0]:
            return masks, values
        return np.concatenate([masks, extra]), np.concatenate([values, game(extra)])

    def _set_holdout(self, values: np.ndarray, predicted: np.ndarray) -> None:
        """``holdout_r2_`` and ``holdout_r2_se_`` of held-out ``values`` and predictions.

        ``predicted[q]`` must come from a fit that never saw row ``q`` nor chose its terms on
        it (:func:`~ablatio._metrics.r2_with_se`).
        """
        self.holdout_r2_, self.holdout_r2_se_ = r2_with_se(values, predicted)

    def _recovery_doubt(self, threshold: float) -> type[RecoveryWarning] | None:
        """The warning the self-estimate calls for against ``threshold``, or None.

        None when ``holdout_r2_ - WARN_Z · holdout_r2_se_ >= threshold``;
        :class:`~ablatio.exceptions.RecoveryWarning` when ``holdout_r2_`` itself is below it,
        :class:`~ablatio.exceptions.UnconfirmedRecoveryWarning` when only its lower bound is.
        Without a held-out estimate ``train_r2_ < threshold`` decides (None when neither is
        known).
        """
        if not np.isfinite(self.holdout_r2_):
            below = np.isfinite(self.train_r2_) and self.train_r2_ < threshold
            return RecoveryWarning if below else None
        if self.holdout_r2_ < threshold:
            return RecoveryWarning
        se = self.holdout_r2_se_ if np.isfinite(self.holdout_r2_se_) else 0.0
        return UnconfirmedRecoveryWarning if self.holdout_r2_ - WARN_Z * se < threshold else None

    def _estimate_text(self, name: str, threshold: float) -> str:
        """``"R² = 0.923 ± 0.056, not clearly above warn_r2 = 0.9"`` or ``"R² = 0.873 < …"``.

        The margin is ``WARN_Z · holdout_r2_se_``; the figure is ``train_r2_`` when there is
        no held-out estimate.
        """
        honest = np.isfinite(self.holdout_r2_)
        r2 = self.holdout_r2_ if honest else self.train_r2_
        se = self.holdout_r2_se_ if honest else math.nan
        margin = f" ± {WARN_Z * se:.3f}" if np.isfinite(se) and se > 0 else ""
        verdict = f" < {name} =" if r2 < threshold else f", not clearly above {name} ="
        return f"R² = {r2:.3f}{margin}{verdict} {threshold}"

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
