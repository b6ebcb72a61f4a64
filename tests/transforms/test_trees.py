"""Exact tree → Fourier extraction, checked against brute-force evaluation on all masks."""

from __future__ import annotations

import numpy as np
import pytest

from ablatio.methods.exact import all_masks
from ablatio.transforms.fourier import evaluate_fourier, fourier_transform
from ablatio.transforms.trees import Tree, leaves_to_fourier, tree_leaves, trees_to_fourier


def random_tree(n: int, depth: int, rng: np.random.Generator) -> Tree:
    """A full random tree; features may repeat on a path (including contradictions)."""
    feature, threshold, left, right, value, is_leaf = [], [], [], [], [], []

    def grow(d: int) -> int:
        pos = len(feature)
        for col in (feature, threshold, left, right, value, is_leaf):
            col.append(0)
        if d == depth or rng.random() < 0.15:
            value[pos], is_leaf[pos] = float(rng.normal()), True
            return pos
        feature[pos] = int(rng.integers(n))
        threshold[pos] = float(rng.choice([0.5, 0.0, 0.99, 1.5, -0.5]))
        left[pos] = grow(d + 1)
        right[pos] = grow(d + 1)
        return pos

    grow(0)
    return Tree(
        *(np.asarray(c) for c in (feature, threshold, left, right, value)),
        is_leaf=np.asarray(is_leaf, dtype=bool),
    )


@pytest.mark.parametrize("seed", range(6))
def test_single_tree_spectrum_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 6
    tree = random_tree(n, depth=5, rng=rng)
    masks = all_masks(n)
    idx, coef = trees_to_fourier([tree])
    np.testing.assert_allclose(evaluate_fourier(idx, coef, masks), tree.predict(masks), atol=1e-12)
    dense = fourier_transform(tree.predict(masks))
    assert np.count_nonzero(np.abs(dense) > 1e-12) == len(coef)


def test_ensemble_with_scale_and_intercept():
    rng = np.random.default_rng(7)
    n = 7
    trees = [random_tree(n, depth=3, rng=rng) for _ in range(5)]
    masks = all_masks(n)
    idx, coef = trees_to_fourier(trees, scale=0.3, intercept=2.0)
    expected = 2.0 + 0.3 * sum(t.predict(masks) for t in trees)
    np.testing.assert_allclose(evaluate_fourier(idx, coef, masks), expected, atol=1e-12)


def test_degree_bounded_by_depth():
    rng = np.random.default_rng(3)
    idx, _ = trees_to_fourier([random_tree(10, depth=3, rng=rng) for _ in range(4)])
    assert ((idx >= 0).sum(axis=1) <= 3).all()


def test_contradictory_path_is_dropped():
    # root splits on x0; its left child (x0 = 0) splits on x0 again: the right grandchild
    # (x0 = 1) is unreachable.
    tree = Tree(
        feature=np.array([0, 0, 0, 0, 0]),
        threshold=np.array([0.5, 0.5, 0.0, 0.0, 0.0]),
        left=np.array([1, 2, 0, 0, 0]),
        right=np.array([4, 3, 0, 0, 0]),
        value=np.array([0.0, 0.0, 1.0, 100.0, 5.0]),
        is_leaf=np.array([False, False, True, True, True]),
    )
    paths, values = tree_leaves(tree)
    assert sorted(values) == [1.0, 5.0]
    idx, coef = leaves_to_fourier(paths, values)
    # f = 1 if m0 = 0 else 5  ->  3 - 2 χ_0
    assert idx.tolist() == [[-1], [0]]
    np.testing.assert_allclose(coef, [3.0, -2.0])


def test_stump_on_one_feature():
    idx, coef = leaves_to_fourier([{2: 0}, {2: 1}], [4.0, 0.0])
    assert idx.tolist() == [[-1], [2]]
    np.testing.assert_allclose(coef, [2.0, 2.0])
