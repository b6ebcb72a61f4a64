"""The ``Target`` protocol: a ready-made value function that knows its parts.

A target maps a batch of masks ``bool (n_masks, n_players)`` (True = part kept) to one float
per mask, e.g. by building the ablated prompts and scoring them with a model. It also names its
parts and fingerprints itself, so that :class:`~ablatio.games.game.Game` can label results and
refuse a cache written for another target. ``ablatio.explain(target, method=...)`` and
``Game(target)`` accept any object with these members.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

__all__ = ["Target"]


class Target(ABC):
    """Base class of ready-made targets.

    Subclasses set :attr:`n_players` and :attr:`player_names` and implement
    :meth:`__call__` and :meth:`fingerprint`.

    Attributes
    ----------
    n_players : int
        Number of parts that can be ablated.
    player_names : tuple of str
        One unique, human-readable name per part.
    part_keys : tuple of str or None
        What each part is (e.g. its word; repeats allowed), or None: parts that share a key
        are expected to act alike (:class:`~ablatio.games.game.Game`'s ``part_keys``).
    ordered : bool
        Whether the parts are consecutive pieces of one sequence
        (:class:`~ablatio.games.game.Game`'s ``ordered``; text targets: True).
    """

    n_players: int
    player_names: tuple[str, ...]
    part_keys: tuple[str, ...] | None = None
    ordered: bool = False

    @abstractmethod
    def __call__(self, masks: np.ndarray) -> np.ndarray:
        """Values ``float64 (n_masks,)`` of bool masks ``(n_masks, n_players)``."""

    @abstractmethod
    def fingerprint(self) -> str:
        """A short stable string identifying the model, inputs and value definition.

        Two targets with the same fingerprint must give the same values; the ablation cache
        refuses files written under another fingerprint.
        """
