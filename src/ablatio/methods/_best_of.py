"""Best-of stage: never return less than the simple answer the ablations already support.

A sparse decoder (SPEX, ProxySPEX) can fail on a dense or noisy real value function. On the
ablations the method has already made, :func:`best_of` fits the alternatives of
:mod:`ablatio.methods._alternatives` (first order, lassos, pairs, a ridge refit of the
decoded support, tied slopes) and returns the one with the best honest held-out estimate.
Each alternative is scored by leave-one-out (exact for ridge, approximate along the lasso's
path), so every score is measured on ablations the scored fit did not see. Candidates whose
columns were chosen from the data (the decoded support) are scored by the smaller of their
leave-one-out R² and the method's own held-out estimate, which does not reuse the masks that
chose the support. The decoded answer is replaced only when another candidate beats it by more
than ``SWITCH_MARGIN``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ablatio._metrics import r2_score, r2_with_se
from ablatio.games.game import Game
from ablatio.interactions import Interactions
from ablatio.methods._alternatives import (
    DECODED_COLUMNS,
    EXTENDS,
    NO_STRUCTURE,
    SECOND_STAGE,
    PartStructure,
    fit_alternatives,
)

__all__ = [
    "SWITCH_MARGIN",
    "BestOf",
    "Recorder",
    "best_of",
    "choose",
    "first_occurrences",
    "select",
    "typical_rows",
    "winner",
]

#: Another candidate replaces the decoded answer only if its held-out R² is higher by this.
SWITCH_MARGIN = 0.005


@dataclass(frozen=True)
class BestOf:
    """Result of :func:`best_of`.

    Attributes
    ----------
    model : str
        Name of the chosen candidate.
    interactions : Interactions
        The chosen surrogate, Möbius basis.
    holdout_r2 : float
        Its held-out estimate.
    scores : dict of str to float
        Held-out estimate of every candidate that was fitted.
    candidates : dict of str to Interactions
        Every candidate that was fitted (Möbius basis).
    """

    model: str
    interactions: Interactions
    holdout_r2: float
    scores: dict[str, float]
    candidates: dict[str, Interactions]


def best_of(
    masks: np.ndarray,
    values: np.ndarray,
    decoded: Interactions,
    decoded_r2: float,
    structure: PartStructure = NO_STRUCTURE,
) -> BestOf:
    """Choose between the decoded answer and regularised simple fits on the same ablations.

    Parameters
    ----------
    masks : ndarray of shape (n_masks, n_players)
        Every ablation the method made (bool).
    values : ndarray of shape (n_masks,)
        Their values.
    decoded : Interactions
        The method's own result (any basis).
    decoded_r2 : float
        The method's own held-out estimate of ``decoded`` (``nan`` if it has none).
    structure : PartStructure
        What the game says about its parts
        (:class:`~ablatio.methods._alternatives.PartStructure`), for the structured
        alternatives.
    """
    masks = np.asarray(masks, dtype=bool)
    own = float(decoded_r2) if np.isfinite(decoded_r2) else -np.inf
    candidates: dict[str, Interactions] = {"decoded": decoded.to_moebius()}
    scores: dict[str, float] = {"decoded": own}
    fitted = fit_alternatives(masks, values, decoded, structure=structure)
    for name, (fit, loo_r2, _) in fitted.items():
        candidates[name], scores[name] = fit, loo_r2
    for name in DECODED_COLUMNS:
        if name in scores and np.isfinite(decoded_r2):
            scores[name] = min(scores[name], own)
    for name in SECOND_STAGE:
        if name in scores and EXTENDS[name] in scores:
            scores[name] = min(scores[name], scores[EXTENDS[name]])
    best = winner(scores)
    r2 = scores[best] if np.isfinite(scores[best]) else float("nan")
    return BestOf(best, candidates[best], r2, scores, candidates)


def choose(
    masks: np.ndarray,
    values: np.ndarray,
    decoded: Interactions,
    decoded_r2: float,
    below: float | None,
    structure: PartStructure = NO_STRUCTURE,
) -> BestOf:
    """:func:`best_of` when ``decoded_r2 < below`` (or is unknown), else the decoded answer.

    Repeated masks are dropped first (a left-out mask must not stay in the fit as a twin).
    """
    known = np.isfinite(decoded_r2)
    if below is None or (known and decoded_r2 >= below):
        r2 = float(decoded_r2) if known else float("nan")
        moebius = decoded.to_moebius()
        return BestOf("decoded", moebius, r2, {"decoded": r2}, {"decoded": moebius})
    return best_of(*_training_rows(masks, values), decoded, decoded_r2, structure)


def first_occurrences(masks: np.ndarray) -> np.ndarray:
    """Row indices of the first occurrence of every distinct mask, in order (a left-out mask
    must not stay in a fit as a twin)."""
    packed = np.packbits(np.asarray(masks, dtype=bool), axis=1)
    _, first = np.unique(packed, axis=0, return_index=True)
    return np.sort(first)


def _training_rows(masks: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first occurrence of every mask and its value, typical rows only
    (:func:`typical_rows`)."""
    keep = first_occurrences(masks)
    masks, values = np.asarray(masks, dtype=bool)[keep], np.asarray(values, dtype=np.float64)[keep]
    typical = typical_rows(masks)
    return masks[typical], values[typical]


