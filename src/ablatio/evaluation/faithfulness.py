"""Held-out faithfulness (R²) and top-k removal curves.

Faithfulness follows the SPEX/ProxySPEX protocol: draw ``n_test`` uniform masks from a stream
independent of the fitting stream, evaluate the true game on them (counted apart from the
method's budget) and score the explanation's predictions with

.. math::

    R^2 = 1 - \\frac{\\sum_q (y_q - \\hat y_q)^2}{\\sum_q (y_q - \\bar y)^2}.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ablatio._metrics import r2_score
from ablatio._validation import RandomState
from ablatio.designs.random import bernoulli_masks, held_out_generator
from ablatio.exceptions import ParameterError
from ablatio.games.game import Game
from ablatio.interactions import Interactions

__all__ = ["RemovalCurve", "faithfulness", "r2_score", "removal_curve"]


def _interactions(explanation: Any) -> Interactions:
    if isinstance(explanation, Interactions):
        return explanation
    for attr in ("interactions", "interactions_"):
        found = getattr(explanation, attr, None)
        if isinstance(found, Interactions):
            return found
    msg = "expected an Explanation, a fitted Method or Interactions"
    raise ParameterError(msg)


def _game(game: Any, n: int) -> Game:
    if isinstance(game, Game):
        out = game
    elif callable(game):
        out = Game(game, n=getattr(game, "n_players", None) or n)
    else:
        msg = "game must be a Game or a callable value function"
        raise ParameterError(msg)
    if out.n_players != n:
        msg = f"the explanation has n={n} parts but the game has n={out.n_players}"
        raise ParameterError(msg)
    return out


def keep_probability_of(explanation: Any, given: float | None = None) -> float:
    """Probability that a test mask keeps each part: ``given``, else the explanation's own.

    A method fitted with ``keep_probability=p`` (e.g. ``ProxySPEX``) approximates the game
    under masks keeping each part with probability p, so it is judged on that distribution;
    other explanations on uniform masks (p = 1/2).
    """
    if given is None:
        params = getattr(explanation, "params", None)
        found = params.get("keep_probability") if isinstance(params, dict) else None
        given = getattr(explanation, "keep_probability", 0.5) if found is None else found
    p = float(given)  # type: ignore[arg-type]
    if not 0.0 < p < 1.0:
        msg = f"keep_probability == {given!r}, must be strictly between 0 and 1"
        raise ParameterError(msg)
    return p


def faithfulness(
    explanation: Any,
    game: Any,
    n_test: int = 1000,
    random_state: RandomState = None,
    *,
    keep_probability: float | None = None,
) -> float:
    """R² of the explanation's predictions on ``n_test`` held-out masks.

    Parameters
    ----------
    explanation : Explanation, Method or Interactions
        Anything holding Möbius/Fourier interactions.
    game : Game or callable
        The true value function (its cache and counters are used).
    n_test : int, default=1000
        Number of held-out masks.
    random_state : int, Generator or None
        An int seed is turned into a stream independent of the fitting stream with the same
        seed (see :func:`~ablatio.designs.random.held_out_generator`).
    keep_probability : float or None
        Each part is kept with this probability in the test masks; None: the explanation's
        own fitting distribution (:func:`keep_probability_of`, uniform for most methods).
    """
    if not isinstance(n_test, int) or n_test < 2:
        msg = f"n_test == {n_test!r}, must be an int >= 2"
        raise ParameterError(msg)
    inter = _interactions(explanation)
    game = _game(game, inter.n_players)
    p = keep_probability_of(explanation, keep_probability)
    rng = held_out_generator(random_state)
    masks = bernoulli_masks(inter.n_players, n_test, rng, p)
    y = game(masks)
    return r2_score(y, inter.predict(masks))


@dataclass(frozen=True)
class RemovalCurve:
    """Value of the game as the explanation's most important parts are removed.

    Attributes
    ----------
    k : ndarray of shape (k_max + 1,)
        Number of parts removed (0 = full input).
    removed : list of int
        Parts in the order they were removed.
    predicted : ndarray of shape (k_max + 1,)
        The explanation's prediction after removing the first ``k`` parts.
    actual : ndarray of shape (k_max + 1,)
        The game's true value after removing them.
    relative_change : ndarray of shape (k_max + 1,)
        ``|f(1) - f(m_k)| / |f(1)|`` (``|f(1) - f(m_k)|`` when ``f(1) == 0``).
    """

    k: np.ndarray
    removed: list[int]
    predicted: np.ndarray
    actual: np.ndarray
    relative_change: np.ndarray


def removal_curve(
    explanation: Any, game: Any, k_max: int = 10, direction: str = "decrease"
) -> RemovalCurve:
    """Greedily remove the part whose removal moves the explanation most, ``k_max`` times.

    Starting from the full input, each step removes the part that lowers (``"decrease"``) or
    raises (``"increase"``) the explanation's prediction the most; the true game is evaluated
    on the nested masks (``k_max + 1`` ablations, counted apart from any budget).
    """
    if direction not in ("decrease", "increase"):
        msg = f"direction == {direction!r}; choose 'decrease' or 'increase'"
        raise ParameterError(msg)
    inter = _interactions(explanation)
    n = inter.n_players
    if not isinstance(k_max, int) or not 1 <= k_max <= n:
        msg = f"k_max == {k_max!r}, must be an int in [1, n={n}]"
        raise ParameterError(msg)
    game = _game(game, n)
    sign = 1.0 if direction == "decrease" else -1.0
    current = np.ones(n, dtype=bool)
    path = [current.copy()]
    removed: list[int] = []
    for _ in range(k_max):
        alive = np.flatnonzero(current)
        candidates = np.repeat(current[None, :], alive.size, axis=0)
        candidates[np.arange(alive.size), alive] = False
        scores = sign * inter.predict(candidates)
        best = int(alive[np.argmin(scores)])
        current[best] = False
        removed.append(best)
        path.append(current.copy())
    masks = np.array(path)
    actual = game(masks)
    base = abs(actual[0]) if actual[0] != 0 else 1.0
    return RemovalCurve(
        k=np.arange(k_max + 1),
        removed=removed,
        predicted=inter.predict(masks),
        actual=actual,
        relative_change=np.abs(actual[0] - actual) / base,
    )
