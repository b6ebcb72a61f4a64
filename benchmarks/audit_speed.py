"""Speed of the norm-decoding audit at the published norm shapes (synthetic data).

Norm tables of the published shapes are generated (no licensed data is used):

* McRae et al. (2005): 541 concepts x 2,526 features, 7,259 non-zero production frequencies
  (5-30), i.e. 13.4 features per concept;
* Buchanan et al. (2019): 4,436 cues x 3,500 translated features, 18 features per cue,
  percentages 1-100;
* Binder et al. (2016): 535 words x 65 dense ratings 0-6.

Embeddings are ``dims``-dimensional (default 300, as GloVe-300 / spaCy vectors) and carry a
linear signal of the norms plus noise, so the system differs from its controls as in a real
audit. Each norm set runs **every control** (sys, upper, shuffle, shuf_upper, rand, taxonomy,
taxonomy_kept, shuffle_rows) with **10-fold CV**, one seed, one mapper at a time, with the
upper bounds also at 5, 10 and 20 PLSR components. 20 random categories stand in for WordNet.
Targets (issue 20): PLSR <= 60 s and FFNN <= 5 min per norm set.

Writes ``benchmarks/results/audit_speed.{json,md}`` with wall and CPU seconds and the load
average of the machine before and after each run (it is shared: read wall times with it).
``--scores DIR`` also writes every per-(fold, control, metric) score to ``DIR/<set>_<mapper>.csv``;
``--compare DIR`` reads such files from an earlier run (e.g. of the previous commit) and records
the largest absolute score difference per run, so a speed-up can be shown to change no score.

    PYTHONPATH=src python benchmarks/audit_speed.py [--sets mcrae,binder] [--mappers plsr]
        [--scores DIR] [--compare DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ablatio.audit.controls import DEFAULT_CONTROLS
from ablatio.audit.mappers import MapperSettings
from ablatio.audit.norms import norm_decoding_scores, summarise

HERE = Path(__file__).resolve().parent
TARGET_S = {"plsr": 60.0, "ffnn": 300.0}

#: name -> (concepts, features, non-zero cells per concept or None for dense ratings)
SHAPES = {
    "mcrae": (541, 2526, 7259),
    "buchanan": (4436, 3500, 18 * 4436),
    "binder": (535, 65, None),
}


def norms_of_shape(name: str, rng: np.random.Generator) -> pd.DataFrame:
    """A concepts x features table of the published shape (every feature used at least once)."""
    n, m, cells = SHAPES[name]
    if cells is None:
        Y = np.clip(rng.normal(2.5, 1.5, (n, m)) + rng.normal(0, 1, (n, 1)), 0, 6)
    else:
        Y = np.zeros((n, m))
        rows = np.concatenate([rng.integers(0, n, m), np.arange(n)])
        cols = np.concatenate([np.arange(m), rng.integers(0, m, n)])
        extra = cells - rows.size
        rows = np.concatenate([rows, rng.integers(0, n, extra)])
        # popular features (Zipf-like, as in real norms), and 60 % of a concept's features
        # from its category's own pool of 100: co-occurrence structure for the controls to break
        popularity = 1.0 / np.arange(1, m + 1)
        anywhere = rng.choice(m, extra, p=popularity / popularity.sum())
        pools = rng.permutation(m)[: 20 * 100].reshape(20, 100)
        own = pools[rows[-extra:] % 20, rng.integers(0, 100, extra)]
        cols = np.concatenate([cols, np.where(rng.random(extra) < 0.6, own, anywhere)])
        low, high = (5, 31) if name == "mcrae" else (1, 101)
        Y[rows, cols] = rng.integers(low, high, rows.size)
    index = pd.Index([f"c{i}" for i in range(n)], name="concept")
    table = pd.DataFrame(Y, index=index, columns=[f"f{j}" for j in range(m)])
    table.attrs["norm_type"] = "graded" if cells is None else "production"
    return table


def embeddings_for(norms: pd.DataFrame, dims: int, rng: np.random.Generator) -> pd.DataFrame:
    Y = norms.to_numpy()
    Y = (Y - Y.mean(axis=0)) / (Y.std(axis=0) + 1e-9)
    signal = Y @ rng.normal(size=(Y.shape[1], dims)) / np.sqrt(Y.shape[1])
    X = signal + 2.0 * rng.normal(size=signal.shape)
    return pd.DataFrame(X.astype(np.float32), index=norms.index)


def run(name: str, mapper: str, dims: int, folds: int, scores_dir: str, compare_dir: str) -> dict:
    rng = np.random.default_rng(0)
    norms = norms_of_shape(name, rng)
    vectors = embeddings_for(norms, dims, rng)
    categories = {c: f"cat{i % 20}" for i, c in enumerate(norms.index)}  # = the pools above
    controls = (*DEFAULT_CONTROLS, "shuffle_rows")
    load_before = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    scores = norm_decoding_scores(
        vectors, norms, mapper=mapper, folds=folds, n_seeds=1, random_state=0,
        controls=controls, categories=categories, settings=MapperSettings(),
    )  # fmt: skip
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    metric = "f1@10" if norms.attrs["norm_type"] == "production" else "spearman"
    table = summarise(scores)
    compared = {}
    if scores_dir:
        Path(scores_dir).mkdir(parents=True, exist_ok=True)
        scores.to_csv(Path(scores_dir) / f"{name}_{mapper}.csv", index=False)
    if compare_dir and (Path(compare_dir) / f"{name}_{mapper}.csv").exists():
        path = Path(compare_dir) / f"{name}_{mapper}.csv"
        before = pd.read_csv(path)  # shortest repr: reads back exactly
        keys = ["seed", "fold", "control", "metric"]
        both = before.merge(scores, on=keys, suffixes=("_before", ""), validate="1:1")
        diff = (both["score_before"] - both["score"]).abs()
        diff[both["score_before"].isna() & both["score"].isna()] = 0.0  # undefined in both
        compared = {
            "compared_to": str(compare_dir),
            "cells": int(len(both)),
            "cells_missing": int(len(scores) - len(both)),
            "identical_cells": int((diff == 0).sum()),
            "max_abs_diff": float(diff.max()),
        }
    means = table[table["metric"] == metric].set_index("control")["mean"].round(3).to_dict()
    return {
        "norms": name,
        "shape": list(norms.shape),
        "mapper": mapper,
        "dims": dims,
        "folds": folds,
        "controls": list(controls),
        "fits": int(scores.groupby(["control"]).ngroups),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "target_s": TARGET_S[mapper],
        "within_target": wall <= TARGET_S[mapper],
        "load_before": round(load_before, 1),
        "load_after": round(os.getloadavg()[0], 1),
        "metric": metric,
        "means": means,
        **compared,
    }


def markdown(rows: list[dict], meta: dict) -> str:
    notes = (
        f"Command: `{meta['command']}` ({meta['machine']}, {meta['cpus']} CPUs, one BLAS thread). "
        "Wall seconds depend on the machine's load (load average before/after each run); CPU "
        "seconds are what an otherwise idle machine takes. 'scores vs before': per-(fold, "
        "control, metric) scores against `--compare`.\n\n"
    )
    head = (
        "| norms (shape) | mapper | wall s | CPU s | target | load avg (before/after) | "
        "Sys | Upper | Shuffle | Shuf-Upper | Rand | scores vs before |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        m = r["means"]
        lines.append(
            f"| {r['norms']} ({r['shape'][0]} × {r['shape'][1]}) | {r['mapper']} | "
            f"{r['wall_s']} | {r['cpu_s']} | ≤ {r['target_s']:.0f} s "
            f"{'✓' if r['within_target'] else '✗'} | {r['load_before']} / {r['load_after']} | "
            + " | ".join(
                f"{m.get(c, float('nan')):.3f}"
                for c in ("sys", "upper", "shuffle", "shuf_upper", "rand")
            )
            + f" | {_compared(r)} |"
        )
    return notes + "\n".join(lines) + "\n"


def _compared(row: dict) -> str:
    if "cells" not in row:
        return "–"
    same = f"{row['identical_cells']}/{row['cells']} identical"
    return same + (f", max diff {row['max_abs_diff']:.1e}" if row["max_abs_diff"] else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="mcrae,buchanan,binder")
    parser.add_argument("--mappers", default="plsr,ffnn")
    parser.add_argument("--dims", type=int, default=300)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--out", default=str(HERE / "results" / "audit_speed"))
    parser.add_argument(
        "--scores", default="", help="write per-fold scores to DIR/<set>_<mapper>.csv"
    )
    parser.add_argument("--compare", default="", help="diff scores against DIR/<set>_<mapper>.csv")
    args = parser.parse_args()
    rows = []
    for name in args.sets.split(","):
        for mapper in args.mappers.split(","):
            rows.append(run(name, mapper, args.dims, args.folds, args.scores, args.compare))
            print(json.dumps(rows[-1]), flush=True)
    command = "PYTHONPATH=src python benchmarks/audit_speed.py " + " ".join(sys.argv[1:])
    meta = {
        "command": command,
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "runs": rows,
    }
    Path(args.out + ".json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    Path(args.out + ".md").write_text(markdown(rows, meta), encoding="utf-8")
    print(markdown(rows, meta))


if __name__ == "__main__":
    main()
