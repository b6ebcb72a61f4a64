"""Reality check of an interaction explanation: held-out faithfulness next to its controls.

An explanation can score well for reasons that have nothing to do with what it claims (a
dominant constant, a few large main effects). :func:`reality_check` draws fresh masks (uniform, or
from the explanation's ``keep_probability``)
(independent of the fitting stream), splits them into a *calibration* half and an *evaluation*
half, and reports held-out R² on the evaluation half for

``explanation``  the explanation as returned (no refit),
``refit``        the same support refit on the calibration half (upper bound for this support:
                 if it is much higher, the coefficients are off, not the support),
``additive``     only the explanation's constant and first-order terms (what a Shapley- or
                 LIME-style attribution could express),
``shuffled``     the same terms and coefficients attached to other parts: players relabelled
                 by a random derangement (same structure and magnitudes, wrong attribution),
``random``       as many random terms of the same orders, fit on the calibration half (what
                 any support of that size and shape buys).

Verdict: ``"supported"`` when the explanation's R² is at least ``min_r2`` and beats the best of
the ``shuffled`` and ``random`` controls, R²_c, by the required gain with the lower end of a
paired bootstrap confidence interval above zero; ``"weak"`` when it beats the controls but misses
``min_r2`` or the required gain; ``"not_supported"`` otherwise (the words of
:mod:`ablatio.verdicts`, shared with the audits). Interactions are reported as real only
if the explanation also beats ``additive`` significantly.

The required gain is ``min(margin, gap_share · (1 − R²_c))``: a fixed margin when the controls
leave much unexplained, and a share of what they leave when they are already near the ceiling.
A control can be near the ceiling without the explanation being wrong: when its support covers
most of the term space of those orders (234 random terms among the 298 of order ≤ 3 on 12
parts) or when every part weighs about the same (a relabelling changes little). Requiring a
fixed 0.1 there would call an exact explanation "weak" because R² cannot exceed 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ablatio._validation import RandomState
from ablatio.designs.random import bernoulli_masks, held_out_generator
from ablatio.evaluation.faithfulness import _game, _interactions, keep_probability_of, r2_score
from ablatio.exceptions import ParameterError
from ablatio.interactions import Interactions
from ablatio.transforms.fourier import parity_matrix
from ablatio.transforms.moebius import and_matrix
from ablatio.transforms.solve import least_squares
from ablatio.transforms.terms import term_orders
from ablatio.verdicts import NOT_SUPPORTED, SUPPORTED, WEAK

__all__ = ["RealityCheck", "reality_check"]

#: Ridge penalty used when refitting supports on the calibration half (numerical safety only).
_REFIT_RIDGE = 1e-8


@dataclass(frozen=True)
class RealityCheck:
    """Held-out R² of an explanation and its controls, with a verdict.

    Attributes
    ----------
    scores : dict of str to float
        R² on the evaluation masks for ``explanation``, ``refit``, ``additive``, ``shuffled``,
        ``random``.
    gain_over_controls : tuple of float
        Paired-bootstrap ``(low, estimate, high)`` of R²(explanation) − max(R²(shuffled),
        R²(random)).
    gain_over_additive : tuple of float
        Same for R²(explanation) − R²(additive): do the interactions add anything?
    verdict : str
        ``"supported"``, ``"weak"`` or ``"not_supported"`` (:mod:`ablatio.verdicts`).
    reasons : list of str
        Human-readable justification of the verdict with the numbers.
    n_test : int
        Held-out masks used (half calibrate the controls, half evaluate).
    """

    scores: dict[str, float]
    gain_over_controls: tuple[float, float, float]
    gain_over_additive: tuple[float, float, float]
    verdict: str
    reasons: list[str] = field(default_factory=list)
    n_test: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "scores": dict(self.scores),
            "gain_over_controls": list(self.gain_over_controls),
            "gain_over_additive": list(self.gain_over_additive),
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "n_test": self.n_test,
        }

    def __str__(self) -> str:
        rows = "\n".join(f"  {k:<12} R² = {v: .4f}" for k, v in self.scores.items())
        return f"verdict: {self.verdict}\n{rows}\n" + "\n".join(f"  - {r}" for r in self.reasons)


def _basis(inter: Interactions, idx: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Design matrix of the terms ``idx`` (in ``inter``'s basis) on ``masks``."""
    return (and_matrix if inter.basis == "moebius" else parity_matrix)(idx, masks)


