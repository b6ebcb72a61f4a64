"""Cross-fitted self-estimates: out-of-fold rows only, design rows never scored, no twins."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import nnls
from sparse_games import r2, sparse_additive

from ablatio._metrics import r2_score, r2_with_se
from ablatio.interactions import Interactions
from ablatio.methods._alternatives import ALTERNATIVES, PartStructure
from ablatio.methods._best_of import choose
from ablatio.methods._crossfit import (
    TRAILING_DECODER,
    Stack,
    _stack,
    cross_fit,
    refitted_alternatives,
)


class _Lookup:
    """A surrogate that knows its training masks' values exactly and predicts 0 elsewhere."""

    def __init__(self, masks: np.ndarray, values: np.ndarray) -> None:
        self.table = {m.tobytes(): v for m, v in zip(masks, values, strict=True)}

    def predict(self, masks: np.ndarray) -> np.ndarray:
        return np.array([self.table.get(m.tobytes(), 0.0) for m in masks])


def _memoriser(masks, values, rng):
    return _Lookup(masks, values)


def _on_random_rows(decode, masks, values, decoded):
    """Cross-fit with the best-of alternatives, every row a random draw, 5 folds, seed 0."""
    every = np.ones(values.size, bool)
    rng = np.random.default_rng(0)
    return cross_fit(decode, masks, values, every, decoded, n_folds=5, best_of_below=0.99, rng=rng)


def _data(rows: int, n: int = 10, seed: int = 0):
    rng = np.random.default_rng(seed)
    masks = np.unique(rng.random((rows, n)) < 0.5, axis=0)
    return masks, rng.normal(size=masks.shape[0]) + 3.0


def test_every_scored_row_is_predicted_by_a_fit_that_never_saw_it():
    masks, values = _data(200)
    decoded = Interactions([()], [0.0], n_players=10)
    found = cross_fit(
        _memoriser,
        masks,
        values,
        np.ones(values.size, bool),
        decoded,
        n_folds=5,
        best_of_below=None,
        rng=np.random.default_rng(0),
    )
    # a memoriser predicts 0 for every unseen mask: no row leaked into its own fold's fit
    assert found is not None and found.model == "decoded"
    assert np.isclose(found.scores["decoded"], r2_score(values, np.zeros(values.size)))


def test_a_twin_of_a_scored_row_does_not_leak_and_design_rows_are_not_scored():
    masks, values = _data(200)
    design = np.zeros(values.size, bool)
    # every mask twice: first as a design row (always trained on), then as a random row
    found = cross_fit(
        _memoriser,
        np.concatenate([masks, masks]),
        np.concatenate([values, values]),
        np.concatenate([design, ~design]),
        Interactions([()], [0.0], n_players=10),
        n_folds=5,
        best_of_below=None,
        rng=np.random.default_rng(0),
    )
    assert found is None  # the random twins are dropped: nothing left to score
    half = np.arange(values.size) % 2 == 0  # half design rows, half random rows
    found = cross_fit(
        _memoriser,
        masks,
        values,
        half,
        Interactions([()], [0.0], n_players=10),
        n_folds=5,
        best_of_below=None,
        rng=np.random.default_rng(0),
    )
    assert found is not None
    assert np.isclose(found.scores["decoded"], r2_score(values[half], np.zeros(half.sum())))


def test_an_alternative_wins_when_the_decoder_fails_and_is_refitted_on_everything():
    rng = np.random.default_rng(1)
    masks = np.unique(rng.random((400, 30)) < 0.5, axis=0)
    weights = rng.normal(size=30)
    values = masks @ weights + 0.1 * rng.normal(size=masks.shape[0])

    def constant(X, y, r):
        return Interactions([()], [float(y.mean())], n_players=30)

    found = _on_random_rows(constant, masks, values, constant(masks, values, None))
    assert found is not None and found.model == "stacked"  # of the decoder and first order
    assert found.weights["first_order"] == pytest.approx(1.0, abs=0.01)
    assert found.weights.get("decoded", 0.0) < 0.01
    assert found.scores["decoded"] < 0.0 < 0.95 < found.r2
    slopes = found.interactions.to_moebius()
    assert np.allclose([slopes[(i,)] for i in range(30)], weights, atol=0.05)


