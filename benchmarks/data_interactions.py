"""Training-data interactions on the digits retraining game: faithfulness vs budget, and a check
that the top pairs are real.

Game (as ``examples/data_digits.py``): scikit-learn's digits, 64 stratified k-means groups of
training images, LogisticRegression retrained on the kept groups, value = mean log-probability
margin on 10 test images of an 8. One shared SQLite cache, so a mask asked by several methods
is retrained once.

1. Held-out R² (300 uniform masks) vs budget for ablatio's spex, proxyspex, lime, banzhaf and
   the peers' ProxySPEX: shapiq 1.4.1 (``ProxySPEX``, FBII of order 2 read as Möbius terms plus
   its baseline) and spectralexplain 0.0.4 (``proxy_spex``, Fourier terms; its 5-fold grid
   search over 12 LightGBM settings is slow, so it runs at ``--spectral-budgets`` only).
2. Top 10 pairs (by |Möbius coefficient| of ablatio's proxyspex at the largest budget):
   retrain without each member and without the pair, and compare the measured second
   difference ``v(N) - v(N\\i) - v(N\\j) + v(N\\ij)`` with the surrogate's prediction.

    PYTHONPATH=src python benchmarks/data_interactions.py [--budgets 250 500 1000]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import ablatio
from ablatio.designs.random import bernoulli_masks, held_out_generator
from ablatio.evaluation.faithfulness import r2_score

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))


def shapiq_proxyspex(game, n: int, budget: int, seed: int) -> ablatio.Interactions:
    from shapiq.approximator.sparse.proxyspex import ProxySPEX

    approx = ProxySPEX(n=n, index="FBII", max_order=2, random_state=seed)
    values = approx.approximate(budget, lambda X: game(np.asarray(X, dtype=bool)))
    terms, coef = [], []
    for key, pos in values.interaction_lookup.items():
        terms.append(tuple(key))
        coef.append(float(values.values[pos]))
    if () not in terms:
        terms.append(())
        coef.append(float(values.baseline_value))
    return ablatio.Interactions(terms, coef, n_players=n, basis="moebius")


def spectral_proxyspex(game, n: int, budget: int, seed: int) -> ablatio.Interactions:
    import spectralexplain as spex

    rng = np.random.default_rng(seed)  # the peer's Explainer draws from the global RNG;
    queries = rng.integers(0, 2, size=(budget, n))  # same uniform design, seeded here
    four = spex.utils.proxy_spex((queries, game(queries.astype(bool))), max_order=2)
    terms = [tuple(int(i) for i in np.flatnonzero(k)) for k in four]
    return ablatio.Interactions(terms, list(four.values()), n_players=n, basis="fourier")


def run_method(name: str, game, n: int, budget: int, seed: int) -> ablatio.Interactions:
    if name == "shapiq:ProxySPEX":
        return shapiq_proxyspex(game, n, budget, seed)
    if name == "spectralexplain:ProxySPEX":
        return spectral_proxyspex(game, n, budget, seed)
    order = 2 if name in ("spex", "proxyspex") else 1
    expl = ablatio.explain(game, method=name, budget=budget, max_order=order, random_state=seed)
    return expl.interactions


def pair_check(inter: ablatio.Interactions, game, k: int) -> list[dict]:
    moebius = inter.to_moebius()
    pairs = sorted(
        ((t, c) for t, c in moebius.as_dict().items() if len(t) == 2), key=lambda tc: -abs(tc[1])
    )[:k]
    n = inter.n_players
    rows = []
    for (i, j), coef in pairs:
        masks = np.ones((4, n), dtype=bool)
        masks[1, i] = masks[2, j] = False
        masks[3, [i, j]] = False
        measured, predicted = game(masks), inter.predict(masks)

        def second(v):
            return float(v[0] - v[1] - v[2] + v[3])

        rows.append({
            "pair": [int(i), int(j)], "moebius": float(coef),
            "drop_i": [float(measured[0] - measured[1]), float(predicted[0] - predicted[1])],
            "drop_j": [float(measured[0] - measured[2]), float(predicted[0] - predicted[2])],
            "drop_pair": [float(measured[0] - measured[3]), float(predicted[0] - predicted[3])],
            "interaction": [second(measured), second(predicted)],
        })  # fmt: skip
    return rows


def markdown(record: dict) -> str:
    budgets = record["budgets"]
    lines = [
        f"Digits retraining game, 64 groups ({record['machine']}; load average at start "
        f"{record['load_average']}). Held-out R² on {record['n_test']} uniform masks "
        "(`refused` = the method declined the budget):",
        "",
        "| method | " + " | ".join(str(b) for b in budgets) + " |",
        "|---|" + "---|" * len(budgets),
    ]
    for method, cells in record["r2"].items():
        row = []
        for b in budgets:
            cell = cells.get(str(b))
            if cell is None:
                row.append("–")
            elif "r2" in cell:
                row.append(f"{cell['r2']:.3f} ({cell['seconds']:.0f} s)")
            else:
                row.append("refused")
        lines.append(f"| {method} | " + " | ".join(row) + " |")
    lines += [
        "",
        f"Top {len(record['pairs'])} pairs of {record['pairs_from']} (measured / predicted; "
        "drop = v(N) − v(N without the parts); interaction = v(N) − v(N∖i) − v(N∖j) + v(N∖ij)):",
        "",
        "| pair | Möbius | drop i | drop j | drop pair | interaction |",
        "|---|---|---|---|---|---|",
    ]
    for r in record["pairs"]:
        cells = [f"{r[k][0]:+.3f} / {r[k][1]:+.3f}" for k in ("drop_i", "drop_j", "drop_pair")]
        cells.append(f"{r['interaction'][0]:+.3f} / {r['interaction'][1]:+.3f}")
        names = " × ".join(record["names"][p] for p in r["pair"])
        lines.append(f"| {names} | {r['moebius']:+.3f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=int, nargs="+", default=[250, 500, 1000])
    parser.add_argument("--spectral-budgets", type=int, nargs="*", default=[500])
    parser.add_argument("--n-test", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default="data_interactions.sqlite")
    parser.add_argument("--out", default=str(HERE / "results" / "data_interactions"))
    args = parser.parse_args()
    import os

    from data_digits import build_target

    warnings.filterwarnings("ignore", category=FutureWarning)
    target = build_target(digit=8, n_groups=64, n_test=10, n_jobs=1, seed=args.seed)
    game = ablatio.Game(target, cache=args.cache, batch_size=64)
    n = target.n_players
    test = bernoulli_masks(n, args.n_test, held_out_generator(args.seed))
    y_test = game(test)
    record = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "budgets": args.budgets,
        "n_test": args.n_test,
        "names": list(target.player_names),
        "r2": {},
    }
    methods = ["proxyspex", "lime", "banzhaf", "spex", "shapiq:ProxySPEX"]
    methods.append("spectralexplain:ProxySPEX")
    top_budget = max(args.budgets)
    record["pairs_from"] = f"proxyspex at budget {top_budget}"
    record["pairs"] = []
    for method in methods:
        budgets = args.spectral_budgets if method.startswith("spectral") else args.budgets
        record["r2"][method] = {}
        for budget in budgets:
            start = time.perf_counter()
            try:
                inter = run_method(method, game, n, budget, args.seed)
            except ablatio.exceptions.AblatioError as err:
                record["r2"][method][str(budget)] = {"refused": str(err)}
                continue
            seconds = time.perf_counter() - start
            r2 = r2_score(y_test, inter.predict(test))
            record["r2"][method][str(budget)] = {"r2": r2, "seconds": seconds}
            print(f"{method} budget {budget}: R2 {r2:.3f} ({seconds:.0f} s)", flush=True)
            if (method, budget) == ("proxyspex", top_budget):
                record["pairs"] = pair_check(inter, game, 10)
            # written after every cell: a run cut short keeps what it measured
            Path(args.out + ".json").write_text(json.dumps(record, indent=1))
            Path(args.out + ".md").write_text(markdown(record))
    print(markdown(record))


if __name__ == "__main__":
    main()
