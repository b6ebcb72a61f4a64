"""Shared by the examples: explain a target with a registered sparse method."""

from __future__ import annotations

import ablatio

#: Method used when the command line names none: ProxySPEX (falls back to SPEX by itself).
DEFAULT_METHOD = "proxyspex"


def choose_method(requested: str | None) -> str:
    """The requested registry name, else :data:`DEFAULT_METHOD`."""
    return requested or DEFAULT_METHOD


def explain(target, method: str, budget: int, seed: int):
    """``(interactions, game)``: pairwise-and-below interactions of the target."""
    game = target if isinstance(target, ablatio.Game) else ablatio.Game(target)
    expl = ablatio.explain(game, method=method, budget=budget, max_order=2, random_state=seed)
    return expl.interactions, game
