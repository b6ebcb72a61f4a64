"""Contract checks for explanation methods: ours, those merged later and users' own.

:func:`check_method` runs every check on a method class or instance and raises
``AssertionError`` naming the first broken contract; :func:`iter_checks` yields the checks one
by one (``tests/test_common.py`` parametrises over them for every registered method).

The checks enforce the method contract of :mod:`ablatio.methods.base`: the common parameters
``budget=None, max_order=None, random_state=None`` (a ``SeedSequence`` too) and the learned
attributes (``check_params``, ``check_fit_contract``, ``check_seed_sequence``), the builder
:func:`~ablatio.methods.make_method` (``check_explain``), the defaults on a 2-part game
(``check_default_order_small_n``), and scale-free numerics: ``explain(c·f + d) =
c·explain(f) + d`` (``check_scale_equivariance``).

A method tells the checks how to exercise it through a class attribute ``_check_tags``, a dict
merged over :data:`DEFAULT_TAGS`:

``n_players`` (int)
    Parts of the small check games.
``params`` (dict)
    Constructor parameters used in every check (e.g. ``{"max_order": 2}``).
``budget`` (int or None)
    Budget of the generic checks; None = ``max(min_budget(n), 2^(n-1))``.
``exact`` (None, ``"additive"``, ``"max_order"`` or ``"any"``)
    Games the method recovers exactly (its Möbius surrogate equals the game): first-order
    games ``c + Σ a_i m_i``; sparse games with terms up to the ``max_order`` parameter; any
    game. None skips the recovery check.
``exact_budget`` (``"full"``, ``"min"`` or int)
    Budget of the recovery check: ``2^n``, the method's ``min_budget(n)``, or a number.
``exact_params`` (dict)
    Extra constructor parameters for the recovery check (e.g. ``{"alpha": 0.0}`` for LIME).
``exact_atol`` (float)
    Tolerance of the recovery check.
``skip`` (dict)
    Check name → reason, for checks that do not apply.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import numpy as np

from ablatio.exceptions import (
    AblatioError,
    BudgetExceededError,
    BudgetTooSmallError,
    NonFiniteValueError,
    RecoveryWarning,
)
from ablatio.explain import explain
from ablatio.games.game import Game
from ablatio.games.synthetic import SyntheticGame, sparse_and_game
from ablatio.interactions import Interactions
from ablatio.methods import METHODS, Method, clone, make_method
from ablatio.methods.base import COMMON_PARAMS

__all__ = ["DEFAULT_TAGS", "SkipCheck", "check_method", "iter_checks", "method_tags"]

#: Defaults of the per-method ``_check_tags`` (see the module docstring).
DEFAULT_TAGS: dict[str, Any] = {
    "n_players": 6,
    "params": {},
    "budget": None,
    "exact": None,
    "exact_budget": "full",
    "exact_params": {},
    "exact_atol": 1e-8,
    "skip": {},
}

#: Seed of the check games and of the methods under check.
CHECK_SEED = 0

Check = Callable[[Method], None]


class SkipCheck(Exception):  # noqa: N818 - reads as "skip this check", like unittest.SkipTest
    """Raised by a check that does not apply to the method (the reason is the message)."""


def method_tags(method: Method | type[Method]) -> dict[str, Any]:
    """The method's ``_check_tags`` merged over :data:`DEFAULT_TAGS`."""
    return {**DEFAULT_TAGS, **getattr(method, "_check_tags", {})}


def _instance(method: Method | type[Method]) -> Method:
    if isinstance(method, Method):
        return method
    return method(**method_tags(method)["params"])


def _fail(check: str, method: Method, detail: str) -> None:
    msg = f"{check} failed for {type(method).__name__}: {detail}"
    raise AssertionError(msg)


def _configured(method: Method, **params: Any) -> Method:
    """A clone with ``params`` set where the method has such parameters."""
    est = clone(method)
    names = est.get_params()
    return est.set_params(**{k: v for k, v in params.items() if k in names})


def _game(n: int, seed: int = CHECK_SEED) -> SyntheticGame:
    return sparse_and_game(n, n_terms=min(6, 2**n - 1), max_order=min(3, n), random_state=seed)


def _check_budget(method: Method) -> int:
    tags = method_tags(method)
    n = tags["n_players"]
    if tags["budget"] is not None:
        return int(tags["budget"])
    return max(method.min_budget(n), 2 ** (n - 1))


