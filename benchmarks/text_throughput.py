"""Ablations per second of SmolLM2-135M-Instruct on CPU, by prompt length and batch size.

Each cell times ``CausalLMTarget`` (log-probability of a one-token answer, chat template on,
word parts, Bernoulli(1/2) keep-masks, no cache) on the same masks. Writes
``benchmarks/results/text_throughput.json`` and ``.md``.

    PYTHONPATH=src python benchmarks/text_throughput.py [--lengths 32 128 512]
        [--batch-sizes 1 4 16] [--threads 0] [--masks 32] [--reuse-prefix 0 1]
        [--variants plain packed bfloat16 bfloat16-cast] [--repeats 1]
        [--max-batch-tokens 0 1200]

``--threads 0`` leaves torch's default (all cores); timings on a shared machine are noisy, so
compare cells of one run only (``--repeats`` runs the whole grid again, interleaving the
variants; the table shows the median). ``--reuse-prefix 0 1`` times each cell without and
with the key/value cache of the prefix common to a call's prompts. ``--variants``: ``plain``
= the model as loaded (MKL fp32 GEMMs, ``packed=False``), ``packed`` = oneDNN-packed fp32
linear layers (the default), ``bfloat16`` = oneDNN-packed bfloat16 linear layers, the rest fp32
(``dtype="bfloat16"``), ``bfloat16-cast`` = a bfloat16 copy of the whole model
(``dtype="bfloat16", packed=False``). ``max_abs_diff`` is the largest value difference (nats)
to the first cell of the same prompt length, ``r2_vs_reference`` how much of that cell's
variance over the masks the values keep (``1 - Σ(v - ref)² / Σ(ref - mean ref)²``).
"""

from __future__ import annotations

import argparse
import itertools
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
#: Scoring variants: (packed, dtype) of ``TorchCausalLM``.
VARIANTS = {
    "plain": (False, "float32"),
    "packed": (True, "float32"),
    "bfloat16": (True, "bfloat16"),
    "bfloat16-cast": (False, "bfloat16"),
}


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
    parser.add_argument(
        "--variants", nargs="+", default=["plain", "packed"], choices=list(VARIANTS)
    )
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--max-batch-tokens", type=int, nargs="+", default=[1200], help="0: no token cap"
    )
    parser.add_argument("--out", default=str(OUT / "text_throughput"))
    args = parser.parse_args()

    lms = {v: load_smollm2(packed=VARIANTS[v][0], dtype=VARIANTS[v][1]) for v in args.variants}
    rng = np.random.default_rng(0)
    rows = []
    for length in args.lengths:
        first = lms[args.variants[0]]
        prompt = prompt_of_length(first.tokenizer, length)
        masks = None
        reference = None
        for repeat in range(args.repeats):
            for threads in args.threads:
                for batch, cap in itertools.product(args.batch_sizes, args.max_batch_tokens):
                    for reuse in args.reuse_prefix:
                        for variant in args.variants:
                            lm = lms[variant]
                            lm.batch_size, lm.threads = batch, threads or None
                            lm.max_batch_tokens = cap or None
                            lm.reuse_prefix = bool(reuse)
                            target = CausalLMTarget(prompt, lm, target="True")
                            lm.logprob([prompt], "True")  # warm-up (builds the scoring copy)
                            if masks is None:
                                masks = rng.random((args.masks, target.n_players)) < 0.5
                            texts = target.texts(masks)
                            n_tok = np.mean([len(lm._encode_prompt(t)) for t in texts])
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
                                    "max_batch_tokens": cap or None,
                                    "reuse_prefix": bool(reuse),
                                    "variant": variant,
                                    "repeat": repeat,
                                    "max_abs_diff": float(np.max(np.abs(values - reference))),
                                    "r2_vs_reference": float(
                                        1
                                        - np.sum((values - reference) ** 2)
                                        / np.sum((reference - reference.mean()) ** 2)
                                    ),
                                    "n_masks": args.masks,
                                    "seconds": seconds,
                                    "ablations_per_s": args.masks / seconds,
                                    "load_average_1min": round(os.getloadavg()[0], 1),
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
        "max batch tokens | prefix KV reuse | variant | ablations/s (median) | runs | "
        "max abs diff (nats) | R² vs first cell (min) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    cells: dict[tuple, list[dict]] = {}
    for r in rows:
        key = (
            r["prompt_tokens"],
            r["threads"],
            r["batch_size"],
            r["max_batch_tokens"],
            r["reuse_prefix"],
            r["variant"],
        )
        cells.setdefault(key, []).append(r)
    for group in cells.values():
        r = group[0]
        speed = float(np.median([g["ablations_per_s"] for g in group]))
        diff = max(g["max_abs_diff"] for g in group)
        kept = min(g["r2_vs_reference"] for g in group)
        lines.append(
            f"| {r['prompt_tokens']} | {r['n_words']} | {r['mean_tokens_fed']:.0f} | "
            f"{r['threads']} | {r['batch_size']} | {r['max_batch_tokens'] or '—'} | "
            f"{r['reuse_prefix']} | {r['variant']} | "
            f"{speed:.2f} | {len(group)} | {diff:.1e} | {kept:.5f} |"
        )
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
