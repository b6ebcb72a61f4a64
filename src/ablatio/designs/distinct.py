"""Uniform masks without repeats: every drawn ablation is a new, distinct query."""

from __future__ import annotations

import numpy as np

__all__ = ["distinct_uniform_masks"]


def distinct_uniform_masks(
    n_players: int, n_masks: int, rng: np.random.Generator, seen: set[bytes]
) -> np.ndarray:
    """Up to ``n_masks`` uniform masks ``bool (k, n_players)``, distinct and not in ``seen``.

    ``seen`` holds packed masks (``np.packbits(mask).tobytes()``) and is updated in place.
    Fewer than ``n_masks`` come back only when fewer remain unseen among all ``2^n``; when
    ``2^n`` is small the unseen masks are enumerated and permuted instead of rejected.
    """
    if 2**n_players <= 2 * (n_masks + len(seen)):
        codes = np.arange(2**n_players, dtype=np.int64)
        everything = ((codes[:, None] >> np.arange(n_players)) & 1).astype(bool)
        fresh = [r for r, m in enumerate(everything) if np.packbits(m).tobytes() not in seen]
        pick = everything[rng.permutation(np.asarray(fresh, dtype=np.int64))[:n_masks]]
        seen.update(np.packbits(m).tobytes() for m in pick)
        return pick
    rows: list[np.ndarray] = []
    while len(rows) < n_masks:
        for mask in rng.random((n_masks - len(rows), n_players)) < 0.5:
            key = np.packbits(mask).tobytes()
            if key not in seen:
                seen.add(key)
                rows.append(mask)
    return np.asarray(rows, dtype=bool).reshape(n_masks, n_players)
