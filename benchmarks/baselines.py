"""Cross-check ablatio's baselines against shapiq 1.4.1 at equal budgets.

For each synthetic game (known exact values through ``ablatio.Exact``) and each pair

====================  =========================================  ======
ablatio               shapiq                                      index
====================  =========================================  ======
KernelSHAP            KernelSHAP(pairing_trick=True)              SV
PermutationShapley    PermutationSamplingSV                       SV
Banzhaf (MSR)         MonteCarlo(index="BV", max_order=1)         BV
FaithShap(k=2)        RegressionFSII(max_order=2, pairing)        FSII
FaithBanzhaf(k=2)     RegressionFBII(max_order=2, pairing)        FBII
====================  =========================================  ======

the script runs both at the same budgets and seeds and records the mean absolute error against
the exact index (terms of order 1..k), the mean absolute difference between the two libraries'
estimates and the median wall time of each, measured side by side in one process with
single-threaded BLAS (threadpoolctl; multi-threaded OpenBLAS on a busy 2-core machine made
single 300×50 least-squares solves take anywhere from 1 to 600 ms).

Run from the repository root::

    PYTHONPATH=src python benchmarks/baselines.py            # writes benchmarks/results/
    PYTHONPATH=src python benchmarks/baselines.py --quick    # fewer seeds, smaller games
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import ablatio
from ablatio import Game
from ablatio.games.synthetic import hierarchical_game, sparse_and_game, sparse_parity_game

RESULTS = Path(__file__).parent / "results"
BUDGET_FRACTIONS = (0.1, 0.3, 1.0)
ORDER = 2


def _games(quick: bool) -> dict[str, ablatio.SyntheticGame]:
    n = 8 if quick else 10
    return {
        f"sparse_and_n{n}": sparse_and_game(n, n_terms=20, max_order=3, random_state=0),
        f"hierarchical_n{n + 2}": hierarchical_game(n + 2, n_terms=25, max_order=3, random_state=1),
        f"parity_n{n}": sparse_parity_game(n, n_terms=10, max_order=3, random_state=2),
    }


def _pairs():
    import shapiq
    from shapiq.approximator.montecarlo import MonteCarlo

    return [
        (
            "sv",
            1,
            "KernelSHAP",
            lambda b, s: ablatio.KernelSHAP(budget=b, random_state=s),
            lambda n, s: shapiq.KernelSHAP(n=n, pairing_trick=True, random_state=s),
        ),
        (
            "sv",
            1,
            "PermutationShapley",
            lambda b, s: ablatio.PermutationShapley(budget=b, random_state=s),
            lambda n, s: shapiq.PermutationSamplingSV(n=n, random_state=s),
        ),
        (
            "bv",
            1,
            "Banzhaf",
            lambda b, s: ablatio.Banzhaf(budget=b, random_state=s),
            lambda n, s: MonteCarlo(n=n, max_order=1, index="BV", random_state=s),
        ),
        (
            "fsii",
            ORDER,
            "FaithShap",
            lambda b, s: ablatio.FaithShap(max_order=ORDER, budget=b, random_state=s),
            lambda n, s: shapiq.RegressionFSII(
                n=n, max_order=ORDER, pairing_trick=True, random_state=s
            ),
        ),
        (
            "fbii",
            ORDER,
            "FaithBanzhaf",
            lambda b, s: ablatio.FaithBanzhaf(max_order=ORDER, budget=b, random_state=s),
            lambda n, s: shapiq.RegressionFBII(
                n=n, max_order=ORDER, pairing_trick=True, random_state=s
            ),
        ),
    ]


def _ours(result: ablatio.Interactions, index: str, order: int) -> dict[tuple, float]:
    if index == "sv":
        return {(i,): v for i, v in enumerate(result.shapley_values())}
    if index == "bv":
        return {(i,): v for i, v in enumerate(result.banzhaf_values())}
    return {t: v for t, v in result.as_dict().items() if 1 <= len(t) <= order}


def _theirs(values, order: int) -> dict[tuple, float]:
    lookup = values.interaction_lookup
    return {t: float(values.values[j]) for t, j in lookup.items() if 1 <= len(t) <= order}


def _truth(exact: ablatio.Interactions, index: str, order: int, n: int) -> dict[tuple, float]:
    if index in ("sv", "bv"):
        values = exact.shapley_values() if index == "sv" else exact.banzhaf_values()
        return {(i,): v for i, v in enumerate(values)}
    closed = exact.index(index, order).as_dict()
    from itertools import combinations

    keys = [t for r in range(1, order + 1) for t in combinations(range(n), r)]
    return {t: closed.get(t, 0.0) for t in keys}


def _mae(estimate: dict, truth: dict) -> float:
    return float(np.mean([abs(estimate.get(t, 0.0) - v) for t, v in truth.items()]))


def run(quick: bool) -> list[dict]:
    seeds = range(2 if quick else 5)
    rows = []
    for game_name, game in _games(quick).items():
        n = game.n_players
        exact = ablatio.Exact().fit(game).interactions_
        for index, order, name, ours_factory, theirs_factory in _pairs():
            truth = _truth(exact, index, order, n)
            for fraction in BUDGET_FRACTIONS:
                floor = ours_factory(None, 0).min_budget(n)
                budget = max(int(round(fraction * 2**n)), floor)
                err_ours, err_theirs, gap, t_ours, t_theirs = [], [], [], [], []
                for seed in seeds:
                    start = time.perf_counter()
                    fitted = ours_factory(budget, seed).fit(Game(game))
                    t_ours.append(time.perf_counter() - start)
                    mine = _ours(fitted.interactions_, index, order)
                    start = time.perf_counter()
                    other = _theirs(theirs_factory(n, seed).approximate(budget, game), order)
                    t_theirs.append(time.perf_counter() - start)
                    err_ours.append(_mae(mine, truth))
                    err_theirs.append(_mae(other, truth))
                    gap.append(_mae(mine, {t: other.get(t, 0.0) for t in truth}))
                rows.append(
                    {
                        "game": game_name,
                        "n": n,
                        "index": index,
                        "method": name,
                        "budget": budget,
                        "mae_ours": float(np.mean(err_ours)),
                        "mae_shapiq": float(np.mean(err_theirs)),
                        "mad_ours_vs_shapiq": float(np.mean(gap)),
                        "time_ours_s": float(np.median(t_ours)),
                        "time_shapiq_s": float(np.median(t_theirs)),
                        "time_ratio": float(np.median(t_ours) / np.median(t_theirs)),
                        "seeds": len(seeds),
                    }
                )
    return rows


COMPARE_METHODS = ("lime", "kernelshap", "permutation", "banzhaf", "faithshap", "faithbanzhaf")


def compare_table(quick: bool):
    """``ablatio.compare`` of every baseline on one hierarchical game (one shared cache)."""
    n = 10 if quick else 12
    game = Game(hierarchical_game(n, n_terms=25, max_order=3, random_state=1))
    budgets = [100, 400, 2**n]
    table = ablatio.compare(
        game, COMPARE_METHODS, budgets, max_order=ORDER, random_state=0, n_test=1000
    )
    return table, game, n


def _compare_markdown(table, game: Game, n: int) -> list[str]:
    shown = table.drop(columns=["error"]).round({"time": 4, "r2": 4, "removal": 4})
    lines = [
        "",
        f"## `ablatio.compare` on hierarchical_game(n={n}, n_terms=25, max_order=3)",
        "",
        f"Max order {ORDER} for the interaction methods, 1000 held-out masks; all runs share "
        f"one Game: {int(table['n_queries'].sum())} ablations requested in total, "
        f"{game.n_evaluated} evaluated by the model (including held-out and removal masks).",
        "",
        "| " + " | ".join(shown.columns) + " |",
        "|" + "---|" * len(shown.columns),
    ]
    for row in shown.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    return lines


def _markdown(rows: list[dict], meta: dict) -> str:
    lines = [
        "# Baselines vs shapiq 1.4.1",
        "",
        f"Generated by `{meta['command']}` on {meta['date']} ({meta['platform']}); "
        f"{rows[0]['seeds']} seeds per cell, mean absolute error over the index's terms of "
        "order 1..k against the exact values. `time ratio` = ablatio / shapiq median wall "
        "time per fit, measured side by side with single-threaded BLAS in one process on a "
        "shared machine (ratios, not absolute timings, are meaningful).",
        "",
        "| game | index | method | budget | MAE ablatio | MAE shapiq | mean abs diff | "
        "time ablatio (ms) | time shapiq (ms) | time ratio |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['game']} | {r['index']} | {r['method']} | {r['budget']} | "
            f"{r['mae_ours']:.3g} | {r['mae_shapiq']:.3g} | {r['mad_ours_vs_shapiq']:.3g} | "
            f"{1e3 * r['time_ours_s']:.1f} | {1e3 * r['time_shapiq_s']:.1f} | "
            f"{r['time_ratio']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds and smaller games")
    args = parser.parse_args()
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")  # shapiq's warnings about budgets and sampling
        rows = run(args.quick)
        table, game, n = compare_table(args.quick)
    meta = {
        "command": "PYTHONPATH=src python benchmarks/baselines.py"
        + (" --quick" if args.quick else ""),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "platform": f"{platform.machine()}, Python {platform.python_version()}",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "baselines.json").write_text(
        json.dumps(
            {"meta": meta, "rows": rows, "compare": table.to_dict(orient="records")}, indent=1
        ),
        encoding="utf-8",
    )
    text = _markdown(rows, meta) + "\n".join(_compare_markdown(table, game, n)) + "\n"
    (RESULTS / "baselines.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
