"""Best-of stage: never return less than the simple answer the ablations already support.

A sparse decoder (SPEX, ProxySPEX) can fail on a dense or noisy real value function. On the
ablations the method has already made, :func:`best_of` fits the alternatives

* ``"decoded"``: the method's own result, scored by its own held-out estimate;
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
  main effects. On VADER over 1024–2048 words it adds 0.013–0.022 held-out R² to the
  first-order lasso at 1000–2000 ablations;
* ``"first_order+decoded_lasso"``: the same lasso over first order and the decoded terms of
  order >= 2 (a sparse mix: some slopes, some of the decoded interactions);
* ``"first_order+pairs"``: first order plus the pairs inside the decoded terms (ridge);
* ``"first_order+tied_lasso"`` (only when the game's ``part_keys`` repeat, e.g. the same word
  in several places of a document): the lasso over first order and one column per repeated
  key counting its kept copies (:func:`tied_lasso`): a shared slope costs one penalty instead
  of one per copy, and each copy keeps its own deviation;
* ``"first_order+tied_adaptive_lasso"``: the adaptive lasso over the columns the tied lasso
  kept. On VADER over 1024–2048 words (documents of tweets: 137–239 repeated words) the two
  add 0.02–0.04 held-out R² to ProxySPEX's stacked answer at 500–1000 ablations,

and returns the one with the best honest held-out estimate. Ridge penalties are chosen by exact
leave-one-out (:func:`~ablatio.transforms.solve.ridge_loo`), the lasso penalty by approximate
leave-one-out over its path (:func:`first_order_lasso`), so every score is measured on
ablations the scored fit did not see. Candidates whose columns were chosen from the data
(the decoded support) are scored by the smaller of their leave-one-out R² and the method's own
held-out estimate, which does not reuse the masks that chose the support. The decoded answer is
replaced only when another candidate beats it by more than ``SWITCH_MARGIN``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from ablatio._metrics import r2_score, r2_with_se
from ablatio.games.game import Game
from ablatio.interactions import Interactions
from ablatio.methods._fourier_selection import parity_columns
from ablatio.transforms.solve import one_blas_thread, ridge_loo
from ablatio.transforms.terms import PAD, tuples_to_terms

__all__ = [
    "ALTERNATIVES",
    "SWITCH_MARGIN",
    "BestOf",
    "Recorder",
    "adaptive_lasso",
    "best_of",
    "choose",
    "first_occurrences",
    "first_order_lasso",
    "fit_alternatives",
    "hub_pairs",
    "tied_groups",
    "tied_lasso",
    "typical_rows",
    "winner",
]

#: Another candidate replaces the decoded answer only if its held-out R² is higher by this.
SWITCH_MARGIN = 0.005
#: Columns of a ridge candidate may not exceed this multiple of the number of ablations.
MAX_COLUMN_RATIO = 4.0
#: A ridge candidate is skipped when its thin SVD costs more than this many
#: ``rows · columns · min(rows, columns)`` (about a minute on one core), e.g. first order at
#: n = 4096 with 8000 ablations.
MAX_SVD_WORK = 5e10


#: The lasso is skipped above this many ``rows · parts`` (8000 ablations of 2048 parts: ~2 s
#: for the path).
MAX_LASSO_CELLS = 2e7
#: Penalties on the lasso path, geometric from the smallest that zeroes every slope.
LASSO_STEPS = 25
#: The path stops after this many penalties without a better leave-one-out R² (past its
#: optimum the curve falls, and the dense end of the path costs the most).
LASSO_PATIENCE = 3


def _affordable(m: int, p: int) -> bool:
    return m * p * min(m, p) <= MAX_SVD_WORK


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
    parts' mask bits (a Möbius term, e.g. the decoded interactions). Minimises
    ``‖y - c - Xβ‖² / (2q) + α ‖β‖₁`` (intercept unpenalised) for ``α`` on a geometric grid
    from ``α_max = max_j |x̃_jᵀ ỹ| / q`` (every coefficient zero; ``~`` = centred) down to
    ``10⁻³ α_max`` (``10⁻² α_max`` when columns outnumber rows, where the end of the path
    interpolates). On its active set ``A`` the lasso fit is linear in ``y`` with hat matrix
    ``H = Z (ZᵀZ)⁺ Zᵀ``, ``Z = [1, X_A]``, so the leave-one-out residual is ``e_i / (1 - h_ii)``
    with the active set held fixed (approximate leave-one-out, Rad & Maleki, JRSS-B 2020). The
    ``α`` with the best leave-one-out R² is returned with its R² and residuals (the path stops
    ``LASSO_PATIENCE`` penalties past it); picking one of ``LASSO_STEPS`` penalties makes it
    slightly optimistic, and more so when ``terms`` were chosen on the same rows.
    """
    n = masks.shape[1]
    terms = list(terms or [])
    products = [masks[:, list(t)].all(axis=1) for t in terms]
    X = np.column_stack([masks, *products]).astype(np.float64)
    intercept, slopes, r2, residuals = _lasso_alo(X, np.asarray(values, dtype=np.float64))
    idx = tuples_to_terms([(), *((i,) for i in range(n)), *terms])
    coef = np.concatenate([[intercept], slopes])
    return Interactions._build(idx, coef, n, "moebius"), r2, residuals


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
    intercept, slopes, r2, residuals = _adaptive_alo(
        masks[:, parts].astype(np.float64), values, np.array([first[i] for i in parts])
    )
    idx = tuples_to_terms([(), *((i,) for i in parts)])
    coef = np.concatenate([[intercept], slopes])
    return Interactions._build(idx, coef, n, "moebius"), r2, residuals


