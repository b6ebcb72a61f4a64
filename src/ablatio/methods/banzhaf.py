"""``Banzhaf``: Banzhaf values by the maximum-sample-reuse (MSR) estimator."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ablatio.designs.kernel import sample_coalitions, uniform_size_weights
from ablatio.exceptions import BudgetTooSmallError
from ablatio.games.game import Game
from ablatio.interactions import Interactions
from ablatio.methods._common import first_order_surrogate
from ablatio.methods.base import Interval, Method, Options

__all__ = ["Banzhaf"]

#: Fewest masks that can show every part both kept and removed (a mask and its complement).
MIN_MSR_MASKS = 2


class Banzhaf(Method):
    """Banzhaf values from uniform random masks, every mask reused for every part.

    Parameters
    ----------
    budget : int, optional
        Distinct ablations (at least 2).
        ``None`` = the common default (``Method.default_budget``: all ``2^n`` masks up to 4096).
    max_order : {1, None}, default=None
        Banzhaf values are first-order; use ``"faithbanzhaf"`` for interactions.
    pairing : bool, default=True
        Draw every mask together with its complement, so that each part is seen both kept and
        removed equally often.
    random_state : int, Generator or None
        Seed of the mask draws.

    Attributes
    ----------
    interactions_ : Interactions
        Möbius surrogate ``c + Σ_i β_i m_i`` whose mean over uniform masks equals the estimated
        mean of the game, ``c = \\bar f - Σ_i β_i / 2`` (with every mask: the order-1
        Faith-Banzhaf fit); ``banzhaf_values()`` returns ``β``.
    n_queries_ : int
    fit_time_ : float

    Notes
    -----
    With masks ``m^{(q)}`` drawn uniformly (distinct, importance weights ``w_q`` from
    :mod:`ablatio.designs.kernel`; all equal unless border sizes were enumerated),

    .. math::

        \\beta_i \\approx \\frac{\\sum_q w_q f(m^{(q)}) m^{(q)}_i}{\\sum_q w_q m^{(q)}_i}
        - \\frac{\\sum_q w_q f(m^{(q)}) (1 - m^{(q)}_i)}{\\sum_q w_q (1 - m^{(q)}_i)}.

    All ``n`` estimates reuse every sample; with all ``2^n`` masks they are exact.

    References
    ----------
    Wang & Jia, "Data Banzhaf", AISTATS 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from ablatio import Banzhaf
    >>> from ablatio.games.synthetic import sparse_and_game
    >>> game = sparse_and_game(6, n_terms=5, max_order=3, random_state=0)
    >>> beta = Banzhaf(budget=64).fit(game).interactions_.banzhaf_values()
    >>> bool(np.allclose(beta, game.true_interactions.banzhaf_values()))
    True
    """

    name: ClassVar[str] = "banzhaf"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "budget": [None, Interval(int, 1, None)],
        "max_order": [None, Options((1,))],
        "pairing": ["boolean"],
        "random_state": ["random_state"],
    }
    _check_tags: ClassVar[dict[str, Any]] = {"exact": "additive", "exact_budget": "full"}

    def __init__(
        self,
        *,
        budget: int | None = None,
        max_order: int | None = None,
        pairing: bool = True,
        random_state: Any = None,
    ) -> None:
        self.budget = budget
        self.max_order = max_order
        self.pairing = pairing
        self.random_state = random_state

    def min_budget(self, n_players: int) -> int:
        return MIN_MSR_MASKS

    def _fit(self, game: Game, rng: np.random.Generator) -> Interactions:
        n = game.n_players
        budget = self.budget_
        design = sample_coalitions(n, budget, uniform_size_weights(n), rng, pairing=self.pairing)
        values = game(design.masks)
        w = design.weights()
        kept = design.masks.astype(np.float64) * w[:, None]  # (m, n)
        dropped = (~design.masks).astype(np.float64) * w[:, None]
        n_kept, n_dropped = kept.sum(axis=0), dropped.sum(axis=0)
        if np.any(n_kept == 0) or np.any(n_dropped == 0):
            player = int(np.flatnonzero((n_kept == 0) | (n_dropped == 0))[0])
            msg = (
                f"budget={budget}: part {player} was never both kept and removed among the "
                f"{design.masks.shape[0]} masks; raise budget or use pairing=True"
            )
            raise BudgetTooSmallError(msg, minimum=budget + 1)
        beta = values @ kept / n_kept - values @ dropped / n_dropped
        mean = float(values @ w / w.sum())
        return first_order_surrogate(mean - beta.sum() / 2.0, beta)
