"""Distinct masks: Bernoulli masks without repeats (every drawn ablation a new query), and the
distinct masks of draws with replacement with how often each was drawn."""

from __future__ import annotations

import numpy as np

__all__ = ["DrawCounts", "distinct_masks"]


def distinct_masks(
    n_players: int, n_masks: int, rng: np.random.Generator, seen: set[bytes], p: float = 0.5
) -> np.ndarray:
    """Up to ``n_masks`` masks ``bool (k, n_players)``, distinct and not in ``seen``.

    Each part is kept independently with probability ``p`` (uniform masks at ``p = 1/2``),
    conditioned on the mask being new: a mask ``m`` is drawn with probability proportional
    to :math:`p^{|m|} (1 - p)^{n - |m|}` among the unseen ones. ``seen`` holds packed masks
    (``np.packbits(mask).tobytes()``) and is updated in place. Fewer than ``n_masks`` come
    back only when fewer remain unseen among all ``2^n``; when ``2^n`` is small the unseen
    masks are enumerated and drawn without replacement instead of rejected.
    """
    if 2**n_players <= 2 * (n_masks + len(seen)):
        codes = np.arange(2**n_players, dtype=np.int64)
        everything = ((codes[:, None] >> np.arange(n_players)) & 1).astype(bool)
        fresh = np.asarray(
            [r for r, m in enumerate(everything) if np.packbits(m).tobytes() not in seen],
            dtype=np.int64,
        )
        if p == 0.5 or fresh.size == 0:
            order = rng.permutation(fresh)[:n_masks]
        else:
            sizes = everything[fresh].sum(axis=1)
            weights = p**sizes * (1 - p) ** (n_players - sizes)
            size = min(n_masks, fresh.size)
            order = rng.choice(fresh, size=size, replace=False, p=weights / weights.sum())
        pick = everything[order]
        seen.update(np.packbits(m).tobytes() for m in pick)
        return pick
    rows: list[np.ndarray] = []
    while len(rows) < n_masks:
        for mask in rng.random((n_masks - len(rows), n_players)) < p:
            key = np.packbits(mask).tobytes()
            if key not in seen:
                seen.add(key)
                rows.append(mask)
    return np.asarray(rows, dtype=bool).reshape(n_masks, n_players)


class DrawCounts:
    """Masks drawn with replacement, kept once each, in the order of their first draw, with
    how often each was drawn (a repeated draw raises its count, which acts as a sample weight:
    a weighted fit on the distinct masks equals the fit on the full list of draws).

    Parameters
    ----------
    n_players : int
        Length of each mask.
    target : int
        Number of distinct masks wanted: :meth:`add` ignores the rest of a batch once it is
        reached.
    max_draws : int
        Draws after which sampling stops even short of the target (:attr:`wanting`).
    """

    def __init__(self, n_players: int, target: int, max_draws: int) -> None:
        self.n_players = n_players
        self.target = target
        self.max_draws = max_draws
        self.draws = 0  #: draws counted so far (a draw past the target is not counted)
        self._position: dict[bytes, int] = {}
        self._rows: list[np.ndarray] = []
        self._counts: list[int] = []

    @property
    def n_distinct(self) -> int:
        """Distinct masks so far."""
        return len(self._rows)

    @property
    def wanting(self) -> bool:
        """Whether to draw more: fewer than ``target`` distinct masks after fewer than
        ``max_draws`` draws."""
        return len(self._rows) < self.target and self.draws < self.max_draws

    def add(self, masks: np.ndarray) -> None:
        """Count the draws ``masks`` ``bool (k, n_players)`` in order, up to the target."""
        for mask, key in zip(masks, np.packbits(masks, axis=1), strict=True):
            packed = key.tobytes()
            position = self._position.get(packed)
            if position is None:
                if len(self._rows) == self.target:
                    break
                self._position[packed] = len(self._rows)
                self._rows.append(mask)
                self._counts.append(1)
            else:
                self._counts[position] += 1
            self.draws += 1

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct masks ``bool (n_distinct, n_players)`` and their counts (float)."""
        masks = np.array(self._rows, dtype=bool).reshape(-1, self.n_players)
        return masks, np.array(self._counts, dtype=np.float64)
