"""Explain a fitted scikit-learn model on one row, next to shap's exact Shapley values.

Run from the repository root (needs ``pip install shap`` for the comparison)::

    python examples/tabular_shap.py

Both use the same baseline: the interventional expectation over the same 100 background
rows (``baseline="marginal"`` here, ``shap.maskers.Independent`` there), so the Shapley values
agree to rounding; ablatio adds the pairwise interactions and the variance by order.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor

import ablatio

X, y = load_diabetes(return_X_y=True, as_frame=True)
model = GradientBoostingRegressor(random_state=0).fit(X, y)
start = time.perf_counter()
game = ablatio.tabular_game(model, X.iloc[0], background=X.iloc[:100])
expl = ablatio.explain(game, method="exact")
ours_s = time.perf_counter() - start
print(expl)
print(f"ablatio: {ours_s:.2f} s")

try:
    import shap
except ImportError:
    msg = "pip install shap for the comparison"
    raise SystemExit(msg) from None
start = time.perf_counter()
masker = shap.maskers.Independent(X.iloc[:100], max_samples=100)
theirs = shap.ExactExplainer(model.predict, masker)(X.iloc[:1]).values[0]
theirs_s = time.perf_counter() - start
ours = expl.shapley_values()
print(f"shap {shap.__version__}: {theirs_s:.2f} s")
print("feature   ablatio      shap")
for name, a, b in zip(ours.index, ours.to_numpy(), theirs, strict=True):
    print(f"{name:8s} {a:+9.4f} {b:+9.4f}")
print(f"max |difference| = {np.max(np.abs(ours.to_numpy() - theirs)):.2e}")