#: Binomial standard deviations within which a training row's number of kept parts must lie
#: (:func:`typical_rows`).
TYPICAL_Z = 6.0


def typical_rows(masks: np.ndarray) -> np.ndarray:
    """Rows (bool) that are plausible draws from the distribution the answer is judged on.

    The alternatives are judged on random masks that keep each part with probability ``p``,
    so their number of kept parts ``k`` is Binomial(n, p). A structured design (SPEX's, the
    fallback's) also holds rows like the empty mask: on a dense value function that saturates
    (MiniLM's cosine similarity to the full document, n = 1000 words) the one empty mask sat
    32 standard deviations out and dragged the least-squares alternatives towards a linear
    extrapolation to it (first order on 1200 ablations: R² 0.09 on fresh masks with it, 0.17
    without). A row is kept when ``|k - n p̂| <= TYPICAL_Z · √(n p̂ (1 - p̂))`` with ``p̂`` the
    rows' median share of kept parts; every row is kept when that spread is zero.
    """
    masks = np.asarray(masks, dtype=bool)
    kept = masks.sum(axis=1)
    n = masks.shape[1]
    if kept.size == 0 or n == 0:
        return np.ones(kept.size, dtype=bool)
    share = float(np.median(kept)) / n
    spread = np.sqrt(n * share * (1.0 - share))
    if spread == 0:
        return np.ones(kept.size, dtype=bool)
    return np.abs(kept - n * share) <= TYPICAL_Z * spread


