"""``Hierarchical``: explain coarse segments first, then refine inside the influential ones.

Long inputs (documents of thousands of words) have more parts than a budget can resolve, but
their influence is usually concentrated in a few sentences. With the fine parts grouped into
coarse segments (``groups``, e.g. the words of each sentence):

1. **coarse stage** — the inner method explains the game over segments, a segment's words
   all kept or all removed together, with ``coarse_fraction`` of the budget;
2. **selection** — segments are ranked by ``|Shapley value|`` and the smallest prefix holding
   ``coverage`` of the total is refined (capped so that the refined game has at most
   ``max_players`` players);
3. **fine stage** — the inner method explains a *mixed* game with the rest of the budget: each
   word of a refined segment is a player, every other segment stays one player;
4. **result over fine parts** — a mixed term maps to the fine parts it covers, a segment player
   standing for the AND of its words (a segment counts as present when all its words are),
   so terms may mix levels: ("sentence 3", "word 17") becomes the Möbius term over sentence
   3's words and word 17.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ablatio.exceptions import ParameterError
from ablatio.games.game import Game
from ablatio.interactions import Interactions
from ablatio.methods.base import Interval, Method
from ablatio.transforms.terms import tuples_to_terms

__all__ = ["Hierarchical"]


def _check_groups(groups: Any, n: int) -> tuple[tuple[int, ...], ...]:
    """``groups`` as tuples; raise unless they partition ``range(n)``."""
    try:
        out = tuple(tuple(int(i) for i in g) for g in groups)
    except TypeError as exc:
        msg = "groups must be a sequence of sequences of part indices"
        raise ParameterError(msg) from exc
    flat = sorted(i for g in out for i in g)
    if flat != list(range(n)) or any(not g for g in out):
        msg = (
            f"groups must split the {n} parts into non-empty segments, each part in exactly "
            "one segment (e.g. the words of each sentence)"
        )
        raise ParameterError(msg)
    return out


class Hierarchical(Method):
    """Coarse-to-fine explanation of a game whose parts are grouped into segments.

    Parameters
    ----------
    method : str, default="proxyspex"
        Registered method run at both stages.
    groups : sequence of sequence of int, optional
        The fine parts of each segment (a partition of the players). ``None`` reads
        ``groups`` from the game's target (a text target built with
        ``unit=("sentences", "words")``).
    budget : int
        Distinct ablations of both stages together.
    max_order : int, default=2
        Largest interaction order of both stages.
    coarse_fraction : float, default=0.3
        Share of the budget spent on the coarse stage.
    coverage : float, default=0.8
        Refine the most influential segments until they hold this share of the total
        ``|Shapley value|`` of the coarse explanation.
    max_players : int, default=256
        Most players of the fine stage (refined words plus unrefined segments).
    random_state : int, Generator or None
        Seed of both stages.

    Attributes
    ----------
    interactions_ : Interactions
        The result over the fine parts (Möbius basis); see the module notes.
    coarse_ : Interactions
        The coarse stage's explanation over segments.
    refined_ : list of int
        Segments refined into their parts, most influential first.
    players_ : list of tuple of int
        Fine parts behind each player of the fine stage.
    mixed_ : Interactions
        The fine stage's explanation over those players.
    holdout_r2_ : float
        The fine stage's held-out estimate (``nan`` if its method reports none).
    n_queries_ : int
        Distinct ablations of both stages.

    Examples
    --------
    >>> import numpy as np
    >>> from ablatio import Game
    >>> from ablatio.methods.hierarchical import Hierarchical
    >>> groups = [list(range(i, i + 4)) for i in range(0, 16, 4)]
    >>> game = Game(lambda m: 2.0 * m[:, 5] * m[:, 6] + 0.5 * m[:, 12:].all(axis=1), n=16)
    >>> est = Hierarchical(method="exact", groups=groups, budget=400, random_state=0)
    >>> est = est.fit(game)
    >>> est.refined_
    [1]
    >>> round(est.interactions_[(5, 6)], 6), round(est.interactions_[(12, 13, 14, 15)], 6)
    (2.0, 0.5)
    """

    name: ClassVar[str] = "hierarchical"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "budget": [Interval(int, 1, None)],
        "max_order": [Interval(int, 1, None)],
        "coarse_fraction": [Interval(float, 0, 1)],
        "coverage": [Interval(float, 0, 1)],
        "max_players": [Interval(int, 1, None)],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        method: str = "proxyspex",
        groups: Sequence[Sequence[int]] | None = None,
        budget: int = 1000,
        max_order: int = 2,
        coarse_fraction: float = 0.3,
        coverage: float = 0.8,
        max_players: int = 256,
        random_state: Any = None,
    ) -> None:
        self.method = method
        self.groups = groups
        self.budget = budget
        self.max_order = max_order
        self.coarse_fraction = coarse_fraction
        self.coverage = coverage
        self.max_players = max_players
        self.random_state = random_state

    def _inner(self, budget: int, n: int, rng: np.random.Generator) -> Method:
        from ablatio.methods import make_method

        return make_method(
            self.method, budget=budget, max_order=self.resolved_max_order(n), random_state=rng
        )

    def _groups(self, game: Game) -> tuple[tuple[int, ...], ...]:
        if not isinstance(self.method, str):
            msg = f"Hierarchical: method == {self.method!r}, must be a registered method name"
            raise ParameterError(msg)
        groups = self.groups if self.groups is not None else getattr(game.fn, "groups", None)
        if groups is None:
            msg = (
                "Hierarchical needs groups=[[parts of segment 0], ...], or a text target built "
                "with unit=('sentences', 'words')"
            )
            raise ParameterError(msg)
        return _check_groups(groups, game.n_players)

    def _fit(self, game: Game, rng: np.random.Generator) -> Interactions:
        groups = self._groups(game)
        n, k = game.n_players, len(groups)
        coarse_rng, fine_rng = rng.spawn(2)
        coarse_budget = max(1, int(self.coarse_fraction * self.budget_))
        coarse, spent = self._stage(game, [list(g) for g in groups], coarse_budget, coarse_rng)
        self.coarse_ = coarse.interactions_
        self.refined_ = self._select(self.coarse_.shapley_values(), groups)
        refined = set(self.refined_)
        players: list[tuple[int, ...]] = [(i,) for s in self.refined_ for i in groups[s]]
        players += [groups[s] for s in range(k) if s not in refined]
        self.players_ = players
        fine, _ = self._stage(game, [list(p) for p in players], self.budget_ - spent, fine_rng)
        self.mixed_ = fine.interactions_
        self.holdout_r2_ = float(getattr(fine, "holdout_r2_", float("nan")))
        mixed = self.mixed_.to_moebius()  # a segment player is the AND of its parts
        terms = [tuple(sorted(i for p in term for i in players[p])) for term in mixed.terms]
        return Interactions._build(tuples_to_terms(terms), mixed.coefficients, n, "moebius")

    def _stage(
        self,
        game: Game,
        players: list[list[int]],
        budget: int,
        rng: np.random.Generator,
    ) -> tuple[Method, int]:
        """Fit the inner method on the game whose player ``j`` sets the parts ``players[j]``;
        return it and the distinct ablations it made."""
        n = game.n_players
        owner = np.empty(n, dtype=np.int64)
        for j, parts in enumerate(players):
            owner[parts] = j

        def value(masks: np.ndarray) -> np.ndarray:
            return game(np.asarray(masks, dtype=bool)[:, owner])

        inner = self._inner(budget, len(players), rng)
        keys = game.part_keys
        stage = Game(
            value,
            len(players),
            batch_size=max(game.batch_size, 1),
            part_keys=None if keys is None else [" ".join(keys[p] for p in ps) for ps in players],
            ordered=game.ordered and _in_sequence(players),
        )
        inner.fit(stage)
        return inner, stage.n_queries

    def _select(self, shapley: np.ndarray, groups: tuple[tuple[int, ...], ...]) -> list[int]:
        """Most influential segments holding ``coverage`` of ``Σ|φ|``, within ``max_players``."""
        weight = np.abs(shapley)
        order = np.argsort(-weight, kind="stable")
        total = float(weight.sum())
        chosen: list[int] = []
        held, players = 0.0, len(groups)
        for s in order:
            if total == 0.0 or held >= self.coverage * total:
                break
            extra = len(groups[s]) - 1
            if players + extra > self.max_players:
                continue
            chosen.append(int(s))
            held += float(weight[s])
            players += extra
        return chosen


def _in_sequence(players: list[list[int]]) -> bool:
    """Whether every player is a run of consecutive parts and each starts where the previous
    one ended (the coarse segments of a text; not the fine stage, refined words first)."""
    start = 0
    for parts in players:
        if list(parts) != list(range(start, start + len(parts))):
            return False
        start += len(parts)
    return True
