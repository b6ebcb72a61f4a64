"""``ablatio.explain``: one call from a value function to a checked, sparse explanation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ablatio._progress import resolve_progress
from ablatio._validation import RandomState
from ablatio.exceptions import ParameterError
from ablatio.games.game import Game, Progress
from ablatio.interactions import Interactions
from ablatio.methods import Method, make_method

__all__ = ["Explanation", "explain"]


@dataclass(frozen=True)
class Explanation:
    """What :func:`explain` returns.

    Attributes
    ----------
    interactions : Interactions
        The sparse explanation (Möbius basis unless the method says otherwise).
    n_queries : int
        Distinct ablations the method evaluated (its budget use).
    method : str
        Registry name of the method.
    params : dict
        The method's parameters.
    fit_time : float
        Seconds spent fitting.
    holdout_r2 : float
        The method's R² on ablations it did not learn from (``nan`` if it makes none).
    warnings : tuple of str
        RecoveryWarnings the method emitted.
    model : str
        The surrogate the method returned (its ``model_``: the method's name, or for SPEX /
        ProxySPEX ``"decoded"``, a best-of alternative or ``"stacked"``).
    model_weights : dict of str to float
        Weight of each candidate in that surrogate (``{model: 1.0}`` unless stacked).
    """

    interactions: Interactions
    n_queries: int
    method: str
    params: dict[str, Any] = field(default_factory=dict)
    fit_time: float = 0.0
    holdout_r2: float = float("nan")
    warnings: tuple[str, ...] = ()
    model: str = ""
    model_weights: dict[str, float] = field(default_factory=dict)

    def predict(self, masks: Any) -> np.ndarray:
        """The explanation's values ``(n_masks,)`` for masks ``(n_masks, n_players)``."""
        return self.interactions.predict(masks)

    def top(self, k: int = 10) -> Interactions:
        """The ``k`` largest non-constant terms (raw, in the explanation's basis)."""
        return self.interactions.top(k)

    def shapley_values(self) -> Any:
        """Shapley values as a pandas Series indexed by part name."""
        from ablatio.report.summary import shapley_series

        return shapley_series(self.interactions)

    def variance_by_order(self) -> Any:
        """Share of the variance over uniform masks carried by each order (Fourier view)."""
        from ablatio.report.summary import variance_by_order

        return variance_by_order(self.interactions)

    def summary(self, k: int = 10, index: str = "stii") -> Any:
        """Named Shapley values, the ``k`` strongest pairs of ``index``, variance by order."""
        from ablatio.report.summary import summarize

        header = (
            f"Explanation(method={self.method!r}, n_queries={self.n_queries}, "
            f"fit_time={self.fit_time:.3g}s, n_players={self.interactions.n_players})"
        )
        return summarize(self.interactions, k=k, index=index, header=header)

    @property
    def plot(self) -> Any:
        """Matplotlib plots: ``.bar()``, ``.waterfall()``, ``.network()``, ``.text()``."""
        from ablatio.report.plot_api import ExplanationPlots

        return ExplanationPlots(self.interactions)

    def __repr__(self) -> str:
        return str(self.summary())


def explain(
    fn: Callable[[np.ndarray], Any] | Game,
    n: int | None = None,
    *,
    method: str | Method = "exact",
    budget: int | None = None,
    max_order: int | None = None,
    random_state: RandomState = None,
    feature_names: Sequence[str] | None = None,
    part_keys: Sequence[str] | Literal[False] | None = None,
    ordered: bool | None = None,
    cache: str | Path | None = None,
    name: str | None = None,
    version: str | None = None,
    batch_size: int = 256,
    progress: Callable[[Progress], None] | bool | None = None,
    options: dict[str, Any] | None = None,
) -> Explanation:
    """Explain a value function over ``n`` parts with the chosen method.

    Parameters
    ----------
    fn : callable, target or Game
        ``fn(masks) -> values`` with masks ``bool (n_masks, n)`` (True = part kept).
    n : int, optional
        Number of parts (not needed for a Game or a target).
    method : str or Method, default="exact"
        A registry name (see ``ablatio.methods.METHODS``) or a configured Method.
    budget : int, optional
        Maximum number of distinct ablations (None: the method's ``default_budget(n)``).
    max_order : int, optional
        Largest interaction order to look for (None: the method's default, capped at ``n``).
    random_state : int, Generator or None
        Seed of every random choice; the same seed gives the same explanation.
    feature_names, part_keys, ordered, cache, name, version, batch_size
        Passed to :class:`~ablatio.games.game.Game` when ``fn`` is not already one. With a
        Game, ``feature_names`` names the parts of the result, and ``part_keys``,
        ``ordered``, ``cache``, ``name`` or ``version`` raise (build the Game with them);
        ``batch_size`` is the Game's own.
    progress : callable or bool, optional
        A :class:`~ablatio.games.game.Progress` callback, or ``True`` for a progress bar
        (tqdm) of the fit's distinct ablations out of the budget. Off by default.
    options : dict, optional
        Extra constructor parameters of the method (unknown names raise).

    Examples
    --------
    >>> import ablatio
    >>> from ablatio.games.synthetic import sparse_and_game
    >>> game = sparse_and_game(8, n_terms=4, max_order=2, random_state=1)
    >>> expl = ablatio.explain(game, method="exact", random_state=0)
    >>> expl.n_queries
    256
    """
    if isinstance(fn, Game):
        if n is not None and n != fn.n_players:
            msg = f"n == {n} but the game has n_players == {fn.n_players}"
            raise ParameterError(msg)
        settings = {
            "part_keys": part_keys,
            "ordered": ordered,
            "cache": cache,
            "name": name,
            "version": version,
        }
        for key, value in settings.items():
            if value is not None:
                msg = (
                    f"{key}= is a Game setting and this Game is already built: pass "
                    f"Game(fn, {key}=...) or call explain(fn, n, {key}=...) with the function"
                )
                raise ParameterError(msg)
        game = fn
    else:
        game = Game(
            fn,
            n,
            feature_names=feature_names,
            part_keys=part_keys,
            ordered=ordered,
            cache=cache,
            name=name,
            version=version,
            batch_size=batch_size,
        )
    estimator = make_method(
        method, budget=budget, max_order=max_order, random_state=random_state, options=options
    )
    label = method if isinstance(method, str) else estimator.name
    bar = resolve_progress(progress, budget, label, game.n_queries)
    previous = game.progress
    if bar is not None:
        game.progress = bar
    try:
        estimator.fit(game)
    finally:
        game.progress = previous
        if progress is True:
            bar.close()
    interactions = estimator.interactions_
    if isinstance(fn, Game) and feature_names is not None:
        interactions = interactions.with_feature_names(feature_names)
    return Explanation(
        interactions=interactions,
        n_queries=estimator.n_queries_,
        method=estimator.name,
        params=estimator.get_params(),
        fit_time=estimator.fit_time_,
        holdout_r2=estimator.holdout_r2_,
        warnings=tuple(estimator.warnings_),
        model=estimator.model_,
        model_weights=dict(estimator.model_weights_),
    )
