"""``compare``: run several methods at equal budgets on one shared game and tabulate them.

Every method is fitted on the *same* :class:`~ablatio.games.game.Game`, so an ablation that one
method evaluated is served from memory (and the optional cache file) for every other method and
for the held-out evaluation; budgets still count each method's distinct ablations separately.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ablatio._validation import RandomState, check_random_state
from ablatio.evaluation.faithfulness import faithfulness, removal_curve
from ablatio.exceptions import AblatioError, ParameterError
from ablatio.methods import Method, clone, get_method, make_method
from ablatio.methods.base import as_game

__all__ = ["COLUMNS", "DEFAULT_K_REMOVAL", "compare"]

#: Columns of the table :func:`compare` returns, in order.
COLUMNS = (
    "method",
    "budget",
    "max_order",
    "n_queries",
    "n_evaluated",
    "time",
    "r2",
    "removal",
    "n_terms",
    "error",
)

#: Parts removed for the removal score when ``k_removal`` is None (capped at ``n``).
DEFAULT_K_REMOVAL = 10


def _seed(random_state: RandomState) -> int:
    """One int seed for every run: the given int, or one drawn from the given generator."""
    rng = check_random_state(random_state)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(rng.integers(2**63))


def _configure(spec: str | Method, budget: int, max_order: int | None, seed: int) -> Method:
    """A fresh estimator for one row: the row's budget; ``max_order`` where the method accepts
    it and the seed where the configured method sets none."""
    if isinstance(spec, Method):
        spec = clone(spec).set_params(budget=None)
    cls = type(spec) if isinstance(spec, Method) else get_method(spec)
    own = spec.get_params() if isinstance(spec, Method) else {}
    order = max_order if cls.accepts("max_order", max_order) else None
    return make_method(
        spec,
        budget=budget,
        max_order=order if own.get("max_order") is None else None,
        random_state=seed if own.get("random_state") is None else None,
    )


def compare(
    game: Any,
    methods: Sequence[str | Method],
    budgets: Sequence[int],
    *,
    max_order: int | None = None,
    random_state: RandomState = None,
    n_test: int = 1000,
    k_removal: int | None = None,
) -> Any:
    """Fit every method at every budget on one shared game; return a tidy table.

    Parameters
    ----------
    game : Game, target or synthetic game
        The value function. A non-:class:`Game` is wrapped once and shared by every run.
    methods : sequence of str or Method
        Registry names (``ablatio.methods.METHODS``) or configured methods (cloned per run;
        their own ``max_order`` and ``random_state`` are kept).
    budgets : sequence of int
        Distinct-ablation budgets; every method runs at each.
    max_order : int, optional
        Interaction order given to methods that accept it (first-order methods keep 1).
    random_state : int, Generator or None
        One seed shared by every run (and by the held-out masks, drawn from an independent
        stream), so each row is reproducible on its own.
    n_test : int, default=1000
        Held-out uniform masks for the R² (the same masks for every row).
    k_removal : int, optional
        Parts removed for the removal score (default ``min(10, n)``).

    Returns
    -------
    pandas.DataFrame
        One row per (method, budget) with columns :data:`COLUMNS`: ``n_queries`` (distinct
        ablations the method used), ``n_evaluated`` (of those, how many the model actually had
        to evaluate: the rest were reused from earlier runs), ``time`` (fit seconds), ``r2``
        (held-out faithfulness), ``removal`` (mean relative change of the true game over the
        removal curve ``k = 1..k_removal``, see :func:`~ablatio.removal_curve`), ``n_terms``
        and ``error`` (the message when the method could not run, e.g. a budget below its
        minimum; the numeric columns are then NaN).

    Examples
    --------
    >>> import ablatio
    >>> game = ablatio.sparse_and_game(8, n_terms=6, max_order=2, random_state=0)
    >>> table = ablatio.compare(game, ["kernelshap", "banzhaf"], [64, 256], random_state=0)
    >>> table[["method", "budget", "n_queries"]].values.tolist()
    [['kernelshap', 64, 64], ['kernelshap', 256, 256], ['banzhaf', 64, 64], ['banzhaf', 256, 256]]
    """
    import pandas as pd

    shared = as_game(game)
    if isinstance(methods, str | Method) or not len(methods):
        msg = "methods must be a non-empty list of method names or Method objects"
        raise ParameterError(msg)
    bad = [b for b in budgets if not isinstance(b, numbers.Integral) or b < 1]
    if bad or not len(budgets):
        msg = f"budgets must be a non-empty list of positive ints, got {list(budgets)!r}"
        raise ParameterError(msg)
    n = shared.n_players
    k = min(DEFAULT_K_REMOVAL, n) if k_removal is None else k_removal
    seed = _seed(random_state)
    rows = []
    for spec in methods:
        for budget in budgets:
            estimator = _configure(spec, int(budget), max_order, seed)
            rows.append(_run(estimator, shared, int(budget), seed, n_test, k))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _run(
    estimator: Method, game: Any, budget: int, seed: int, n_test: int, k_removal: int
) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS, np.nan)
    row.update(
        method=estimator.name,
        budget=budget,
        max_order=np.nan if estimator.max_order is None else estimator.max_order,
        error=None,
    )
    before = game.n_evaluated
    try:
        estimator.fit(game)
    except AblatioError as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
        return row
    row.update(
        max_order=estimator.max_order_,
        n_queries=estimator.n_queries_,
        n_evaluated=game.n_evaluated - before,
        time=estimator.fit_time_,
        r2=faithfulness(estimator, game, n_test=n_test, random_state=seed),
        removal=float(removal_curve(estimator, game, k_removal).relative_change[1:].mean()),
        n_terms=len(estimator.interactions_),
    )
    return row
