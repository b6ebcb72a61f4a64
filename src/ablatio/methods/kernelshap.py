"""``KernelSHAP``: Shapley values by Shapley-kernel weighted least squares."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ablatio.designs.kernel import log_shapley_kernel, sample_coalitions, shapley_size_weights
from ablatio.games.game import Game
from ablatio.interactions import Interactions
from ablatio.methods._common import first_order_surrogate
from ablatio.methods.base import Interval, Method, Options
from ablatio.transforms.solve import least_squares

__all__ = ["KernelSHAP"]


class KernelSHAP(Method):
    """Shapley values from a Shapley-kernel weighted linear regression on coalitions.

    Parameters
    ----------
    budget : int, optional
        Distinct ablations (at least ``n + 1``).
        ``None`` = the common default (``Method.default_budget``: all ``2^n`` masks up to 4096).
    max_order : {1, None}, default=None
        KernelSHAP explains single parts; use ``"faithshap"`` for interactions.
    pairing : bool, default=True
        Draw every coalition together with its complement.
    random_state : int, Generator or None
        Seed of the coalition draws.

    Attributes
    ----------
    interactions_ : Interactions
        Möbius surrogate ``f(∅) + Σ_i φ_i m_i``; ``shapley_values()`` returns ``φ``.
    n_queries_ : int
    fit_time_ : float

    Notes
    -----
    ``∅`` and the full set ``N`` are always evaluated; the other coalitions are drawn with size
    probabilities ``∝ 1/(s(n-s))`` (border sizes enumerated when the budget allows, see
    :mod:`ablatio.designs.kernel`) and weighted by the Shapley kernel times their importance
    weight. The efficiency-constrained problem

    .. math::

        \\min_\\phi \\sum_{\\emptyset \\ne S \\ne N} \\mu(|S|)\\,\\mathrm{adj}(S)
        \\Big(f(S) - f(\\emptyset) - \\sum_{i \\in S} \\phi_i\\Big)^2
        \\quad \\text{s.t.} \\quad \\sum_i \\phi_i = f(N) - f(\\emptyset),

    with ``μ(s) = 1/((n-1) binom(n-2, s-1))``, is solved exactly; with every coalition its
    solution is the Shapley value.

    References
    ----------
    Lundberg & Lee, NeurIPS 2017; Covert & Lee, AISTATS 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from ablatio import Exact, KernelSHAP
    >>> from ablatio.games.synthetic import sparse_and_game
    >>> game = sparse_and_game(6, n_terms=5, max_order=3, random_state=0)
    >>> phi = KernelSHAP(budget=64, random_state=0).fit(game).interactions_.shapley_values()
    >>> bool(np.allclose(phi, game.true_interactions.shapley_values()))
    True
    """

    name: ClassVar[str] = "kernelshap"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "budget": [None, Interval(int, 1, None)],
        "max_order": [None, Options((1,))],
        "pairing": ["boolean"],
        "random_state": ["random_state"],
    }
    _check_tags: ClassVar[dict[str, Any]] = {"exact": "additive"}

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
        return n_players + 1

    def _fit(self, game: Game, rng: np.random.Generator) -> Interactions:
        n = game.n_players
        budget = self.budget_
        design = sample_coalitions(
            n, budget, shapley_size_weights(n), rng, pairing=self.pairing, required_sizes=(0, n)
        )
        values = game(design.masks)
        sizes = design.sizes
        f_empty = float(values[sizes == 0][0])
        f_full = float(values[sizes == n][0])
        inner = (sizes > 0) & (sizes < n)
        phi = least_squares(
            design.masks[inner].astype(np.float64),
            values[inner] - f_empty,
            weights=design.weights(log_shapley_kernel(n))[inner],
            constraints=(np.ones((1, n)), np.array([f_full - f_empty])),
        )
        return first_order_surrogate(f_empty, phi)
