"""``FaithBanzhaf``: Faith-Banzhaf interaction indices up to order k by least squares on
uniform masks."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ablatio.designs.kernel import sample_coalitions, uniform_size_weights
from ablatio.games.game import Game
from ablatio.interactions import Interactions
from ablatio.methods.base import Interval, Method
from ablatio.transforms.basis import all_terms, moebius_basis, n_terms_up_to
from ablatio.transforms.solve import least_squares

__all__ = ["FaithBanzhaf"]


class FaithBanzhaf(Method):
    """Faith-Banzhaf interactions (FBII) of order ``<= max_order`` by least squares.

    Parameters
    ----------
    budget : int, optional
        Distinct ablations: at least ``p = Σ_{j≤k} binom(n, j)``, the number of regression
        parameters.
        ``None`` = the common default (``Method.default_budget``: all ``2^n`` masks up to 4096).
    max_order : int, optional
        Largest interaction order ``k`` (default 2, capped at ``n``).
    pairing : bool, default=True
        Draw every mask together with its complement.
    random_state : int, Generator or None
        Seed of the mask draws.

    Attributes
    ----------
    interactions_ : Interactions
        The fitted function ``Σ_{|T|≤k} φ_T Π_{i∈T} m_i`` in the Möbius basis; its coefficients
        are the Faith-Banzhaf indices (``φ_∅`` is the intercept).
    n_queries_ : int
    fit_time_ : float

    Notes
    -----
    Faith-Banzhaf is the best approximation of order ``k`` in mean squared error over uniform
    masks,

    .. math::

        \\min_\\phi \\; 2^{-n} \\sum_{S \\subseteq N}
        \\Big(f(S) - \\sum_{T \\subseteq S, |T| \\le k} \\phi_T\\Big)^2,

    i.e. the Fourier spectrum truncated at order ``k``. The sum is estimated on distinct uniform
    masks with importance weights (:mod:`ablatio.designs.kernel`); with every mask the solution
    equals the closed form ``Interactions.index("fbii", k)``. For ``k = 1`` the slopes are the
    Banzhaf values. A sample that does not identify every
    coefficient (possible near the minimum budget) gets the minimum-norm solution
    (:data:`ablatio.transforms.solve.RANK_RTOL`).

    References
    ----------
    Tsai, Yeh & Ravikumar, "Faith-Shap", JMLR 2023 (Faith-Banzhaf, §5).

    Examples
    --------
    >>> from ablatio import FaithBanzhaf
    >>> from ablatio.games.synthetic import sparse_and_game
    >>> game = sparse_and_game(6, n_terms=5, max_order=2, random_state=0)
    >>> est = FaithBanzhaf(max_order=2, budget=40, random_state=0).fit(game)
    >>> est.interactions_.allclose(game.true_interactions)
    True
    """

    name: ClassVar[str] = "faithbanzhaf"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "budget": [None, Interval(int, 1, None)],
        "max_order": [None, Interval(int, 1, None)],
        "pairing": ["boolean"],
        "random_state": ["random_state"],
    }
    default_max_order: ClassVar[int | None] = 2
    _check_tags: ClassVar[dict[str, Any]] = {
        "exact": "max_order",
        "params": {"max_order": 2},
    }

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
        return n_terms_up_to(n_players, self.resolved_max_order(n_players))

    def _fit(self, game: Game, rng: np.random.Generator) -> Interactions:
        n, k = game.n_players, self.max_order_
        budget = self.budget_
        design = sample_coalitions(n, budget, uniform_size_weights(n), rng, pairing=self.pairing)
        values = game(design.masks)
        terms = all_terms(n, k)
        coef = least_squares(moebius_basis(design.masks, terms), values, weights=design.weights())
        return Interactions._build(terms, coef, n, "moebius")