def _adaptive_alo(
    X: np.ndarray, values: np.ndarray, first: np.ndarray
) -> tuple[float, np.ndarray, float, np.ndarray]:
    """:func:`_lasso_alo` on the columns ``X[:, j] · |first_j|`` of the non-zero ``first``
    coefficients (the adaptive lasso's reweighting), slopes returned on ``X``'s scale (zero
    where ``first`` is)."""
    active = np.flatnonzero(first)
    scale = np.abs(first[active])
    intercept, slopes, r2, residuals = _lasso_alo(
        X[:, active] * scale, np.asarray(values, dtype=np.float64)
    )
    out = np.zeros(X.shape[1])
    out[active] = slopes * scale
    return intercept, out, r2, residuals


def tied_groups(part_keys: Sequence[str] | None) -> tuple[np.ndarray, ...]:
    """Indices of the parts sharing each key that two or more parts hold, in order of first
    appearance (empty without keys)."""
    parts: dict[str, list[int]] = {}
    for i, key in enumerate(part_keys or ()):
        parts.setdefault(key, []).append(i)
    return tuple(np.array(group) for group in parts.values() if len(group) > 1)


def _tied_columns(masks: np.ndarray, ties: Sequence[np.ndarray]) -> np.ndarray:
    """``[masks, c_1 … c_T]`` (float): ``c_t`` counts the kept parts of tie group ``t``."""
    counts = [masks[:, group].sum(axis=1) for group in ties]
    return np.column_stack([masks, *counts]).astype(np.float64)


def _tied_surrogate(
    n: int, ties: Sequence[np.ndarray], intercept: float, coef: np.ndarray
) -> Interactions:
    """First order with slope ``β_i + γ_t(i)``: part ``i``'s own coefficient plus its group's."""
    slopes = coef[:n].copy()
    for group, shared in zip(ties, coef[n:], strict=True):
        slopes[group] += shared
    idx = tuples_to_terms([(), *((i,) for i in range(n))])
    return Interactions._build(idx, np.concatenate([[intercept], slopes]), n, "moebius")


