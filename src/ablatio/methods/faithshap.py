"""``FaithShap``: Faith-Shap interaction indices up to order k by constrained weighted least
squares under the Shapley kernel."""

from __future__ import annotations

from math import comb
from typing import Any, ClassVar

import numpy as np

from ablatio.designs.kernel import log_shapley_kernel, sample_coalitions, shapley_size_weights
from ablatio.games.game import Game
from ablatio.interactions import Interactions
from ablatio.methods.base import Interval, Method
from ablatio.transforms.basis import all_terms, moebius_basis, n_terms_up_to
from ablatio.transforms.solve import least_squares

__all__ = ["FaithShap", "border_sizes"]


def border_sizes(n: int, order: int) -> tuple[int, ...]:
    """Sizes a Faith-Shap fit of order ``order`` enumerates: ``s < order`` or ``s > n - order``."""
    return tuple(s for s in range(n + 1) if s < order or s > n - order)


class FaithShap(Method):
    """Faith-Shap interactions (FSII) of order ``<= max_order`` by weighted least squares.

    Parameters
    ----------
    budget : int, optional
        Distinct ablations: at least ``max(p, b)`` with ``p = Σ_{j≤k} binom(n, j)`` regression
        parameters and ``b`` the coalitions of the border sizes ``s < k`` and ``s > n - k``.
        ``None`` = the common default (``Method.default_budget``: all ``2^n`` masks up to 4096).
    max_order : int, optional
        Largest interaction order ``k`` (default 2, capped at ``n``).
    pairing : bool, default=True
        Draw every coalition together with its complement.
    random_state : int, Generator or None
        Seed of the coalition draws.

    Attributes
    ----------
    interactions_ : Interactions
        The fitted function ``Σ_{|T|≤k} φ_T Π_{i∈T} m_i`` in the Möbius basis; its coefficients
        are the Faith-Shap indices (``φ_∅ = f(∅)``).
    n_queries_ : int
    fit_time_ : float

    Notes
    -----
    Faith-Shap is the solution of

    .. math::

        \\min_\\phi \\sum_{\\emptyset \\ne S \\ne N} \\mu(|S|)
        \\Big(f(S) - \\sum_{T \\subseteq S, |T| \\le k} \\phi_T\\Big)^2
        \\quad \\text{s.t.} \\quad \\phi_\\emptyset = f(\\emptyset),\\;
        \\sum_{|T| \\le k} \\phi_T = f(N),

    with the Shapley kernel ``μ(s) = 1/((n-1) binom(n-2, s-1))``. The sums run over sampled
    coalitions with importance weights (border sizes enumerated, see
    :mod:`ablatio.designs.kernel`); with every coalition the solution equals the closed form
    ``Interactions.index("fsii", k)``. For ``k = 1`` it is KernelSHAP. A sample that does not
    identify every coefficient (possible near the minimum budget) gets the minimum-norm
    solution (:data:`ablatio.transforms.solve.RANK_RTOL`).

    References
    ----------
    Tsai, Yeh & Ravikumar, "Faith-Shap: The faithful Shapley interaction index", JMLR 2023.

    Examples
    --------
    >>> from ablatio import FaithShap
    >>> from ablatio.games.synthetic import sparse_and_game
    >>> game = sparse_and_game(6, n_terms=5, max_order=2, random_state=0)
    >>> est = FaithShap(max_order=2, budget=64).fit(game)  # every mask: exact
    >>> est.interactions_.allclose(game.true_interactions)
    True
    """

    name: ClassVar[str] = "faithshap"
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
        k = self.resolved_max_order(n_players)
        border = sum(comb(n_players, s) for s in border_sizes(n_players, k))
        return max(n_terms_up_to(n_players, k), border)

    def _fit(self, game: Game, rng: np.random.Generator) -> Interactions:
        n, k = game.n_players, self.max_order_
        budget = self.budget_
        design = sample_coalitions(
            n,
            budget,
            shapley_size_weights(n, order=k),
            rng,
            pairing=self.pairing,
            required_sizes=border_sizes(n, k),
        )
        values = game(design.masks)
        terms = all_terms(n, k)
        X = moebius_basis(design.masks, terms)
        sizes = design.sizes
        ends = np.concatenate([np.flatnonzero(sizes == 0)[:1], np.flatnonzero(sizes == n)[:1]])
        inner = (sizes > 0) & (sizes < n)
        coef = least_squares(
            X[inner],
            values[inner],
            weights=design.weights(log_shapley_kernel(n))[inner],
            constraints=(X[ends], values[ends]),
        )
        return Interactions._build(terms, coef, n, "moebius")
