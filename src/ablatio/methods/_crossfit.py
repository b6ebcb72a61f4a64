"""Cross-fitted self-estimate: every random ablation scores a fit that never saw it.

A held-out estimate on ``m`` fresh masks costs the fit ``m`` ablations and its standard error
falls only as ``1/√m``: at a budget of 500, 100 held-out masks leave the fit 400 and the
estimate an error of 0.03–0.08 on noisy games. Cross-fitting spends nothing. The random
ablations the fit drew (from the distribution the result is judged on) are split into ``K``
folds; the *whole* decoding pipeline (support search, number of terms, refit) runs again
``K`` times, each time without one fold, and predicts that fold. With out-of-fold predictions
``ŷ_(-k(q))`` of every random mask ``q``,

    R²_cf = 1 - Σ_q (y_q - ŷ_(-k(q)))² / Σ_q (y_q - ȳ)²,

and its standard error: the delta method over all of them
(:func:`~ablatio._metrics.r2_with_se`) combined with the spread of the folds' own R² beyond
their sampling error (:func:`_instability`: a sparse decoder's support can change between
similar sets of ablations, and the estimate describes the average fit, not the one
returned). The returned answer is the pipeline run on every ablation. Structured ablations
(a fallback's design) are training rows of every fold and are never scored: they are not
draws from the judged distribution.

What it estimates: the accuracy of the pipeline trained on ``(K-1)/K`` of the ablations, so it
is pessimistic for the answer fitted on all of them where the learning curve is steep, and
the fold-to-fold dependence makes the standard error a little optimistic (Bates, Hastie &
Tibshirani, "Cross-validation: what does it estimate and how well does it do it?", JASA
2023). The reported R² therefore adds Burman's correction (:func:`_burman_shift`): how much
better the answer fits the scored rows than the fold fits do on the same rows. For least
squares it is first-order unbiased (``tests/methods/test__crossfit.py``); on ProxySPEX's
calibration games it cut the worst error 0.096 → 0.076 (noisy parity, n = 256, where the
plain figure said 0.67 for a true 0.77 and now 0.77). ``scores`` stay the plain cross-fitted
R² (they compare candidates trained on the same rows). The
best-of alternatives (:mod:`ablatio.methods._alternatives`) are compared on the same rows: those
whose columns come from the decoded support are refitted inside every fold (on that fold's
decoded support); first order, whose columns are fixed, by the exact leave-one-out residuals
of its refit on every ablation (at ``n = 1000`` parts and 800 ablations, fits on 4/5 of them
understated the returned first-order fit by 0.10). The lasso chooses its columns and penalty
from the data, so it is refitted inside every fold like the decoded support: scored by its
approximate leave-one-out instead, it beat the decoded answer on paper and lost on fresh
masks (n = 1024 words, 2000 ablations: 0.865 vs 0.877) — the two scores describe fits on
different numbers of ablations.

With the out-of-fold predictions of every candidate in hand, the answer is their stack
(:func:`_stack`): non-negative weights fitted to them, each candidate refitted on every
ablation. The candidates err differently (the lassos shrink, the decoded support misses
terms), and on VADER over 128–2048 words the stack predicted fresh masks better than the
single best candidate in 11 of 12 cells (+0.002 … +0.012 R²; −0.006 in the twelfth).

The folds are independent, so with ``n_jobs > 1`` they run in threads (:func:`fold_map`): each
fold's pipeline draws from its own generator and its result lands in its own slot, so the
answer is the same for any ``n_jobs``; the heavy parts (coordinate descent, matrix products,
the proxy's trees) release the interpreter lock.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from ablatio._metrics import r2_score, r2_with_se
from ablatio.interactions import Interactions
from ablatio.methods._alternatives import (
    ALTERNATIVES,
    NO_STRUCTURE,
    Fitted,
    PartStructure,
    fit_alternatives,
)
from ablatio.methods._best_of import first_occurrences, typical_rows, winner
from ablatio.transforms.solve import one_blas_thread
from ablatio.transforms.terms import tuples_to_terms

__all__ = ["CrossFit", "available_cpus", "cross_fit", "fold_map", "refitted_alternatives"]

T = TypeVar("T")

#: Alternatives whose columns do not depend on the data: their exact leave-one-out residuals
#: on every ablation (:func:`~ablatio.transforms.solve.ridge_loo`) score the returned refit
#: itself, on ``q - 1`` ablations instead of ``(K-1)/K · q``.
FIXED_COLUMNS = ("first_order",)
#: Alternatives left out when the decoded answer's cross-fitted R² trails first order's by more
#: than :data:`TRAILING_DECODER` (:func:`refitted_alternatives`): the widest lasso (first order,
#: every pair of the 3-window, the decoded interactions; 2100–2200 columns at 512 words) is the
#: costliest refit, and the interactions of a decoder that far behind earned it almost no
#: weight in the stack. On MiniLM over 512 words (decoder behind by 0.08–0.17, seeds 0–2,
#: 500–2000 ablations) it had weight in one of nine stacks (0.03), and leaving it out cut
#: ProxySPEX's decoding at 2000 ablations by a quarter; on MiniLM over 128 words (behind by at
#: most 0.05) and VADER (ahead) it often carries the stack's largest weight. Its adaptive
#: stage goes with it.
UNLESS_DECODER_TRAILS = (
    "first_order+decoded+local3_lasso",
    "first_order+decoded+local3_adaptive_lasso",
)
#: See :data:`UNLESS_DECODER_TRAILS`.
TRAILING_DECODER = 0.05
#: A decoder: ``(masks, values, rng) -> Interactions`` fitted on those ablations only.
Decoder = Callable[[np.ndarray, np.ndarray, np.random.Generator], Interactions]


@dataclass(frozen=True)
class CrossFit:
    """Result of :func:`cross_fit`.

    Attributes
    ----------
    model : str
        The chosen candidate (``"decoded"`` or a best-of alternative).
    interactions : Interactions
        The chosen candidate fitted on every ablation (Möbius basis).
    r2, se : float
        Its cross-fitted R² on the random ablations and the standard error.
    scores : dict of str to float
        Cross-fitted R² of every candidate compared.
    weights : dict of str to float
        Weight of each candidate in the answer (``{model: 1.0}`` unless it is stacked).
    """

    model: str
    interactions: Interactions
    r2: float
    se: float
    scores: dict[str, float]
    weights: dict[str, float]


def cross_fit(
    decode: Decoder,
    masks: np.ndarray,
    values: np.ndarray,
    random_rows: np.ndarray,
    decoded: Interactions,
    *,
    n_folds: int,
    best_of_below: float | None,
    rng: np.random.Generator,
    structure: PartStructure = NO_STRUCTURE,
    n_jobs: int = 1,
) -> CrossFit | None:
    """Cross-fit ``decode`` (and the best-of alternatives) over the random ablations.

    Parameters
    ----------
    decode : callable
        The decoding pipeline, ``decode(masks, values, rng) -> Interactions``.
    masks, values : ndarray
        Every ablation of the fit ``(q, n)`` (bool) and its value ``(q,)``.
    random_rows : ndarray of bool, shape (q,)
        Rows drawn from the distribution the result is judged on (the only rows scored).
    decoded : Interactions
        ``decode`` run on all the ablations (the answer when it wins).
    n_folds : int
        ``K``; None is returned when fewer than ``2 K`` random rows are distinct.
    best_of_below : float or None
        The alternatives are cross-fitted only when the decoded answer's R² is below this
        (None: never).
    rng : numpy.random.Generator
        Folds and the decoder's randomness.
    structure : PartStructure
        What the game says about its parts
        (:class:`~ablatio.methods._alternatives.PartStructure`).
    n_jobs : int
        Folds fitted at once (:func:`fold_map`; the result does not depend on it). The
        decoder must then be safe to call from several threads at once.
    """
    keep = first_occurrences(masks)  # a twin in training would leak its scored row
    masks, random_rows = np.asarray(masks, dtype=bool)[keep], np.asarray(random_rows)[keep]
    values = np.asarray(values, dtype=np.float64)[keep]
    scored = np.flatnonzero(random_rows)
    if scored.size < 2 * n_folds:
        return None
    fold_rng, *decode_rngs = rng.spawn(n_folds + 1)
    fold = np.full(values.size, -1)
    fold[scored] = fold_rng.permutation(scored.size) % n_folds
    folds, y = fold[scored], values[scored]
    fitted = fold_map(
        lambda k: decode(masks[fold != k], values[fold != k], decode_rngs[k]),
        range(n_folds),
        n_jobs,
    )
    everywhere = {"decoded": np.stack([model.predict(masks[scored]) for model in fitted])}
    answers = {"decoded": decoded.to_moebius()}
    predicted = {"decoded": _own_folds(everywhere["decoded"], folds)}
    scores = {"decoded": r2_score(y, predicted["decoded"])}
    if best_of_below is not None and scores["decoded"] < best_of_below:
        typical = typical_rows(masks) | random_rows  # atypical design rows: not for these fits
        fixed = fit_alternatives(masks[typical], values[typical], decoded, FIXED_COLUMNS, structure)
        for name, (fit, _, loo_residuals) in fixed.items():  # the exact leave-one-out predictions
            predicted[name] = y - loo_residuals[np.flatnonzero(random_rows[typical])]
            everywhere[name] = np.tile(fit.predict(masks[scored]), (n_folds, 1))
            answers[name], scores[name] = fit, r2_score(y, predicted[name])
        names = refitted_alternatives(scores)

        def alternatives(k: int) -> dict[str, Fitted]:  # k = -1: on every ablation
            train = typical if k < 0 else (fold != k) & typical
            model = decoded if k < 0 else fitted[k]
            return fit_alternatives(masks[train], values[train], model, names, structure)

        full, *per_fold = fold_map(alternatives, range(-1, n_folds), n_jobs)
        everywhere.update(_fold_predictions(tuple(full), per_fold, masks[scored]))
        for name, (fit, _, _) in full.items():
            if name in everywhere:
                predicted[name] = _own_folds(everywhere[name], folds)
                answers[name], scores[name] = fit, r2_score(y, predicted[name])
        predicted, answers, scores = _in_order(predicted), _in_order(answers), _in_order(scores)
    weights: dict[str, float] = {}
    if len(answers) > 1:
        stack = _stack(y, predicted, folds)
        if stack is not None:
            weights, answers["stacked"] = stack.weights, stack.combine(answers)
            predicted["stacked"] = stack.out_of_fold
            everywhere["stacked"] = stack.fold_predictions(everywhere)
            scores["stacked"] = r2_score(y, stack.out_of_fold)
    best = "stacked" if "stacked" in answers else winner(scores)
    if best != "stacked":
        weights = {best: 1.0}
    r2, se = r2_with_se(y, predicted[best])
    r2 = min(1.0, r2 + _burman_shift(y, everywhere[best], answers[best].predict(masks[scored])))
    se = float(np.hypot(se, _instability(y, predicted[best], folds, n_folds)))
    return CrossFit(best, answers[best], r2, se, scores, weights)


def refitted_alternatives(scores: dict[str, float]) -> tuple[str, ...]:
    """The alternatives refitted in every fold: all but :data:`FIXED_COLUMNS`, and not
    :data:`UNLESS_DECODER_TRAILS` when ``scores["decoded"]`` (cross-fitted R²) trails a
    fixed-column alternative's score by more than :data:`TRAILING_DECODER`."""
    fixed = max((scores[name] for name in FIXED_COLUMNS if name in scores), default=-np.inf)
    trails = scores["decoded"] < fixed - TRAILING_DECODER
    return tuple(
        name
        for name in ALTERNATIVES
        if name not in FIXED_COLUMNS and not (trails and name in UNLESS_DECODER_TRAILS)
    )


