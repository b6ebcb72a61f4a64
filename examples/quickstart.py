"""Explain a synthetic game end to end: top interactions and held-out faithfulness."""

import ablatio

game = ablatio.sparse_and_game(12, n_terms=6, max_order=3, random_state=0)
expl = ablatio.explain(game, method="exact", random_state=0)
print(expl)
print("top 5 interactions:")
print(expl.top(5).to_dataframe().to_string(index=False))
print("held-out faithfulness R2:", round(ablatio.faithfulness(expl, game, random_state=1), 6))
print("Shapley values:", expl.interactions.shapley_values().round(3))
print(ablatio.reality_check(expl, game, n_test=400, random_state=2))