def tied_lasso(
    masks: np.ndarray, values: np.ndarray, ties: Sequence[np.ndarray]
) -> tuple[Fitted, np.ndarray]:
    """First-order lasso whose repeated parts can share a slope, and its raw coefficients.

    Columns ``[x_1 … x_n, c_1 … c_T]`` with ``c_t = Σ_{i ∈ G_t} x_i`` the kept copies of tie
    group ``G_t`` (:func:`tied_groups`): the fit ``c + Σ_i β_i x_i + Σ_t γ_t c_t`` is first
    order with slope ``β_i + γ_t`` for part ``i`` of group ``t``. Under the L1 penalty a slope
    shared by ``k`` copies costs ``|γ_t|`` instead of ``k |β|``, and the evidence of every copy
    pools into one coefficient (the same word counts alike wherever it stands), while
    ``β_i`` keeps what one copy does differently (a negated "good"). Penalty and estimate as
    :func:`first_order_lasso`; the raw coefficients ``(β, γ)`` feed
    :func:`tied_adaptive_lasso`.
    """
    n = masks.shape[1]
    intercept, coef, r2, residuals = _lasso_alo(
        _tied_columns(masks, ties), np.asarray(values, dtype=np.float64)
    )
    return (_tied_surrogate(n, ties, intercept, coef), r2, residuals), coef


def tied_adaptive_lasso(
    masks: np.ndarray, values: np.ndarray, ties: Sequence[np.ndarray], first: np.ndarray
) -> Fitted | None:
    """The adaptive lasso (:func:`adaptive_lasso`) over the columns with a non-zero raw
    coefficient ``first`` in :func:`tied_lasso`; None when it has none."""
    if not np.any(first):
        return None
    intercept, coef, r2, residuals = _adaptive_alo(_tied_columns(masks, ties), values, first)
    return _tied_surrogate(masks.shape[1], ties, intercept, coef), r2, residuals


def _lasso_alo(X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, float, np.ndarray]:
    """Intercept, slopes, approximate leave-one-out R² and residuals of the lasso on columns
    ``X`` at the penalty of :func:`first_order_lasso`'s path with the best leave-one-out R²."""
    q = X.shape[0]
    x_mean, y_mean = X.mean(axis=0), float(y.mean())
    centred, y_centred = np.asfortranarray(X - x_mean), y - y_mean
    xy = centred.T @ y_centred
    gram = (centred.T @ centred, xy) if q >= X.shape[1] else None
    alpha_max = float(np.max(np.abs(xy))) / q
    ends = -3.0 if q > X.shape[1] else -2.0
    alphas = alpha_max * np.logspace(0.0, ends, LASSO_STEPS) if alpha_max > 0 else np.zeros(1)
    best_r2, best_residuals = -np.inf, y_centred
    best_fit = (y_mean, np.zeros(X.shape[1]))
    slopes = np.zeros(X.shape[1])
    since_best, previous = 0, alpha_max
    leverage = _PathLeverage(X)
    for alpha in alphas:  # strongest penalty first; warm-started, stopped past the optimum
        if gram is None:
            slopes = _screened_slopes(centred, y_centred, alpha, previous, slopes)
        else:
            slopes = _lasso_slopes(centred, y_centred, alpha, slopes, gram)
        previous = alpha
        intercept = y_mean - float(x_mean @ slopes)
        active = np.flatnonzero(slopes)
        if active.size + 1 >= q:  # interpolates: no honest leave-one-out
            break
        residuals = (y - intercept - X[:, active] @ slopes[active]) / (1.0 - leverage(active))
        r2 = r2_score(y, y - residuals)
        if r2 > best_r2:
            best_r2, best_residuals, best_fit, since_best = r2, residuals, (intercept, slopes), 0
        else:
            since_best += 1
            if since_best == LASSO_PATIENCE:
                break
    return best_fit[0], best_fit[1], float(best_r2), best_residuals


