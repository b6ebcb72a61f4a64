"""All 270 attention heads of SmolLM2-135M-Instruct on the shipped multiple-choice questions.

Value = mean log-odds of the correct option over a *training* split of questions (the model
scores each option by its mean token log-probability; softmax over the 3 options). For each
ablation (zero, mean) ProxySPEX recovers pairwise head interactions; then

* faithfulness: held-out R² on fresh head masks from the fitting distribution;
* pruning on *held-out* questions: remove k in {5, 10, 20, 40} heads chosen from the
  interactions (greedy on the recovered joint value), by single-head ablation gains, or at
  random (``--random-draws`` draws), vs the unpruned model: accuracy and mean log-odds with
  95 % intervals over questions;
* depth: per layer, the share of the explained variance that is first-order, within-layer and
  across-layer (PNG + HTML report).

Masks keep each head with probability ``--keep-probability`` (default 0.9, ~27 of 270 heads
removed): uniform masks remove ~135 heads, far from the k <= 40 region that pruning needs, and
the surrogate is fitted and judged (held-out R²) on the Bernoulli(p) distribution.

Runtime: head masks per forward pass, all training questions in one batch, each question's
prompt run once with its options continued from the prompt's key/value cache, one torch thread
(faster than two on a shared 2-core machine). Every ablation goes through a SQLite cache in
``--cache-dir`` (held-out evaluations into an .npz there), so a killed run resumes.

Run recorded in docs/targets.md (loaded 2-core machine): four ``nice`` processes filled one
cache — per ablation, the fit and ``--baselines-only`` —, e.g.
    PYTHONPATH=src nice python examples/heads_smollm2.py --ablations mean --budget 800 \
        --questions 10 --held-out 20 --cache-dir CACHE
    PYTHONPATH=src nice python examples/heads_smollm2.py --ablations mean --baselines-only \
        --questions 10 --held-out 20 --cache-dir CACHE
then one run read everything back and wrote the results:
    PYTHONPATH=src python examples/heads_smollm2.py --ablations mean zero --budget 800 600 \
        --questions 10 --held-out 20 --cache-dir CACHE
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import ablatio
from ablatio.designs.random import bernoulli_masks, held_out_generator
from ablatio.evaluation.faithfulness import r2_score
from ablatio.evaluation.heads_analysis import (
    prune_at_random,
    prune_by_interactions,
    prune_by_single_ablation,
    variance_by_depth,
)
from ablatio.methods import make_method
from ablatio.targets.head_tasks import load_mcq, multiple_choice_target, question_values
from ablatio.targets.shipped import load_shipped_model

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
FIGURES = ROOT / "docs" / "figures"


def interval(values: np.ndarray) -> dict:
    """Mean and 95 % normal interval half-width over questions."""
    values = np.asarray(values, dtype=np.float64)
    half = 1.96 * values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else np.nan
    return {"mean": float(values.mean()), "ci95": float(half)}


def held_out_values(target, masks: np.ndarray, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Per-question (log-odds, accuracy) of masks, cached in ``path`` (.npz) for resuming."""
    if path.is_file():
        saved = np.load(path)
        if saved["masks"].shape == masks.shape and np.array_equal(saved["masks"], masks):
            return saved["logodds"], saved["accuracy"]
    scores = target.row_scores(masks)
    logodds = question_values(target, masks, "logodds", scores=scores)
    accuracy = question_values(target, masks, "accuracy", scores=scores)
    np.savez(path, masks=masks, logodds=logodds, accuracy=accuracy)
    return logodds, accuracy


def without(n: int, removed) -> np.ndarray:
    mask = np.ones(n, dtype=bool)
    mask[np.asarray(removed, dtype=np.int64)] = False
    return mask


