"""Run another registered method inside ProxySPEX and keep every ablation it made.

The fallback (SPEX by default) sees the game through a recording wrapper, so its structured
queries join ProxySPEX's uniform ones in the joint refit at no extra cost.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ablatio.exceptions import LowBudgetWarning, RecoveryWarning
from ablatio.games.game import Game

__all__ = ["FallbackResult", "fallback_min_budget", "run_fallback"]


@dataclass(frozen=True)
class FallbackResult:
    """Fourier terms a fallback found, and the masks / values it queried."""

    terms: list[tuple[int, ...]]
    masks: np.ndarray
    values: np.ndarray


def _method(name: str | None, budget: int, max_order: int, rng: np.random.Generator) -> Any:
    from ablatio.methods import METHODS, make_method  # the registry imports this module's users

    if name is None or name not in METHODS:
        return None
    method = make_method(name, budget=budget, max_order=max_order, random_state=rng)
    # the fallback's own best-of stage is off: its decoded terms are what the caller wants
    if "best_of_below" in method.get_params():
        method.set_params(best_of_below=None)
    return method


def _min_budget(method: Any, n_players: int) -> int:
    """The fallback's own design minimum (below it SPEX would only run ProxySPEX again)."""
    design = getattr(method, "design_min_budget", None)
    return int(design(n_players) if design is not None else method.min_budget(n_players))


def fallback_min_budget(name: str | None, n_players: int, max_order: int) -> int | None:
    """Smallest budget of the registered fallback ``name`` (None if it is not registered)."""
    method = _method(name, 1, max_order, np.random.default_rng(0))
    return None if method is None else _min_budget(method, n_players)


def run_fallback(
    name: str | None, game: Game, budget: int, max_order: int, rng: np.random.Generator
) -> FallbackResult | None:
    """Fit the registered method ``name`` on ``game`` within ``budget``; None if impossible."""
    method = _method(name, budget, max_order, rng)
    if method is None or budget < _min_budget(method, game.n_players):
        return None
    recorded: list[tuple[np.ndarray, np.ndarray]] = []

    def record(masks: np.ndarray) -> np.ndarray:
        values = game(masks)
        recorded.append((masks.copy(), values))
        return values

    with warnings.catch_warnings():  # its own R² check is superseded by the joint refit
        warnings.simplefilter("ignore", RecoveryWarning)
        warnings.simplefilter("ignore", LowBudgetWarning)  # the caller chose this budget
        method.fit(
            Game(
                record,
                game.n_players,
                batch_size=max(game.batch_size, 1),
                part_keys=game.part_keys,
                ordered=game.ordered,
            )
        )
    found = method.interactions_.to_fourier()
    masks = np.concatenate([m for m, _ in recorded])
    values = np.concatenate([v for _, v in recorded])
    return FallbackResult([t for t in found.terms if t], masks, values)
