"""Synthetic games with known sparse interactions: oracles for tests, benchmarks and users.

* :func:`sparse_and_game`: ``f(m) = Σ_T a(T) Π_{i∈T} m_i`` (Möbius / AND terms)
* :func:`sparse_parity_game`: ``f(m) = Σ_T F(T) (-1)^{|m ∩ T|}`` (Fourier / parity terms)
* :func:`hierarchical_game`: AND terms closed under subsets (every subset of a term present)

Coefficients have magnitudes uniform in ``[low, high]`` and random signs; term orders are
uniform in ``1..max_order``. Optional Gaussian noise is *frozen*: a deterministic function of
the mask and the seed, so a cache never disagrees with a fresh evaluation.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from ablatio._validation import RandomState, check_masks, check_n_players, check_random_state
from ablatio.exceptions import ParameterError
from ablatio.interactions import Interactions

__all__ = ["SyntheticGame", "hierarchical_game", "sparse_and_game", "sparse_parity_game"]

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX2
    return x ^ (x >> np.uint64(31))


class SyntheticGame:
    """A game whose true interactions are known.

    Parameters
    ----------
    interactions : Interactions
        The true function (Möbius or Fourier basis).
    noise_sd : float, default=0.0
        Standard deviation of frozen Gaussian noise added to every value.
    noise_seed : int, default=0
        Seed of the noise (same mask, same seed → same noise).

    Attributes
    ----------
    true_interactions : Interactions
        What a method should recover.
    n_players : int
    """

    def __init__(
        self, interactions: Interactions, *, noise_sd: float = 0.0, noise_seed: int = 0
    ) -> None:
        if noise_sd < 0 or not np.isfinite(noise_sd):
            msg = f"noise_sd == {noise_sd}, must be a finite number >= 0"
            raise ParameterError(msg)
        self.true_interactions = interactions
        self.n_players = interactions.n_players
        self.player_names = interactions.feature_names
        self.noise_sd = float(noise_sd)
        self.noise_seed = int(noise_seed)
        with np.errstate(over="ignore"):
            keys = np.random.default_rng(self.noise_seed).integers(
                0, 2**63, size=(self.n_players + 63) // 64 + 1, dtype=np.uint64
            )
        self._keys = keys

    def __call__(self, masks: Any) -> np.ndarray:
        """Values ``(n_masks,)`` of bool masks ``(n_masks, n_players)``."""
        masks = check_masks(masks, self.n_players)
        values = self.true_interactions.predict(masks)
        if self.noise_sd > 0:
            values = values + self.noise_sd * self._frozen_normal(masks)
        return values

    def _frozen_normal(self, masks: np.ndarray) -> np.ndarray:
        """Standard normal draws that depend only on each mask and the noise seed."""
        words = self._keys.size - 1
        padded = np.zeros((masks.shape[0], words * 64), dtype=bool)
        padded[:, : self.n_players] = masks
        packed = np.packbits(padded, axis=1).view(np.uint64)  # (q, words)
        with np.errstate(over="ignore"):
            h = np.full(masks.shape[0], self._keys[-1], dtype=np.uint64)
            for w in range(words):
                h = _splitmix(h ^ (packed[:, w] + self._keys[w]))
            h2 = _splitmix(h ^ self._keys[0])
        u1 = ((h >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53
        u2 = ((h2 >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)

    def signal_variance(self) -> float:
        """Variance of the noiseless game under uniform masks (``Σ_{T≠∅} F(T)²``)."""
        fourier = self.true_interactions.to_fourier()
        return float(np.sum(fourier.coefficients[fourier.orders > 0] ** 2))

    def noise_ceiling(self) -> float:
        """Best achievable held-out R² given the noise: ``var(signal) / (var(signal) + sd²)``."""
        var = self.signal_variance()
        return var / (var + self.noise_sd**2) if var > 0 else 0.0

    def fingerprint(self) -> str:
        """Hash of the true terms and the noise settings."""
        h = hashlib.sha256()
        h.update(self.true_interactions.basis.encode())
        h.update(repr(self.true_interactions.as_dict()).encode())
        h.update(f"{self.n_players}|{self.noise_sd}|{self.noise_seed}".encode())
        return h.hexdigest()[:32]

    def __repr__(self) -> str:
        t = self.true_interactions
        return (
            f"SyntheticGame(basis={t.basis!r}, n_players={self.n_players}, n_terms={len(t)}, "
            f"max_order={t.max_order}, noise_sd={self.noise_sd})"
        )


def _check(n: int, n_terms: int, max_order: int, low: float, high: float) -> int:
    n = check_n_players(n)
    if not isinstance(max_order, int) or not 1 <= max_order <= n:
        msg = f"max_order == {max_order!r}, must be an int in [1, n={n}]"
        raise ParameterError(msg)
    if not isinstance(n_terms, int) or n_terms < 1:
        msg = f"n_terms == {n_terms!r}, must be a positive int"
        raise ParameterError(msg)
    if not 0 < low <= high:
        msg = f"coefficient range [{low}, {high}] must satisfy 0 < low <= high"
        raise ParameterError(msg)
    return n


def _random_terms(
    n: int, n_terms: int, max_order: int, rng: np.random.Generator
) -> list[tuple[int, ...]]:
    from math import comb

    capacity = sum(comb(n, r) for r in range(1, max_order + 1))
    if n_terms > capacity:
        msg = f"n_terms == {n_terms} but only {capacity} subsets of order 1..{max_order} exist"
        raise ParameterError(msg)
    terms: dict[tuple[int, ...], None] = {}
    while len(terms) < n_terms:
        r = int(rng.integers(1, max_order + 1))
        term = tuple(sorted(rng.choice(n, size=r, replace=False).tolist()))
        terms.setdefault(term, None)
    return list(terms)


def _coefficients(k: int, low: float, high: float, rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(low, high, size=k) * rng.choice([-1.0, 1.0], size=k)


def sparse_and_game(
    n: int,
    n_terms: int = 20,
    max_order: int = 3,
    *,
    noise_sd: float = 0.0,
    low: float = 1.0,
    high: float = 2.0,
    random_state: RandomState = None,
) -> SyntheticGame:
    """A game with ``n_terms`` random Möbius (AND) terms of order ``1..max_order``.

    Examples
    --------
    >>> from ablatio.games.synthetic import sparse_and_game
    >>> game = sparse_and_game(8, n_terms=3, max_order=2, random_state=0)
    >>> len(game.true_interactions)
    3
    """
    n = _check(n, n_terms, max_order, low, high)
    rng = check_random_state(random_state)
    terms = _random_terms(n, n_terms, max_order, rng)
    coef = _coefficients(len(terms), low, high, rng)
    truth = Interactions(terms, coef, n_players=n, basis="moebius")
    return SyntheticGame(truth, noise_sd=noise_sd, noise_seed=int(rng.integers(2**31)))


def sparse_parity_game(
    n: int,
    n_terms: int = 20,
    max_order: int = 3,
    *,
    noise_sd: float = 0.0,
    low: float = 1.0,
    high: float = 2.0,
    random_state: RandomState = None,
) -> SyntheticGame:
    """A game with ``n_terms`` random Fourier (parity) terms of order ``1..max_order``."""
    n = _check(n, n_terms, max_order, low, high)
    rng = check_random_state(random_state)
    terms = _random_terms(n, n_terms, max_order, rng)
    coef = _coefficients(len(terms), low, high, rng)
    truth = Interactions(terms, coef, n_players=n, basis="fourier")
    return SyntheticGame(truth, noise_sd=noise_sd, noise_seed=int(rng.integers(2**31)))


def hierarchical_game(
    n: int,
    n_terms: int = 20,
    max_order: int = 3,
    *,
    noise_sd: float = 0.0,
    low: float = 1.0,
    high: float = 2.0,
    random_state: RandomState = None,
) -> SyntheticGame:
    """AND terms closed under taking subsets: about ``n_terms`` terms in all.

    Top-level terms are drawn until adding another one's (non-empty) subsets would exceed
    ``n_terms``; every non-empty subset of a top-level term gets its own coefficient.
    """
    n = _check(n, n_terms, max_order, low, high)
    rng = check_random_state(random_state)
    closed: dict[tuple[int, ...], None] = {}
    stalls = 0
    while len(closed) < n_terms and stalls < 100:
        r = int(rng.integers(1, max_order + 1))
        top = tuple(sorted(rng.choice(n, size=r, replace=False).tolist()))
        subsets = [tuple(p for j, p in enumerate(top) if code >> j & 1) for code in range(1, 2**r)]
        new = [s for s in subsets if s not in closed]
        if not new or len(closed) + len(new) > n_terms:
            stalls += 1
            continue
        closed.update(dict.fromkeys(new))
    terms = sorted(closed, key=lambda t: (len(t), t))
    coef = _coefficients(len(terms), low, high, rng)
    truth = Interactions(terms, coef, n_players=n, basis="moebius")
    return SyntheticGame(truth, noise_sd=noise_sd, noise_seed=int(rng.integers(2**31)))
