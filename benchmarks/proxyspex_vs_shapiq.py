"""ProxySPEX side by side: ablatio vs shapiq 1.4.1 on one seed of three n = 256 games.

Run from the repository root (needs the ``bench`` extra: shapiq 1.4.1 and LightGBM)::

    PYTHONPATH=src python benchmarks/proxyspex_vs_shapiq.py

Prints, per game, R² on 1000 held-out uniform masks, distinct ablations and wall time of each
library's ProxySPEX. shapiq's result (index FBII of order 3, i.e. the Möbius transform of its
degree-3 Fourier surrogate, plus its baseline as the ∅ term) is scored as a Möbius function.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

import ablatio

CASES = [("hierarchical", 256, 1000), ("parity", 256, 2000), ("and", 256, 2000)]
GAMES = {
    "hierarchical": ablatio.hierarchical_game,
    "parity": ablatio.sparse_parity_game,
    "and": ablatio.sparse_and_game,
}


def shapiq_proxyspex(game, n: int, budget: int, seed: int) -> tuple[ablatio.Interactions, float]:
    from shapiq.approximator.sparse.proxyspex import ProxySPEX

    approx = ProxySPEX(n=n, index="FBII", max_order=3, random_state=seed)
    start = time.perf_counter()
    values = approx.approximate(budget, lambda X: game(np.asarray(X, dtype=bool)))
    elapsed = time.perf_counter() - start
    terms, coef = [], []
    for key, pos in values.interaction_lookup.items():
        terms.append(tuple(key))
        coef.append(float(values.values[pos]))
    if () not in terms:
        terms.append(())
        coef.append(float(values.baseline_value))
    return ablatio.Interactions(terms, coef, n_players=n, basis="moebius"), elapsed


def main() -> None:
    warnings.filterwarnings("ignore")
    seed = 0
    print("| game | n | budget | ablatio R² | ablations | time s | shapiq R² | time s |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, n, budget in CASES:
        game = GAMES[kind](n, 20, 3, random_state=seed)
        start = time.perf_counter()
        expl = ablatio.explain(
            game, method="proxyspex", budget=budget, max_order=3, random_state=seed
        )
        ours_time = time.perf_counter() - start
        ours = ablatio.faithfulness(expl, game, random_state=99)
        theirs, theirs_time = shapiq_proxyspex(game, n, budget, seed)
        theirs_r2 = ablatio.faithfulness(theirs, game, random_state=99)
        print(
            f"| {kind} | {n} | {budget} | {ours:.4f} | {expl.n_queries} | {ours_time:.1f} | "
            f"{theirs_r2:.4f} | {theirs_time:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