def test_the_lasso_is_refitted_inside_every_fold(monkeypatch):
    """Its penalty and columns come from the data: scored like the decoded support, by fits
    that never saw the scored fold (not by its leave-one-out, which describes a fit on more
    ablations than the decoded answer's folds and made it win on paper)."""
    from ablatio.methods import _alternatives

    rng = np.random.default_rng(2)
    n = 300
    masks = np.unique(rng.random((250, n)) < 0.5, axis=0)
    slopes = np.zeros(n)
    slopes[:12] = rng.normal(size=12) * 2
    values = masks @ slopes + 0.1 * rng.normal(size=masks.shape[0])
    sizes: dict[bool, list[int]] = {False: [], True: []}  # by whether extra terms were given
    original = _alternatives.first_order_lasso

    def spy(X, y, terms=None):
        sizes[bool(terms)].append(X.shape[0])
        return original(X, y, terms)

    monkeypatch.setattr(_alternatives, "first_order_lasso", spy)

    def constant(X, y, r):
        return Interactions([()], [float(y.mean())], n_players=n)

    found = _on_random_rows(constant, masks, values, constant(masks, values, None))
    assert found is not None and found.model == "stacked"
    assert set(found.weights) <= {"first_order_lasso", "first_order_adaptive_lasso"}
    q = values.size
    for calls in sizes.values():  # the first-order lasso and its hub extension (the lasso
        # over the decoded terms has none here): once on everything, then in every fold
        assert calls[0] == q and len(calls) == 6 and sum(calls[1:]) == 4 * q
    assert found.r2 > 0.9
    assert found.scores["first_order_lasso"] > found.scores["first_order"] + 0.1


def test_the_standard_error_counts_how_much_one_fit_varies():
    rng = np.random.default_rng(2)
    masks = np.unique(rng.random((300, 20)) < 0.5, axis=0)
    weights = rng.normal(size=20)
    values = masks @ weights + 0.3 * rng.normal(size=masks.shape[0])
    linear = Interactions([(i,) for i in range(20)], weights, n_players=20)

    def stable(X, y, r):
        return linear

    def unstable(X, y, r):  # the true answer or nothing, at random: a support that flips
        return linear if r.random() < 0.5 else Interactions([()], [float(y.mean())], n_players=20)

    common = {"n_folds": 5, "best_of_below": None, "rng": np.random.default_rng(0)}
    steady = cross_fit(stable, masks, values, np.ones(values.size, bool), linear, **common)
    common["rng"] = np.random.default_rng(0)
    shaky = cross_fit(unstable, masks, values, np.ones(values.size, bool), linear, **common)
    assert steady is not None and shaky is not None
    pooled = r2_with_se(values, linear.predict(masks))[1]
    assert steady.se < 1.5 * pooled < 0.05  # the folds agree: sampling error only
    assert shaky.se > 0.2  # folds at R² ~0.9 and ~0: one fit may be either


def test_a_sparse_mix_of_slopes_and_decoded_interactions_is_fitted_by_one_lasso():
    """Slopes on a few of 300 parts plus two pair interactions, 250 ablations. The decoded
    support holds the pairs and a wrong triple, with wrong coefficients: the lasso over first
    order and the decoded terms keeps the pairs and the slopes; the first-order lasso cannot
    see the pairs and the ridge fits spread weight over every part."""
    slopes, masks, values, test, truth = sparse_additive(300, 250, 10, seed=6)
    values = values + 3.0 * (masks[:, 0] & masks[:, 1]) - 2.0 * (masks[:, 2] & masks[:, 3])
    truth = truth + 3.0 * (test[:, 0] & test[:, 1]) - 2.0 * (test[:, 2] & test[:, 3])
    decoded = Interactions([(), (0, 1), (2, 3), (5, 6, 7)], [1.0, 1.0, 1.0, 1.0], n_players=300)
    found = _on_random_rows(lambda X, y, rng: decoded, masks, values, decoded)
    assert found is not None and found.model == "first_order+decoded_lasso"
    scores = found.scores
    assert scores[found.model] > max(scores["first_order_lasso"], scores["first_order+pairs"])
    fit = found.interactions
    assert fit[(0, 1)] == pytest.approx(3.0, abs=0.3)
    assert fit[(2, 3)] == pytest.approx(-2.0, abs=0.3)
    ours = r2(truth, fit.predict(test))
    assert ours > 0.95
    assert abs(found.r2 - ours) < 0.05
    # the leave-one-out path caps it: its columns came from the decoder, on these rows
    assert choose(masks, values, decoded, 0.5, 0.99).scores["first_order+decoded_lasso"] == 0.5


