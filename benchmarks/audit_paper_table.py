"""The paper's table next to ablatio's, per control and with the ratios, on the shipped samples.

"LLMs Explain't" (Abdelhalim et al. 2026) reports, for GloVe-style embeddings decoded into
norms: McRae F1@10 Sys .25 / Upper .27 / Shuffle .10 / Shuf-Upper .13 / Rand .01, Buchanan
.18 / .22 / .06 / .11 / .01, Binder ρ .74 / .90 / .30 / .59 / .01. This script runs the same
five columns (Shuffle = each feature column permuted; Shuf-Upper = X := Y on that table) with
GloVe 6B 50d and PLSR on the three samples in ``tests/data/norms`` (30, 27 and 30 concepts;
5-fold CV x 3 seeds), the upper bounds at several component counts, and the verdict's ratios
with 95 % intervals. Pass ``--mcrae FILE`` / ``--buchanan FILE`` / ``--binder FILE`` to run
on the full published files instead.

    PYTHONPATH=src python benchmarks/audit_paper_table.py

Writes ``benchmarks/results/audit_paper_table.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

from ablatio.audit import MapperSettings, load_embeddings, load_norms, norm_audit
from ablatio.exceptions import CoverageWarning, DuplicateNormWarning

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent / "tests" / "data" / "norms"
PAPER = {
    "mcrae": (0.25, 0.27, 0.10, 0.13, 0.01),
    "buchanan": (0.18, 0.22, 0.06, 0.11, 0.01),
    "binder": (0.74, 0.90, 0.30, 0.59, 0.01),
}
FILES = {
    "mcrae": "mcrae/CONCS_FEATS_concstats_brm.sample.txt",
    "buchanan": "buchanan/cue_feature_words.sample.csv",
    "binder": "binder/WordSet1_Ratings.sample.csv",
}
COLUMNS = ("sys", "upper", "shuffle", "shuf_upper", "rand")


def audit(kind: str, path: Path, folds: int, components: int) -> dict:
    glove = load_embeddings("glove-6b-50d")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DuplicateNormWarning)  # listed in the norms' attrs
        norms = load_norms(path, kind=kind)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoverageWarning)  # coverage is in the result
        result = norm_audit(
            glove, norms, mappers=["plsr"], folds=folds, n_seeds=3, random_state=0,
            settings=MapperSettings(n_components=components),
            controls=(*COLUMNS, "taxonomy", "taxonomy_kept", "shuffle_rows"),
            upper_components=(2, 5, 10, 20),
        )  # fmt: skip
    verdict = result.verdicts["plsr"]
    means = result.wide()["plsr"][result.metric].round(3).to_dict()
    sys_, upper, shuffle, shuf_upper, rand = PAPER[kind]
    paper_ratios = {
        "sys/upper": (sys_ - rand) / (upper - rand),
        "shuffle/sys": (shuffle - rand) / (sys_ - rand),
        "shuf_upper/upper": (shuf_upper - rand) / (upper - rand),
    }
    return {
        "norms": kind,
        "file": str(path.name),
        "n_concepts": result.info["n_concepts"],
        "metric": result.metric,
        "folds": folds,
        "n_components": components,
        "means": means,
        "paper": dict(zip(COLUMNS, PAPER[kind], strict=True)),
        "ratios": verdict.ratios.round(3).to_dict(orient="records"),
        "paper_ratios": {k: round(v, 3) for k, v in paper_ratios.items()},
        "status": verdict.status,
        "explained_by": list(verdict.explained_by),
        "seconds": round(time.perf_counter() - start, 1),
        "load": round(os.getloadavg()[0], 1),
    }


def markdown(rows: list[dict]) -> str:
    lines = [
        "| norms (metric) | source | Sys | Upper | Shuffle | Shuf-Upper | Rand | Taxonomy "
        "(destroyed / kept) | Sys/Upper | Shuffle/Sys | Shuf-Upper/Upper | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        m, ratios = r["means"], {x["ratio"]: x for x in r["ratios"]}
        cells = " | ".join(f"{m[c]:.3f}" for c in COLUMNS)
        tax = f"{m.get('taxonomy', float('nan')):.3f} / {m.get('taxonomy_kept', float('nan')):.3f}"
        shown = " | ".join(
            f"{ratios[k]['estimate']:.2f} [{ratios[k]['low']:.2f}, {ratios[k]['high']:.2f}]"
            for k in ("sys/upper", "shuffle/sys", "shuf_upper/upper")
        )
        lines.append(
            f"| {r['norms']} ({r['metric']}) | ablatio, {r['n_concepts']} concepts | {cells} | "
            f"{tax} | {shown} | {r['status']} |"
        )
        paper = " | ".join(f"{r['paper'][c]:.2f}" for c in COLUMNS)
        pr = " | ".join(f"{v:.2f}" for v in r["paper_ratios"].values())
        lines.append(f"| | paper (full norms) | {paper} | – | {pr} | |")
    lines.append("")
    lines.append("Upper and Shuf-Upper by PLSR components (capacity sets the ceiling):")
    lines.append("")
    lines.append(
        "| norms | " + " | ".join(f"Upper@{k} / Shuf-Upper@{k}" for k in (2, 5, 10, 20)) + " |"
    )
    lines.append("|---|---|---|---|---|")
    for r in rows:
        m = r["means"]
        lines.append(
            f"| {r['norms']} | "
            + " | ".join(
                f"{m[f'upper@{k}']:.3f} / {m[f'shuf_upper@{k}']:.3f}" for k in (2, 5, 10, 20)
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for kind in FILES:
        parser.add_argument(f"--{kind}", type=Path, help=f"full {kind} file instead of the sample")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--components", type=int, default=5)
    parser.add_argument("--out", default=str(HERE / "results" / "audit_paper_table"))
    args = parser.parse_args()
    rows = []
    for kind, sample in FILES.items():
        path = getattr(args, kind) or SAMPLES / sample
        rows.append(audit(kind, path, args.folds, args.components))
        print(json.dumps(rows[-1]), flush=True)
    Path(args.out + ".json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    Path(args.out + ".md").write_text(markdown(rows), encoding="utf-8")
    print(markdown(rows))


if __name__ == "__main__":
    main()