def baselines(game, n: int, args) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Ablations that do not depend on the fit: test masks, the full model, single heads."""
    test = bernoulli_masks(n, args.n_test, held_out_generator(args.seed), args.keep_probability)
    test_values = game(test)
    full_value = float(game(np.ones((1, n), dtype=bool))[0])
    single_order = prune_by_single_ablation(game, n, n)  # n + 1 ablations
    return test, test_values, full_value, single_order


def analyse(ablation: str, budget: int, args, model, tokenizer, fit_qs, held_qs) -> dict | None:
    common = {"ablation": ablation, "masks_per_forward": args.masks_per_forward}
    fit = multiple_choice_target(model, tokenizer, fit_qs, metric="logodds", **common)
    held = multiple_choice_target(model, tokenizer, held_qs, metric="logodds", **common)
    n = fit.n_players
    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    game = ablatio.Game(fit, cache=cache / f"fit_{ablation}.sqlite", batch_size=32)
    if args.baselines_only:
        baselines(game, n, args)
        print(f"[{ablation}] baselines cached: {game.n_evaluated} new ablations", flush=True)
        return None
    start = time.perf_counter()
    estimator = make_method(
        args.method,
        budget=budget,
        max_order=2,
        random_state=args.seed,
        options={"keep_probability": args.keep_probability},
    ).fit(game)
    fit_seconds = time.perf_counter() - start
    n_fit = game.n_evaluated + game.n_cached
    n_new = game.n_evaluated
    inter = estimator.interactions_
    test, test_values, full_value, single_order = baselines(game, n, args)
    r2 = r2_score(test_values, inter.predict(test))
    print(f"[{ablation}] {n_fit} fitting ablations ({n_new} new), {fit_seconds:.0f} s; "
          f"held-out R2 {r2:.3f}", flush=True)  # fmt: skip

    rng = np.random.default_rng(args.seed)
    rows, labels = [np.ones(n, dtype=bool)], [("unpruned", 0, -1)]
    for k in args.ks:
        rows.append(without(n, prune_by_interactions(inter, n_remove=k)))
        labels.append(("interactions", k, -1))
        rows.append(without(n, single_order[:k]))
        labels.append(("single-head", k, -1))
        for d, draw in enumerate(prune_at_random(n, k, args.random_draws, rng)):
            rows.append(without(n, draw))
            labels.append(("random", k, d))
    masks = np.array(rows)
    logodds, accuracy = held_out_values(held, masks, cache / f"held_{ablation}.npz")
    predicted = inter.predict(masks)
    pruning: list[dict] = []
    for k in [0, *args.ks]:
        for rule in ("unpruned", "interactions", "single-head", "random"):
            idx = [i for i, (r, kk, _) in enumerate(labels) if r == rule and kk == k]
            if not idx:
                continue
            row = {"rule": rule, "k": k, "predicted_fit_logodds": float(predicted[idx].mean())}
            # paired over questions: the same held-out questions with and without pruning
            row["gain"] = interval(logodds[idx].mean(axis=0) - logodds[0])
            if rule == "random":
                per_draw = logodds[idx].mean(axis=1)
                acc_draw = accuracy[idx].mean(axis=1)
                row["logodds"] = {"mean": float(per_draw.mean()), "sd": float(per_draw.std())}
                row["accuracy"] = {"mean": float(acc_draw.mean()), "sd": float(acc_draw.std())}
                row["draws"] = len(idx)
            else:
                row["logodds"] = interval(logodds[idx[0]])
                row["accuracy"] = interval(accuracy[idx[0]])
                row["removed"] = np.flatnonzero(~masks[idx[0]]).tolist()
            pruning.append(row)
    depth = variance_by_depth(inter, fit.player_layers, keep_probability=args.keep_probability)
    return {
        "ablation": ablation,
        "n_heads": n,
        "fit_questions": len(fit_qs),
        "held_out_questions": len(held_qs),
        "budget": budget,
        "keep_probability": args.keep_probability,
        "ablations_fit": int(n_fit),
        "ablations_new": int(n_new),
        "fit_seconds": fit_seconds,
        "heldout_r2": float(r2),
        "method_holdout_r2": float(estimator.holdout_r2_),
        "model": getattr(estimator, "model_", args.method),
        "model_scores": getattr(estimator, "model_scores_", {}),
        "full_value": full_value,
        "test_value_mean": float(test_values.mean()),
        "test_value_sd": float(test_values.std(ddof=1)),
        "n_terms": len(inter.terms),
        "pruning": pruning,
        "depth": {k: np.asarray(v).tolist() for k, v in depth.items()},
        "interactions": inter,
    }


def markdown(results: list[dict], args) -> str:
    lines = [
        f"SmolLM2-135M-Instruct, 270 heads, {args.method}, masks keeping each head with "
        f"probability {args.keep_probability}, {args.questions} fitting / {args.held_out} "
        f"held-out questions, seed {args.seed}. Held-out R² on {args.n_test} fresh masks "
        "of the same distribution; value = mean log-odds over the fitting questions.",
        "",
        "| ablation | budget | held-out R² | method's own held-out R² | terms | value, all heads "
        "| value over test masks (mean ± sd) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['ablation']} | {r['budget']} | {r['heldout_r2']:.3f} | "
            f"{r['method_holdout_r2']:.3f} | {r['n_terms']} | {r['full_value']:+.3f} | "
            f"{r['test_value_mean']:+.3f} ± {r['test_value_sd']:.3f} |"
        )
    lines += [
        "",
        "Pruning, held-out questions (mean ± 95 % interval over questions; random: mean ± sd "
        f"over {args.random_draws} draws):",
        "",
        "| ablation | k | rule | log-odds | accuracy | log-odds − unpruned (paired) |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        for p in r["pruning"]:
            spread = "sd" if p["rule"] == "random" else "ci95"
            lines.append(
                f"| {r['ablation']} | {p['k']} | {p['rule']} | {p['logodds']['mean']:+.3f} ± "
                f"{p['logodds'][spread]:.3f} | {p['accuracy']['mean']:.3f} ± "
                f"{p['accuracy'][spread]:.3f} | {p['gain']['mean']:+.3f} ± "
                f"{p['gain']['ci95']:.3f} |"
            )
    lines += ["", "Share of explained variance by depth (first-order / within / across):", ""]
    lines += ["| layer | " + " | ".join(r["ablation"] for r in results) + " |"]
    lines += ["|---|" + "---|" * len(results)]
    for i, layer in enumerate(results[0]["depth"]["layers"]):
        cells = [
            f"{r['depth']['first_order'][i]:.3f} / {r['depth']['within'][i]:.3f} / "
            f"{r['depth']['across'][i]:.3f}"
            for r in results
        ]
        lines.append(f"| {layer} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="proxyspex")
    parser.add_argument("--budget", type=int, nargs="+", default=[1200], help="per ablation")
    parser.add_argument("--keep-probability", type=float, default=0.9)
    parser.add_argument("--ablations", nargs="+", default=["mean", "zero"])
    parser.add_argument("--questions", type=int, default=10, help="fitting questions")
    parser.add_argument("--held-out", type=int, default=30, help="held-out questions")
    parser.add_argument("--ks", type=int, nargs="+", default=[5, 10, 20, 40])
    parser.add_argument("--random-draws", type=int, default=10)
    parser.add_argument("--n-test", type=int, default=60, help="held-out masks for R2")
    parser.add_argument("--masks-per-forward", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--baselines-only",
        action="store_true",
        help="only cache the fit-independent ablations (test masks, single heads): run it "
        "in a second process next to the fit, on the same --cache-dir",
    )
    parser.add_argument("--cache-dir", default="heads_smollm2_cache")
    parser.add_argument("--out", default=str(RESULTS / "heads_smollm2"))
    args = parser.parse_args()

    import torch

    from ablatio.report.html import write_html
    from ablatio.report.plots import FIGURE_DPI, plot_depth

    torch.set_num_threads(args.threads)
    model, tokenizer = load_shipped_model("smollm2")
    questions = load_mcq()
    order = np.random.default_rng(args.seed).permutation(len(questions))
    fit_qs = [questions[i] for i in order[: args.questions]]
    held_qs = [questions[i] for i in order[args.questions : args.questions + args.held_out]]
    if len(args.budget) not in (1, len(args.ablations)):
        parser.error("give one --budget, or one per --ablations entry")
    budgets = args.budget * len(args.ablations) if len(args.budget) == 1 else args.budget
    results = []
    for ablation, budget in zip(args.ablations, budgets, strict=True):
        result = analyse(ablation, budget, args, model, tokenizer, fit_qs, held_qs)
        if result is None:
            continue
        inter = result.pop("interactions")
        FIGURES.mkdir(parents=True, exist_ok=True)
        title = f"SmolLM2-135M heads, {ablation} ablation ({args.method}, budget {budget})"
        fig = plot_depth(result["depth"], title=title)
        fig.savefig(FIGURES / f"heads_smollm2_depth_{ablation}.png", dpi=FIGURE_DPI)
        write_html(
            FIGURES / f"heads_smollm2_{ablation}.html",
            inter,
            title=title,
            faithfulness=result["heldout_r2"],
            depth=result["depth"],
            settings={
                "method": args.method,
                "budget": budget,
                "keep_probability": args.keep_probability,
                "seed": args.seed,
            },
        )
        results.append(result)
        record = {"args": vars(args), "results": results}
        Path(args.out + ".json").write_text(json.dumps(record, indent=1))
        Path(args.out + ".md").write_text(markdown(results, args))
        print(markdown(results, args), flush=True)


if __name__ == "__main__":
    main()
