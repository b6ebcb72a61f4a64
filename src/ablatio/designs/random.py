"""Bernoulli mask designs, and the independent stream used for held-out test masks."""

from __future__ import annotations

import numpy as np

from ablatio._validation import RandomState, check_random_state

__all__ = ["HELD_OUT_STREAM", "bernoulli_masks", "held_out_generator"]

#: Spawn key that separates held-out evaluation draws from every fitting draw.
HELD_OUT_STREAM = 0xFA17


def bernoulli_masks(
    n_players: int, n_masks: int, rng: np.random.Generator, p: float = 0.5
) -> np.ndarray:
    """``bool (n_masks, n_players)`` masks keeping each part independently with probability p."""
    return rng.random((n_masks, n_players)) < p


def held_out_generator(random_state: RandomState) -> np.random.Generator:
    """A generator for test masks that never coincides with the fitting stream.

    An int seed ``s`` gives ``SeedSequence(s, spawn_key=(HELD_OUT_STREAM,))``, a stream
    independent of ``default_rng(s)`` used by the methods (a SeedSequence gets the same extra
    spawn key); a Generator is used as given.
    """
    if isinstance(random_state, int) and not isinstance(random_state, bool):
        return np.random.default_rng(
            np.random.SeedSequence(random_state, spawn_key=(HELD_OUT_STREAM,))
        )
    if isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(
            np.random.SeedSequence(
                random_state.entropy,
                spawn_key=(*random_state.spawn_key, HELD_OUT_STREAM),
                pool_size=random_state.pool_size,
            )
        )
    return check_random_state(random_state)