class _PathLeverage:
    """:func:`_leverage` of ``X[:, active]`` along a lasso path, reusing the last factor.

    With ``Z = [1, X_A]`` ordered as the columns entered, ``ZᵀZ = L Lᵀ`` and ``W = L⁻¹ Zᵀ``
    (``h = column sums of W²``). The factor of a prefix of the columns is the leading block of
    ``L`` (and ``W``), so a step keeps the rows up to the first column that left and appends
    the columns after it and the new ones: ``L₂₁ = (W Z_N)ᵀ``, ``L₂₂ L₂₂ᵀ = Z_Nᵀ Z_N − L₂₁ L₂₁ᵀ``
    and ``W₂ = L₂₂⁻¹ (Z_Nᵀ − L₂₁ W)`` — ``O(q k |N|)`` instead of ``O(q k²)`` per path step.
    A pivot that is numerically zero falls back to :func:`_pseudo_inverse_leverage`.
    """

    def __init__(self, X: np.ndarray) -> None:
        self.X = X
        self.order: list[int] = []
        self.W = np.zeros((0, X.shape[0]))  # no rows: no factor yet (or a singular one)
        self.pivots = np.zeros(0)

    def __call__(self, active: np.ndarray) -> np.ndarray:
        """Diagonal of the hat matrix of ``[1, X[:, active]]``, below 1."""
        if self.W.shape[0] == 0:
            self._extend(np.ones((self.X.shape[0], 1)), [])
        wanted = set(active.tolist())
        kept = next((r for r, j in enumerate(self.order) if j not in wanted), len(self.order))
        self.order, self.W, self.pivots = (
            self.order[:kept],
            self.W[: 1 + kept],
            self.pivots[: 1 + kept],
        )
        known = set(self.order)
        new = [int(j) for j in active if int(j) not in known]
        if new:
            self._extend(self.X[:, new], new)
        if self.W.shape[0] == 0:
            return _pseudo_inverse_leverage(self.X[:, active])
        return np.minimum(np.sum(self.W**2, axis=0), 1.0 - 1e-12)

    def _extend(self, Z_new: np.ndarray, columns: list[int]) -> None:
        """Append ``Z_new``'s columns to the factor; forget it when a pivot is ~zero."""
        import scipy.linalg  # not at import time: ``import ablatio`` stays light

        L21 = self.W @ Z_new
        schur = Z_new.T @ Z_new - L21.T @ L21
        try:
            L22 = scipy.linalg.cholesky(schur, lower=True)
        except np.linalg.LinAlgError:
            L22 = None
        pivots = np.concatenate([self.pivots, np.diag(L22) if L22 is not None else [0.0]])
        if L22 is None or pivots.min() ** 2 < 1e-10 * pivots.max() ** 2:
            self.order, self.W, self.pivots = [], self.W[:0], np.zeros(0)
            return
        W2 = scipy.linalg.solve_triangular(L22, Z_new.T - L21.T @ self.W, lower=True)
        self.order = self.order + columns
        self.W, self.pivots = np.vstack([self.W, W2]), pivots


def _leverage(columns: np.ndarray) -> np.ndarray:
    """Diagonal of the hat matrix of ``Z = [1, columns]``, below 1.

    ``h_i = z_iᵀ (ZᵀZ)⁻¹ z_i = ‖L⁻¹ z_i‖²`` with ``ZᵀZ = L Lᵀ`` (Cholesky of the small Gram
    matrix, then one triangular solve: no QR of the tall ``Z``; :class:`_PathLeverage`). When
    ``ZᵀZ`` is numerically singular (a pivot below ``1e-10`` of the largest, squared), the
    pseudo-inverse (:func:`_pseudo_inverse_leverage`).
    """
    return _PathLeverage(columns)(np.arange(columns.shape[1]))


