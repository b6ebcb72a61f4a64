"""A Game that keeps every mask it was asked for (test helper)."""

from __future__ import annotations

import numpy as np

from ablatio import Game


class RecordingGame(Game):
    """Forwards to ``Game(game)`` and appends each requested mask batch to ``asked``."""

    def __init__(self, game):
        super().__init__(game)
        self.asked: list[np.ndarray] = []

    def __call__(self, masks):
        self.asked.append(np.asarray(masks, dtype=bool))
        return super().__call__(masks)
