"""Gradient-boosted-tree proxies for ProxySPEX and their exact Fourier spectra.

Two back ends, both imported lazily: scikit-learn's ``HistGradientBoostingRegressor``
(default; scikit-learn is a core dependency) and LightGBM (extra ``trees``). Each fitted model
is read back as :class:`~ablatio.transforms.trees.Tree` node arrays and turned into Fourier
terms with :func:`~ablatio.transforms.trees.trees_to_fourier`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ablatio._optional import require
from ablatio.transforms.trees import Tree, trees_to_fourier

__all__ = ["PROXY_MODELS", "ProxyConfig", "fit_proxy_fourier"]

#: Names of the supported proxy back ends.
PROXY_MODELS = ("sklearn", "lightgbm")


@dataclass(frozen=True)
class ProxyConfig:
    """Hyper-parameters of the boosted-tree proxy.

    Attributes
    ----------
    n_trees : int
        Boosting rounds.
    max_depth : int
        Depth of each tree; the proxy's spectrum has degree ``<= max_depth``.
    learning_rate : float
        Shrinkage of each tree.
    min_samples_leaf : int
        Smallest number of masks in a leaf.
    """

    n_trees: int
    max_depth: int
    learning_rate: float
    min_samples_leaf: int


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def _sklearn_trees(X: np.ndarray, y: np.ndarray, cfg: ProxyConfig, seed: int) -> tuple:
    from sklearn.ensemble import HistGradientBoostingRegressor  # core dependency, imported late

    model = HistGradientBoostingRegressor(
        max_iter=cfg.n_trees,
        max_depth=cfg.max_depth,
        learning_rate=cfg.learning_rate,
        min_samples_leaf=cfg.min_samples_leaf,
        max_leaf_nodes=None,
        early_stopping=False,
        max_bins=2,  # masks are 0/1: two bins hold every split, and smaller histograms are faster
        random_state=seed,
    )
    model.fit(X.astype(np.float64), y)
    trees = []
    for (predictor,) in model._predictors:  # leaf values already include the learning rate
        nodes = predictor.nodes
        trees.append(
            Tree(
                feature=nodes["feature_idx"].astype(np.int64),
                threshold=nodes["num_threshold"].astype(np.float64),
                left=nodes["left"].astype(np.int64),
                right=nodes["right"].astype(np.int64),
                value=nodes["value"].astype(np.float64),
                is_leaf=nodes["is_leaf"].astype(bool),
            )
        )
    intercept = float(np.asarray(model._baseline_prediction).reshape(-1)[0])
    return trees, intercept


def _lightgbm_tree(structure: dict[str, Any]) -> Tree:
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    value: list[float] = []
    is_leaf: list[int] = []  # 0 / 1 until the bool array below

    def visit(node: dict[str, Any]) -> int:
        pos = len(feature)
        for column in (feature, threshold, left, right, value, is_leaf):
            column.append(0)
        if "leaf_value" in node:
            value[pos], is_leaf[pos] = float(node["leaf_value"]), True
            return pos
        feature[pos] = int(node["split_feature"])
        threshold[pos] = float(node["threshold"])
        left[pos] = visit(node["left_child"])
        right[pos] = visit(node["right_child"])
        return pos

    visit(structure)
    return Tree(
        feature=np.asarray(feature, dtype=np.int64),
        threshold=np.asarray(threshold, dtype=np.float64),
        left=np.asarray(left, dtype=np.int64),
        right=np.asarray(right, dtype=np.int64),
        value=np.asarray(value, dtype=np.float64),
        is_leaf=np.asarray(is_leaf, dtype=bool),
    )


def _lightgbm_trees(X: np.ndarray, y: np.ndarray, cfg: ProxyConfig, seed: int) -> tuple:
    lgb = require("lightgbm", extra="trees")
    model = lgb.LGBMRegressor(
        n_estimators=cfg.n_trees,
        max_depth=cfg.max_depth,
        num_leaves=2**cfg.max_depth,
        learning_rate=cfg.learning_rate,
        min_child_samples=cfg.min_samples_leaf,
        random_state=seed,
        deterministic=True,
        n_jobs=1,
        verbose=-1,
    )
    model.fit(X.astype(np.float64), y)
    dump = model.booster_.dump_model()
    # LightGBM folds the initial score into the first tree and the shrinkage into leaf values.
    trees = [_lightgbm_tree(info["tree_structure"]) for info in dump["tree_info"]]
    return trees, 0.0


def fit_proxy_fourier(
    X: np.ndarray,
    y: np.ndarray,
    *,
    model: str,
    config: ProxyConfig,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit a boosted-tree proxy on masks ``X`` ``(q, n)`` and values ``y``; return its spectrum.

    Returns the Fourier terms (padded index form, canonical order) and coefficients of the
    fitted ensemble, exactly: evaluating them on any mask reproduces the model's prediction.
    """
    fit = _sklearn_trees if model == "sklearn" else _lightgbm_trees
    trees, intercept = fit(X, y, config, _seed(rng))
    return trees_to_fourier(trees, intercept=intercept)