def check_params(method: Method) -> None:
    """``get_params`` mirrors ``__init__``, which takes the common parameters (None by
    default); clone and ``set_params`` round-trip; unknown names raise."""
    signature = inspect.signature(type(method).__init__).parameters
    names = [p for p in signature if p != "self"]
    for common in COMMON_PARAMS:
        if common not in signature or signature[common].default is not None:
            _fail("check_params", method, f"__init__ must take {common}=None (COMMON_PARAMS)")
    params = method.get_params()
    if list(params) != names:
        _fail("check_params", method, f"get_params keys {list(params)} != __init__ {names}")
    rebuilt = type(method)(**params)
    for key, value in params.items():
        if getattr(rebuilt, key) is not value:
            _fail("check_params", method, f"__init__ changed parameter {key!r}")
    if clone(method).get_params() != params:
        _fail("check_params", method, "clone(method).get_params() != method.get_params()")
    if clone(method).set_params(**params).get_params() != params:
        _fail("check_params", method, "set_params(**get_params()) changed the parameters")
    try:
        clone(method).set_params(not_a_parameter=1)
    except AblatioError:
        return
    _fail("check_params", method, "set_params accepted an unknown parameter")


def check_fit_contract(method: Method) -> None:
    """``fit`` returns self, stays within the budget and leaves a usable surrogate."""
    n = method_tags(method)["n_players"]
    budget = _check_budget(method)
    game = Game(_game(n))
    est = _configured(method, budget=budget, random_state=CHECK_SEED)
    try:
        fitted = est.fit(game)
    except BudgetExceededError as exc:
        _fail("check_fit_contract", method, f"budget={budget} exceeded: {exc}")
    if fitted is not est:
        _fail("check_fit_contract", method, "fit did not return self")
    result = est.interactions_
    if not isinstance(result, Interactions) or result.n_players != n:
        _fail("check_fit_contract", method, "interactions_ is not Interactions over n parts")
    if result.basis not in ("moebius", "fourier"):
        _fail("check_fit_contract", method, f"basis {result.basis!r} cannot predict")
    if est.n_queries_ > budget or est.budget_ != budget:
        _fail("check_fit_contract", method, f"n_queries_={est.n_queries_} > budget={budget}")
    order = est.max_order_
    if not isinstance(order, int) or not 1 <= order <= n:
        _fail("check_fit_contract", method, f"max_order_={order!r} is not an order in 1..n")
    for attr in ("holdout_r2_", "train_r2_"):
        value = getattr(est, attr, None)
        if not isinstance(value, float) or not (math.isnan(value) or value <= 1.0):
            _fail("check_fit_contract", method, f"{attr}={value!r} is not an R² (or nan)")
    se = getattr(est, "holdout_r2_se_", None)
    if not isinstance(se, float) or not (math.isnan(se) or se >= 0.0):
        _fail("check_fit_contract", method, f"holdout_r2_se_={se!r} is not a standard error")
    elif math.isnan(est.holdout_r2_) and not math.isnan(se):
        _fail("check_fit_contract", method, "holdout_r2_se_ is set without a holdout_r2_")
    if not isinstance(est.warnings_, list):
        _fail("check_fit_contract", method, "warnings_ is not a list of messages")
    weights = est.model_weights_
    if not isinstance(est.model_, str) or not est.model_:
        _fail("check_fit_contract", method, f"model_={est.model_!r} does not name a surrogate")
    if not weights or not all(isinstance(w, float) and w > 0 for w in weights.values()):
        _fail("check_fit_contract", method, f"model_weights_={weights!r} are not weights")
    if est.n_queries_ > game.n_queries or est.fit_time_ < 0:
        _fail("check_fit_contract", method, "n_queries_ or fit_time_ inconsistent with the game")
    prediction = est.predict(np.ones((3, n), dtype=bool))
    if prediction.shape != (3,) or not np.all(np.isfinite(prediction)):
        _fail("check_fit_contract", method, "predict did not return finite (n_masks,) values")


def check_explain(method: Method) -> None:
    """The registry name reaches the class and ``ablatio.explain`` runs it."""
    name = type(method).name
    if not name or METHODS.get(name) is not type(method):
        msg = f"{type(method).__name__} is not registered in METHODS"
        raise SkipCheck(msg)
    n = method_tags(method)["n_players"]
    params = method.get_params()
    options = {k: v for k, v in params.items() if k not in COMMON_PARAMS}
    built = make_method(name, max_order=params["max_order"], options=options)
    if built.get_params() != {**params, "budget": None, "random_state": None}:
        _fail("check_explain", method, "make_method(name, options) built other parameters")
    expl = explain(
        _game(n),
        method=name,
        budget=_check_budget(method),
        max_order=params["max_order"],
        random_state=CHECK_SEED,
        options=options,
    )
    if expl.method != name or expl.interactions.n_players != n:
        _fail("check_explain", method, "explain returned a mismatched Explanation")


