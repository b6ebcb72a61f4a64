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
   retrain with and without each member and the pair in random training sets ``S`` and
   compare the measured effects with the surrogate's predictions on the same sets. The
   surrogate is fitted on uniform masks, so its pair coefficient is the interaction
   ``v(S∪ij) − v(S∪i) − v(S∪j) + v(S)`` *averaged over half-size training sets*; the check is
   made there (``--keeps`` 0.5), and also at density 0.9 and on the full training set
   (removing the pair from all the data), where redundancy between groups of one digit is
   much weaker: comparing the full-set measurement with the Möbius coefficient (the previous
   version of this check) mixes two different quantities.

    PYTHONPATH=src nice python benchmarks/data_interactions.py --budgets 250 500 1000 2000
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
METHODS = ["proxyspex", "lime", "banzhaf", "spex", "shapiq:ProxySPEX", "spectralexplain:ProxySPEX"]
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


def _context_masks(n: int, pair: tuple[int, int], contexts: np.ndarray) -> np.ndarray:
    """For each context ``S`` (pair removed): masks ``S∪ij``, ``S∪i``, ``S∪j``, ``S``."""
    i, j = pair
    masks = np.repeat(contexts, 4, axis=0)
    masks[:, [i, j]] = False
    masks[0::4, [i, j]] = True
    masks[1::4, i] = True
    masks[2::4, j] = True
    return masks


def _effects(values: np.ndarray) -> dict[str, np.ndarray]:
    """Per context: effects of adding i, j and the pair, and the pair's interaction."""
    both, only_i, only_j, neither = (values[k::4] for k in range(4))
    return {
        "add_i": only_i - neither,
        "add_j": only_j - neither,
        "add_pair": both - neither,
        "interaction": both - only_i - only_j + neither,
    }


def pair_check(
    inter: ablatio.Interactions, game, k: int, keeps: list[float], n_contexts: int, seed: int
) -> list[dict]:
    """Measured vs predicted effects of the top-``k`` pairs, in contexts of several densities.

    For a pair ``ij`` and a context ``S ⊆ N∖ij`` the effects are ``v(S∪i) − v(S)``,
    ``v(S∪j) − v(S)``, ``v(S∪ij) − v(S)`` and the interaction
    ``Δ_ij(S) = v(S∪ij) − v(S∪i) − v(S∪j) + v(S)``. Contexts keep every other group with
    probability ``q`` (``q = 1/2``: the uniform masks the surrogate was fitted on, where the
    mean of ``Δ_ij`` is the Banzhaf interaction; ``q = 1``: the full training set, i.e.
    removing the pair from all the data). A surrogate of order 2 predicts ``Δ̂_ij(S) = a_ij``,
    its Möbius coefficient, in every context.
    """
    moebius = inter.to_moebius()
    pairs = sorted(
        ((t, c) for t, c in moebius.as_dict().items() if len(t) == 2), key=lambda tc: -abs(tc[1])
    )[:k]
    n = inter.n_players
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xDA7A,)))
    rows = []
    for (i, j), coef in pairs:
        row: dict = {"pair": [int(i), int(j)], "moebius": float(coef), "contexts": {}}
        for q in keeps:
            count = 1 if q == 1 else n_contexts
            masks = _context_masks(n, (i, j), rng.random((count, n)) < q)
            measured, predicted = _effects(game(masks)), _effects(inter.predict(masks))
            row["contexts"][str(q)] = {
                name: {
                    "measured": float(measured[name].mean()),
                    "se": float(measured[name].std(ddof=1) / np.sqrt(count)) if count > 1 else 0.0,
                    "predicted": float(predicted[name].mean()),
                }
                for name in measured
            }
        rows.append(row)
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
    keeps = record["keeps"]
    fit_q = str(keeps[0])
    lines += [
        "",
        f"Top {len(record['pairs'])} pairs of {record['pairs_from']} by |Möbius coefficient| "
        f"({record['n_pair_terms']} pair terms in the surrogate). Effects of adding the groups "
        f"to {record['n_contexts']} random training sets that keep every other group with "
        f"probability {fit_q} (the fitting distribution): measured mean ± standard error / "
        "predicted by the surrogate on the same training sets:",
        "",
        "| pair | add i | add j | add pair | interaction |",
        "|---|---|---|---|---|",
    ]
    for r in record["pairs"]:
        effects = r["contexts"][fit_q]
        cells = [
            f"{e['measured']:+.3f} ± {e['se']:.3f} / {e['predicted']:+.3f}"
            for e in (effects[k] for k in ("add_i", "add_j", "add_pair", "interaction"))
        ]
        names = " × ".join(record["names"][p] for p in r["pair"])
        lines.append(f"| {names} | " + " | ".join(cells) + " |")
    labels = [f"q = {q}" if q != 1 else "full set (q = 1)" for q in keeps]
    lines += [
        "",
        "Interaction Δ_ij = v(S∪ij) − v(S∪i) − v(S∪j) + v(S) by density q of the training set S "
        "(measured ± se; the order-2 surrogate predicts its Möbius coefficient in every S):",
        "",
        "| pair | predicted | " + " | ".join(labels) + " |",
        "|---|---|" + "---|" * len(keeps),
    ]
    for r in record["pairs"]:
        cells = []
        for q in keeps:
            inter = r["contexts"][str(q)]["interaction"]
            spread = f" ± {inter['se']:.3f}" if inter["se"] else ""
            cells.append(f"{inter['measured']:+.3f}{spread}")
        names = " × ".join(record["names"][p] for p in r["pair"])
        lines.append(f"| {names} | {r['moebius']:+.3f} | " + " | ".join(cells) + " |")
    if record["pairs"]:
        lines += ["", "Agreement over these pairs (interaction, measured vs predicted):", ""]
        lines += ["| contexts | correlation | median measured / predicted |", "|---|---|---|"]
        predicted = np.array([r["moebius"] for r in record["pairs"]])
        for q, label in zip(keeps, labels, strict=True):
            measured = np.array(
                [r["contexts"][str(q)]["interaction"]["measured"] for r in record["pairs"]]
            )
            corr = np.corrcoef(measured, predicted)[0, 1] if len(predicted) > 1 else np.nan
            ratio = float(np.median(measured / predicted))
            lines.append(f"| {label} | {corr:+.2f} | {ratio:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=int, nargs="+", default=[250, 500, 1000])
    parser.add_argument("--spectral-budgets", type=int, nargs="*", default=[500])
    parser.add_argument("--n-test", type=int, default=300)
    parser.add_argument("--methods", nargs="+", default=METHODS)
    parser.add_argument("--pairs", type=int, default=10, help="top pairs to check")
    parser.add_argument("--contexts", type=int, default=24, help="training sets per pair")
    parser.add_argument(
        "--keeps", type=float, nargs="+", default=[0.5, 0.9, 1.0], help="context densities"
    )
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
    methods = args.methods
    top_budget = max(args.budgets)
    record["pairs_from"] = f"proxyspex at budget {top_budget}"
    record["pairs"], record["n_pair_terms"] = [], 0
    record["keeps"], record["n_contexts"] = args.keeps, args.contexts
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
                moebius = inter.to_moebius()
                record["n_pair_terms"] = sum(len(t) == 2 for t in moebius.terms)
                record["pairs"] = pair_check(
                    inter, game, args.pairs, args.keeps, args.contexts, args.seed
                )
            # written after every cell: a run cut short keeps what it measured
            Path(args.out + ".json").write_text(json.dumps(record, indent=1))
            Path(args.out + ".md").write_text(markdown(record))
    print(markdown(record))


if __name__ == "__main__":
    main()
