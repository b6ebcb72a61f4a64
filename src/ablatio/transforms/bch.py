"""Binary BCH codes over GF(2^m): the delay design of SPEX and its hard and soft decoders.

A frequency ``k ∈ {0,1}^n`` of weight ``<= t`` is identified from ``p`` sign bits: the delay
matrix ``D`` (``p × n``) is the non-identity part of the parity-check matrix ``H = [I_p | D]`` of
the shortened narrow-sense BCH code of designed distance ``2t + 1``. Column ``i`` of ``D`` holds
the bits of ``x^{p+i} mod g(x)``. The observed sign pattern ``s = D k ⊕ e`` (``e`` = sign
errors) is the syndrome of the error pattern ``(e, k)``, so one bounded-distance decode of the
received word ``r(x) = s(x)`` returns the interaction ``k`` *and* the corrupted delays whenever
``|k| + |e| <= t``.

Decoding: syndromes ``S_j = r(α^j)``, ``j = 1..2t``; Berlekamp–Massey gives the error locator
``Λ``; a vectorised Chien search finds its roots among the ``p + n`` live positions. Soft
decoding is Chase-II: flip the least reliable bits in order of increasing cost and keep the
candidate that correlates best with the real-valued observations.

References
----------
Kang et al., "SPEX: Scaling feature interaction explanations for LLMs", ICML 2025.
Chase, "A class of algorithms for decoding block codes with channel measurement information",
IEEE Trans. Inf. Theory 18 (1972).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

import numpy as np

from ablatio.exceptions import ParameterError

__all__ = ["PRIMITIVE_POLYNOMIALS", "BCHCode", "Decoded", "GaloisField", "bch_code"]

#: Primitive polynomial of GF(2^m) per m (bit i = coefficient of x^i).
PRIMITIVE_POLYNOMIALS = {
    3: 0xB,
    4: 0x13,
    5: 0x25,
    6: 0x43,
    7: 0x89,
    8: 0x11D,
    9: 0x211,
    10: 0x409,
    11: 0x805,
    12: 0x1053,
    13: 0x201B,
    14: 0x4443,
    15: 0x8003,
    16: 0x1100B,
}


class GaloisField:
    """GF(2^m) through exponent and logarithm tables of the primitive element ``α``.

    ``mul(a, b) = exp[log a + log b]``; ``exp`` is stored twice over so sums of two logarithms
    need no reduction.
    """

    def __init__(self, m: int) -> None:
        if m not in PRIMITIVE_POLYNOMIALS:
            msg = f"m == {m}: GF(2^m) is tabulated for m in 3..16"
            raise ParameterError(msg)
        self.m = m
        self.order = 2**m - 1
        poly = PRIMITIVE_POLYNOMIALS[m]
        exp = np.zeros(2 * self.order, dtype=np.int64)
        log = np.zeros(2**m, dtype=np.int64)
        x = 1
        for i in range(self.order):
            exp[i] = x
            log[x] = i
            x <<= 1
            if x >> m & 1:
                x ^= poly
        exp[self.order :] = exp[: self.order]
        self.exp = exp
        self.log = log
        self._exp = exp.tolist()  # plain lists: scalar lookups in the decoder loops are hot
        self._log = log.tolist()

    def mul(self, a: int, b: int) -> int:
        """Product of two field elements."""
        if a == 0 or b == 0:
            return 0
        return self._exp[self._log[a] + self._log[b]]

    def inv(self, a: int) -> int:
        """Multiplicative inverse of a non-zero element."""
        return self._exp[(self.order - self._log[a]) % self.order]


def _clmul(a: int, b: int) -> int:
    """Carry-less product of two GF(2) polynomials given as bit masks."""
    out = 0
    while b:
        if b & 1:
            out ^= a
        a <<= 1
        b >>= 1
    return out


def _polymod(a: int, g: int) -> int:
    """Remainder of GF(2) polynomial ``a`` modulo ``g`` (bit masks)."""
    dg = g.bit_length() - 1
    while a and a.bit_length() - 1 >= dg:
        a ^= g << (a.bit_length() - 1 - dg)
    return a


def _generator(field: GaloisField, t: int) -> int:
    """Generator polynomial: product of the minimal polynomials of ``α^1 .. α^{2t}``."""
    g, done = 1, set()
    for j in range(1, 2 * t + 1):
        if j % field.order in done:
            continue
        coset, e = [], j % field.order
        while e not in coset:
            coset.append(e)
            e = 2 * e % field.order
        done.update(coset)
        poly = [1]  # coefficients in GF(2^m), lowest degree first
        for e in coset:
            root = int(field.exp[e])
            shifted = [0, *poly]
            poly = [s ^ field.mul(root, c) for s, c in zip(shifted, [*poly, 0], strict=True)]
        g = _clmul(g, sum(int(c) << i for i, c in enumerate(poly)))
    return g


@dataclass(frozen=True)
class Decoded:
    """A successful decode: message positions (the interaction) and corrected sign bits."""

    positions: np.ndarray
    flips: np.ndarray

    @property
    def n_errors(self) -> int:
        """Weight of the decoded error pattern ``|k| + |e|``."""
        return int(self.positions.size + self.flips.size)


class BCHCode:
    """Shortened binary BCH code of designed distance ``2t + 1`` carrying ``n`` message bits.

    Parameters
    ----------
    n : int
        Message length: the number of players.
    t : int
        Error-correction capability (largest ``|k| + |e|`` decoded).

    Attributes
    ----------
    field : GaloisField
        GF(2^m) with the smallest ``m`` whose code carries ``n`` message bits.
    generator : int
        ``g(x)`` as a bit mask.
    n_parity : int
        ``p = deg g``: the number of non-zero delays.
    delays : ndarray of shape (p, n), dtype bool
        ``D[:, i]`` = bits of ``x^{p+i} mod g(x)``.
    """

    def __init__(self, n: int, t: int) -> None:
        if t < 1:
            msg = f"t == {t}, the BCH capability must be >= 1"
            raise ParameterError(msg)
        m = max(3, int(np.ceil(np.log2(2 * t + 2))))
        while True:
            if m > max(PRIMITIVE_POLYNOMIALS):
                msg = f"no tabulated BCH code carries n == {n} bits with t == {t}"
                raise ParameterError(msg)
            field = GaloisField(m)
            g = _generator(field, t)
            p = g.bit_length() - 1
            if field.order - p >= n:
                break
            m += 1
        self.n, self.t, self.field, self.generator, self.n_parity = n, t, field, g, p
        delays = np.zeros((p, n), dtype=bool)
        r = _polymod(1 << p, g)
        for i in range(n):
            delays[:, i] = [(r >> j) & 1 for j in range(p)]
            r = _polymod(r << 1, g)
        self.delays = delays
        nf = field.order
        rows = np.arange(1, 2 * t + 1)[:, None]
        #: α^{j·l} for syndrome j = 1..2t and parity position l (2t, p).
        self._syndrome_table = field.exp[(rows * np.arange(p)[None, :]) % nf]
        self._positions = np.arange(p + n, dtype=np.int64)

    def syndromes(self, bits: np.ndarray) -> np.ndarray:
        """Syndromes ``S_1..S_2t`` of received words, ``(batch, p)`` bool → ``(batch, 2t)``."""
        bits = np.atleast_2d(bits)
        terms = np.where(bits[:, None, :], self._syndrome_table[None, :, :], 0)
        return np.bitwise_xor.reduce(terms, axis=2)

    def _locator(self, syn: list[int]) -> list[int] | None:
        """Berlekamp–Massey: shortest LFSR ``Λ`` (lowest degree first) generating ``syn``."""
        exp, log, nf, two_t = self.field._exp, self.field._log, self.field.order, 2 * self.t
        lam = [1] + [0] * two_t
        prev = lam.copy()
        length, shift, prev_d = 0, 1, 1
        for r in range(two_t):
            d = syn[r]
            for i in range(1, length + 1):
                if lam[i] and syn[r - i]:
                    d ^= exp[log[lam[i]] + log[syn[r - i]]]
            if d == 0:
                shift += 1
                continue
            log_coef = (log[d] - log[prev_d]) % nf
            saved = lam.copy()
            for i in range(two_t + 1 - shift):
                if prev[i]:
                    lam[i + shift] ^= exp[log_coef + log[prev[i]]]
            if 2 * length <= r:
                length, prev, prev_d, shift = r + 1 - length, saved, d, 1
            else:
                shift += 1
        return lam[: length + 1] if length <= self.t else None

    def _roots(self, lam: list[int]) -> np.ndarray:
        """Positions ``x`` with ``Λ(α^{-x}) = 0`` among the ``p + n`` live ones (Chien search)."""
        f = self.field
        value = np.full(self._positions.size, lam[0], dtype=np.int64)
        for i in range(1, len(lam)):
            if lam[i]:
                value ^= f.exp[(f.log[lam[i]] - i * self._positions) % f.order]
        return self._positions[value == 0]

    def decode(self, bits: np.ndarray, syndromes: np.ndarray | None = None) -> Decoded | None:
        """Hard decode a sign pattern ``(p,)`` bool (True = sign flipped vs the zero delay).

        Returns ``None`` when no error pattern of weight ``<= t`` explains the pattern.
        """
        syn = (self.syndromes(bits)[0] if syndromes is None else syndromes).tolist()
        empty = np.zeros(0, dtype=np.int64)
        if not any(syn):
            return Decoded(empty, empty)
        lam = self._locator(syn)
        if lam is None:
            return None
        roots = self._roots(lam)
        if roots.size != len(lam) - 1:
            return None
        p = self.n_parity
        return Decoded(roots[roots >= p] - p, roots[roots < p])

    def decode_soft(self, observed: np.ndarray, depth: int, n_tests: int) -> Decoded | None:
        """Chase-II decode of real observations ``(p,)`` (sign = bit, magnitude = reliability).

        Tries the hard decision, then flip patterns over the ``depth`` least reliable bits in
        order of increasing cost ``Σ |observed_i|`` (at most ``n_tests`` of them), and returns
        the candidate ``k`` whose signs ``(-1)^{D k}`` correlate best with ``observed``.
        """
        hard = observed < 0
        first = self.decode(hard)
        if first is not None and first.flips.size == 0:
            return first
        weak = np.argsort(np.abs(observed), kind="stable")[:depth]
        patterns = _cheapest_patterns(np.abs(observed[weak]), n_tests)
        best, best_score = first, -np.inf
        if first is not None:
            best_score = self._correlation(first, observed)
        for pattern in patterns:
            trial = hard.copy()
            trial[weak[list(pattern)]] ^= True
            found = self.decode(trial)
            if found is None:
                continue
            score = self._correlation(found, observed)
            if score > best_score:
                best, best_score = found, score
        return best

    def _correlation(self, found: Decoded, observed: np.ndarray) -> float:
        bits = (
            np.bitwise_xor.reduce(self.delays[:, found.positions], axis=1)
            if (found.positions.size)
            else np.zeros(self.n_parity, dtype=bool)
        )
        return float(np.dot(observed, 1.0 - 2.0 * bits))


def _cheapest_patterns(costs: np.ndarray, n_tests: int) -> list[tuple[int, ...]]:
    """Non-empty subsets of ``range(len(costs))`` in increasing total cost, at most ``n_tests``."""
    positions = range(costs.size)
    subsets = [combo for size in positions for combo in combinations(positions, size + 1)]
    subsets.sort(key=lambda s: (float(costs[list(s)].sum()), s))
    return subsets[:n_tests]


@lru_cache(maxsize=32)
def bch_code(n: int, t: int) -> BCHCode:
    """Cached :class:`BCHCode` (building the delay matrix is ``O(n p)``)."""
    return BCHCode(n, t)
