"""The best-of stage's alternatives to a decoded answer, fitted on the same ablations.

:func:`fit_alternatives` fits (:data:`ALTERNATIVES`, in order; the method's own result,
``"decoded"``, is the candidate they compete with)

* ``"decoded_ridge"``: the decoded support refitted with a ridge penalty;
* ``"first_order"``: constant + one slope per part (ridge);
* ``"first_order_lasso"``: constant + a sparse set of slopes (lasso): when only some parts
  matter (a lexicon scorer on a long document) it beats the ridge fit, which spreads weight
  over every part;
* ``"first_order_adaptive_lasso"``: the lasso again over the parts the first-order lasso
  kept, each penalised by the inverse of its first slope (:func:`adaptive_lasso`): less
  shrinkage of the few parts that matter most;
* ``"first_order+hub_lasso"``: the same lasso over first order and the pairs of the *hub*
  (the part with the largest slope in the first-order lasso) with every other part that lasso
  kept: one part that changes how much the others count (a "but", a negation, an
  instruction). Hierarchy, as in ProxySPEX: strong interactions involve parts with strong
  main effects. On VADER over 1024–2048 words it added 0.013–0.022 held-out R² to the
  first-order lasso at 1000–2000 ablations (there, ordered parts, the adjacent lasso below
  now replaces it);
* ``"first_order+decoded_lasso"``: the same lasso over first order and the decoded terms of
  order >= 2 (a sparse mix: some slopes, some of the decoded interactions);
* ``"first_order+pairs"``: first order plus the pairs inside the decoded terms (ridge);
* ``"first_order+tied_lasso"`` (only when the game's ``part_keys`` repeat, e.g. the same word
  in several places of a document): the lasso over first order and one column per repeated
  key counting its kept copies (:func:`tied_lasso`): a shared slope costs one penalty instead
  of one per copy, and each copy keeps its own deviation;
* ``"first_order+tied_adaptive_lasso"``: the adaptive lasso over the columns the tied lasso
  kept. On VADER over 1024–2048 words (documents of tweets: 137–239 repeated words) the two
  add 0.02–0.04 held-out R² to ProxySPEX's stacked answer at 500–1000 ablations;
* ``"first_order+local3_lasso"``, ``"first_order+local8_lasso"`` (only when the game's parts
  are ``ordered``, e.g. a text's words): the lasso over first order and every pair of parts at
  most 3 (or 8) positions apart (:func:`local_pairs`): nearby words interact (a negation, an
  intensifier, a phrase a neural encoder reads as one). On a MiniLM classifier over 128 words
  the two add 0.013–0.015 held-out R² to ProxySPEX's stacked answer at 500–2000 ablations
  (4 seeds, every run ahead), the 3-window 0.004–0.012 over 512 words (:data:`MAX_LOCAL_PAIRS`
  leaves the 8-window out there);
* ``"first_order+decoded+local3_lasso"`` (ordered parts): the lasso over first order, the
  3-window's pairs and the decoded terms of order >= 2: the decoder finds the distant
  interactions no window holds, the window the many weak nearby ones it misses. On VADER over
  128 words it adds 0.003 / 0.014 / 0.001 held-out R² to ProxySPEX's stacked answer at
  500 / 1000 / 2000 ablations (mean of seeds 0–3), on MiniLM -0.001 / 0.003 / 0.003.
  Cross-fitted, it is left out where the decoder trails first order by more than 0.05
  (:data:`~ablatio.methods._crossfit.UNLESS_DECODER_TRAILS`);
* ``"first_order+decoded+local3_adaptive_lasso"``: its adaptive stage
  (:func:`tied_adaptive_lasso` over the columns it kept, untied): less shrinkage of the
  strong slopes and pairs. On VADER over 128 / 512 words (seeds 0–2) it moved ProxySPEX's
  stacked answer by +0.016 / +0.012 / +0.003 (128 words; 500 / 1000 / 2000 ablations) and
  +0.003 / +0.007 / +0.006 (512), better in 18 of 18 runs; MiniLM over 128 words (seeds 0–3)
  −0.004 … +0.0003, over 512 words it is left out with its lasso;
* ``"first_order+hub+adjacent_lasso"`` (ordered parts too many for the 3-window, e.g. a
  document of 1000+ words): the lasso over first order (tied where the ``part_keys`` repeat),
  the hub's pairs and the adjacent pairs that touch a part the first-order lasso kept
  (:func:`adjacent_pairs`): a long text's nearby modifiers ("not good", "very happy") where
  every window's pairs cost too much, next to the hub's long-range pairs. It replaces
  ``"first_order+hub_lasso"``, whose columns it holds. On VADER over 1024 and 2048 words
  (seeds 0–2) it adds +0.005 / +0.011 (2048 words, 1000 / 2000 ablations) and −0.003 / +0.009 /
  +0.007 (1024 words, 500 / 1000 / 2000) held-out R² to ProxySPEX's stacked answer (better in 13
  of 15 runs), on MiniLM over 1024 words 0.000 / +0.004 / −0.000 (seeds 0–1), in the same time;
* ``"first_order+hub+adjacent_adaptive_lasso"``: its adaptive stage
  (:func:`tied_adaptive_lasso` over the columns it kept): on the same VADER runs another
  +0.002 / +0.007 and −0.004 / +0.003 / +0.003 (better in 12 of 15), MiniLM 1024 0.000 /
  −0.002 / 0.000, for 5–10 % more decoding time.

The structured alternatives read what the game says about its parts (:class:`PartStructure`).

Each returns its surrogate with a leave-one-out R² and residuals (:data:`Fitted`): ridge
penalties chosen by exact leave-one-out (:func:`~ablatio.transforms.solve.ridge_loo`), lasso
penalties by approximate leave-one-out over the path
(:func:`~ablatio.transforms.lasso.lasso_alo`). :mod:`ablatio.methods._best_of` chooses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ablatio.interactions import Interactions
from ablatio.methods._fourier_selection import parity_columns
from ablatio.transforms.lasso import adaptive_alo, lasso_alo
from ablatio.transforms.solve import one_blas_thread, ridge_loo
from ablatio.transforms.terms import PAD, tuples_to_terms

if TYPE_CHECKING:
    from ablatio.games.game import Game

__all__ = [
    "ALTERNATIVES",
    "ADJACENT",
    "ADAPTIVE_OF",
    "ADJACENT_ADAPTIVE",
    "DECODED_COLUMNS",
    "EXTENDS",
    "LOCAL",
    "MAX_LOCAL_PAIRS",
    "NO_STRUCTURE",
    "SECOND_STAGE",
    "TIED",
    "Fitted",
    "PartStructure",
    "adaptive_lasso",
    "first_order_lasso",
    "fit_alternatives",
    "hub_pairs",
    "local_pairs",
    "tied_adaptive_lasso",
    "tied_groups",
    "tied_lasso",
]

#: Columns of a ridge candidate may not exceed this multiple of the number of ablations.
MAX_COLUMN_RATIO = 4.0
#: A ridge candidate is skipped when its thin SVD costs more than this many
#: ``rows · columns · min(rows, columns)`` (about a minute on one core), e.g. first order at
#: n = 4096 with 8000 ablations.
MAX_SVD_WORK = 5e10


#: The lasso is skipped above this many ``rows · parts`` (8000 ablations of 2048 parts: ~2 s
#: for the path).
MAX_LASSO_CELLS = 2e7


def _affordable(m: int, p: int) -> bool:
    return m * p * min(m, p) <= MAX_SVD_WORK


#: A local lasso (:data:`LOCAL`) is skipped above this many pairs (the 8-window above 260
#: parts, the 3-window above 684): on documents of 512–2048 words the wider ones moved the
#: stacked answer by −0.001 … +0.007 held-out R² and made decoding up to twice as slow.
MAX_LOCAL_PAIRS = 2048


#: A fitted alternative: its surrogate, leave-one-out R² and leave-one-out residuals.
Fitted = tuple[Interactions, float, np.ndarray]


def _first_order(masks: np.ndarray, values: np.ndarray) -> Fitted:
    n = masks.shape[1]
    fit = ridge_loo(masks.astype(np.float64), values)
    idx = np.concatenate([[[PAD]], np.arange(n)[:, None]]).astype(np.int64)
    coef = np.concatenate([[fit.intercept], fit.coef])
    return Interactions._build(idx, coef, n, "moebius"), fit.loo_r2, fit.loo_residuals


def _detected_pairs(decoded: Interactions, limit: int) -> list[tuple[int, int]]:
    """Pairs inside the decoded terms of order >= 2, largest total |coefficient| first."""
    weight: dict[tuple[int, int], float] = {}
    for term, value in zip(decoded.terms, decoded.coefficients, strict=True):
        for pair in combinations(term, 2):
            weight[pair] = weight.get(pair, 0.0) + abs(float(value))
    return sorted(weight, key=lambda p: (-weight[p], p))[:limit]


def _first_order_pairs(
    masks: np.ndarray, values: np.ndarray, pairs: list[tuple[int, int]]
) -> Fitted:
    n = masks.shape[1]
    cols = np.array(pairs, dtype=np.int64)
    X = np.hstack([masks, masks[:, cols[:, 0]] & masks[:, cols[:, 1]]]).astype(np.float64)
    fit = ridge_loo(X, values)
    terms: list[tuple[int, ...]] = [(), *((i,) for i in range(n)), *pairs]
    coef = np.concatenate([[fit.intercept], fit.coef])
    result = Interactions._build(tuples_to_terms(terms), coef, n, "moebius")
    return result, fit.loo_r2, fit.loo_residuals


def _decoded_ridge(masks: np.ndarray, values: np.ndarray, fourier: Interactions) -> Fitted:
    terms = [t for t in fourier.terms if t]
    X = parity_columns(masks, tuples_to_terms(terms))
    fit = ridge_loo(X, values)
    coef = np.concatenate([[fit.intercept], fit.coef])
    result = Interactions._build(tuples_to_terms([(), *terms]), coef, masks.shape[1], "fourier")
    return result.to_moebius(), fit.loo_r2, fit.loo_residuals


def first_order_lasso(
    masks: np.ndarray, values: np.ndarray, terms: Sequence[tuple[int, ...]] | None = None
) -> Fitted:
    """Constant + slopes (+ ``terms``) with an L1 penalty chosen by approximate leave-one-out.

    Columns: the masks (one slope per part) and, for each of ``terms``, the product of its
    parts' mask bits (a Möbius term, e.g. the decoded interactions). The penalty is the one of
    :func:`~ablatio.transforms.lasso.lasso_alo`'s path with the best approximate leave-one-out
    R², returned with that R² and its residuals; picking one of the path's penalties makes it
    slightly optimistic, and more so when ``terms`` were chosen on the same rows. (The
    :func:`tied_lasso` without ties.)
    """
    return tied_lasso(masks, values, (), list(terms or []))[0]


def adaptive_lasso(
    masks: np.ndarray, values: np.ndarray, first_order: Interactions
) -> Fitted | None:
    """Adaptive lasso (Zou, JASA 2006) over the parts with a slope in ``first_order``.

    Minimises ``‖y - c - Σ_j β_j x_j‖² / (2q) + α Σ_j |β_j| / |β̂_j|`` over the parts ``j``
    whose first-order lasso slope ``β̂_j`` is non-zero (the lasso on columns ``|β̂_j| x_j``,
    the same path and penalty choice as :func:`first_order_lasso`): large slopes are barely
    penalised, so the lasso's shrinkage of the few parts that matter most is undone, while
    small ones still drop out. Its leave-one-out R² sees the rows twice (they chose the
    parts and weights) and is optimistic (0.86 for 0.71 on fresh masks, VADER on 1024 words
    at 500 ablations): only a score on rows it never saw may pick it (:data:`SECOND_STAGE`).
    None when ``first_order`` has no slope.
    """
    n = masks.shape[1]
    first = _slopes(first_order)
    if not first:
        return None
    parts = sorted(first)
    intercept, slopes, r2, residuals = adaptive_alo(
        masks[:, parts].astype(np.float64), values, np.array([first[i] for i in parts])
    )
    idx = tuples_to_terms([(), *((i,) for i in parts)])
    coef = np.concatenate([[intercept], slopes])
    return Interactions._build(idx, coef, n, "moebius"), r2, residuals


def tied_groups(part_keys: Sequence[str] | None) -> tuple[np.ndarray, ...]:
    """Indices of the parts sharing each key that two or more parts hold, in order of first
    appearance (empty without keys)."""
    parts: dict[str, list[int]] = {}
    for i, key in enumerate(part_keys or ()):
        parts.setdefault(key, []).append(i)
    return tuple(np.array(group) for group in parts.values() if len(group) > 1)


@dataclass(frozen=True)
class PartStructure:
    """What a game says about its parts beyond their number, for the structured alternatives.

    Attributes
    ----------
    ties : tuple of ndarray
        Parts that share a key (:func:`tied_groups` of the game's ``part_keys``), for
        :data:`TIED`.
    ordered : bool
        The parts are consecutive pieces of one sequence (the game's ``ordered``), for
        :data:`LOCAL`.
    """

    ties: tuple[np.ndarray, ...] = ()
    ordered: bool = False

    @classmethod
    def of(cls, game: Game) -> PartStructure:
        """The structure of ``game``."""
        return cls(tied_groups(game.part_keys), game.ordered)


#: A game that says nothing about its parts.
NO_STRUCTURE = PartStructure()


def local_pairs(n: int, window: int) -> list[tuple[int, int]]:
    """The pairs ``(i, j)`` of ``n`` ordered parts with ``0 < j - i <= window``."""
    return [(i, j) for i in range(n) for j in range(i + 1, min(i + window, n - 1) + 1)]


def _too_many_local_pairs(n: int) -> bool:
    """Whether the 3-window's pairs of ``n`` ordered parts exceed :data:`MAX_LOCAL_PAIRS`:
    ``Σ_i min(3, n - 1 - i)``."""
    window = LOCAL["first_order+local3_lasso"]
    count = window * n - window * (window + 1) // 2 if n > window else n * (n - 1) // 2
    return count > MAX_LOCAL_PAIRS


def adjacent_pairs(first_order: Interactions) -> list[tuple[int, int]]:
    """The :func:`hub_pairs` of ``first_order`` and the pairs ``(i, i + 1)`` of ordered parts
    of which at least one has a non-zero slope there, sorted."""
    slopes = _slopes(first_order)
    n = first_order.n_players
    adjacent = {(i, i + 1) for i in range(n - 1) if i in slopes or i + 1 in slopes}
    return sorted(adjacent | set(hub_pairs(first_order)))


def _tied_columns(
    masks: np.ndarray, ties: Sequence[np.ndarray], terms: Sequence[tuple[int, ...]] = ()
) -> np.ndarray:
    """``[masks, c_1 … c_T, p_1 … p_K]`` (float): ``c_t`` counts the kept parts of tie group
    ``t``, ``p_k`` is 1 where every part of ``terms[k]`` is kept."""
    counts = [masks[:, group].sum(axis=1) for group in ties]
    products = [masks[:, list(t)].all(axis=1) for t in terms]
    return np.column_stack([masks, *counts, *products]).astype(np.float64)


def _tied_surrogate(
    n: int,
    ties: Sequence[np.ndarray],
    intercept: float,
    coef: np.ndarray,
    terms: Sequence[tuple[int, ...]] = (),
) -> Interactions:
    """First order with slope ``β_i + γ_t(i)`` (part ``i``'s own coefficient plus its
    group's), plus the Möbius ``terms`` with the coefficients after the groups'."""
    width = n + len(ties)
    slopes = coef[:n].copy()
    for group, shared in zip(ties, coef[n:width], strict=True):
        slopes[group] += shared
    idx = tuples_to_terms([(), *((i,) for i in range(n)), *terms])
    return Interactions._build(
        idx, np.concatenate([[intercept], slopes, coef[width:]]), n, "moebius"
    )


def tied_lasso(
    masks: np.ndarray,
    values: np.ndarray,
    ties: Sequence[np.ndarray],
    terms: Sequence[tuple[int, ...]] = (),
) -> tuple[Fitted, np.ndarray]:
    """First-order lasso whose repeated parts can share a slope (+ ``terms``, Möbius products
    as in :func:`first_order_lasso`), and its raw coefficients.

    Columns ``[x_1 … x_n, c_1 … c_T]`` with ``c_t = Σ_{i ∈ G_t} x_i`` the kept copies of tie
    group ``G_t`` (:func:`tied_groups`): the fit ``c + Σ_i β_i x_i + Σ_t γ_t c_t`` is first
    order with slope ``β_i + γ_t`` for part ``i`` of group ``t``. Under the L1 penalty a slope
    shared by ``k`` copies costs ``|γ_t|`` instead of ``k |β|``, and the evidence of every copy
    pools into one coefficient (the same word counts alike wherever it stands), while
    ``β_i`` keeps what one copy does differently (a negated "good"). Penalty and estimate as
    :func:`first_order_lasso`; the raw coefficients ``(β, γ)`` feed
    :func:`tied_adaptive_lasso`.
    """
    X = _tied_columns(masks, ties, terms)
    intercept, coef, r2, residuals = lasso_alo(X, np.asarray(values, dtype=np.float64))
    return (_tied_surrogate(masks.shape[1], ties, intercept, coef, terms), r2, residuals), coef


def tied_adaptive_lasso(
    masks: np.ndarray,
    values: np.ndarray,
    ties: Sequence[np.ndarray],
    first: np.ndarray,
    terms: Sequence[tuple[int, ...]] = (),
) -> Fitted | None:
    """The adaptive lasso (:func:`adaptive_lasso`) over the columns with a non-zero raw
    coefficient ``first`` in :func:`tied_lasso` (with the same ``terms``); None when it has
    none."""
    if not np.any(first):
        return None
    X = _tied_columns(masks, ties, terms)
    intercept, coef, r2, residuals = adaptive_alo(X, values, first)
    return _tied_surrogate(masks.shape[1], ties, intercept, coef, terms), r2, residuals


#: The alternatives to the decoded answer, in the order they are fitted.
ALTERNATIVES = (
    "decoded_ridge",
    "first_order",
    "first_order_lasso",
    "first_order_adaptive_lasso",
    "first_order+hub_lasso",
    "first_order+decoded_lasso",
    "first_order+pairs",
    "first_order+tied_lasso",
    "first_order+tied_adaptive_lasso",
    "first_order+local3_lasso",
    "first_order+local8_lasso",
    "first_order+decoded+local3_lasso",
    "first_order+decoded+local3_adaptive_lasso",
    "first_order+hub+adjacent_lasso",
    "first_order+hub+adjacent_adaptive_lasso",
)
#: Alternatives that add data-chosen columns to another: the larger fit's score is a little
#: optimistic (on additive games its leave-one-out edged out the lasso it extends while
#: predicting fresh masks 0.001–0.003 worse), so it must beat that one by ``SWITCH_MARGIN``.
EXTENDS = {
    "first_order+hub_lasso": "first_order_lasso",
    "first_order_adaptive_lasso": "first_order_lasso",
    "first_order+tied_adaptive_lasso": "first_order+tied_lasso",
    "first_order+hub+adjacent_lasso": "first_order_lasso",
    "first_order+hub+adjacent_adaptive_lasso": "first_order+hub+adjacent_lasso",
    "first_order+decoded+local3_adaptive_lasso": "first_order+decoded+local3_lasso",
}
#: Extensions refitted on the columns and weights the fit they extend chose on the same rows:
#: their leave-one-out is far too optimistic, so the best-of stage caps it at that fit's (with
#: :data:`EXTENDS`, they win only when judged on rows they never saw), and a winner refitted
#: with the held-out masks is judged by its fit without them
#: (:func:`~ablatio.methods._best_of.select`).
SECOND_STAGE = (
    "first_order_adaptive_lasso",
    "first_order+tied_adaptive_lasso",
    "first_order+hub+adjacent_adaptive_lasso",
    "first_order+decoded+local3_adaptive_lasso",
)
#: Alternatives whose columns were chosen on the fit's own ablations: their leave-one-out is
#: optimistic, so the best-of stage caps it at the decoded answer's own estimate.
DECODED_COLUMNS = (
    "decoded_ridge",
    "first_order+decoded_lasso",
    "first_order+decoded+local3_lasso",
    "first_order+decoded+local3_adaptive_lasso",
)
#: The alternative fitted for ordered parts too many for the 3-window's pairs.
ADJACENT = "first_order+hub+adjacent_lasso"
#: Its adaptive stage (:func:`tied_adaptive_lasso` on its columns and coefficients).
ADJACENT_ADAPTIVE = "first_order+hub+adjacent_adaptive_lasso"
#: Adaptive stages of the lassos with product terms, by the lasso whose columns and
#: coefficients they reweight.
ADAPTIVE_OF = {
    "first_order+decoded+local3_adaptive_lasso": "first_order+decoded+local3_lasso",
    ADJACENT_ADAPTIVE: ADJACENT,
}
#: Alternatives that need the game's ``part_keys`` to repeat (:func:`tied_lasso`).
TIED = ("first_order+tied_lasso", "first_order+tied_adaptive_lasso")
#: Alternatives that need ``ordered`` parts, by the window of their pairs (:func:`local_pairs`);
#: one of :data:`DECODED_COLUMNS` also takes the decoded answer's interactions.
LOCAL = {
    "first_order+local3_lasso": 3,
    "first_order+local8_lasso": 8,
    "first_order+decoded+local3_lasso": 3,
}


def _slopes(first_order: Interactions) -> dict[int, float]:
    """The non-zero slopes (order-1 coefficients) of ``first_order`` by part."""
    return {
        t[0]: float(c)
        for t, c in zip(first_order.terms, first_order.coefficients, strict=True)
        if len(t) == 1 and c
    }


def hub_pairs(first_order: Interactions) -> list[tuple[int, int]]:
    """Pairs of the hub (the part with the largest absolute slope, the lowest index on a tie)
    with every other part that has a non-zero slope in ``first_order`` (Möbius)."""
    slopes = _slopes(first_order)
    if len(slopes) < 2:
        return []
    hub = min(slopes, key=lambda i: (-abs(slopes[i]), i))
    return sorted((min(hub, i), max(hub, i)) for i in slopes if i != hub)


@one_blas_thread
def fit_alternatives(
    masks: np.ndarray,
    values: np.ndarray,
    decoded: Interactions,
    names: tuple[str, ...] = ALTERNATIVES,
    structure: PartStructure = NO_STRUCTURE,
) -> dict[str, Fitted]:
    """The alternatives ``names`` fitted on ``masks`` (:data:`Fitted`), in order; one is left
    out when it has too many columns for the rows or costs too much, the tied ones without
    ties and the local ones without order in ``structure``."""
    fitted: dict[str, Fitted] = {}
    m, n = masks.shape
    ties = structure.ties
    tie_fit = bool(ties) and m >= 3 and m * (n + len(ties)) <= MAX_LASSO_CELLS
    tied: tuple[Fitted, np.ndarray] | None = None
    stages: dict[str, _TermLasso] = {}  # for ADAPTIVE_OF
    adjacent = ADJACENT in names and structure.ordered and _too_many_local_pairs(n)
    for name in names:
        if name == "first_order+hub_lasso" and adjacent:
            continue  # its columns are among the adjacent lasso's, which replaces it
        if name == ADJACENT or name in LOCAL:  # lassos with product terms
            stage = _term_lasso(name, masks, values, decoded, structure, fitted, adjacent)
            if stage:
                stages[name] = stage
            result = stage.fit if stage else None
        elif name in ADAPTIVE_OF:  # their adaptive stages
            base = stages.get(ADAPTIVE_OF[name])
            if base is None:
                continue
            result = tied_adaptive_lasso(masks, values, base.ties, base.raw, base.terms)
        elif name not in TIED:
            result = _fit_alternative(name, masks, values, decoded, fitted)
        elif not tie_fit:
            continue
        else:  # the tied lasso once; its coefficients weight the adaptive stage
            tied = tied or tied_lasso(masks, values, ties)
            first = name == "first_order+tied_lasso"
            result = tied[0] if first else tied_adaptive_lasso(masks, values, ties, tied[1])
        if result is not None:
            fitted[name] = result
    return fitted


class _TermLasso(NamedTuple):
    """A (tied) lasso with product ``terms`` (:func:`tied_lasso`), what its adaptive stage
    reweights: the fit, its raw coefficients, the terms and the tie groups."""

    fit: Fitted
    raw: np.ndarray
    terms: list[tuple[int, ...]]
    ties: tuple[np.ndarray, ...]


def _term_lasso(
    name: str,
    masks: np.ndarray,
    values: np.ndarray,
    decoded: Interactions,
    structure: PartStructure,
    fitted: dict[str, Fitted],
    adjacent: bool,
) -> _TermLasso | None:
    """The :data:`ADJACENT` lasso (when ``adjacent``) or one of :data:`LOCAL` (ordered parts)."""
    if name == ADJACENT:
        return _adjacent_lasso(masks, values, structure.ties, fitted) if adjacent else None
    if not structure.ordered:
        return None
    extra = _interaction_terms(decoded) if name in DECODED_COLUMNS else []
    return _local_lasso(masks, values, LOCAL[name], extra)


def _adjacent_lasso(
    masks: np.ndarray, values: np.ndarray, ties: tuple[np.ndarray, ...], fitted: dict[str, Fitted]
) -> _TermLasso | None:
    """The tied lasso (:func:`tied_lasso`; plain without ``ties``) over first order and the
    :func:`adjacent_pairs` of the first-order lasso; None when it costs too many cells."""
    m, n = masks.shape
    if m < 3 or m * n > MAX_LASSO_CELLS:
        return None
    first = fitted.get("first_order_lasso") or first_order_lasso(masks, values)
    pairs: list[tuple[int, ...]] = list(adjacent_pairs(first[0]))
    if not pairs or m * (n + len(ties) + len(pairs)) > MAX_LASSO_CELLS:
        return None
    fit, raw = tied_lasso(masks, values, ties, pairs)
    return _TermLasso(fit, raw, pairs, ties)


def _local_lasso(
    masks: np.ndarray, values: np.ndarray, window: int, extra: list[tuple[int, ...]]
) -> _TermLasso | None:
    """:func:`first_order_lasso` with the :func:`local_pairs` of ``window`` and the ``extra``
    terms (as the untied :func:`tied_lasso`: the same columns and fit); None when there are no
    pairs, more than :data:`MAX_LOCAL_PAIRS` or too many cells."""
    m, n = masks.shape
    pairs: list[tuple[int, ...]] = list(local_pairs(n, window))
    terms = pairs + sorted(set(extra) - set(pairs))
    too_many = len(pairs) > MAX_LOCAL_PAIRS or m * (n + len(terms)) > MAX_LASSO_CELLS
    if m < 3 or not pairs or too_many:
        return None
    fit, raw = tied_lasso(masks, values, (), terms)
    return _TermLasso(fit, raw, terms, ())


def _interaction_terms(decoded: Interactions) -> list[tuple[int, ...]]:
    """The terms of order 2 and more of ``decoded`` (Möbius basis)."""
    return [t for t in decoded.to_moebius().terms if len(t) >= 2]


def _fit_alternative(
    name: str,
    masks: np.ndarray,
    values: np.ndarray,
    decoded: Interactions,
    fitted: dict[str, Fitted],
) -> Fitted | None:
    m, n = masks.shape
    if m < 3:
        return None
    if name == "first_order_lasso":
        return first_order_lasso(masks, values) if m * n <= MAX_LASSO_CELLS else None
    if name in EXTENDS:  # both extend the first-order lasso: fitted once, reused
        if m * n > MAX_LASSO_CELLS:
            return None
        first = fitted.get(EXTENDS[name]) or first_order_lasso(masks, values)
        if name in SECOND_STAGE:
            return adaptive_lasso(masks, values, first[0])
        pairs = hub_pairs(first[0])
        ok = bool(pairs) and m * (n + len(pairs)) <= MAX_LASSO_CELLS
        return first_order_lasso(masks, values, pairs) if ok else None
    if name == "first_order+decoded_lasso":
        high = _interaction_terms(decoded)
        ok = bool(high) and m * (n + len(high)) <= MAX_LASSO_CELLS
        return first_order_lasso(masks, values, high) if ok else None
    if name == "decoded_ridge":
        fourier = decoded.to_fourier()
        k = sum(1 for t in fourier.terms if t)
        ok = 0 < k <= MAX_COLUMN_RATIO * m and _affordable(m, k)
        return _decoded_ridge(masks, values, fourier) if ok else None
    if n > MAX_COLUMN_RATIO * m or not _affordable(m, n):
        return None
    if name == "first_order":
        return _first_order(masks, values)
    pairs = _detected_pairs(decoded, int(MAX_COLUMN_RATIO * m) - n)
    if not pairs or not _affordable(m, n + len(pairs)):
        return None
    return _first_order_pairs(masks, values, pairs)
