"""Multi-document QA on SmolLM2-135M-Instruct: does it combine two facts from two documents?

The documents are prose sentences of scikit-learn's dataset descriptions
(``sklearn/datasets/descr/*.rst``, shipped with scikit-learn) with two fictional facts placed in
two different documents: "The field guide Northern Lichens was written by Ilse Varga." (first
document) and "Ilse Varga was born in Norway." (second document). The question needs both
(a bridge question); the real text about the wine data names Italy, the wrong answer.
Parts are the sentences (the document headers and the question stay); the value is the
log-odds ``log p(Norway) − log p(Italy)`` at the country slot of the model's own answer
("The author of Northern Lichens was born in ..."), teacher-forced.

``benchmarks/real_models.py --task qa`` runs every method on this target (``--n`` = real
sentences per document). This script then explains it with ablatio's ProxySPEX (best-of) on
the *same* cache and seed (no new ablations) and reports what the model does with the two
facts: their ranks among the parts (Shapley values), their pair term, the exact pair
interaction from four ablations — bottom-up (Möbius: the two facts alone in an empty
context) and top-down (removing them from the full prompt) — and the counterfactual check
(``ablatio.evaluation.counterfactual.counterfactual_check``) removing each fact and both.

    PYTHONPATH=src python benchmarks/real_qa.py --n 10 --budget 200

Writes ``benchmarks/results/real_qa.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).parent / "results"

#: Documents: (title, scikit-learn description files whose prose sentences it takes).
DOCUMENTS = (
    ("Document 1", ("iris.rst", "digits.rst", "lfw.rst")),
    ("Document 2", ("wine_data.rst", "california_housing.rst", "covtype.rst")),
    ("Document 3", ("rcv1.rst", "twenty_newsgroups.rst", "olivetti_faces.rst")),
)
FACT_AUTHOR = "The field guide Northern Lichens was written by Ilse Varga."
FACT_BIRTH = "Ilse Varga was born in Norway."
QUESTION = (
    "Question: In which country was the author of Northern Lichens born? "
    "Answer with the country only."
)
#: The model's own answer frame (its greedy answer on the full prompt), ending in either country.
ANSWER = "The author of Northern Lichens was born in"
RIGHT, WRONG = f"{ANSWER} Norway", f"{ANSWER} Italy"


def prose_sentences(name: str) -> list[str]:
    """Prose sentences of one scikit-learn dataset description (no tables, fields, lists)."""
    import sklearn

    path = Path(sklearn.__file__).parent / "datasets" / "descr" / name
    paragraphs, current = [], []
    for line in path.read_text().splitlines():
        if not line.strip() or line[0] in " :.-=*|" or line.startswith("**"):
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(line.strip())
    if current:
        paragraphs.append(" ".join(current))
    out = []
    for paragraph in paragraphs:
        for sentence in re.split(
            r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])", re.sub(r"\s+", " ", paragraph)
        ):
            words = sentence.split()
            if (
                6 <= len(words) <= 30
                and sentence[-1] in ".!?"
                and not re.search(r"http|`|::|Samples total|\d{4,}|\[", sentence)
            ):
                out.append(sentence)
    return out


def qa_parts(per_document: int = 10) -> tuple[str, list[str], tuple[int, int]]:
    """The prompt, its sentence parts and the indices of the two facts."""
    docs, parts = [], []
    facts = []
    for d, (title, files) in enumerate(DOCUMENTS):
        sentences = [s for f in files for s in prose_sentences(f)][:per_document]
        fact = (FACT_AUTHOR, FACT_BIRTH, None)[d]
        if fact is not None:
            sentences.insert(len(sentences) // 2, fact)
            facts.append(len(parts) + sentences.index(fact))
        parts += sentences
        docs.append(f"{title}: " + " ".join(sentences))
    prompt = "\n\n".join(docs) + "\n\n" + QUESTION
    return prompt, parts, (facts[0], facts[1])


def qa_target(per_document: int = 10) -> tuple[Any, tuple[int, int]]:
    """The ``CausalLMTarget`` (SmolLM2, 1 torch thread) and the indices of the two facts."""
    from ablatio.models import load_smollm2
    from ablatio.targets.lm import CausalLMTarget

    lm = load_smollm2(threads=1, batch_size=4)
    prompt, parts, facts = qa_parts(per_document)
    return CausalLMTarget(prompt, lm, target=RIGHT, contrast=WRONG, unit=parts), facts


def pair_effects(game: Any, target: Any, a: int, b: int) -> dict[str, float]:
    """Exact values and pair interaction of facts ``a``, ``b`` from eight ablations.

    Bottom-up (Möbius, others removed): ``m_ab = f(ab) − f(a) − f(b) + f(∅)``; top-down
    (others kept): ``f(1) − f(1−a) − f(1−b) + f(1−a−b)``. Positive = synergy (together more
    than the sum of their separate effects), negative = redundancy. Also the absolute
    log-probability of the right answer in the four full-context prompts.
    """
    masks = np.zeros((8, target.n_players), dtype=bool)
    masks[1, a] = masks[2, b] = True
    masks[3, [a, b]] = True
    masks[4:] = True
    masks[5, a] = masks[6, b] = False
    masks[7, [a, b]] = False
    v = game(masks)
    right = target.lm.logprob(target.texts(masks[4:]), RIGHT)  # absolute, full context
    return {
        "logp_right_full": right[0],
        "logp_right_without_author_fact": right[1],
        "logp_right_without_birth_fact": right[2],
        "logp_right_without_both": right[3],
        "f_empty": v[0],
        "f_only_author_fact": v[1],
        "f_only_birth_fact": v[2],
        "f_only_both_facts": v[3],
        "moebius_pair": v[3] - v[1] - v[2] + v[0],
        "f_full": v[4],
        "f_without_author_fact": v[5],
        "f_without_birth_fact": v[6],
        "f_without_both": v[7],
        "top_down_pair": v[4] - v[5] - v[6] + v[7],
    }


def analyse(args: argparse.Namespace) -> dict[str, Any]:
    """Explain the QA target with ablatio's best-of ProxySPEX and check the two facts."""
    from ablatio import Game
    from ablatio.evaluation.counterfactual import counterfactual_check
    from ablatio.methods import get_method

    target, (a, b) = qa_target(args.n)
    cache = Path(args.cache_dir) / f"real_qa_{args.n}.sqlite"
    game = Game(target, cache=cache, batch_size=64)
    n = game.n_players
    method = get_method("proxyspex")(
        budget=args.budget, max_order=args.max_order, random_state=args.seed
    )
    method.fit(game)
    inter = method.interactions_
    phi = inter.shapley_values()
    rank = {int(i): r + 1 for r, i in enumerate(np.argsort(-np.abs(phi)))}
    moebius = inter.to_moebius().as_dict()
    pairs = sorted(((t, c) for t, c in moebius.items() if len(t) == 2), key=lambda tc: -abs(tc[1]))
    pair_rank = next((r + 1 for r, (t, _) in enumerate(pairs) if t == (a, b)), None)
    checks = {}
    for name, term in (("author_fact", (a,)), ("birth_fact", (b,)), ("both", (a, b))):
        check = counterfactual_check(inter, target, term=term, max_new_tokens=14)
        checks[name] = check.to_dict() | {"edited_prompt": None, "original_prompt": None}
    top = [
        {"part": int(i), "shapley": float(phi[i]), "text": target.segments.parts[i]}
        for i in np.argsort(-np.abs(phi))[:6]
    ]
    return {
        "n": n,
        "budget": args.budget,
        "max_order": args.max_order,
        "seed": args.seed,
        "facts": {"author_fact": [a, FACT_AUTHOR], "birth_fact": [b, FACT_BIRTH]},
        "value": f"log p({RIGHT!r}) - log p({WRONG!r})",
        "model": str(getattr(method, "model_", "")),
        "holdout_r2": float(method.holdout_r2_),
        "n_queries": int(method.n_queries_),
        "shapley_rank": {"author_fact": rank[a], "birth_fact": rank[b]},
        "shapley": {"author_fact": float(phi[a]), "birth_fact": float(phi[b])},
        "pair_term": float(moebius.get((a, b), 0.0)),
        "pair_rank": pair_rank,
        "n_pairs": len(pairs),
        "top_parts": top,
        "top_pairs": [{"pair": list(t), "moebius": float(c)} for t, c in pairs[:5]],
        "exact": {k: float(v) for k, v in pair_effects(game, target, a, b).items()},
        "counterfactual": checks,
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def write(result: dict[str, Any], out: Path) -> None:
    out.with_suffix(".json").write_text(json.dumps(result, indent=1, default=float))
    ex, cf = result["exact"], result["counterfactual"]
    lines = [
        "# Multi-document QA on SmolLM2-135M-Instruct: the two facts",
        "",
        f"Produced by `benchmarks/real_qa.py` (docstring: documents, value). n = {result['n']}"
        f" sentences, value = {result['value']}; explanation: ProxySPEX best-of at budget "
        f"{result['budget']} (order {result['max_order']}, seed {result['seed']}, model "
        f"`{result['model']}`, held-out R² estimate {result['holdout_r2']:.3f}).",
        "",
        "| fact | part | Shapley value | rank of |Shapley| |",
        "|---|---|---|---|",
    ]
    for key in ("author_fact", "birth_fact"):
        idx, text = result["facts"][key]
        lines.append(
            f"| {text} | {idx} | {result['shapley'][key]:+.3f} | "
            f"{result['shapley_rank'][key]} of {result['n']} |"
        )
    lines += [
        "",
        f"Pair term (Möbius) of the two facts in the explanation: {result['pair_term']:+.3f} "
        f"(rank {result['pair_rank']} of {result['n_pairs']} pair terms by |coefficient|).",
        "",
        "Exact, from eight ablations:",
        "",
        "| context | neither fact | author fact only | birth fact only | both | pair term |",
        "|---|---|---|---|---|---|",
        f"| empty (other sentences removed; Möbius) | {ex['f_empty']:+.3f} | "
        f"{ex['f_only_author_fact']:+.3f} | {ex['f_only_birth_fact']:+.3f} | "
        f"{ex['f_only_both_facts']:+.3f} | {ex['moebius_pair']:+.3f} |",
        f"| full (other sentences kept) | {ex['f_without_both']:+.3f} | "
        f"{ex['f_without_birth_fact']:+.3f} | {ex['f_without_author_fact']:+.3f} | "
        f"{ex['f_full']:+.3f} | {ex['top_down_pair']:+.3f} |",
        "",
        "Counterfactual check (`counterfactual_check`, removing from the full prompt):",
        "",
        "| removed | value full → predicted / actual | log p(right answer) | greedy answer after |",
        "|---|---|---|---|",
        f"| nothing | {ex['f_full']:+.3f} | {ex['logp_right_full']:.3f} | "
        f"{cf['both']['original_answer']!r} |",
    ]
    logp = {
        "author_fact": ex["logp_right_without_author_fact"],
        "birth_fact": ex["logp_right_without_birth_fact"],
        "both": ex["logp_right_without_both"],
    }
    for key, check in cf.items():
        lines.append(
            f"| {key} | {check['original_value']:+.3f} → {check['predicted_value']:+.3f} / "
            f"{check['actual_value']:+.3f} | {logp[key]:.3f} | {check['new_answer']!r} |"
        )
    lines += ["", "Top parts by |Shapley value|:", ""]
    lines += [f"- part {t['part']} ({t['shapley']:+.3f}): {t['text']}" for t in result["top_parts"]]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=10, help="real sentences per document")
    p.add_argument("--budget", type=int, default=200)
    p.add_argument("--max-order", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "ablatio_real"))
    p.add_argument("--out", default=str(OUT / "real_qa"))
    args = p.parse_args()
    result = analyse(args)
    write(result, Path(args.out))
    print(Path(args.out).with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
