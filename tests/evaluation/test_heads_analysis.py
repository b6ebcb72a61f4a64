"""Tests of the head analyses on value functions with planted interactions."""

from __future__ import annotations

import numpy as np
import pytest

from ablatio import Interactions
from ablatio.evaluation.heads_analysis import (
    compare_pruning,
    prune_at_random,
    prune_by_interactions,
    prune_by_single_ablation,
    variance_by_depth,
)
from ablatio.exceptions import ParameterError

# 6 heads: 0 helps; 1 and 2 are each harmless alone but jointly hurt (their pair is negative);
# 3 hurts alone a little. Single ablations cannot see the 1x2 term.
PLANTED = Interactions(
    [(), (0,), (1,), (2,), (1, 2), (3,)], [1.0, 2.0, 0.5, 0.5, -3.0, -0.2], n_players=6
)


def test_interaction_pruning_finds_the_jointly_harmful_heads():
    removed = prune_by_interactions(PLANTED)
    assert sorted(removed.tolist()) == [1, 3]  # removing 1 (or 2) breaks the -3 pair; 3 alone
    full = PLANTED.predict(np.ones((1, 6), dtype=bool))[0]
    mask = np.ones((1, 6), dtype=bool)
    mask[0, removed] = False
    assert PLANTED.predict(mask)[0] == pytest.approx(full + 2.5 + 0.2)
    assert len(prune_by_interactions(PLANTED, max_remove=1)) == 1


def test_single_ablation_ranks_by_gain():
    removed = prune_by_single_ablation(PLANTED.predict, 6, 2)
    # gains: head1 +2.5, head2 +2.5, head3 +0.2, head0 -2 -> stable order picks 1, 2
    assert removed.tolist() == [1, 2]


def test_random_pruning_is_seeded_and_without_replacement():
    draws = prune_at_random(10, 4, 3, random_state=0)
    assert draws.shape == (3, 4)
    assert all(len(set(row)) == 4 for row in draws)
    np.testing.assert_array_equal(draws, prune_at_random(10, 4, 3, random_state=0))


def test_compare_pruning_reports_held_out_scores():
    result = compare_pruning(PLANTED, PLANTED.predict, PLANTED.predict, random_state=0)
    assert result["n_removed"] == 2
    assert result["before"] == pytest.approx(0.8)
    assert result["interactions"]["after"] == pytest.approx(3.5)
    assert result["single"]["after"] == pytest.approx(3.5 - 0.2 - 0.5)  # removes 1 and 2


def test_variance_by_depth_splits_fourier_energy():
    # Fourier terms: (0,) in layer 0, (1, 2) within layer 1, (0, 3) across layers 0 and 1
    fourier = Interactions(
        [(), (0,), (1, 2), (0, 3)], [5.0, 1.0, 2.0, 1.0], n_players=4, basis="fourier"
    )
    layers = np.array([0, 1, 1, 1])
    result = variance_by_depth(fourier, layers)
    assert result["layers"] == [0, 1]
    np.testing.assert_allclose(result["first_order"], [1 / 6, 0])
    np.testing.assert_allclose(result["within"], [0, 4 / 6])
    np.testing.assert_allclose(result["across"], [0.5 / 6, 0.5 / 6])
    moebius = variance_by_depth(fourier.to_moebius(), layers)
    np.testing.assert_allclose(moebius["within"], result["within"])


def test_exact_count_pruning_continues_past_the_optimum():
    # heads 0 and 1 hurt (removing them raises the value), the others help by 1, 2, 3
    inter = Interactions(
        [(), (0,), (1,), (2,), (3,), (4,)], [5.0, -1.0, -0.5, 1.0, 2.0, 3.0], n_players=5
    )
    assert prune_by_interactions(inter).tolist() == [0, 1]
    assert prune_by_interactions(inter, n_remove=4).tolist() == [0, 1, 2, 3]
    assert prune_by_interactions(inter, n_remove=1).tolist() == [0]
    with pytest.raises(ParameterError, match="n_remove == 6"):
        prune_by_interactions(inter, n_remove=6)


@pytest.mark.parametrize("p", [0.5, 0.9, 0.2])
def test_variance_by_depth_is_the_variance_under_bernoulli_p(p):
    """The shares split the exact variance of f(m), m ~ Bernoulli(p)^n."""
    import itertools

    moebius = Interactions(
        [(), (0,), (1,), (1, 2), (0, 3), (2, 3), (0, 1, 2)],
        [1.0, 2.0, -1.0, 3.0, -2.0, 0.5, 1.5],
        n_players=4,
    )
    layers = np.array([0, 1, 1, 1])
    masks = np.array(list(itertools.product([False, True], repeat=4)))
    weights = np.prod(np.where(masks, p, 1 - p), axis=1)
    values = moebius.predict(masks)
    variance = weights @ values**2 - (weights @ values) ** 2
    result = variance_by_depth(moebius, layers, keep_probability=p)
    assert result["total_variance"] == pytest.approx(variance)
    parts = sum(np.sum(result[k]) for k in ("first_order", "within", "across"))
    assert parts == pytest.approx(1.0)
    if p == 0.5:  # uniform masks: the same split as the Fourier energies
        fourier = variance_by_depth(moebius.to_fourier(), layers)
        for key in ("first_order", "within", "across"):
            np.testing.assert_allclose(result[key], fourier[key])


def test_variance_by_depth_of_an_additive_function_at_any_p():
    # f = 1 + 2 m0 - m1 + 3 m3: variance p(1-p) (4 + 1 + 9), shares 4/14 (layer 0), 10/14
    additive = Interactions([(), (0,), (1,), (3,)], [1.0, 2.0, -1.0, 3.0], n_players=4)
    result = variance_by_depth(additive, np.array([0, 1, 1, 1]), keep_probability=0.9)
    assert result["total_variance"] == pytest.approx(0.09 * 14)
    np.testing.assert_allclose(result["first_order"], [4 / 14, 10 / 14])
    np.testing.assert_allclose(result["within"] + result["across"], [0, 0])


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_variance_by_depth_refuses_a_degenerate_distribution(p):
    inter = Interactions([(), (0,)], [1.0, 2.0], n_players=2)
    with pytest.raises(ParameterError, match="keep_probability"):
        variance_by_depth(inter, np.array([0, 1]), keep_probability=p)
