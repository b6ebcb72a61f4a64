"""Exact Fourier spectrum of decision trees (and sums of trees) over binary masks.

A regression tree over masks ``m ∈ {0,1}^n`` is a sum of leaf indicators. A leaf reached by
the path constraints ``m_{i_1} = v_1, …, m_{i_D} = v_D`` (distinct features) has indicator

.. math::

    \\mathbb{1}[\\text{leaf}](m) = \\prod_{r=1}^{D} \\frac{1 + s_r \\chi_{i_r}(m)}{2},
    \\qquad
    \\chi_i(m) = (-1)^{m_i} = 1 - 2 m_i,\\quad s_r = +1 \\text{ if } v_r = 0 \\text{ else } -1,

so a leaf with value ``w`` contributes ``w 2^{-D} \\prod_{i ∈ S} s_i`` to the Fourier coefficient
of every subset ``S`` of its path features (``2^D`` terms). A feature tested twice on one path
adds no factor if both tests agree and makes the leaf unreachable (contribution 0) if they
disagree. Summing over leaves and trees gives the exact spectrum of the ensemble, of degree at
most the tree depth (Gorji et al., arXiv 2410.06300; ProxySPEX, Butler et al. 2025).

Trees are given as flat node arrays (:class:`Tree`); the adapters for scikit-learn and
LightGBM models live with the method that fits them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ablatio.transforms.terms import PAD, aggregate

__all__ = ["Tree", "leaves_to_fourier", "tree_leaves", "trees_to_fourier"]


@dataclass(frozen=True)
class Tree:
    """A binary regression tree over masks, as flat node arrays of length ``n_nodes``.

    Attributes
    ----------
    feature : ndarray of int
        Feature tested at each internal node (ignored at leaves).
    threshold : ndarray of float
        A mask goes to ``left`` iff ``m_feature <= threshold`` (so a threshold in ``[0, 1)``
        sends ``m_i = 0`` left, ``>= 1`` sends everything left, ``< 0`` everything right).
    left, right : ndarray of int
        Child node indices (ignored at leaves).
    value : ndarray of float
        Output of each leaf (ignored at internal nodes).
    is_leaf : ndarray of bool
    root : int
        Index of the root node.
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    is_leaf: np.ndarray
    root: int = 0

    def predict(self, masks: np.ndarray) -> np.ndarray:
        """Evaluate the tree on bool masks ``(n_masks, n_players)`` (reference implementation)."""
        node = np.full(masks.shape[0], self.root, dtype=np.int64)
        active = ~self.is_leaf[node]
        while np.any(active):
            rows = np.flatnonzero(active)
            cur = node[rows]
            go_left = masks[rows, self.feature[cur]] <= self.threshold[cur]
            node[rows] = np.where(go_left, self.left[cur], self.right[cur])
            active = ~self.is_leaf[node]
        return self.value[node].astype(np.float64)


def tree_leaves(tree: Tree) -> tuple[list[dict[int, int]], list[float]]:
    """Reachable leaves as ``{feature: required value}`` path constraints and leaf values.

    Thresholds in ``[0, 1)`` constrain the feature; others route every mask one way and add no
    constraint. Leaves behind contradictory constraints are dropped (they are never reached).
    """
    paths: list[dict[int, int]] = []
    values: list[float] = []
    stack: list[tuple[int, dict[int, int]]] = [(int(tree.root), {})]
    while stack:
        node, path = stack.pop()
        if tree.is_leaf[node]:
            paths.append(path)
            values.append(float(tree.value[node]))
            continue
        feat, thr = int(tree.feature[node]), float(tree.threshold[node])
        if thr >= 1.0:
            stack.append((int(tree.left[node]), path))
            continue
        if thr < 0.0:
            stack.append((int(tree.right[node]), path))
            continue
        for child, bit in ((int(tree.right[node]), 1), (int(tree.left[node]), 0)):
            required = path.get(feat)
            if required is None:
                stack.append((child, {**path, feat: bit}))
            elif required == bit:
                stack.append((child, path))
    return paths, values


def leaves_to_fourier(
    paths: list[dict[int, int]], values: np.ndarray | list[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Fourier terms (padded index form) and coefficients of ``Σ_leaves w·1[path]``.

    Leaves are grouped by depth ``D`` and expanded at once into their ``2^D`` subsets.
    """
    values = np.asarray(values, dtype=np.float64)
    depth = np.array([len(p) for p in paths], dtype=np.int64)
    width = int(depth.max(initial=0))
    all_idx, all_coef = [], []
    for d in np.unique(depth):
        rows = np.flatnonzero(depth == d)
        feats = np.array([sorted(paths[r]) for r in rows], dtype=np.int64).reshape(rows.size, d)
        signs = np.array(
            [[1.0 - 2.0 * paths[r][f] for f in sorted(paths[r])] for r in rows]
        ).reshape(rows.size, d)
        codes = np.arange(2**d, dtype=np.int64)
        pick = ((codes[:, None] >> np.arange(d)) & 1).astype(bool)  # (2^d, d)
        # coefficient of subset `pick` of leaf r: w_r 2^-d Π_{picked} s
        sign_prod = np.prod(np.where(pick[None, :, :], signs[:, None, :], 1.0), axis=2)
        coef = values[rows, None] * 2.0**-d * sign_prod  # (k, 2^d)
        # picked features keep their (sorted) order; unpicked become PAD, pushed to the right
        sub = np.where(pick[None, :, :], feats[:, None, :], PAD).reshape(rows.size * 2**d, d)
        order = np.argsort(sub < 0, axis=1, kind="stable")
        sub = np.take_along_axis(sub, order, axis=1)
        padded = np.full((sub.shape[0], width), PAD, dtype=np.int64)
        padded[:, :d] = sub
        all_idx.append(padded)
        all_coef.append(coef.reshape(-1))
    if not all_idx:
        return np.zeros((0, 0), dtype=np.int64), np.zeros(0)
    return aggregate(np.concatenate(all_idx), np.concatenate(all_coef), atol=0.0)


def trees_to_fourier(
    trees: list[Tree], scale: float = 1.0, intercept: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Exact spectrum of ``intercept + scale · Σ_t tree_t(m)``; terms in canonical order."""
    paths: list[dict[int, int]] = [{}]
    values: list[float] = [intercept]
    for tree in trees:
        p, v = tree_leaves(tree)
        paths.extend(p)
        values.extend(scale * w for w in v)
    return leaves_to_fourier(paths, values)
