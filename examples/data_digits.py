"""Which groups of training digits help or hurt each other? Data attribution by retraining.

64 k-means groups of scikit-learn's bundled digits (stratified: each group holds one digit); a
mask keeps some groups, a logistic regression is retrained on them and scored by its mean
log-probability margin on a few test images of one digit. Prints the top synergistic
(positive) and redundant (negative) pairs of groups and draws examples of them to a PNG.

    PYTHONPATH=src python examples/data_digits.py [--method NAME] [--budget 3000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _methods import choose_method, explain
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

import ablatio
from ablatio.targets.data import DataTarget


def build_target(digit: int, n_groups: int, n_test: int, n_jobs: int, seed: int) -> DataTarget:
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.2, random_state=seed, stratify=y
    )
    pick = np.flatnonzero(y_test == digit)[:n_test]
    return DataTarget(
        X_train, y_train, X_test[pick], y_test[pick],
        estimator=LogisticRegression(max_iter=300), n_groups=n_groups, score="margin",
        n_jobs=n_jobs, random_state=seed,
    )  # fmt: skip


def pairs(
    interactions: ablatio.Interactions, sign: int, k: int
) -> list[tuple[tuple[int, int], float]]:
    found = [(t, c) for t, c in interactions.as_dict().items() if len(t) == 2 and sign * c > 0]
    return sorted(found, key=lambda tc: -abs(tc[1]))[:k]


def plot(target: DataTarget, top: dict[str, list], path: str, per_group: int = 4) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [(kind, term, coef) for kind, found in top.items() for term, coef in found[:2]]
    fig, axes = plt.subplots(len(rows), 2 * per_group, figsize=(2 * per_group, 1.3 * len(rows)))
    for r, (kind, term, coef) in enumerate(rows):
        for side, group in enumerate(term):
            for j in range(per_group):
                ax = axes[r, side * per_group + j]
                ax.axis("off")
                members = target.groups[group]
                if j < len(members):
                    ax.imshow(target.X[members[j]].reshape(8, 8), cmap="gray_r")
                if j == 0:
                    ax.set_title(target.player_names[group], fontsize=7)
        axes[r, 0].text(-12, 4, f"{kind}\n{coef:+.3f}", fontsize=7, va="center")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default=None, help="registered method (default: best)")
    parser.add_argument("--budget", type=int, default=3000)
    parser.add_argument("--digit", type=int, default=8)
    parser.add_argument("--groups", type=int, default=64)
    parser.add_argument("--test-points", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None, help="SQLite file: resume an interrupted run")
    parser.add_argument("--out", default="data_digits.png")
    args = parser.parse_args()

    target = build_target(args.digit, args.groups, args.test_points, args.jobs, args.seed)
    method = choose_method(args.method)
    game = ablatio.Game(target, cache=args.cache, batch_size=64)
    start = time.perf_counter()
    interactions, game = explain(game, method, args.budget, args.seed)
    seconds = time.perf_counter() - start
    r2 = ablatio.faithfulness(interactions, game, n_test=300, random_state=args.seed + 1)
    print(
        f"method={method}  groups={target.n_players}  retrainings={game.n_evaluated}  "
        f"({seconds:.0f} s, {game.n_evaluated / seconds:.1f}/s)  fallbacks={target.n_fallbacks}"
    )
    print(f"held-out R2 of the explanation: {r2:.3f}")
    print(
        f"value: all groups {game.full_value():.3f}, no group "
        f"{game(np.zeros((1, target.n_players), bool))[0]:.3f}"
    )
    top = {"synergy": pairs(interactions, +1, 5), "redundancy": pairs(interactions, -1, 5)}
    for kind, found in top.items():
        print(f"top {kind} pairs (group:digit, size):")
        for (a, b), coef in found:
            print(
                f"  {target.player_names[a]:>7} ({len(target.groups[a]):2d}) x "
                f"{target.player_names[b]:>7} ({len(target.groups[b]):2d})  {coef:+.4f}"
            )
    plot(target, top, args.out)
    print(f"examples of the top pairs drawn to {args.out}")


if __name__ == "__main__":
    main()
