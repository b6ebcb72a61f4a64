"""Möbius-domain aliasing and group-testing designs (sparse Möbius transform, Kang et al. 2024).

Aliasing by subsampling. Players are hashed into ``b`` groups (``group[i] ∈ 0..b-1``). For
``ℓ ∈ {0,1}^b`` and a *pool* ``d ⊆ N`` (players forcibly removed) the query keeps player ``i``
iff its group is switched on and it is not in the pool:

.. math::

    m_i(ℓ, d) = ℓ_{\\mathrm{group}(i)} \\wedge \\neg d_i .

If ``f(m) = Σ_k a(k) Π_{i∈k} m_i`` then ``u(ℓ) = f(m(ℓ, d)) = Σ_j [j ⊆ ℓ] U_d(j)`` with

.. math::

    U_d(j) = \\sum_{k:\\; h(k) = j,\\; k ∩ d = ∅} a(k), \\qquad
    h(k) = \\{\\mathrm{group}(i) : i ∈ k\\},

so the ``b``-bit Möbius transform of ``u`` puts every term ``k`` in bucket ``h(k)``. In a bucket
holding one term, ``U_d(j) / U_∅(j) = [k ∩ d = ∅]`` is the (negated) outcome of the group test
"does pool ``d`` contain a member of ``k``?", and ``k`` is decoded from the outcomes of
``p`` random pools by :func:`comp_decode`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["aliased_masks", "bucket_of", "comp_decode", "hash_groups", "random_pools"]


def hash_groups(n_players: int, n_bits: int, rng: np.random.Generator) -> np.ndarray:
    """Balanced random assignment of ``n_players`` to ``n_bits`` groups, int64 ``(n_players,)``."""
    return (rng.permutation(n_players) % n_bits).astype(np.int64)


def random_pools(
    n_players: int, n_pools: int, density: float, rng: np.random.Generator
) -> np.ndarray:
    """Bernoulli(``density``) pools ``bool (n_pools, n_players)``.

    For a term of ``t`` players, a pool tests negative with probability ``(1-ρ)^t`` and then
    clears every other player it holds; ``ρ = 1/(t+1)`` maximises the chance
    ``ρ(1-ρ)^t`` that one pool clears a given outsider.
    """
    return rng.random((n_pools, n_players)) < density


def aliased_masks(groups: np.ndarray, n_bits: int, pools: np.ndarray) -> np.ndarray:
    """Masks ``bool (n_pools + 1, 2^b, n_players)`` for the empty pool then each pool.

    Entry ``[r, ℓ]`` keeps player ``i`` iff bit ``group[i]`` of the integer ``ℓ`` is set and
    ``i`` is not in pool ``r`` (pool 0 is empty).
    """
    codes = np.arange(2**n_bits, dtype=np.int64)
    on = ((codes[:, None] >> groups[None, :]) & 1).astype(bool)  # (2^b, n)
    delays = np.concatenate([np.zeros((1, groups.size), dtype=bool), pools])
    return on[None, :, :] & ~delays[:, None, :]


def bucket_of(groups: np.ndarray, term: tuple[int, ...]) -> int:
    """Bucket ``h(k)``: the integer whose set bits are the groups of the players of ``term``."""
    code = 0
    for i in term:
        code |= 1 << int(groups[i])
    return code


def comp_decode(
    positive: np.ndarray, pools: np.ndarray, candidates: np.ndarray
) -> tuple[int, ...] | None:
    """Non-adaptive group-testing decode (COMP) with a consistency check.

    Every candidate in a negative pool is cleared; the rest are declared members. The answer
    is returned only if it explains every positive pool (else None: not a single term).

    Parameters
    ----------
    positive : ndarray of bool, shape (n_pools,)
        Outcome of each pool (True: the pool holds a member of the term).
    pools : ndarray of bool, shape (n_pools, n_players)
    candidates : ndarray of int
        Players that may belong to the term.
    """
    cleared = pools[~positive][:, candidates].any(axis=0)
    members = candidates[~cleared]
    if not np.array_equal(pools[:, members].any(axis=1), positive):
        return None
    return tuple(int(i) for i in np.sort(members))