def select(
    method: Any,
    game: Game,
    rng: np.random.Generator,
    masks: np.ndarray,
    values: np.ndarray,
    decoded: Interactions,
    fallback_r2: float,
) -> Interactions:
    """Best-of on the fit's ablations, judged and reported on fresh held-out ablations.

    The candidates of :func:`choose` (the decoded answer and
    :data:`~ablatio.methods._alternatives.ALTERNATIVES`) are fitted
    on the fit's ablations and scored on ``method._holdout_sample``, fresh masks no candidate
    saw: leave-one-out on the fit's own ablations is optimistic for columns that were chosen
    on them. The best held-out score wins (:func:`winner`); when its standard error is large
    and the fit left budget unused, more fresh masks join the held-out ones
    (``method._top_up``) and the candidates are judged again. A winning alternative is
    refitted on the fit's and the held-out ablations together, and its estimate uses each
    held-out mask's exact leave-one-out residual in that refit (the refit without that mask,
    whose columns were chosen on the fit's ablations only), so the estimate describes the
    returned surrogate rather than the smaller fit that won. Without held-out ablations the
    leave-one-out choice stands, with ``fallback_r2`` (the method's own estimate) for the
    decoded answer. Sets ``model_``, ``model_scores_``, ``holdout_r2_`` and
    ``holdout_r2_se_`` (``method._set_holdout``).
    """
    sample = method._holdout_sample(game, rng)
    structure = PartStructure.of(game)
    if sample is None or method.best_of_below is None:
        choice = choose(masks, values, decoded, fallback_r2, method.best_of_below, structure)
        method.model_, method.model_scores_ = choice.model, choice.scores
        if sample is not None:
            method._score_sample(game, rng, choice.interactions, sample)
        return choice.interactions
    decoded_r2 = r2_score(sample[1], decoded.predict(sample[0]))
    choice = choose(masks, values, decoded, decoded_r2, method.best_of_below, structure)
    best, scores = _judge(choice.candidates, sample)
    _, se = r2_with_se(sample[1], choice.candidates[best].predict(sample[0]))
    grown = method._top_up(game, rng, *sample, se)
    if grown[1].size > sample[1].size:  # judge again on every held-out mask
        sample = grown
        best, scores = _judge(choice.candidates, sample)
    method.model_, method.model_scores_ = best, scores
    result = choice.candidates[best]
    predicted = result.predict(sample[0])
    if best != "decoded":
        train_masks, train_values = _training_rows(masks, values)
        held_masks, held_values = sample
        refit = fit_alternatives(
            np.concatenate([train_masks, held_masks]),
            np.concatenate([train_values, held_values]),
            decoded,
            (best,),
            structure,
        ).get(best)
        if refit is not None and best in SECOND_STAGE:  # judged by its fit without them
            result = refit[0]
        elif refit is not None:  # each held-out mask predicted by the refit without it
            result, predicted = refit[0], held_values - refit[2][train_values.size :]
    method._set_holdout(sample[1], predicted)
    return result


def _judge(
    candidates: dict[str, Interactions], held: tuple[np.ndarray, np.ndarray]
) -> tuple[str, dict[str, float]]:
    """The candidate with the best held-out R² (the decoded answer unless another beats it by
    ``SWITCH_MARGIN``) and every candidate's held-out R²."""
    held_masks, held_values = held
    scores = {
        name: r2_score(held_values, fit.predict(held_masks)) for name, fit in candidates.items()
    }
    return winner(scores), scores


def winner(scores: dict[str, float]) -> str:
    """The best-scored candidate, but the decoded answer unless another beats it by
    ``SWITCH_MARGIN``, and an extension (:data:`~ablatio.methods._alternatives.EXTENDS`) only
    if it beats what it extends by ``SWITCH_MARGIN``."""
    eligible = {
        name: score
        for name, score in scores.items()
        if name not in EXTENDS
        or EXTENDS[name] not in scores
        or score > scores[EXTENDS[name]] + SWITCH_MARGIN
    }
    best = max(eligible, key=lambda name: eligible[name])
    if best != "decoded" and eligible[best] <= scores["decoded"] + SWITCH_MARGIN:
        return "decoded"
    return best


class Recorder:
    """A value function that forwards to ``game`` and keeps every mask and value it saw."""

    def __init__(self, game: Game) -> None:
        self.game = game
        self._masks: list[np.ndarray] = []
        self._values: list[np.ndarray] = []

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        values = self.game(masks)
        self._masks.append(np.asarray(masks, dtype=bool).copy())
        self._values.append(values)
        return values

    @property
    def part_keys(self) -> tuple[str, ...] | None:
        """The wrapped game's ``part_keys``."""
        return self.game.part_keys

    @property
    def ordered(self) -> bool:
        """The wrapped game's ``ordered``."""
        return self.game.ordered

    def wrapped(self) -> Game:
        """A :class:`Game` over this recorder with the wrapped game's size, batch size, part
        keys and order."""
        return Game(self, self.game.n_players, batch_size=max(self.game.batch_size, 1))

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """All masks ``(n_masks, n_players)`` and values ``(n_masks,)`` recorded so far."""
        if not self._masks:
            return np.zeros((0, self.game.n_players), dtype=bool), np.zeros(0)
        return np.concatenate(self._masks), np.concatenate(self._values)