def test_stacking_weights_candidates_by_their_out_of_fold_predictions():
    """Two candidates that each see half of the signal get weight ~1 each, a noise candidate
    ~0; every fold is predicted with weights fitted on the other folds only."""
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=600), rng.normal(size=600)
    y = 2.0 + a + b + 0.05 * rng.normal(size=600)
    fold = np.arange(600) % 5
    predicted = {"a": a, "b": b, "noise": rng.normal(size=600)}
    stack = _stack(y, predicted, fold)
    assert stack is not None and set(stack.weights) >= {"a", "b"}
    assert stack.weights["a"] == pytest.approx(1.0, abs=0.02)
    assert stack.weights["b"] == pytest.approx(1.0, abs=0.02)
    assert stack.weights.get("noise", 0.0) < 0.02
    assert stack.intercept == pytest.approx(2.0, abs=0.02)
    # nested: fold 0's predictions use weights fitted without fold 0's rows
    P = np.column_stack([a, b, predicted["noise"]])
    train = fold != 0
    w, _ = nnls(P[train] - P[train].mean(axis=0), y[train] - y[train].mean())
    c = y[train].mean() - P[train].mean(axis=0) @ w
    assert np.allclose(stack.out_of_fold[fold == 0], c + P[fold == 0] @ w)
    # a candidate with a non-finite prediction takes no part
    broken = {**predicted, "broken": np.where(fold == 0, np.inf, a)}
    assert "broken" not in _stack(y, broken, fold).weights
    # one useful candidate: no stack, the single best candidate stands
    assert _stack(y, {"sum": a + b, "negated": -(a + b)}, fold) is None


def test_the_stacked_answer_is_the_weighted_sum_of_the_candidates():
    masks, values = _data(300, n=12, seed=4)
    first = Interactions([(), (0,), (1, 2)], [1.0, 2.0, -1.0], n_players=12)
    second = Interactions([(), (3,)], [0.5, 4.0], n_players=12)
    stack = Stack({"first": 0.25, "second": 0.5}, 3.0, np.zeros(0))
    combined = stack.combine({"first": first, "second": second})
    expected = 3.0 + 0.25 * first.predict(masks) + 0.5 * second.predict(masks)
    assert np.allclose(combined.predict(masks), expected)
    assert combined.basis == "moebius"


def test_burman_corrects_the_folds_smaller_training_sets_of_least_squares():
    """For least squares on p fixed columns, the 5-fold error describes fits on 4/5 of the
    rows and overstates the full fit's error on fresh masks; Burman's correction removes the
    excess: averaged over repetitions, the corrected error (``(1 - r2) · variance``) matches
    the full fit's error on fresh masks, the plain 5-fold error does not."""
    n_parts, rows, p = 40, 200, 20
    rng = np.random.default_rng(6)
    slopes = rng.normal(size=n_parts) * 0.3
    test = rng.random((20000, n_parts)) < 0.5

    def least_squares(X, y, r):
        A = np.column_stack([np.ones(len(y)), X[:, :p]])
        coef = np.linalg.lstsq(A, y, rcond=None)[0]
        return Interactions([(), *((i,) for i in range(p))], coef, n_players=n_parts)

    plain, corrected, fresh = [], [], []
    for _ in range(300):
        masks = np.unique(rng.random((rows, n_parts)) < 0.5, axis=0)
        values = masks @ slopes + rng.normal(size=masks.shape[0])
        full = least_squares(masks, values, None)
        every = np.ones(values.size, bool)
        found = cross_fit(
            least_squares, masks, values, every, full, n_folds=5, best_of_below=None, rng=rng
        )
        assert found is not None
        variance = np.mean((values - values.mean()) ** 2)
        plain.append((1 - found.scores["decoded"]) * variance)
        corrected.append((1 - found.r2) * variance)
        y_test = test @ slopes + rng.normal(size=test.shape[0])
        fresh.append(np.mean((y_test - full.predict(test)) ** 2))
    excess = np.array(corrected) - np.array(fresh)
    plain_excess = np.array(plain) - np.array(fresh)
    se = excess.std(ddof=1) / np.sqrt(excess.size)  # ~0.009, on errors of ~1.44
    assert abs(excess.mean()) < 2.5 * se
    assert plain_excess.mean() > 3 * se


