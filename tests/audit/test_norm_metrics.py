from __future__ import annotations

import numpy as np
import pytest

from ablatio.audit.norm_metrics import (
    f1_at_k,
    neighbourhood_accuracy,
    spearman_rows,
)


def test_f1_at_k_by_hand():
    gold = np.zeros((2, 20))
    gold[0, :10] = 1  # |G| = 10
    gold[1, :4] = 1  # |G| = 4
    pred = -np.arange(20.0)[None, :].repeat(2, axis=0)  # top 10 = features 0..9
    # concept 0: P = G -> F1 = 1; concept 1: 4 hits, prec .4, rec 1 -> F1 = 8 / 14
    assert f1_at_k(pred, gold) == pytest.approx((1 + 8 / 14) / 2)
    assert f1_at_k(-pred, gold) == pytest.approx(0.0 + 0.0)


def test_f1_skips_concepts_without_features_and_caps_k():
    gold = np.array([[0.0, 0, 0], [1, 1, 0]])
    pred = np.array([[1.0, 2, 3], [3, 2, 1]])
    # k' = 3 features; concept 1: hits 2, prec 2/3, rec 1 -> F1 = 0.8
    assert f1_at_k(pred, gold) == pytest.approx(0.8)


def test_f1_at_k_counts_a_tie_across_the_kth_place_as_its_mean_over_tie_breaks():
    gold = np.zeros((1, 6))
    gold[0, [0, 2]] = 1  # |G| = 2
    pred = np.array([[5.0, 1, 1, 1, 1, 0]])  # k = 3: feature 0, then 2 of the 4 tied ones
    # 1 sure hit + 2 free places * (1 gold among 4 tied) / 4 = 1.5 hits; F1 = 2h / (k + |G|)
    assert f1_at_k(pred, gold, k=3) == pytest.approx(2 * 1.5 / 5)
    every_break = []
    for pair in [(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)]:
        broken = pred.copy()
        broken[0, list(pair)] += 0.5
        every_break.append(f1_at_k(broken, gold, k=3))
    assert f1_at_k(pred, gold, k=3) == pytest.approx(np.mean(every_break))


def test_f1_at_k_ignores_float_noise_at_the_kth_place():
    rng = np.random.default_rng(5)
    gold = (rng.random((40, 300)) < 0.05) * rng.integers(1, 9, (40, 300)).astype(float)
    exact = gold[:20] + rng.normal(size=(20, 300))
    exact[:, 100:] = 0.0  # most features predicted as exactly 0: the 10th place is a tie
    exact[:, :100] = np.minimum(exact[:, :100], 0.0)
    exact[:, :3] = 1.0 + np.arange(3)
    noisy = exact + rng.normal(size=exact.shape) * 1e-15
    assert f1_at_k(noisy, gold[:20]) == f1_at_k(exact, gold[:20])
    apart = exact.copy()
    apart[:, 100:] = np.arange(200) * 1e-6  # real differences still decide the 10th place
    assert f1_at_k(apart, gold[:20]) != pytest.approx(f1_at_k(exact, gold[:20]), abs=1e-3)


@pytest.mark.parametrize("apart", [1e-12, 1e-6])
def test_neighbourhood_accuracy_ties_cosines_closer_than_1e_9(apart):
    from scipy import sparse

    angle = 0.5  # own gold vector at this angle to the prediction, a rival closer by `apart`
    delta = apart / np.sin(angle)
    own, rival = (
        [np.cos(angle), np.sin(angle), 0.0, 0.0],
        [np.cos(angle - delta), np.sin(angle - delta), 0, 0],
    )
    gold = np.array([own, rival, [0.0, 0, 1, 0], [0.0, 0, 0, 1]])
    for candidates in [gold, sparse.csr_matrix(gold)]:
        hit = neighbourhood_accuracy(np.array([[1.0, 0, 0, 0]]), candidates, np.array([0]), k=1)
        assert hit == (1.0 if apart < 1e-9 else 0.0)


def test_spearman_rows():
    gold = np.array([[1.0, 2, 3, 4], [4, 3, 2, 1], [1, 1, 1, 1]])
    pred = np.array([[10.0, 20, 30, 40], [1, 2, 3, 4], [1, 2, 3, 4]])
    assert spearman_rows(pred, gold) == pytest.approx(0.0)  # (+1 - 1) / 2, constant row skipped
    assert spearman_rows(gold[:1], gold[:1]) == pytest.approx(1.0)


def test_neighbourhood_accuracy():
    rng = np.random.default_rng(0)
    gold = rng.normal(size=(30, 8))
    test = np.arange(5)
    assert neighbourhood_accuracy(gold[test], gold, test) == 1.0
    far = -gold[test]  # most dissimilar to its own vector
    assert neighbourhood_accuracy(far, gold, test) == 0.0
    assert neighbourhood_accuracy(gold[test], gold, test, k=1) == 1.0