def _pseudo_inverse_leverage(columns: np.ndarray) -> np.ndarray:
    """:func:`_leverage` through the eigendecomposition of ``ZᵀZ``, eigenvalues below ``1e-10``
    of the largest counting as rank deficiency."""
    Z = np.hstack([np.ones((columns.shape[0], 1)), columns])
    eigenvalues, vectors = np.linalg.eigh(Z.T @ Z)
    keep = eigenvalues > eigenvalues[-1] * 1e-10
    W = Z @ (vectors[:, keep] / np.sqrt(eigenvalues[keep]))
    return np.minimum(np.sum(W**2, axis=1), 1.0 - 1e-12)


def _screened_slopes(
    centred: np.ndarray, y: np.ndarray, alpha: float, previous: float, start: np.ndarray
) -> np.ndarray:
    """:func:`_lasso_slopes` at ``alpha`` on the columns the sequential strong rule keeps.

    After the solution at the previous penalty, a column whose correlation with the residual
    ``|x̃_jᵀ r| / q`` is below ``2α - α_prev`` is very likely zero at ``α`` (Tibshirani et
    al., JRSS-B 2012): coordinate descent runs on the others (and every active column); any
    left-out column that then breaks the optimality condition ``|x̃_jᵀ r| / q ≤ α`` joins, and
    the fit is repeated, so the result is the lasso's on every column. Used when columns
    outnumber rows (no Gram matrix): at 1000–2000 ablations of 2048 words plus the hub's
    pairs it cut the path's coordinate descent about 3–8 fold.
    """
    q = y.size
    correlation = np.abs(centred.T @ (y - centred @ start)) / q
    keep = (start != 0) | (correlation >= 2.0 * alpha - previous)
    while True:
        columns = np.flatnonzero(keep)
        part = np.zeros(0)
        if columns.size:
            sub = np.asfortranarray(centred[:, columns])
            part = _lasso_slopes(sub, y, alpha, start[columns], None)
        slopes = np.zeros(centred.shape[1])
        slopes[columns] = part
        correlation = np.abs(centred.T @ (y - centred[:, columns] @ part)) / q
        broken = ~keep & (correlation > alpha)
        if not broken.any():
            return slopes
        keep |= broken


