"""Are the methods' self-estimates honest? ``holdout_r2_`` against the true held-out R².

For every game of the recovery benchmark (AND, parity, hierarchical; noise sd 0 and 0.5, plus
sd 2.0 whose noise ceiling lies below the warning thresholds; the same budgets, and a third of
them, where recovery is partial) and real targets (VADER's sentiment of two reviews, one part
per word, 28 and 48 parts), each sparse method is fitted once and compared with the truth, R²
of its result on ``N_TEST`` = 10,000 fresh uniform held-out masks (the stream of
``ablatio.faithfulness``, independent of the fit), whose own standard error (``true_se``,
:func:`ablatio._metrics.r2_with_se`) is reported so that the benchmark measures the estimator
rather than the reference's noise:

* ``|self − true|`` for ``holdout_r2_`` (SPEX: fresh ablations the fit never used; ProxySPEX:
  cross-fitted, each random ablation predicted by a rerun of its pipeline that never saw it)
  and, for reference, for
  ``train_r2_`` (the estimate on the ablations that chose the support: SPEX's cross-group R²,
  ProxySPEX's CV R², the figures methods reported before issue #16);
* ``z = (holdout_r2_ − true) / √(holdout_r2_se_² + true_se²)`` and how often ``|z| <= 1.96``
  (is the reported standard error honest?);
* missed warnings: true R² below the method's warning threshold and no RecoveryWarning;
  false alarms: a warning although the true R² clears the threshold; the same two counts for
  the point-estimate rule the methods used before (``holdout_r2_ < threshold``).

Targets (issue #16): mean ``|holdout_r2_ − true|`` <= 0.02, max <= 0.05, no missed warning.

``--methods lime`` runs LIME (order 1, no warnings) on the same games: its ``holdout_r2_`` is
its leave-one-out residuals reweighted from its draws to uniform masks
(``benchmarks/results/calibration_lime.md``).

    PYTHONPATH=src python benchmarks/calibration.py --quick          # n = 64, 1 seed
    PYTHONPATH=src python benchmarks/calibration.py --seeds 2 --n 64,256 --text

Results: ``benchmarks/results/calibration.json`` and ``.md`` (rows also stream to
``calibration.rows.jsonl`` while it runs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ablatio import Game
from ablatio._metrics import r2_with_se
from ablatio.designs.random import bernoulli_masks, held_out_generator
from ablatio.exceptions import BudgetTooSmallError, RecoveryWarning
from ablatio.games.synthetic import hierarchical_game, sparse_and_game, sparse_parity_game
from ablatio.methods import make_method

HERE = Path(__file__).resolve().parent
GAMES = {"and": sparse_and_game, "parity": sparse_parity_game, "hier": hierarchical_game}
#: The recovery benchmark's budgets (noisy games: ``NOISE_FACTOR`` times).
BUDGETS = {64: 1500, 256: 2000, 1024: 3000, 4096: 4000}
NOISE_FACTOR = 2
#: Noise levels, and budget factors (1: the recovery benchmark's; below: partial recovery).
NOISES, BUDGET_FACTORS = (0.0, 0.5, 2.0), (1.0, 0.35)
N_TERMS, MAX_ORDER, N_TEST = 20, 3, 10_000
TEST_SEED_OFFSET = 10_000
#: Warning threshold of each method (its own parameter).
THRESHOLDS = {"spex": ("warn_below", 0.9), "proxyspex": ("warn_r2", 0.8), "lime": ("", -np.inf)}
#: Largest order each method is run with (LIME fits slopes only).
ORDERS = {"lime": 1}
#: Real targets: VADER's compound sentiment of reviews, one part per word (negations and
#: boosters make it non-additive).
TEXTS = (
    "The movie was not good at all, but the actors were brilliant and the music was "
    "absolutely wonderful, although the ending felt rushed and rather disappointing to me.",
    "I really wanted to love this phone. The screen is gorgeous and the battery lasts forever, "
    "yet the camera is terrible, the speakers are weak, and support never answered my emails, "
    "which is not acceptable at this price. Still, it is not the worst purchase I have made.",
)
TEXT_BUDGET = 1000


def fit_one(method: str, game: Game, budget: int, seed: int, truth_game: Any) -> dict:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RecoveryWarning)
        start = time.perf_counter()
        order = ORDERS.get(method, MAX_ORDER)
        est = make_method(method, budget=budget, max_order=order, random_state=seed).fit(game)
        wall = time.perf_counter() - start
    true, true_se = reference_r2(est, truth_game, seed)
    warned = any(issubclass(w.category, RecoveryWarning) for w in caught)
    threshold = THRESHOLDS[method][1]
    own = est.holdout_r2_ if np.isfinite(est.holdout_r2_) else est.train_r2_
    point_warned = bool(own < threshold)  # the rule before the interval
    se = est.holdout_r2_se_
    return {
        "method": method,
        "model": getattr(est, "model_", ""),
        "budget": budget,
        "n_queries": est.n_queries_,
        "holdout_r2": est.holdout_r2_,
        "holdout_se": se,
        "train_r2": est.train_r2_,
        "true_r2": true,
        "true_se": true_se,
        "z": (est.holdout_r2_ - true) / float(np.hypot(se, true_se)) if se + true_se else 0.0,
        "warned": warned,
        "missed_warning": bool(true < threshold and not warned),
        "false_alarm": bool(true >= threshold and warned),
        "point_missed": bool(true < threshold and not point_warned),
        "point_false": bool(true >= threshold and point_warned),
        "wall_s": wall,
    }


def reference_r2(est: Any, truth_game: Any, seed: int) -> tuple[float, float]:
    """R² of ``est`` on ``N_TEST`` uniform masks of the held-out stream, and its SE."""
    n = est.interactions_.n_players
    masks = bernoulli_masks(n, N_TEST, held_out_generator(seed + TEST_SEED_OFFSET))
    return r2_with_se(truth_game(masks), est.predict(masks))


def synthetic_rows(ns: list[int], seeds: int, methods: list[str]) -> list[dict]:
    rows = []
    for n in ns:
        for kind, maker in GAMES.items():
            for noise in NOISES:
                for factor in BUDGET_FACTORS:
                    for seed in range(seeds):
                        synthetic = maker(n, N_TERMS, MAX_ORDER, noise_sd=noise, random_state=seed)
                        full = BUDGETS[n] * (NOISE_FACTOR if noise else 1)
                        budget = int(factor * full)
                        for method in methods:
                            try:
                                row = fit_one(method, Game(synthetic), budget, seed, synthetic)
                            except BudgetTooSmallError:
                                continue
                            row.update(target=f"{kind} sd={noise}", n=n, seed=seed)
                            rows.append(row)
                            print(_line(row), flush=True)
    return rows


def text_rows(seeds: int, methods: list[str]) -> list[dict]:
    from ablatio.models import vader_scorer
    from ablatio.targets import ScoreTarget

    rows = []
    for k, text in enumerate(TEXTS):
        target = ScoreTarget(text, vader_scorer(), unit="words")
        for seed in range(seeds):
            game = Game(target)  # shared: the held-out masks are evaluated once for both
            for method in methods:
                row = fit_one(method, game, TEXT_BUDGET, seed, game)
                row.update(target=f"VADER text {k}", n=target.n_players, seed=seed)
                rows.append(row)
                print(_line(row), flush=True)
    return rows


#: Rows are appended here as they finish (``--resummarise`` rebuilds the tables from it).
LOG: list[Path] = []


def _line(row: dict) -> str:
    if LOG:
        with LOG[0].open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
    return (
        f"{row['target']:>24} n={row['n']:<5} seed={row['seed']} {row['method']:>9}: "
        f"holdout {row['holdout_r2']:.4f}±{row['holdout_se']:.4f} train {row['train_r2']:.4f} "
        f"true {row['true_r2']:.4f}±{row['true_se']:.4f} warned={row['warned']} "
        f"({row['wall_s']:.1f}s)"
    )


#: Bands of the true R² reported apart: the estimate's sampling error grows as R² falls.
BANDS = {"all": (-np.inf, np.inf), "true R² >= 0.5": (0.5, np.inf), "true R² < 0.5": (-np.inf, 0.5)}


def summarise(rows: list[dict], methods: list[str]) -> list[dict]:
    out = []
    for (band, (low, high)), method in ((b, m) for b in BANDS.items() for m in [*methods, "all"]):
        sel = [r for r in rows if method in ("all", r["method"]) and low <= r["true_r2"] < high]
        if not sel:
            continue
        hold = np.array([abs(r["holdout_r2"] - r["true_r2"]) for r in sel])
        train = np.array([abs(r["train_r2"] - r["true_r2"]) for r in sel])
        z = np.array([r["z"] for r in sel])
        out.append(
            {
                "method": method,
                "band": band,
                "runs": len(sel),
                "holdout_mean_abs_err": float(np.nanmean(hold)),
                "holdout_max_abs_err": float(np.nanmax(hold)),
                "holdout_nan": int(np.isnan(hold).sum()),
                "train_mean_abs_err": float(np.nanmean(train)),
                "train_max_abs_err": float(np.nanmax(train)),
                "holdout_mean_se": float(np.nanmean([r["holdout_se"] for r in sel])),
                "true_max_se": float(np.nanmax([r["true_se"] for r in sel])),
                "within_1.96_se": int(np.sum(np.abs(z) <= 1.96)),
                "missed_warnings": sum(r["missed_warning"] for r in sel),
                "false_alarms": sum(r["false_alarm"] for r in sel),
                "point_missed": sum(r["point_missed"] for r in sel),
                "point_false": sum(r["point_false"] for r in sel),
                "below_threshold": sum(r["true_r2"] < THRESHOLDS[r["method"]][1] for r in sel),
            }
        )
    return out


def markdown(rows: list[dict], summary: list[dict], command: str, load: Any) -> str:
    lines = [
        "# Calibration of the self-estimates (issue #16)",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average at start {load} "
        "(shared with other jobs: wall times are noisy).",
        "",
        "`holdout` = `holdout_r2_` ± `holdout_r2_se_` (SPEX: fresh ablations the fit never",
        "used, a refitted best-of winner by its leave-one-out residuals on them; ProxySPEX:",
        "cross-fitted over its random ablations, all of which fit the answer, the SE widened by",
        "the spread between folds); `train` = `train_r2_` (the",
        f"ablations that chose the support); `true` = R² on {N_TEST} independent uniform masks ±",
        "its standard error",
        "(`max true SE`). `within 1.96 SE`: runs with |holdout − true| <= 1.96 √(se² + true_se²).",
        "Warnings: the methods' rule (`holdout_r2_ − 1.645 · holdout_r2_se_ < threshold`), and in",
        "brackets the point-estimate rule used before (`holdout_r2_ < threshold`).",
        "Targets: mean |holdout − true| <= 0.02, max <= 0.05, no missed warning.",
        "",
        "| true R² | method | runs | mean abs err holdout | max abs err holdout | mean holdout SE "
        "| max true SE | within 1.96 SE | mean abs err train | max abs err train | "
        "true R² below threshold | missed warnings (point rule) | false alarms (point rule) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        lines.append(
            f"| {s['band']} | {s['method']} | {s['runs']} | {s['holdout_mean_abs_err']:.4f} | "
            f"{s['holdout_max_abs_err']:.4f} | {s['holdout_mean_se']:.4f} | "
            f"{s['true_max_se']:.4f} | {s['within_1.96_se']} | {s['train_mean_abs_err']:.4f} | "
            f"{s['train_max_abs_err']:.4f} | {s['below_threshold']} | {s['missed_warnings']} "
            f"({s['point_missed']}) | {s['false_alarms']} ({s['point_false']}) |"
        )
    lines += [
        "",
        "| target | n | seed | method | budget | used | model | holdout ± SE | train | "
        "true ± SE | warned |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['target']} | {r['n']} | {r['seed']} | {r['method']} | {r['budget']} | "
            f"{r['n_queries']} | {r['model']} | {r['holdout_r2']:.4f} ± {r['holdout_se']:.4f} | "
            f"{r['train_r2']:.4f} | {r['true_r2']:.4f} ± {r['true_se']:.4f} | "
            f"{'yes' if r['warned'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", default="64,256", help="comma-separated numbers of players")
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--methods", default="spex,proxyspex")
    p.add_argument("--text", action="store_true", help="also the VADER text targets")
    p.add_argument("--quick", action="store_true", help="n = 64, one seed, no text target")
    p.add_argument("--out", default=str(HERE / "results" / "calibration"))
    p.add_argument("--resummarise", action="store_true", help="rewrite the tables from --out")
    args = p.parse_args()
    rows_file = Path(args.out).with_suffix(".rows.jsonl")
    if args.resummarise:
        runs = [json.loads(line) for line in rows_file.read_text(encoding="utf-8").splitlines()]
        old = Path(args.out).with_suffix(".json")
        earlier = json.loads(old.read_text(encoding="utf-8")) if old.exists() else {}
        payload = {
            "command": earlier.get("command", "python benchmarks/calibration.py --resummarise"),
            "load_average": earlier.get("load_average", "see the run"),
            "runs": runs,
        }
        methods = list(dict.fromkeys(r["method"] for r in payload["runs"]))
        payload["summary"] = summarise(payload["runs"], methods)
        write(Path(args.out), payload)
        return
    ns = [64] if args.quick else [int(v) for v in args.n.split(",")]
    seeds = 1 if args.quick else args.seeds
    methods = args.methods.split(",")
    load = [round(x, 2) for x in os.getloadavg()]
    rows_file.parent.mkdir(parents=True, exist_ok=True)
    rows_file.write_text("", encoding="utf-8")
    LOG.append(rows_file)
    rows = text_rows(seeds, methods) if args.text and not args.quick else []
    rows += synthetic_rows(ns, seeds, methods)
    summary = summarise(rows, methods)
    command = "python benchmarks/calibration.py " + " ".join(sys.argv[1:])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"command": command, "load_average": load, "summary": summary, "runs": rows}
    write(out, payload)


def write(out: Path, payload: dict) -> None:
    args = (payload["summary"], payload["command"], payload["load_average"])
    out.with_suffix(".json").write_text(json.dumps(payload, indent=1), encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(payload["runs"], *args), encoding="utf-8")
    print(markdown([], *args))


if __name__ == "__main__":
    main()
