"""Which words of a trolley question drive SmolLM2's (wrong) answer? End to end, offline.

SmolLM2-135M-Instruct answers "False" to a trolley question whose correct answer is plainly
"True" (pulling the lever harms nobody). We explain the log-odds

    v(m) = log p("True" | prompt(m)) - log p("False" | prompt(m))

over eight key words (removing a word deletes it from the prompt), compare methods by their
held-out faithfulness at the same budget, and check an interaction counterfactually: the
explanation names the words whose joint removal should push the answer most towards "True";
we remove them (and, separately, swap them for synonyms) and ask the real model again.

Run (about 1-5 minutes on 2 CPU cores; methods that are not installed are skipped)::

    python examples/text_trolley.py --methods exact,spex,lime,kernelshap --budget 128
"""

from __future__ import annotations

import argparse
import inspect
import json

import ablatio
from ablatio.evaluation.counterfactual import counterfactual_check
from ablatio.models import load_smollm2
from ablatio.targets.lm import CausalLMTarget

PROMPT = (
    "Pulling the lever stops the trolley safely and saves five people. "
    "True or False: pulling the lever is the right choice."
)
#: The parts that can be removed, in order of appearance (everything else stays).
PARTS = ["Pulling", "lever", "trolley", "safely", "five people.", "pulling", "lever", "right"]
#: Synonyms for the replacement check (like the SPEX blog's "tram" for "trolley").
SYNONYMS = {
    0: "Using",
    1: "switch",
    2: "tram",
    3: "gently",
    4: "5 persons.",
    5: "using",
    6: "switch",
    7: "correct",
}


def _fit(game: ablatio.Game, method: str, budget: int, max_order: int, seed: int):
    cls = ablatio.METHODS[method]
    accepted = set(inspect.signature(cls.__init__).parameters)
    kwargs = {"method": method, "random_state": seed}
    if "budget" in accepted and method != "exact":  # exact always needs all 2^n ablations
        kwargs["budget"] = budget
    if "max_order" in accepted:
        kwargs["max_order"] = max_order
    try:
        return ablatio.explain(game, **kwargs)
    except ablatio.AblatioError as exc:  # a first-order method (LIME): use its own order
        if "max_order" not in str(exc) or "max_order" not in kwargs:
            raise
        del kwargs["max_order"]
        return ablatio.explain(game, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default="exact,spex,lime,kernelshap")
    parser.add_argument("--budget", type=int, default=128, help="ablations per method")
    parser.add_argument("--max-order", type=int, default=3)
    parser.add_argument(
        "--unit",
        choices=["parts", "words"],
        default="parts",
        help="the 8 key phrases (exact works) or every word (n=21, for sampling methods)",
    )
    parser.add_argument("--n-test", type=int, default=100, help="held-out masks for R^2")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--cache", default=None, help="SQLite file to keep every ablation")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args()

    lm = load_smollm2(batch_size=args.batch_size, threads=args.threads)
    unit = PARTS if args.unit == "parts" else "words"
    target = CausalLMTarget(PROMPT, lm, target="True", contrast="False", unit=unit)
    print("prompt:", PROMPT)
    print("SmolLM2's answer:", repr(lm.generate([PROMPT], 8)[0]))
    print("parts:", ", ".join(target.player_names))
    game = ablatio.Game(target, cache=args.cache, batch_size=args.batch_size)
    print(f"log-odds True vs False on the full prompt: {game.full_value():+.3f}\n")

    results, best = [], None
    for method in [m.strip() for m in args.methods.split(",") if m.strip()]:
        if method not in ablatio.METHODS:
            print(f"{method}: not registered in ablatio.METHODS here, skipped")
            continue
        try:
            expl = _fit(game, method, args.budget, args.max_order, seed=0)
        except ablatio.BudgetTooSmallError as exc:
            print(f"{method:>11}: skipped, {exc}")
            continue
        r2 = ablatio.faithfulness(expl, game, n_test=args.n_test, random_state=1)
        print(f"{method:>11}: {expl.n_queries:4d} ablations, held-out R^2 = {r2:.3f}")
        results.append({"method": method, "n_queries": expl.n_queries, "r2": r2})
        if best is None:  # the first method listed explains; the others are compared
            best = (expl, r2, method)
    if best is None:
        msg = "no method ran: pass registered names with --methods"
        raise SystemExit(msg)

    expl, _, name = best
    print(f"\ntop interactions ({name}):")
    print(expl.top(6).to_dataframe().to_string(index=False))

    print()
    # The interaction whose removal the explanation predicts to push the answer most towards
    # "True"; then the same words swapped for synonyms instead of removed.
    removal = counterfactual_check(expl, target, min_order=2, select="increase")
    print(removal)
    checks = [removal]
    if args.unit == "parts":
        swap = {i: SYNONYMS[i] for i in removal.term}
        checks.append(counterfactual_check(expl, target, replacements=swap))
        print(checks[-1])
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(
                {
                    "faithfulness": results,
                    "top": [[list(t), float(c)] for t, c in expl.top(6).as_dict().items()],
                    "counterfactual": [c.to_dict() for c in checks],
                },
                fh,
                indent=2,
            )


if __name__ == "__main__":
    main()