def test_fold_map_keeps_the_order_and_the_callers_warning_filters():
    import time
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from ablatio.methods._crossfit import fold_map

    def task(k: int) -> int:  # as the lasso: silences the solver's warning in its own block
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            time.sleep(0.01 * (k % 3))  # blocks enter and leave in every order across threads
            warnings.warn("not converged", ConvergenceWarning, stacklevel=1)
        warnings.warn("not converged", ConvergenceWarning, stacklevel=1)
        return k * k

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning that escaped would raise
        before = list(warnings.filters)
        assert fold_map(task, range(9), 4) == [k * k for k in range(9)]
        assert warnings.filters == before
    with pytest.raises(ConvergenceWarning):  # one at a time: the caller's filters apply
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fold_map(task, range(3), 1)


def test_fold_map_passes_a_workers_error_on():
    from ablatio.methods._crossfit import fold_map

    def task(k: int) -> int:
        if k == 2:
            raise ValueError("fold 2 failed")
        return k

    with pytest.raises(ValueError, match="fold 2 failed"):
        fold_map(task, range(5), 2)


@pytest.mark.parametrize("decoder_trails", [True, False])
def test_the_widest_lasso_is_left_out_when_the_decoder_trails_first_order(decoder_trails):
    """Ordered parts, a slope on every part and one pair: the lasso over first order, the
    3-window and the decoded terms is refitted when the decoder (the exact answer) predicts as
    well as first order, and left out when it trails (a constant)."""
    rng = np.random.default_rng(3)
    masks = np.unique(rng.random((300, 20)) < 0.5, axis=0)
    slopes = rng.normal(size=20)
    values = masks @ slopes + 4.0 * (masks[:, 0] & masks[:, 9]) + 0.1 * rng.normal(size=len(masks))
    terms = [(), *((i,) for i in range(20)), (0, 9)]
    exact = Interactions(terms, [0.0, *slopes, 4.0], n_players=20)
    constant = Interactions([()], [float(values.mean())], n_players=20)
    decoded = constant if decoder_trails else exact
    found = cross_fit(
        lambda X, y, r: decoded,
        masks,
        values,
        np.ones(values.size, bool),
        decoded,
        n_folds=5,
        best_of_below=1.01,
        rng=np.random.default_rng(0),
        structure=PartStructure(ordered=True),
    )
    assert found is not None
    trailing = found.scores["decoded"] < found.scores["first_order"] - TRAILING_DECODER
    assert trailing == decoder_trails
    assert "first_order+local3_lasso" in found.scores
    assert ("first_order+decoded+local3_lasso" in found.scores) != decoder_trails
    assert ("first_order+decoded+local3_adaptive_lasso" in found.scores) != decoder_trails


def test_only_a_decoder_trailing_first_order_by_more_than_the_margin_loses_the_widest_lasso():
    every = tuple(name for name in ALTERNATIVES if name != "first_order")
    without = tuple(name for name in every if not name.startswith("first_order+decoded+local3"))
    assert len(without) == len(every) - 2  # the widest lasso and its adaptive stage
    assert refitted_alternatives({"decoded": 0.70, "first_order": 0.74}) == every
    assert refitted_alternatives({"decoded": 0.90, "first_order": 0.74}) == every
    assert refitted_alternatives({"decoded": 0.60, "first_order": 0.74}) == without
    assert refitted_alternatives({"decoded": 0.60}) == every  # no first order to trail


def test_an_unknown_decoder_score_leaves_every_alternative_in():
    """An undefined (NaN) cross-fitted R² says nothing about the decoder: no alternative is
    left out on its account."""
    every = tuple(name for name in ALTERNATIVES if name != "first_order")
    assert refitted_alternatives({"decoded": float("nan"), "first_order": 0.74}) == every