def _fit_and_predict(inter, idx, calib, y_calib, evaluate):
    X = _basis(inter, idx, calib)
    beta = least_squares(X, y_calib, ridge=_REFIT_RIDGE)
    return _basis(inter, idx, evaluate) @ beta


def _relabel(idx: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Terms with every player ``i`` renamed ``π(i)`` for a random derangement ``π`` (n >= 2)."""
    perm = np.arange(n)
    if n >= 2:
        while np.any(perm == np.arange(n)):  # expected e ≈ 2.7 draws
            perm = rng.permutation(n)
    out = np.where(idx >= 0, perm[np.maximum(idx, 0)], -1)
    big = np.iinfo(np.int64).max
    out = np.sort(np.where(out < 0, big, out), axis=1)
    return np.where(out == big, -1, out)


def _random_support(idx: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    orders = term_orders(idx)
    out = np.full_like(idx, -1)
    for row, r in enumerate(orders):
        out[row, :r] = np.sort(rng.choice(n, size=int(r), replace=False))
    return out


def _bootstrap_gain(y, pred_a, pred_b, rng, n_boot):
    """Paired bootstrap of R²(a) − R²(b) over evaluation masks: (2.5 %, estimate, 97.5 %)."""
    estimate = r2_score(y, pred_a) - r2_score(y, pred_b)
    rows = rng.integers(0, len(y), size=(n_boot, len(y)))
    ys, ea, eb = y[rows], (y - pred_a)[rows] ** 2, (y - pred_b)[rows] ** 2
    sst = ((ys - ys.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    sst = np.where(sst > 0, sst, np.inf)
    gains = (eb.sum(axis=1) - ea.sum(axis=1)) / sst
    low, high = np.quantile(gains, [0.025, 0.975])
    return float(low), float(estimate), float(high)


def reality_check(
    explanation: Any,
    game: Any,
    *,
    n_test: int = 1000,
    min_r2: float = 0.5,
    margin: float = 0.1,
    gap_share: float = 0.5,
    n_bootstrap: int = 1000,
    random_state: RandomState = None,
    keep_probability: float | None = None,
) -> RealityCheck:
    """Score ``explanation`` against its controls on fresh held-out masks; see module doc.

    Parameters
    ----------
    explanation : Explanation, Method or Interactions
        A Möbius- or Fourier-basis explanation.
    game : Game or callable
        The true value function; the ``n_test`` masks are counted apart from any budget.
    n_test : int, default=1000
        Held-out masks (half calibrate the refit/random controls, half evaluate).
    min_r2 : float, default=0.5
        Smallest held-out R² for a "supported" verdict.
    margin : float, default=0.1
        Smallest R² gain over the best of the shuffled and random controls, R²_c ...
    gap_share : float, default=0.5
        ... unless the gain closes at least this share of the gap ``1 − R²_c`` the controls
        leave (required gain ``min(margin, gap_share · (1 − R²_c))``).
    n_bootstrap : int, default=1000
        Bootstrap resamples of the evaluation masks for the confidence intervals.
    random_state : int, Generator or None
        Seed; an int gives masks independent of the fitting stream with the same seed.
    keep_probability : float or None
        Each part is kept with this probability in the held-out masks; None: the
        explanation's own fitting distribution (uniform for most methods; ``p`` for a
        ``ProxySPEX(keep_probability=p)`` fit, which approximates the game only there).
    """
    if not 0 < gap_share <= 1:
        msg = f"gap_share == {gap_share!r}, must be in (0, 1]"
        raise ParameterError(msg)
    if not isinstance(n_test, int) or n_test < 20:
        msg = f"n_test == {n_test!r}, must be an int >= 20 (half calibrates the controls)"
        raise ParameterError(msg)
    inter = _interactions(explanation)
    if inter.basis not in ("moebius", "fourier"):
        msg = f"reality_check needs a Möbius or Fourier explanation, not {inter.basis!r}"
        raise ParameterError(msg)
    game = _game(game, inter.n_players)
    # the same masks as faithfulness(..., n_test, random_state): a game that memoises or caches
    # them evaluates each held-out ablation once for both
    masks_rng = held_out_generator(random_state)
    p = keep_probability_of(explanation, keep_probability)
    masks = bernoulli_masks(inter.n_players, n_test, masks_rng, p)
    control_rng, boot_rng = masks_rng.spawn(2)
    y = game(masks)
    half = n_test // 2
    calib, evaluate, y_calib, y_eval = masks[:half], masks[half:], y[:half], y[half:]
    idx, coef = inter._idx, inter._coef
    orders = term_orders(idx)
    predict = {"explanation": inter.predict(evaluate)}
    predict["refit"] = _fit_and_predict(inter, idx, calib, y_calib, evaluate)
    low = orders <= 1
    predict["additive"] = Interactions._build(
        idx[low], coef[low], inter.n_players, inter.basis
    ).predict(evaluate)
    relabelled = _relabel(idx, inter.n_players, control_rng)
    predict["shuffled"] = Interactions._build(
        relabelled, coef, inter.n_players, inter.basis
    ).predict(evaluate)
    rand_idx = _random_support(idx, inter.n_players, control_rng)
    predict["random"] = _fit_and_predict(inter, rand_idx, calib, y_calib, evaluate)
    scores = {name: r2_score(y_eval, p) for name, p in predict.items()}
    best_control = max(("shuffled", "random"), key=lambda k: scores[k])
    gain = _bootstrap_gain(
        y_eval, predict["explanation"], predict[best_control], boot_rng, n_bootstrap
    )
    gain_add = _bootstrap_gain(
        y_eval, predict["explanation"], predict["additive"], boot_rng, n_bootstrap
    )
    required = min(margin, gap_share * (1 - scores[best_control]))
    verdict, reasons = _verdict(scores, gain, gain_add, best_control, min_r2, margin, required)
    return RealityCheck(scores, gain, gain_add, verdict, reasons, n_test)


def _verdict(scores, gain, gain_add, best_control, min_r2, margin, required):
    r2 = scores["explanation"]
    reasons = [
        f"held-out R² {r2:.3f} vs best control ({best_control}) {scores[best_control]:.3f}: "
        f"gain {gain[1]:.3f} (95% CI {gain[0]:.3f} to {gain[2]:.3f})"
    ]
    beats = gain[0] > 0
    if beats and r2 >= min_r2 and gain[1] >= required:
        verdict = SUPPORTED
    elif beats:
        verdict = WEAK
        reasons.append(
            f"R² below {min_r2}" if r2 < min_r2 else f"gain below the required {required:.3f}"
        )
    else:
        verdict = NOT_SUPPORTED
        reasons.append("the explanation does not beat a random or shuffled explanation")
    if scores[best_control] >= 0.8:
        reasons.append(
            f"the {best_control} control alone reaches R² {scores[best_control]:.3f}: most of the "
            "variance does not depend on this explanation's choice of terms, so the verdict "
            f"rests on the {1 - scores[best_control]:.3f} it leaves"
        )
    if scores["refit"] - r2 > margin:
        reasons.append(
            f"refitting the same support gives R² {scores['refit']:.3f}: the support is "
            "better than the coefficients"
        )
    if gain_add[0] > 0:
        reasons.append(
            f"interactions add R² {gain_add[1]:.3f} over the additive part "
            f"(95% CI {gain_add[0]:.3f} to {gain_add[2]:.3f})"
        )
    else:
        reasons.append(
            "the interaction terms add nothing significant over the additive part "
            f"(R² {scores['additive']:.3f})"
        )
    return verdict, reasons
