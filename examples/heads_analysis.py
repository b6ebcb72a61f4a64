"""Attention-head interactions of a shipped transformer: pruning and structure by depth.

MiniLM (6x12 heads): value = paraphrase margin (mean cosine of paraphrase pairs minus that of
mismatched pairs) on 20 fitting pairs; held-out score on 20 other pairs.
SmolLM2-135M (30x9 heads; ``--layers`` picks a subset): value = mean log-probability of the
correct option on fitting questions from ``ablatio/data/mcq.jsonl``; held-out on the others.

    PYTHONPATH=src python examples/heads_analysis.py --model minilm [--budget 1500]
    PYTHONPATH=src python examples/heads_analysis.py --model smollm2 --layers 26 27 28 29
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from _methods import choose_method, explain

import ablatio
from ablatio.designs.random import bernoulli_masks, held_out_generator
from ablatio.evaluation.faithfulness import r2_score
from ablatio.evaluation.heads_analysis import compare_pruning, variance_by_depth
from ablatio.targets.head_tasks import load_mcq, multiple_choice_target, similarity_target
from ablatio.targets.shipped import load_shipped_model

PARAPHRASES = [
    ("The cat sat on the mat.", "A cat was sitting on the rug."),
    ("He bought a new car yesterday.", "Yesterday he purchased a new automobile."),
    ("The weather is very cold today.", "It is freezing outside today."),
    ("She is reading a book in the garden.", "In the garden, she reads a novel."),
    ("The meeting was cancelled.", "They called off the meeting."),
    ("I am very hungry.", "I could eat a horse."),
    ("The store opens at nine.", "The shop starts business at 9 am."),
    ("My phone battery is dead.", "My mobile has run out of power."),
    ("The children are playing football.", "The kids play soccer."),
    ("He runs every morning.", "Each morning he goes for a jog."),
    ("The movie was boring.", "The film was dull."),
    ("Please close the door.", "Could you shut the door?"),
    ("The train is late again.", "Once more the train is delayed."),
    ("She speaks three languages.", "She is fluent in three tongues."),
    ("The price of bread went up.", "Bread became more expensive."),
    ("We lost the game.", "Our team was defeated."),
    ("The river flooded the town.", "The town was flooded by the river."),
    ("He forgot his keys at home.", "He left his keys at the house."),
    ("The soup is too salty.", "There is too much salt in the soup."),
    ("The baby is sleeping.", "The infant is asleep."),
    ("The road is closed for repairs.", "Repairs have shut the road."),
    ("I need to buy some milk.", "I have to get milk from the shop."),
    ("The concert starts at eight.", "The show begins at 8 pm."),
    ("He is afraid of dogs.", "Dogs scare him."),
    ("The computer is very slow.", "The PC runs sluggishly."),
    ("She won the first prize.", "She came first in the contest."),
    ("The lake froze last night.", "Overnight the lake turned to ice."),
    ("They moved to a new city.", "They relocated to another town."),
    ("The teacher explained the lesson.", "The lesson was explained by the teacher."),
    ("The plant needs more water.", "The plant is thirsty."),
    ("The flight was delayed by fog.", "Fog held up the plane."),
    ("He fixed the broken chair.", "He repaired the chair."),
    ("It rained all weekend.", "The whole weekend was rainy."),
    ("The museum is free on Sundays.", "On Sundays entry to the museum costs nothing."),
    ("She laughed at the joke.", "The joke made her laugh."),
    ("The tea is too hot to drink.", "The tea is scalding."),
    ("We watched the sunset.", "We saw the sun go down."),
    ("The dog chased the ball.", "The ball was chased by the dog."),
    ("He lost his wallet.", "His wallet went missing."),
    ("The shop sells fresh fish.", "Fresh fish is sold at the store."),
]


def build(args: argparse.Namespace, model, tokenizer):
    common = {"ablation": args.ablation, "masks_per_forward": args.masks_per_forward}
    if args.layers:
        common["layers"] = args.layers
    if args.model == "minilm":
        fit, held = PARAPHRASES[::2], PARAPHRASES[1::2]
        make = lambda pairs: similarity_target(  # noqa: E731
            model, tokenizer, pairs, contrastive=True, **common
        )
    else:
        questions = load_mcq()
        stop = args.questions + args.held_out
        fit, held = questions[: args.questions], questions[args.questions : stop]
        make = lambda qs: multiple_choice_target(model, tokenizer, qs, **common)  # noqa: E731
    return make(fit), make(held)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("minilm", "smollm2"), default="minilm")
    parser.add_argument("--method", default=None)
    parser.add_argument("--budget", type=int, default=1500)
    parser.add_argument(
        "--keep", type=float, default=0.5, help="keep probability per head of the test masks"
    )
    parser.add_argument("--layers", type=int, nargs="*", default=None)
    parser.add_argument("--questions", type=int, default=20, help="SmolLM2 fitting questions")
    parser.add_argument("--held-out", type=int, default=80, help="SmolLM2 held-out questions")
    parser.add_argument("--ablation", choices=("zero", "mean"), default="mean")
    parser.add_argument("--masks-per-forward", type=int, default=16)
    parser.add_argument("--n-test", type=int, default=200, help="held-out masks for R2")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None)
    parser.add_argument("--json", default=None, help="write the figures to this file")
    args = parser.parse_args()

    model, tokenizer = load_shipped_model(args.model)
    fit, held = build(args, model, tokenizer)
    method = choose_method(args.method)
    game = ablatio.Game(fit, cache=args.cache, batch_size=64)
    start = time.perf_counter()
    interactions, game = explain(game, method, args.budget, args.seed)
    seconds, n_ablations = time.perf_counter() - start, game.n_evaluated
    # held-out masks (each head kept with probability --keep; 0.5 = the fitting distribution)
    test = bernoulli_masks(fit.n_players, args.n_test, held_out_generator(args.seed), args.keep)
    r2 = r2_score(game(test), interactions.predict(test))
    print(
        f"{args.model}: {fit.n_players} heads, method={method}, {n_ablations} ablations "
        f"in {seconds:.0f} s ({n_ablations / seconds:.2f}/s), held-out R2 {r2:.3f} "
        f"(masks keeping each head with p={args.keep})"
    )
    pruning = compare_pruning(interactions, game, held, random_state=args.seed)
    print(
        f"pruning {pruning['n_removed']} heads, held-out score before {pruning['before']:.4f}: "
        f"interactions {pruning['interactions']['after']:.4f}, single-head "
        f"{pruning['single']['after']:.4f}, random {pruning['random']['after_mean']:.4f} "
        f"± {pruning['random']['after_sd']:.4f}"
    )
    depth = variance_by_depth(interactions, fit.player_layers)
    print("layer  first-order  within-layer  across-layers  (share of explained variance)")
    for i, layer in enumerate(depth["layers"]):
        print(
            f"{layer:5d}  {depth['first_order'][i]:11.3f}  {depth['within'][i]:12.3f}  "
            f"{depth['across'][i]:13.3f}"
        )
    if args.json:
        depth = {k: np.asarray(v).tolist() for k, v in depth.items()}
        record = {"args": vars(args), "r2": r2, "seconds": seconds, "n_ablations":
                  n_ablations, "pruning": pruning, "depth": depth}  # fmt: skip
        with open(args.json, "w") as f:
            json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
