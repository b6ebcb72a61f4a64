"""``MobiusRecovery``: sparse Möbius transform by aliasing, group testing and peeling.

Learning to Understand (Kang, Erginbas, Butler, Pedarsani, Ramchandran, NeurIPS 2024): for a
game with few AND terms ``f(m) = Σ_k a(k) Π_{i∈k} m_i`` of order ``<= t``, query masks that
alias the Möbius coefficients into ``2^b`` buckets (:mod:`ablatio.designs.group_testing`), find
buckets holding a single term, read that term's players from ``p`` random group tests, peel it
out of every bucket it falls into, and repeat.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar

import numpy as np

from ablatio.designs.group_testing import (
    aliased_masks,
    bucket_of,
    comp_decode,
    hash_groups,
    random_pools,
)
from ablatio.exceptions import ParameterError, RecoveryWarning
from ablatio.games.game import Game
from ablatio.interactions import Interactions
from ablatio.methods._fourier_selection import r2_score
from ablatio.methods.base import Interval, Method
from ablatio.transforms.moebius import moebius_transform
from ablatio.transforms.solve import least_squares
from ablatio.transforms.terms import tuples_to_terms

__all__ = ["MobiusRecovery"]

#: Fewest hash bits (groups) a design may use.
_MIN_BITS = 2
#: Refit coefficients below this share of max|f| are rounding noise and dropped.
_NEGLIGIBLE = 1e-9
#: Target probability that a given outsider player survives every pool of a decode.
_OUTSIDER_SURVIVAL = 1e-3


class MobiusRecovery(Method):
    """Sparse Möbius (AND-term) recovery with group-testing designs.

    Parameters
    ----------
    budget : int
        Maximum number of distinct ablations; the design uses ``C (p+1) 2^b`` masks at most,
        with the largest ``b`` that fits.
    max_order : int, default=3
        Largest term order ``t`` the group tests are sized for.
    n_hashes : int, default=3
        Number ``C`` of independent hashings (peeling needs a term alone in one bucket).
    n_pools : int or None, default=None
        Group tests ``p`` per hashing; default ``ceil(ln(n / 1e-3) / (ρ(1-ρ)^t))``, enough
        for the COMP decoder to clear every outsider with high probability.
    pool_density : float or None, default=None
        Probability ``ρ`` that a pool holds a player; default ``1 / (max_order + 1)``.
    tol : float, default=1e-6
        Relative tolerance of the singleton test (ratios within ``tol`` of 0 or 1) and of
        empty buckets (``|U| <= tol · max|U|``).
    max_iter : int, default=50
        Peeling rounds.
    refit : bool, default=True
        Refit the recovered terms by least squares on every queried mask.
    warn_r2 : float, default=0.5
        R² on the queried masks under which a RecoveryWarning is emitted.
    random_state : int, Generator or None
        Seed of the hashings and pools.

    Attributes
    ----------
    interactions_ : Interactions
        Recovered Möbius terms.
    n_bits_, n_pools_ : int
        The design's ``b`` and ``p``.
    r2_ : float
        R² of the result on all queried masks.

    Notes
    -----
    With player groups ``g_c(i)`` and pools ``d_1..d_p``, bucket ``j`` of hashing ``c`` holds
    ``U_{c,d}(j) = Σ_{k: h_c(k)=j, k∩d=∅} a(k)``. A bucket is a singleton when every ratio
    ``U_{c,d_r}(j)/U_{c,∅}(j)`` is 0 or 1; then ``k`` = the players of the groups in ``j``
    that are in no negative pool, and ``a(k) = U_{c,∅}(j)``. Peeling subtracts
    ``a(k)[k ∩ d = ∅]`` from bucket ``h_{c'}(k)`` of every hashing.

    Examples
    --------
    >>> from ablatio import MobiusRecovery, sparse_and_game
    >>> game = sparse_and_game(16, 5, 2, random_state=0)
    >>> method = MobiusRecovery(budget=4000, max_order=2, random_state=0).fit(game)
    >>> method.interactions_.allclose(game.true_interactions, atol=1e-6)
    True
    """

    name: ClassVar[str] = "mobius"
    _check_tags: ClassVar[dict[str, Any]] = {"exact": "max_order", "exact_budget": 6000}
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "budget": [None, Interval(int, 1, None)],
        "max_order": [Interval(int, 1, None)],
        "n_hashes": [Interval(int, 1, None)],
        "n_pools": [None, Interval(int, 1, None)],
        "pool_density": [None, Interval(float, 0, 1)],
        "tol": [Interval(float, 0, 1)],
        "max_iter": [Interval(int, 1, None)],
        "refit": ["boolean"],
        "warn_r2": [Interval(float, None, 1)],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        budget: int | None = None,
        max_order: int = 3,
        n_hashes: int = 3,
        n_pools: int | None = None,
        pool_density: float | None = None,
        tol: float = 1e-6,
        max_iter: int = 50,
        refit: bool = True,
        warn_r2: float = 0.5,
        random_state: Any = None,
    ) -> None:
        self.budget = budget
        self.max_order = max_order
        self.n_hashes = n_hashes
        self.n_pools = n_pools
        self.pool_density = pool_density
        self.tol = tol
        self.max_iter = max_iter
        self.refit = refit
        self.warn_r2 = warn_r2
        self.random_state = random_state

    def _density(self) -> float:
        return self.pool_density if self.pool_density is not None else 1 / (self.max_order + 1)

    def _pools(self, n_players: int) -> int:
        if self.n_pools is not None:
            return self.n_pools
        rho, t = self._density(), self.max_order
        return math.ceil(math.log(n_players / _OUTSIDER_SURVIVAL) / (rho * (1 - rho) ** t))

    def min_budget(self, n_players: int) -> int:
        return self.n_hashes * (self._pools(n_players) + 1) * 2**_MIN_BITS

    def _fit(self, game: Game, rng: np.random.Generator) -> Interactions:
        if self.budget is None:
            msg = "MobiusRecovery needs a budget (maximum number of ablations): pass budget=..."
            raise ParameterError(msg)
        n = game.n_players
        p = self._pools(n)
        bits = int(math.floor(math.log2(self.budget / (self.n_hashes * (p + 1)))))
        bits = max(_MIN_BITS, min(bits, n))
        self.n_bits_, self.n_pools_ = bits, p
        groups, pools, buckets, all_masks = [], [], [], []
        for child in rng.spawn(self.n_hashes):
            g = hash_groups(n, bits, child)
            d = random_pools(n, p, self._density(), child)
            masks = aliased_masks(g, bits, d)  # (p+1, 2^b, n)
            values = game(masks.reshape(-1, n)).reshape(p + 1, 2**bits)
            groups.append(g)
            pools.append(d)
            buckets.append(np.stack([moebius_transform(v) for v in values]))
            all_masks.append((masks.reshape(-1, n), values.reshape(-1)))
        found = self._peel(groups, pools, buckets)
        if self.refit:
            found.setdefault((), 0.0)  # the refit always has an intercept (the constant term)
        terms = sorted(found, key=lambda k: (len(k), k))
        X = np.concatenate([m for m, _ in all_masks])
        y = np.concatenate([v for _, v in all_masks])
        idx = tuples_to_terms(terms) if terms else np.zeros((0, 0), dtype=np.int64)
        coef = np.array([found[k] for k in terms])
        if self.refit and terms:
            design = np.stack([X[:, list(k)].all(axis=1) for k in terms], axis=1)
            coef = least_squares(design.astype(np.float64), y)
        keep = np.abs(coef) > _NEGLIGIBLE * max(1.0, float(np.max(np.abs(y))))
        result = Interactions._build(idx[keep], coef[keep], n, "moebius")
        self.r2_ = r2_score(y, result.predict(X))
        if self.r2_ < self.warn_r2:
            msg = (
                f"MobiusRecovery: game not recovered: R² = {self.r2_:.3f} on the "
                f"{X.shape[0]} queried masks < warn_r2 = {self.warn_r2}. The game may not be "
                "a sparse sum of AND terms of order <= max_order: raise budget or max_order, "
                "or use method='proxyspex' / 'spex'"
            )
            warnings.warn(msg, RecoveryWarning, stacklevel=3)
        return result

    def _peel(
        self, groups: list[np.ndarray], pools: list[np.ndarray], buckets: list[np.ndarray]
    ) -> dict[tuple[int, ...], float]:
        """Peel singletons until no bucket yields a new term; returns ``{term: a(term)}``."""
        scale = max(float(np.abs(u[0]).max()) for u in buckets) or 1.0
        found: dict[tuple[int, ...], float] = {}
        for _ in range(self.max_iter):
            progress = False
            for c, u in enumerate(buckets):
                for j in np.flatnonzero(np.abs(u[0]) > self.tol * scale):
                    term = self._singleton(u[:, j], int(j), groups[c], pools[c], scale)
                    if term is None:
                        continue
                    value = float(u[0, j])
                    found[term] = found.get(term, 0.0) + value
                    for c2, u2 in enumerate(buckets):
                        kept = ~pools[c2][:, list(term)].any(axis=1)
                        u2[:, bucket_of(groups[c2], term)] -= value * np.r_[1.0, kept]
                    progress = True
            if not progress:
                break
        return found

    def _singleton(
        self,
        column: np.ndarray,
        bucket: int,
        groups: np.ndarray,
        pools: np.ndarray,
        scale: float,
    ) -> tuple[int, ...] | None:
        """The term alone in a bucket, or None (empty, several terms, or undecodable)."""
        base = column[0]
        if abs(base) <= self.tol * scale:
            return None
        ratios = column[1:] / base
        negative = np.abs(ratios - 1.0) <= self.tol  # pool misses the term
        positive = np.abs(ratios) <= self.tol
        if not np.all(negative | positive):
            return None
        candidates = np.flatnonzero((bucket >> groups) & 1)
        term = comp_decode(positive, pools, candidates)
        if term is None or len(term) > self.max_order or bucket_of(groups, term) != bucket:
            return None
        return term
