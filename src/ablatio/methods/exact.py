"""``Exact``: evaluate all ``2^n`` masks and transform them (small n; the test oracle)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ablatio._metrics import r2_score
from ablatio.exceptions import ParameterError
from ablatio.games.game import Game
from ablatio.interactions import Interactions
from ablatio.methods.base import Interval, Method, Options
from ablatio.transforms.fourier import fourier_transform
from ablatio.transforms.moebius import moebius_transform
from ablatio.transforms.terms import PAD, canonical_order

__all__ = ["Exact", "all_masks"]


def all_masks(n: int) -> np.ndarray:
    """All ``2^n`` masks, row ``x`` keeping player ``i`` iff bit ``i`` of ``x`` is set."""
    codes = np.arange(2**n, dtype=np.int64)
    return ((codes[:, None] >> np.arange(n)) & 1).astype(bool)


def _dense_to_sparse(coef: np.ndarray, n: int, atol: float) -> tuple[np.ndarray, np.ndarray]:
    keep = np.flatnonzero(np.abs(coef) > atol)
    bits = ((keep[:, None] >> np.arange(n)) & 1).astype(bool)
    orders = bits.sum(axis=1)
    width = int(orders.max(initial=0))
    idx = np.full((keep.size, width), PAD, dtype=np.int64)
    for r in range(1, width + 1):
        rows = np.flatnonzero(orders == r)
        idx[rows, :r] = np.nonzero(bits[rows])[1].reshape(-1, r)
    perm = canonical_order(idx)
    return idx[perm], coef[keep][perm]


class Exact(Method):
    """Exact Möbius or Fourier transform from all ``2^n`` ablations.

    Parameters
    ----------
    max_order : int, optional
        Keep terms of order ``<= max_order``. ``None`` keeps every term (the game exactly).
        With a limit, the result is the best approximation of that order in mean squared
        error over uniform masks: the Fourier spectrum truncated at ``max_order`` (expressed in
        ``basis``), i.e. the Faith-Banzhaf interactions.
    basis : {"moebius", "fourier"}, default="moebius"
        Basis of the result.
    budget : int, optional
        If given, must be at least ``2^n``.
    max_players : int, default=20
        Largest ``n`` accepted (``2^20`` ≈ 10^6 ablations).
    rtol : float or None, default=None
        Coefficients with ``|c| <= rtol · max_m |f(m)|`` are round-off and dropped; ``None``
        uses the round-off bound of the fast transforms, ``n 2^{n/2} ε`` (``ε`` the float64
        machine epsilon). Relative to the game's own scale, so ``c·f + d`` is explained as
        ``c·explain(f) + d`` for any ``c`` and ``d``.
    random_state : None
        Unused (Exact draws nothing); accepted like every method's common parameters.

    Notes
    -----
    Fast transforms in ``O(n 2^n)``:

    .. math::

        a(T) = \\sum_{L \\subseteq T} (-1)^{|T|-|L|} f(L), \\qquad
        F(k) = 2^{-n} \\sum_m f(m) (-1)^{\\langle m, k \\rangle}

    Examples
    --------
    >>> from ablatio import Exact
    >>> from ablatio.games.synthetic import sparse_and_game
    >>> game = sparse_and_game(6, n_terms=3, max_order=2, random_state=0)
    >>> Exact().fit(game).interactions_.allclose(game.true_interactions)
    True
    """

    name: ClassVar[str] = "exact"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "max_order": [None, Interval(int, 1, None)],
        "basis": [Options(("moebius", "fourier"))],
        "budget": [None, Interval(int, 1, None)],
        "max_players": [Interval(int, 1, 30)],
        "rtol": [None, Interval(float, 0, None)],
        "random_state": ["random_state"],
    }
    default_max_order: ClassVar[int | None] = None
    #: How ``ablatio.testing.check_method`` exercises this method.
    _check_tags: ClassVar[dict[str, Any]] = {"exact": "any"}

    def __init__(
        self,
        *,
        max_order: int | None = None,
        basis: str = "moebius",
        budget: int | None = None,
        max_players: int = 20,
        rtol: float | None = None,
        random_state: Any = None,
    ) -> None:
        self.max_order = max_order
        self.basis = basis
        self.budget = budget
        self.max_players = max_players
        self.rtol = rtol
        self.random_state = random_state

    def min_budget(self, n_players: int) -> int:
        return 2**n_players

    def _check_game(self, game: Game) -> None:
        if game.n_players > self.max_players:
            msg = (
                f"Exact enumerates 2^n masks; n == {game.n_players} > max_players == "
                f"{self.max_players}. Use method='spex' or 'proxyspex' for large n"
            )
            raise ParameterError(msg)

    def _fit(self, game: Game, rng: np.random.Generator) -> Interactions:
        n = game.n_players
        values = game(all_masks(n))
        rtol = self.rtol if self.rtol is not None else n * 2 ** (n / 2) * np.finfo(float).eps
        atol = rtol * float(np.max(np.abs(values)))
        if self.max_order_ >= n:
            self.holdout_r2_ = 1.0  # every mask was evaluated: the result is the game
            if self.basis == "moebius":
                idx, coef = _dense_to_sparse(moebius_transform(values), n, atol)
                return Interactions._build(idx, coef, n, "moebius")
        fourier = fourier_transform(values)
        if self.max_order_ < n:
            codes = np.arange(2**n)
            orders = ((codes[:, None] >> np.arange(n)) & 1).sum(axis=1)
            fourier[orders > self.max_order_] = 0.0
        idx, coef = _dense_to_sparse(fourier, n, atol)
        result = Interactions._build(idx, coef, n, "fourier")
        if self.max_order_ < n:  # the population R² of the truncation, over all 2^n masks
            self.holdout_r2_ = r2_score(values, result.predict(all_masks(n)))
        return result if self.basis == "fourier" else result.to_moebius()