def _in_order(by_name: dict[str, T]) -> dict[str, T]:
    """``by_name`` with the decoded answer first, then the alternatives in
    :data:`~ablatio.methods._alternatives.ALTERNATIVES` order (the stack's columns)."""
    return {name: by_name[name] for name in ("decoded", *ALTERNATIVES) if name in by_name}


def _own_folds(everywhere: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Each scored row's prediction by the fit of the fold that left it out."""
    return everywhere[folds, np.arange(folds.size)]


def _burman_shift(y: np.ndarray, everywhere: np.ndarray, full: np.ndarray) -> float:
    """Burman's correction of a ``K``-fold R² for the fits' smaller training sets.

    The cross-fitted error describes fits on ``(K-1)/K`` of the ablations; the answer is fitted
    on all of them. Burman ("A comparative study of ordinary cross-validation, v-fold
    cross-validation and the repeated learning-testing methods", Biometrika 1989) corrects the
    ``K``-fold error by ``Err_app(f) - (1/K) Σ_k Err(f_-k)``, the full fit's error on the rows
    minus the fold fits' errors on the same rows (their own training rows included), which is
    first-order unbiased for the error of the full fit. In R², with ``V`` the rows' variance:
    ``ΔR² = ((1/K) Σ_k Err(f_-k) - Err_app(f)) / V``. ``everywhere[k]`` is fold ``k``'s fit
    predicting every scored row, ``full`` the answer predicting them.
    """
    variance = float(np.mean((y - y.mean()) ** 2))
    if variance <= 0:
        return 0.0
    folds_error = float(np.mean((y[None, :] - everywhere) ** 2))
    return (folds_error - float(np.mean((y - full) ** 2))) / variance


@dataclass(frozen=True)
class Stack:
    """Non-negative combination of the candidates' answers (:func:`_stack`).

    ``fold_fits[k]`` holds the weights (in ``names`` order) and intercept fitted without fold
    ``k``'s rows (they predict that fold: ``out_of_fold``).
    """

    weights: dict[str, float]
    intercept: float
    out_of_fold: np.ndarray
    names: tuple[str, ...] = ()
    fold_fits: tuple[tuple[np.ndarray, float], ...] = ()

    def combine(self, answers: dict[str, Interactions]) -> Interactions:
        """``c + Σ_j w_j f̂_j`` over the candidates with a weight (Möbius basis)."""
        first = answers[next(iter(self.weights))]
        constant = Interactions._build(
            tuples_to_terms([()]), np.array([self.intercept]), first.n_players, "moebius"
        )
        for name, weight in self.weights.items():
            constant = constant + answers[name].to_moebius().scale(weight)
        return constant

    def fold_predictions(self, everywhere: dict[str, np.ndarray]) -> np.ndarray:
        """``(K, rows)``: fold ``k``'s stack (its weights, the candidates' fits without fold
        ``k``) predicting every row, from ``everywhere[name][k]``."""
        return np.stack(
            [
                c_k + sum(w * everywhere[name][k] for w, name in zip(w_k, self.names, strict=True))
                for k, (w_k, c_k) in enumerate(self.fold_fits)
            ]
        )


def _stack(y: np.ndarray, predicted: dict[str, np.ndarray], fold: np.ndarray) -> Stack | None:
    """Stacked regression of ``y`` on the candidates' out-of-fold predictions.

    ``min_{c, w >= 0} ‖y - c - P w‖²`` with ``P[q, j]`` candidate ``j``'s prediction of row
    ``q`` by its fit without ``q``'s fold (Breiman, "Stacked regressions", Machine Learning
    1996; the super learner of van der Laan, Polley & Hubbard 2007): non-negative least squares
    on the centred columns. Its own estimate is nested: fold ``k`` (``0 … K-1``) is predicted
    with weights fitted on the other folds' rows. Candidates with a non-finite prediction take
    no part. None when fewer than two candidates get a weight (the best single candidate
    stands).
    """
    names = tuple(name for name, p in predicted.items() if np.all(np.isfinite(p)))
    P = np.column_stack([predicted[name] for name in names])
    weights, intercept = _nnls(P, y)
    if np.count_nonzero(weights) < 2:
        return None
    out_of_fold = np.zeros(y.size)
    fold_fits = []
    for k in range(int(fold.max()) + 1):
        w_k, c_k = _nnls(P[fold != k], y[fold != k])
        out_of_fold[fold == k] = c_k + P[fold == k] @ w_k
        fold_fits.append((w_k, c_k))
    chosen = {name: float(w) for name, w in zip(names, weights, strict=True) if w > 0}
    return Stack(chosen, intercept, out_of_fold, names, tuple(fold_fits))


def _nnls(P: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Non-negative slopes and the free intercept of ``y ≈ c + P w``."""
    from scipy.optimize import nnls  # not at import time: ``import ablatio`` stays light

    means, y_mean = P.mean(axis=0), float(y.mean())
    weights, _ = nnls(P - means, y - y_mean)
    return weights, y_mean - float(means @ weights)


def _instability(y: np.ndarray, predicted: np.ndarray, fold: np.ndarray, n_folds: int) -> float:
    """Spread of one fit's R² around the folds' average: ``τ = √max(0, s² - mean SE_k²)``.

    ``s²`` is the variance of the per-fold R² ``R²_k`` (each fold scored by its own fit), and
    ``SE_k`` their sampling errors: what is left is how much the pipeline's answer varies
    between similar sets of ablations, so how far the one fit returned may sit from the
    average the pooled estimate describes.
    """
    per_fold = [r2_with_se(y[fold == k], predicted[fold == k]) for k in range(n_folds)]
    scores = np.array([r for r, _ in per_fold])
    sampling = np.array([s for _, s in per_fold])
    if not np.all(np.isfinite(scores)) or not np.all(np.isfinite(sampling)):
        return 0.0
    return float(np.sqrt(max(0.0, scores.var(ddof=1) - float(np.mean(sampling**2)))))


def _fold_predictions(
    names: tuple[str, ...], per_fold: list[dict[str, Fitted]], scored: np.ndarray
) -> dict[str, np.ndarray]:
    """``(K, scored rows)`` per alternative in ``names``: fold ``k``'s fit (``per_fold[k]``, on
    the typical rows without fold ``k`` and that fold's decoded support) predicting every
    scored mask; an alternative that some fold could not fit is left out."""
    kept = tuple(name for name in names if all(name in fits for fits in per_fold))
    return {name: np.stack([fits[name][0].predict(scored) for fits in per_fold]) for name in kept}


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def fold_map(task: Callable[[int], T], items: Sequence[int], n_jobs: int) -> list[T]:
    """``[task(i) for i in items]``, computed in up to ``n_jobs`` threads.

    Threads share the process's BLAS settings and warning filters. The tasks' solvers pin BLAS
    to one thread and restore what they found on leaving, so BLAS is pinned for the whole map
    first: every worker then finds and restores one thread (never a caller's larger setting
    while another worker still solves, which would change the last bits of its products).
    Their ``warnings.catch_warnings`` blocks (the lasso silencing scikit-learn's
    ``ConvergenceWarning``) enter and leave in any order across threads, so each may reinstate
    another's filters: the map silences that warning itself and restores the caller's filters
    when it ends.
    """
    if n_jobs <= 1 or len(items) <= 1:
        return [task(i) for i in items]
    return _threaded(task, items, min(n_jobs, len(items)))


@one_blas_thread
def _threaded(task: Callable[[int], T], items: Sequence[int], workers: int) -> list[T]:
    from sklearn.exceptions import ConvergenceWarning  # not at import time: stays light

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(task, items))
