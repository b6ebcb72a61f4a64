"""Aliasing designs of SPEX: random subsampling matrices combined with BCH delays.

Group ``c`` has a random hash ``M_c ∈ {0,1}^{b_max × n}``; its level-``b`` masks are

.. math::

    m_{c,i,\\ell} = M_c[:b]^\\top \\ell \\oplus d_i, \\qquad
    \\ell \\in \\{0,1\\}^b,\\; i = 0..p

with ``d_0 = 0`` and ``d_1..d_p`` the rows of the BCH delay matrix. A Walsh–Hadamard transform
over ``ℓ`` then aliases the Fourier coefficients into ``2^b`` buckets,

.. math::

    U_c[i, j] = \\sum_{k : M_c[:b] k = j} F(k) (-1)^{\\langle d_i, k \\rangle},

so bucket ``j`` of a single frequency ``k`` carries its sign pattern ``(-1)^{D k}``. Levels are
nested: the first ``2^b`` rows of level ``b + 1`` are level ``b`` (§7 of the design notes), and
the ``ℓ = 0`` masks (``d_i``) are shared by all groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["AliasingDesign", "draw_aliasing_design", "n_distinct_masks"]


def n_distinct_masks(n_groups: int, b: int, n_parity: int) -> int:
    """Distinct masks of a design: ``(p + 1) (C 2^b − (C − 1))`` (the ``d_i`` are shared)."""
    return (n_parity + 1) * (n_groups * 2**b - (n_groups - 1))


@dataclass(frozen=True)
class AliasingDesign:
    """The hashes and delays of one SPEX run.

    Attributes
    ----------
    hashes : ndarray of shape (n_groups, b_max, n), dtype bool
        Subsampling matrices ``M_c``.
    delays : ndarray of shape (p + 1, n), dtype bool
        Row 0 is the zero delay, rows ``1..p`` the BCH delays.
    """

    hashes: np.ndarray
    delays: np.ndarray

    @property
    def n_groups(self) -> int:
        """Number of subsampling groups ``C``."""
        return int(self.hashes.shape[0])

    @property
    def b_max(self) -> int:
        """Largest level available."""
        return int(self.hashes.shape[1])

    def masks(self, group: int, b: int) -> np.ndarray:
        """Masks of ``group`` at level ``b``: bool ``(p + 1, 2^b, n)``, ``ℓ`` as the integer."""
        n = self.hashes.shape[2]
        base = np.zeros((2**b, n), dtype=bool)
        for r in range(b):
            base[2**r : 2 ** (r + 1)] = base[: 2**r] ^ self.hashes[group, r]
        return base[None, :, :] ^ self.delays[:, None, :]

    def bucket_codes(self, group: int) -> np.ndarray:
        """``Σ_r M_c[r, i] 2^r`` per player ``(n,)`` int64: XOR over a term gives its bucket."""
        weights = np.int64(1) << np.arange(self.b_max, dtype=np.int64)
        return (self.hashes[group].astype(np.int64) * weights[:, None]).sum(axis=0)

    def buckets(self, idx: np.ndarray, b: int) -> np.ndarray:
        """Bucket of each padded term ``(k, width)`` in every group: ``(n_groups, k)`` int64."""
        out = np.zeros((self.n_groups, idx.shape[0]), dtype=np.int64)
        for c in range(self.n_groups):
            codes = np.append(self.bucket_codes(c), 0)  # padding (-1) maps to 0
            out[c] = np.bitwise_xor.reduce(codes[idx], axis=1) if idx.shape[1] else 0
        return out & (2**b - 1)

    def signs(self, idx: np.ndarray) -> np.ndarray:
        """Delay signs ``(-1)^{⟨d_i, k⟩}`` of padded terms: ``(k, p + 1)`` float64."""
        ext = np.concatenate([self.delays, np.zeros((self.delays.shape[0], 1), bool)], axis=1)
        parity = np.bitwise_xor.reduce(ext[:, idx], axis=2) if idx.shape[1] else None
        if parity is None:
            return np.ones((idx.shape[0], self.delays.shape[0]))
        return 1.0 - 2.0 * parity.T


def draw_aliasing_design(
    delays: np.ndarray, n_groups: int, b_max: int, rng: np.random.Generator
) -> AliasingDesign:
    """Draw ``n_groups`` uniform hashes with ``b_max`` rows each.

    ``delays`` is the ``(p, n)`` bool delay matrix (e.g. ``BCHCode.delays``); the zero delay is
    prepended.
    """
    n = delays.shape[1]
    hashes = rng.integers(0, 2, size=(n_groups, b_max, n), dtype=np.uint8).astype(bool)
    delays = np.vstack([np.zeros((1, n), dtype=bool), delays])
    return AliasingDesign(hashes=hashes, delays=delays)
