"""Singleton detection and peeling ("message passing") over aliased Fourier buckets.

Input: bucket observations ``U`` of shape ``(C, p + 1, 2^b)`` (see
:mod:`ablatio.designs.aliasing`). A bucket column ``u = U[c, :, j]`` that holds one frequency
``k`` equals ``F(k) σ(k)`` with ``σ(k)_i = (-1)^{⟨d_i, k⟩}``, ``σ_0 = 1``. Its sign pattern
relative to the zero delay is decoded by the BCH code into ``k``; the bucket is accepted as a
(dominant) singleton when

.. math::

    \\hat F = \\tfrac{1}{p+1} \\langle σ(\\hat k), u \\rangle, \\qquad
    \\frac{\\lVert u - \\hat F σ(\\hat k) \\rVert^2}{\\lVert u \\rVert^2} < \\text{cutoff}

and ``M_c k = j`` (the decoded frequency really hashes there). Accepted frequencies are
subtracted from every bucket they alias into in all ``C`` groups ("peeling"), which can turn
multitons into new singletons; this repeats until nothing new is found.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ablatio.designs.aliasing import AliasingDesign
from ablatio.transforms.bch import BCHCode
from ablatio.transforms.terms import tuples_to_terms

__all__ = ["PeelingSettings", "peel"]


@dataclass(frozen=True)
class PeelingSettings:
    """Knobs of :func:`peel` (documented on :class:`ablatio.methods.spex.SPEX`)."""

    max_order: int
    decoder: str
    chase_depth: int
    singleton_cutoff: float
    zeroton_tol: float
    max_iter: int
    stall_iter: int


def _decode(col: np.ndarray, code: BCHCode, settings: PeelingSettings) -> np.ndarray | None:
    observed = col[1:] * (1.0 if col[0] >= 0 else -1.0)
    if settings.decoder == "hard":
        found = code.decode(observed < 0)
    else:
        depth = settings.chase_depth
        found = code.decode_soft(observed, depth, depth * (depth + 1) // 2)
    if found is None or found.positions.size > settings.max_order:
        return None
    return np.sort(found.positions)


def peel(
    buckets: np.ndarray,
    design: AliasingDesign,
    code: BCHCode,
    b: int,
    settings: PeelingSettings,
) -> dict[tuple[int, ...], float]:
    """Frequencies and values peeled from ``buckets`` ``(C, p + 1, 2^b)`` (modified in place).

    Returns a dict ``term → F̂(term)``; iteration order of buckets is fixed (group, then bucket
    index), so the result is deterministic.
    """
    n_groups, n_delays, n_buckets = buckets.shape
    codes = [np.append(design.bucket_codes(c), 0) & (n_buckets - 1) for c in range(n_groups)]
    to_check = np.ones((n_groups, n_buckets), dtype=bool)
    found: dict[tuple[int, ...], float] = {}
    best_count, stall = 0, 0
    for _ in range(settings.max_iter):
        energy = np.einsum("cij,cij->cj", buckets, buckets)
        to_check &= energy > settings.zeroton_tol * n_delays
        singles: dict[tuple[int, ...], list[float]] = {}
        for c, j in zip(*np.nonzero(to_check), strict=True):
            col = buckets[c, :, j]
            k = _decode(col, code, settings)
            if k is None or int(np.bitwise_xor.reduce(codes[c][k], initial=0)) != j:
                to_check[c, j] = False
                continue
            sig = design.signs(k[None, :])[0] if k.size else np.ones(n_delays)
            value = float(sig @ col) / n_delays
            residual = col - value * sig
            if residual @ residual >= settings.singleton_cutoff * energy[c, j]:
                to_check[c, j] = False
                continue
            singles.setdefault(tuple(int(i) for i in k), []).append(value)
        if not singles:
            break
        terms = list(singles)
        idx = tuples_to_terms(terms)
        sigs = design.signs(idx)
        homes = design.buckets(idx, b)
        for row, term in enumerate(terms):
            value = float(np.mean(singles[term]))
            found[term] = found.get(term, 0.0) + value
            for c in range(n_groups):
                buckets[c, :, homes[c, row]] -= value * sigs[row]
                to_check[c, homes[c, row]] = True
        if len(found) > best_count:
            best_count, stall = len(found), 0
        else:
            stall += 1
            if stall >= settings.stall_iter:
                break
    return found