def check_determinism(method: Method) -> None:
    """The same seed gives an identical result, on a fresh game and when refitting."""
    n = method_tags(method)["n_players"]
    est = _configured(method, budget=_check_budget(method), random_state=CHECK_SEED)
    first = est.fit(Game(_game(n))).interactions_
    again = est.fit(Game(_game(n))).interactions_
    other = clone(est).fit(Game(_game(n))).interactions_
    if not (first == again and first == other):
        _fail("check_determinism", method, "same random_state gave different interactions")


def _exact_game(kind: str, n: int, order: int | None) -> SyntheticGame:
    rng = np.random.default_rng(CHECK_SEED)
    if kind == "additive":
        terms = [(), *((i,) for i in range(n))]
        coef = rng.uniform(1.0, 2.0, n + 1) * rng.choice([-1.0, 1.0], n + 1)
        return SyntheticGame(Interactions(terms, coef, n_players=n))
    top = n if kind == "any" or order is None else min(order, n)
    game = sparse_and_game(n, n_terms=min(6, 2**n - 1), max_order=top, random_state=CHECK_SEED)
    constant = Interactions([()], [float(rng.uniform(1.0, 2.0))], n_players=n)
    return SyntheticGame(game.true_interactions + constant)


def check_exact_recovery(method: Method) -> None:
    """On a game of the class the method declares (tag ``exact``), the surrogate is exact."""
    tags = method_tags(method)
    if tags["exact"] is None:
        msg = f"{type(method).__name__} declares no exactly recovered game class"
        raise SkipCheck(msg)
    n = tags["n_players"]
    est = _configured(method, random_state=CHECK_SEED, **tags["exact_params"])
    spend = tags["exact_budget"]
    budget = 2**n if spend == "full" else est.min_budget(n) if spend == "min" else int(spend)
    est = _configured(est, budget=budget)
    game = _exact_game(tags["exact"], n, est.resolved_max_order(n))
    result = est.fit(game).interactions_.to_moebius()
    if not result.allclose(game.true_interactions, atol=tags["exact_atol"]):
        _fail(
            "check_exact_recovery",
            method,
            f"surrogate differs from the {tags['exact']!r} game at budget {budget}",
        )


def check_budget_too_small(method: Method) -> None:
    """A budget below ``min_budget(n)`` raises BudgetTooSmallError stating the minimum."""
    n = method_tags(method)["n_players"]
    if "budget" not in method.get_params():
        msg = f"{type(method).__name__} takes no budget"
        raise SkipCheck(msg)
    needed = method.min_budget(n)
    if needed <= 1:
        msg = f"{type(method).__name__} works with any budget >= 1"
        raise SkipCheck(msg)
    est = _configured(method, budget=needed - 1, random_state=CHECK_SEED)
    try:
        est.fit(Game(_game(n)))
    except BudgetTooSmallError as exc:
        if exc.minimum != needed or str(needed) not in str(exc):
            _fail("check_budget_too_small", method, f"message does not state {needed}: {exc}")
        return
    _fail("check_budget_too_small", method, f"budget={needed - 1} < {needed} did not raise")


def check_max_order_too_large(method: Method) -> None:
    """``max_order > n`` raises an AblatioError."""
    n = method_tags(method)["n_players"]
    if "max_order" not in method.get_params():
        msg = f"{type(method).__name__} takes no max_order"
        raise SkipCheck(msg)
    est = _configured(method, max_order=n + 1, random_state=CHECK_SEED)
    try:
        est.fit(Game(_game(n)))
    except AblatioError:
        return
    _fail("check_max_order_too_large", method, f"max_order={n + 1} > n={n} did not raise")


def check_non_finite(method: Method) -> None:
    """A value function returning NaN makes ``fit`` raise NonFiniteValueError."""
    n = method_tags(method)["n_players"]
    game = Game(lambda masks: np.full(masks.shape[0], np.nan), n=n)
    est = _configured(method, budget=_check_budget(method), random_state=CHECK_SEED)
    try:
        est.fit(game)
    except NonFiniteValueError:
        return
    _fail("check_non_finite", method, "NaN model outputs did not raise NonFiniteValueError")


class _NoParts:
    n_players = 0

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        return np.zeros(masks.shape[0])


def check_zero_players(method: Method) -> None:
    """Fitting a game with ``n = 0`` parts raises an AblatioError."""
    try:
        clone(method).fit(_NoParts())
    except AblatioError:
        return
    _fail("check_zero_players", method, "n=0 did not raise")


