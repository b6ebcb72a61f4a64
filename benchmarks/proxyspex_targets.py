"""Measure ProxySPEX against the issue-4 targets; print a markdown table.

Run from the repository root::

    PYTHONPATH=src python benchmarks/proxyspex_targets.py --seeds 3 [--json out.json]

Each row: game (kind, n, 20 terms of order <= 3 unless stated, noise sd), method and budget,
then means over seeds of distinct ablations used, held-out R² on 1000 uniform masks
(``ablatio.faithfulness``), the noise ceiling, fit time, and how many seeds warned
"not recovered" (RecoveryWarning). Times are wall-clock on whatever machine runs it.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np

import ablatio
from ablatio.exceptions import RecoveryWarning

GAMES = {
    "hierarchical": ablatio.hierarchical_game,
    "and": ablatio.sparse_and_game,
    "parity": ablatio.sparse_parity_game,
}

#: (game kind, n, n_terms, noise sd, method, budget, target text)
CASES = [
    ("hierarchical", 64, 20, 0.0, "proxyspex", 1000, "R² >= 0.99 with <= 1000"),
    ("hierarchical", 256, 20, 0.0, "proxyspex", 1000, "R² >= 0.99 with <= 1000"),
    ("hierarchical", 1024, 20, 0.0, "proxyspex", 1000, "R² >= 0.99 with <= 1000"),
    ("and", 256, 20, 0.0, "proxyspex", 2000, "R² >= 0.99 with <= 2000"),
    ("parity", 256, 20, 0.0, "proxyspex", 1000, "warning with its R²"),
    ("parity", 256, 20, 0.0, "proxyspex", 2000, "warning with its R² (SPEX fallback)"),
    ("parity", 256, 20, 0.0, "proxyspex", 4000, "warning with its R² (SPEX fallback)"),
    ("hierarchical", 256, 20, 0.5, "proxyspex", 2000, "R² >= ceiling - 0.05 at 2x budget"),
    ("and", 256, 20, 0.5, "proxyspex", 4000, "R² >= ceiling - 0.05 at 2x budget"),
    ("hierarchical", 256, 20, 0.5, "proxyspex", 1000, "(margin: noise at 1x budget)"),
    ("hierarchical", 1024, 20, 0.5, "proxyspex", 2000, "R² >= ceiling - 0.05 at 2x budget"),
    ("hierarchical", 4096, 20, 0.0, "proxyspex", 1000, "n = 4096 within 10 minutes"),
]


def run_case(kind, n, n_terms, noise, method, budget, seed):
    game = GAMES[kind](n, n_terms, 3, noise_sd=noise, random_state=seed)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RecoveryWarning)
        expl = ablatio.explain(game, method=method, budget=budget, max_order=3, random_state=seed)
    elapsed = time.perf_counter() - start
    r2 = ablatio.faithfulness(expl, game, n_test=1000, random_state=10_000 + seed)
    return {
        "queries": expl.n_queries,
        "r2": r2,
        "ceiling": game.noise_ceiling(),
        "time_s": elapsed,
        "warned": any(issubclass(w.category, RecoveryWarning) for w in caught),
        "exact": bool(expl.interactions.allclose(game.true_interactions.to_moebius(), atol=1e-6)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", default=None, help="also write the raw rows here")
    args = parser.parse_args()
    rows = []
    print(
        "| game | n | noise | method | budget | ablations | R² (min..max) | ceiling | "
        "time s | warned | exact | target |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for kind, n, n_terms, noise, method, budget, target in CASES:
        runs = [run_case(kind, n, n_terms, noise, method, budget, s) for s in range(args.seeds)]
        r2 = np.array([r["r2"] for r in runs])
        row = {
            "game": kind,
            "n": n,
            "n_terms": n_terms,
            "noise_sd": noise,
            "method": method,
            "budget": budget,
            "target": target,
            "runs": runs,
        }
        rows.append(row)
        print(
            f"| {kind} | {n} | {noise} | {method} | {budget} | "
            f"{np.mean([r['queries'] for r in runs]):.0f} | "
            f"{r2.mean():.4f} ({r2.min():.4f}..{r2.max():.4f}) | "
            f"{np.mean([r['ceiling'] for r in runs]):.4f} | "
            f"{np.mean([r['time_s'] for r in runs]):.1f} | "
            f"{sum(r['warned'] for r in runs)}/{len(runs)} | "
            f"{sum(r['exact'] for r in runs)}/{len(runs)} | {target} |",
            flush=True,
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
