"""Ablations per second of SmolLM2-135M-Instruct on CPU, by prompt length and batch size.

Each cell times ``CausalLMTarget`` (log-probability of a one-token answer, chat template on,
word parts, Bernoulli(1/2) keep-masks, no cache) on fresh masks. Writes
``benchmarks/results/text_throughput.json`` and ``.md``.

    PYTHONPATH=src python benchmarks/text_throughput.py [--lengths 32 128 512]
        [--batch-sizes 1 4 16] [--threads 0] [--masks 32] [--reuse-prefix 0 1]

``--threads 0`` leaves torch's default (all cores); timings on a shared machine are noisy, so
compare cells of one run only. ``--reuse-prefix 0 1`` times each cell without and with the
key/value cache of the prefix common to a call's prompts (the chat template's opening), and
records the largest value difference between the two.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from ablatio.models import load_smollm2
from ablatio.targets.lm import CausalLMTarget

#: Source text repeated and cut to the requested token length.
TEXT = (
    "A runaway trolley is heading towards five people tied to the track. You stand next to "
    "a lever that switches the trolley to a side track where nobody is standing. Pulling the "
    "lever saves everyone and harms no one, yet many people hesitate before they act. "
)
OUT = Path(__file__).parent / "results"


def prompt_of_length(tokenizer, n_tokens: int) -> str:
    """A prompt of (about) ``n_tokens`` tokens, cut at a word boundary."""
    text = TEXT * (1 + 4 * n_tokens // len(TEXT.split()))
    ids = tokenizer(text, add_special_tokens=False)["input_ids"][:n_tokens]
    return tokenizer.decode(ids).rsplit(" ", 1)[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lengths", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--threads", type=int, nargs="+", default=[0])
    parser.add_argument("--masks", type=int, default=32, help="ablations timed per cell")
    parser.add_argument("--reuse-prefix", type=int, nargs="+", default=[1], choices=[0, 1])
    parser.add_argument("--out", default=str(OUT / "text_throughput"))
    args = parser.parse_args()

    lm = load_smollm2()
    rng = np.random.default_rng(0)
    rows = []
    for length in args.lengths:
        prompt = prompt_of_length(lm.tokenizer, length)
        for threads in args.threads:
            for batch in args.batch_sizes:
                masks = None
                reference = None
                for reuse in args.reuse_prefix:
                    lm.batch_size, lm.threads = batch, threads or None
                    lm.reuse_prefix = bool(reuse)
                    target = CausalLMTarget(prompt, lm, target="True")
                    lm.logprob([prompt], "True")  # warm-up
                    if masks is None:
                        masks = rng.random((args.masks, target.n_players)) < 0.5
                    n_tok = np.mean([len(lm._encode_prompt(t)) for t in target.texts(masks)])
                    start = time.perf_counter()
                    values = target(masks)
                    seconds = time.perf_counter() - start
                    reference = values if reference is None else reference
                    rows.append(
                        {
                            "prompt_tokens": len(lm.tokenizer(prompt)["input_ids"]),
                            "n_words": target.n_players,
                            "mean_tokens_fed": float(n_tok),
                            "threads": threads or "default",
                            "batch_size": batch,
                            "reuse_prefix": bool(reuse),
                            "max_abs_diff": float(np.max(np.abs(values - reference))),
                            "n_masks": args.masks,
                            "seconds": seconds,
                            "ablations_per_s": args.masks / seconds,
                        }
                    )
                    print(rows[-1], flush=True)
    meta = {
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
    }
    meta["load_average"] = [round(x, 1) for x in os.getloadavg()]
    OUT.mkdir(exist_ok=True)
    Path(args.out + ".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    lines = [
        "| prompt tokens | words (n) | tokens fed (mean, with template) | threads | batch | "
        "prefix KV reuse | ablations/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['prompt_tokens']} | {r['n_words']} | {r['mean_tokens_fed']:.0f} | "
            f"{r['threads']} | {r['batch_size']} | {r['reuse_prefix']} | "
            f"{r['ablations_per_s']:.2f} |"
        )
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