def check_seed_sequence(method: Method) -> None:
    """A ``numpy.random.SeedSequence`` is accepted as ``random_state`` and is deterministic."""
    n = method_tags(method)["n_players"]
    results = []
    for _ in range(2):
        seed = np.random.SeedSequence(CHECK_SEED)
        est = _configured(method, budget=_check_budget(method), random_state=seed)
        results.append(est.fit(Game(_game(n))).interactions_)
    if results[0] != results[1]:
        _fail("check_seed_sequence", method, "the same SeedSequence gave different results")


def check_default_order_small_n(method: Method) -> None:
    """With ``max_order`` and ``budget`` left None, a game with 2 parts is explained (the
    default order is capped at ``n``)."""
    est = _configured(method, budget=None, max_order=None, random_state=CHECK_SEED)
    game = sparse_and_game(2, n_terms=2, max_order=2, random_state=CHECK_SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RecoveryWarning)
        est.fit(Game(game))
    if not 1 <= est.max_order_ <= 2:
        _fail("check_default_order_small_n", method, f"max_order_={est.max_order_} for n=2")


#: Scales ``c`` and offsets ``d`` of the scale property, and its relative tolerance.
SCALES, OFFSETS, SCALE_RTOL = (1e-12, 1.0, 1e9), (0.0, 1e6), 1e-9


def check_scale_equivariance(method: Method) -> None:
    """``explain(c·f + d) = c·explain(f) + d`` for every ``c`` in :data:`SCALES` and ``d`` in
    :data:`OFFSETS`, coefficient by coefficient within ``SCALE_RTOL · (|c| max|a_f| + |d|)``
    (``a_f`` the Möbius coefficients of ``explain(f)``).

    No threshold may be absolute: a game of scale 1e-12 keeps its terms, and an offset of
    1e6 neither hides terms nor creates any.
    """
    n = method_tags(method)["n_players"]
    budget = _check_budget(method)
    base = _game(n)

    def fit(scale: float, offset: float) -> Interactions:
        def fn(masks: np.ndarray) -> np.ndarray:
            return scale * base(masks) + offset

        est = _configured(method, budget=budget, random_state=CHECK_SEED)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RecoveryWarning)
            return est.fit(Game(fn, n=n)).interactions_.to_moebius()

    reference = fit(1.0, 0.0)
    size = float(np.abs(reference.coefficients).max(initial=0.0))
    for c in SCALES:
        for d in OFFSETS:
            expected = reference.scale(c) + Interactions([()], [d], n_players=n)
            got = fit(c, d)
            diff = (got + expected.scale(-1.0)).coefficients
            worst = float(np.abs(diff).max(initial=0.0))
            tol = SCALE_RTOL * (abs(c) * size + abs(d))
            if worst > tol:
                _fail(
                    "check_scale_equivariance",
                    method,
                    f"explain({c:g}·f + {d:g}) differs from {c:g}·explain(f) + {d:g} by "
                    f"{worst:.3g} > {tol:.3g} ({len(got)} vs {len(expected)} terms)",
                )


_CHECKS: tuple[Check, ...] = (
    check_params,
    check_fit_contract,
    check_explain,
    check_determinism,
    check_exact_recovery,
    check_budget_too_small,
    check_max_order_too_large,
    check_non_finite,
    check_zero_players,
    check_seed_sequence,
    check_default_order_small_n,
    check_scale_equivariance,
)


def iter_checks(method: Method | type[Method]) -> Iterator[tuple[str, Callable[[], None]]]:
    """``(check name, zero-argument callable)`` for every check applicable to ``method``.

    Checks named in the tag ``skip`` raise :class:`SkipCheck` with the declared reason.
    """
    est = _instance(method)
    skip = method_tags(est)["skip"]
    for check in _CHECKS:
        name = check.__name__
        if name in skip:

            def skipped(reason: str = skip[name]) -> None:
                raise SkipCheck(reason)

            yield name, skipped
        else:
            yield name, partial(check, est)


def check_method(method: Method | type[Method]) -> dict[str, str]:
    """Run every contract check; raise AssertionError on the first failure.

    Returns
    -------
    dict
        Check name → ``"passed"`` or ``"skipped: <reason>"``.

    Examples
    --------
    >>> from ablatio import KernelSHAP
    >>> from ablatio.testing import check_method
    >>> check_method(KernelSHAP)["check_exact_recovery"]
    'passed'
    """
    report = {}
    for name, run in iter_checks(method):
        try:
            run()
        except SkipCheck as reason:
            report[name] = f"skipped: {reason}"
        else:
            report[name] = "passed"
    return report