def _lasso_slopes(
    centred: np.ndarray,
    y: np.ndarray,
    alpha: float,
    start: np.ndarray,
    gram: tuple[np.ndarray, np.ndarray] | None,
) -> np.ndarray:
    """Lasso slopes on centred (Fortran-ordered) columns and values at penalty ``alpha``,
    warm-started; coordinate descent on ``(XᵀX, Xᵀy)`` when given (rows ≥ columns)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import lasso_path

    if alpha <= 0:
        return np.zeros(centred.shape[1])
    extra: dict[str, Any] = {} if gram is None else {"precompute": gram[0], "Xy": gram[1]}
    with warnings.catch_warnings():  # a path point short of full convergence is still scored
        warnings.simplefilter("ignore", ConvergenceWarning)
        _, slopes, _ = lasso_path(
            centred,
            y,
            alphas=[alpha],
            coef_init=start.copy(),  # coordinate descent updates it in place
            max_iter=2000,
            check_input=False,
            **extra,
        )
    return np.array(slopes[:, 0])


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
)
#: Alternatives that add data-chosen columns to another: the larger fit's score is a little
#: optimistic (on additive games its leave-one-out edged out the lasso it extends while
#: predicting fresh masks 0.001–0.003 worse), so it must beat that one by ``SWITCH_MARGIN``.
EXTENDS = {
    "first_order+hub_lasso": "first_order_lasso",
    "first_order_adaptive_lasso": "first_order_lasso",
    "first_order+tied_adaptive_lasso": "first_order+tied_lasso",
}
#: Extensions refitted on the columns and weights the fit they extend chose on the same rows:
#: their leave-one-out is far too optimistic, so :func:`best_of` caps it at that fit's (with
#: :data:`EXTENDS`, they win only when judged on rows they never saw), and a winner refitted
#: with the held-out masks is judged by its fit without them (:func:`select`).
SECOND_STAGE = ("first_order_adaptive_lasso", "first_order+tied_adaptive_lasso")
#: Alternatives whose columns were chosen on the fit's own ablations: their leave-one-out is
#: optimistic, so :func:`best_of` caps it at the decoded answer's own estimate.
DECODED_COLUMNS = ("decoded_ridge", "first_order+decoded_lasso")
#: Alternatives that need the game's ``part_keys`` to repeat (:func:`tied_lasso`).
TIED = ("first_order+tied_lasso", "first_order+tied_adaptive_lasso")


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
    ties: Sequence[np.ndarray] = (),
) -> dict[str, Fitted]:
    """The alternatives ``names`` fitted on ``masks`` (:data:`Fitted`), in order; one is left
    out when it has too many columns for the rows or costs too much, the tied ones without
    ``ties`` (:func:`tied_groups`)."""
    fitted: dict[str, Fitted] = {}
    m, n = masks.shape
    tie_fit = bool(ties) and m >= 3 and m * (n + len(ties)) <= MAX_LASSO_CELLS
    tied: tuple[Fitted, np.ndarray] | None = None
    for name in names:
        if name not in TIED:
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
        high = [t for t in decoded.to_moebius().terms if len(t) >= 2]
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


def best_of(
    masks: np.ndarray,
    values: np.ndarray,
    decoded: Interactions,
    decoded_r2: float,
    ties: Sequence[np.ndarray] = (),
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
    ties : sequence of ndarray
        Parts that share a key (:func:`tied_groups`), for the tied alternatives.
    """
    masks = np.asarray(masks, dtype=bool)
    own = float(decoded_r2) if np.isfinite(decoded_r2) else -np.inf
    candidates: dict[str, Interactions] = {"decoded": decoded.to_moebius()}
    scores: dict[str, float] = {"decoded": own}
    for name, (fit, loo_r2, _) in fit_alternatives(masks, values, decoded, ties=ties).items():
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
    ties: Sequence[np.ndarray] = (),
) -> BestOf:
    """:func:`best_of` when ``decoded_r2 < below`` (or is unknown), else the decoded answer.

    Repeated masks are dropped first (a left-out mask must not stay in the fit as a twin).
    """
    known = np.isfinite(decoded_r2)
    if below is None or (known and decoded_r2 >= below):
        r2 = float(decoded_r2) if known else float("nan")
        moebius = decoded.to_moebius()
        return BestOf("decoded", moebius, r2, {"decoded": r2}, {"decoded": moebius})
    return best_of(*_training_rows(masks, values), decoded, decoded_r2, ties)


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

    The candidates of :func:`choose` (the decoded answer and :data:`ALTERNATIVES`) are fitted
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
    ties = tied_groups(game.part_keys)
    if sample is None or method.best_of_below is None:
        choice = choose(masks, values, decoded, fallback_r2, method.best_of_below, ties)
        method.model_, method.model_scores_ = choice.model, choice.scores
        if sample is not None:
            method._score_sample(game, rng, choice.interactions, sample)
        return choice.interactions
    decoded_r2 = r2_score(sample[1], decoded.predict(sample[0]))
    choice = choose(masks, values, decoded, decoded_r2, method.best_of_below, ties)
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
            ties,
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
    ``SWITCH_MARGIN``, and an extension (:data:`EXTENDS`) only if it beats what it extends by
    ``SWITCH_MARGIN``."""
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

    def wrapped(self) -> Game:
        """A :class:`Game` over this recorder with the wrapped game's size, batch size and
        part keys."""
        return Game(self, self.game.n_players, batch_size=max(self.game.batch_size, 1))

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """All masks ``(n_masks, n_players)`` and values ``(n_masks,)`` recorded so far."""
        if not self._masks:
            return np.zeros((0, self.game.n_players), dtype=bool), np.zeros(0)
        return np.concatenate(self._masks), np.concatenate(self._values)