def test_neighbourhood_accuracy_sparse_gold_matches_dense_ranking():
    rng = np.random.default_rng(7)
    gold = (rng.random((80, 200)) < 0.04) * rng.integers(5, 31, (80, 200)).astype(float)
    predicted = gold[:20] + rng.normal(scale=3.0, size=(20, 200))
    test = np.arange(20)
    unit = lambda m: m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-300)  # noqa: E731
    sims = unit(predicted) @ unit(gold).T
    expected = ((sims > sims[test, test][:, None]).sum(axis=1) < 10).mean()
    assert neighbourhood_accuracy(predicted, gold, test) == pytest.approx(expected)


def _spearman_reference(predicted, gold):
    """Spearman ρ per row from full average ranks (scipy), constant rows skipped."""
    from scipy.stats import rankdata

    rho = []
    for p, g in zip(predicted, gold, strict=True):
        rp, rg = rankdata(p) - (p.size + 1) / 2, rankdata(g) - (g.size + 1) / 2
        denom = np.sqrt((rp**2).sum() * (rg**2).sum())
        if denom > 0:
            rho.append((rp * rg).sum() / denom)
    return np.mean(rho)


@pytest.mark.parametrize("seed", [8, 9])
def test_spearman_sparse_counts_equal_full_ranking(seed):
    from scipy import sparse

    rng = np.random.default_rng(seed)
    gold = (rng.random((40, 300)) < 0.05) * rng.integers(5, 8, (40, 300)).astype(float)
    gold[0] = 0.0  # an empty row (skipped)
    gold[1, :3] = 9.0  # tied gold values
    predicted = np.round(gold + rng.normal(size=gold.shape), 1)  # many predicted ties
    predicted[:, 50:80] = 0.0  # exact zeros (features absent from training) tie
    predicted[2] = 1.5  # a constant prediction (skipped)
    predicted[3, gold[3] != 0] = 0.0  # gold features inside the big predicted tie
    expected = _spearman_reference(predicted, gold)
    assert spearman_rows(predicted, gold) == pytest.approx(expected, rel=1e-12)
    assert spearman_rows(predicted, sparse.csr_matrix(gold)) == pytest.approx(expected, rel=1e-12)
    assert f1_at_k(predicted, sparse.csr_matrix(gold)) == f1_at_k(predicted, gold)


@pytest.mark.parametrize("dense", [True, False])
def test_spearman_ties_values_that_differ_only_by_float_noise(dense):
    from scipy import sparse

    rng = np.random.default_rng(3)
    gold = (rng.random((30, 400)) < 0.05) * rng.integers(1, 9, (30, 400)).astype(float)
    gold[:, 0] = -1.0 if dense else 0.0  # negative gold ranks whole rows
    exact = rng.normal(size=gold.shape) * 5.0
    exact[:, 100:200] = 0.0  # features no training concept has: predicted as exactly 0 ...
    exact[:, 200:220] = 2.0  # ... or as one shared value
    noisy = exact.copy()  # ... or, by another solver, with rounding noise around it
    noisy[:, 100:220] += rng.normal(size=(30, 120)) * 1e-15
    noisy[:, :100] *= 1.0 + 1e-13 * rng.normal(size=(30, 100))
    golds = [gold, sparse.csr_matrix(gold)]
    for g in golds:
        expected = spearman_rows(exact, g)
        assert spearman_rows(noisy, g) == pytest.approx(expected, rel=0, abs=1e-14)
        assert expected == pytest.approx(_spearman_reference(exact, gold), rel=1e-12)
    assert spearman_rows(noisy, gold) != pytest.approx(  # the noise alone would rank them
        _spearman_reference(noisy, gold), rel=0, abs=1e-6
    )
    apart = exact.copy()
    apart[:, 100:200] = np.arange(100) * 1e-6  # real differences stay ranked
    assert spearman_rows(apart, gold) == pytest.approx(_spearman_reference(apart, gold), rel=1e-12)


def test_neighbourhood_accuracy_accepts_sparse_gold():
    from scipy import sparse

    rng = np.random.default_rng(10)
    gold = (rng.random((80, 200)) < 0.04) * rng.integers(5, 31, (80, 200)).astype(float)
    gold[5] = 0.0  # a concept without features (zero vector)
    predicted = gold[:20] + rng.normal(scale=3.0, size=(20, 200))
    test = np.arange(20)
    dense = neighbourhood_accuracy(predicted, gold, test)
    assert neighbourhood_accuracy(predicted, sparse.csr_matrix(gold), test) == dense


def test_spearman_sparse_gold_with_negative_values_ranks_whole_rows():
    from scipy import sparse

    rng = np.random.default_rng(11)
    gold = (rng.random((20, 200)) < 0.05) * rng.normal(size=(20, 200))  # mostly zero, signed
    predicted = gold + rng.normal(size=gold.shape)
    expected = _spearman_reference(predicted, gold)
    assert spearman_rows(predicted, sparse.csr_matrix(gold)) == pytest.approx(expected, rel=1e-12)
    assert spearman_rows(predicted, gold) == pytest.approx(expected, rel=1e-12)
