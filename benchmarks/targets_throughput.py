"""Ablations per second of the data and head targets; speed-ups from batching and parallelism.

* Data target: digits, 64 k-means groups, LogisticRegression retrained per mask, with
  ``n_jobs=1`` vs ``n_jobs=2`` (joblib processes) on the same masks.
* Head target: MiniLM (72 heads, paraphrase margin on 20 pairs) and optionally SmolLM2
  (270 heads, 10 questions x 3 options) with 1, 4 and 16 head masks per forward pass.
* SmolLM2 multiple choice (``--smollm2``): one sequence per option (before) vs each question's
  prompt run once with its options continued from the prompt's key/value cache (after), 16
  masks per forward, one torch thread; same masks, values compared.

Timings are wall-clock on whatever machine runs this; compare the ratios within one run.

    PYTHONPATH=src python benchmarks/targets_throughput.py [--smollm2] [--masks 32]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))


def rate(fn, masks: np.ndarray) -> float:
    start = time.perf_counter()
    fn(masks)
    return len(masks) / (time.perf_counter() - start)


def data_target(n_masks: int, rng: np.random.Generator) -> dict:
    from data_digits import build_target

    masks = rng.random((n_masks, 64)) < 0.5
    out = {}
    for jobs in (1, 2):
        target = build_target(digit=8, n_groups=64, n_test=10, n_jobs=jobs, seed=0)
        target(masks[:2])  # warm up (joblib starts its workers)
        out[f"n_jobs={jobs}"] = rate(target, masks)
    out["speedup_parallel"] = out["n_jobs=2"] / out["n_jobs=1"]
    return out


def head_target(name: str, n_masks: int, rng: np.random.Generator) -> dict:
    """Head masks per second with 1, 4 and 16 masks per forward pass, through the model as
    loaded (``packed=False``, the path before stop 17) and its oneDNN-packed copy (default)."""
    from heads_analysis import PARAPHRASES

    from ablatio.targets.head_tasks import load_mcq, multiple_choice_target, similarity_target
    from ablatio.targets.shipped import load_shipped_model

    model, tokenizer = load_shipped_model(name)
    targets = {}
    for packed in (False, True):
        if name == "minilm":
            targets[packed] = similarity_target(
                model, tokenizer, PARAPHRASES[::2], contrastive=True, packed=packed
            )
        else:
            targets[packed] = multiple_choice_target(
                model, tokenizer, load_mcq()[:10], packed=packed
            )
    target = targets[False]
    masks = rng.random((n_masks, target.n_players)) < 0.8
    out: dict = {"n_heads": target.n_players, "eval_rows": target.batch_rows}
    reference = None
    for packed, target in targets.items():
        suffix = "" if packed else " (unpacked)"
        for per_forward in (1, 4, 16):
            target.masks_per_forward = per_forward
            target(masks[:1])  # warm up (builds the packed copy)
            start = time.perf_counter()
            values = target(masks)
            key = f"masks_per_forward={per_forward}{suffix}"
            out[key] = len(masks) / (time.perf_counter() - start)
            reference = values if reference is None else reference
            out["max_abs_diff_vs_unbatched_unpacked"] = max(
                out.get("max_abs_diff_vs_unbatched_unpacked", 0.0),
                float(np.max(np.abs(values - reference))),
            )
    for per_forward in (4, 16):
        out[f"speedup_{per_forward}"] = (
            out[f"masks_per_forward={per_forward}"] / out["masks_per_forward=1"]
        )
    best = max(out[f"masks_per_forward={k}"] for k in (1, 4, 16))
    old = max(out[f"masks_per_forward={k} (unpacked)"] for k in (1, 4, 16))
    out["speedup_packed_best_vs_best"] = best / old
    return out


def shared_prompt(n_masks: int, rng: np.random.Generator) -> dict:
    import torch

    from ablatio.targets.head_tasks import load_mcq, multiple_choice_target
    from ablatio.targets.shipped import load_shipped_model

    torch.set_num_threads(1)
    model, tokenizer = load_shipped_model("smollm2")
    masks = rng.random((n_masks, 270)) < 0.5
    out, values = {}, {}
    for _ in range(2):  # alternate twice: load on a shared machine drifts
        for share in (False, True):
            target = multiple_choice_target(
                model, tokenizer, load_mcq()[:10], metric="logodds", ablation="mean",
                share_prompt=share, masks_per_forward=16,
            )  # fmt: skip
            start = time.perf_counter()
            values[share] = target(masks)
            key = f"share_prompt={share}"
            out[key] = max(out.get(key, 0.0), n_masks / (time.perf_counter() - start))
    out["max_abs_diff_shared_vs_per_option"] = float(np.max(np.abs(values[True] - values[False])))
    out["speedup_shared_prompt"] = out["share_prompt=True"] / out["share_prompt=False"]
    return out


def markdown(results: dict) -> str:
    lines = [
        "# Target throughput (ablations per second)",
        "",
        f"Machine: {results['machine']}; load average at start {results['load_average']}.",
        "",
        "| target | setting | ablations/s |",
        "|---|---|---|",
    ]
    for target, figures in results["targets"].items():
        for key, value in figures.items():
            if key.startswith(("n_jobs", "masks_per", "share_prompt")):
                lines.append(f"| {target} | {key} | {value:.2f} |")
    lines += ["", "| target | speed-up | factor |", "|---|---|---|"]
    for target, figures in results["targets"].items():
        for key, value in figures.items():
            if key.startswith("speedup"):
                lines.append(f"| {target} | {key} | {value:.2f}x |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masks", type=int, default=32, help="head masks per measurement")
    parser.add_argument("--data-masks", type=int, default=128)
    parser.add_argument("--smollm2", action="store_true", help="also time SmolLM2 (slow)")
    parser.add_argument("--smollm2-masks", type=int, default=16)
    parser.add_argument(
        "--only-shared-prompt", action="store_true", help="only the SmolLM2 MCQ comparison"
    )
    parser.add_argument("--out", default=str(HERE / "results" / "targets_throughput"))
    args = parser.parse_args()
    import os

    import torch

    rng = np.random.default_rng(0)
    if args.only_shared_prompt:
        results = {
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            "torch 1 thread",
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "targets": {"SmolLM2 MCQ (270 heads, 10 questions)": shared_prompt(32, rng)},
        }
        Path(args.out + "_smollm2.json").write_text(json.dumps(results, indent=1))
        Path(args.out + "_smollm2.md").write_text(markdown(results))
        print(markdown(results))
        return
    results = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads)",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "targets": {"data (digits, 64 groups)": data_target(args.data_masks, rng)},
    }
    results["targets"]["heads MiniLM (72)"] = head_target("minilm", args.masks, rng)
    if args.smollm2:
        results["targets"]["heads SmolLM2 (270)"] = head_target("smollm2", args.smollm2_masks, rng)
        results["targets"]["SmolLM2 MCQ (270 heads, 10 questions)"] = shared_prompt(32, rng)
    Path(args.out + ".json").write_text(json.dumps(results, indent=1))
    Path(args.out + ".md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
