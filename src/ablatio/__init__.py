"""ablatio — ablation-based interpretability with sparse interactions and built-in controls.

Quick start::

    import ablatio
    from ablatio.games.synthetic import sparse_and_game

    game = sparse_and_game(12, n_terms=6, max_order=3, random_state=0)
    expl = ablatio.explain(game, method="exact", random_state=0)
    print(expl.top(5), ablatio.faithfulness(expl, game, random_state=1))
"""

from ablatio.evaluation.faithfulness import RemovalCurve, faithfulness, removal_curve
from ablatio.exceptions import (
    AblatioError,
    AblationError,
    BudgetTooSmallError,
    CacheError,
    EvaluationError,
    NonFiniteValueError,
    RecoveryWarning,
)
from ablatio.explain import Explanation, explain
from ablatio.games.game import Game, Progress
from ablatio.games.synthetic import (
    SyntheticGame,
    hierarchical_game,
    sparse_and_game,
    sparse_parity_game,
)
from ablatio.interactions import Interactions
from ablatio.methods import METHODS, SPEX, Exact, Method, MobiusRecovery, ProxySPEX, clone

__version__ = "0.1.0"

__all__ = [
    "METHODS",
    "SPEX",
    "AblatioError",
    "AblationError",
    "BudgetTooSmallError",
    "CacheError",
    "EvaluationError",
    "Exact",
    "Explanation",
    "Game",
    "Interactions",
    "Method",
    "MobiusRecovery",
    "NonFiniteValueError",
    "Progress",
    "ProxySPEX",
    "RecoveryWarning",
    "RemovalCurve",
    "SyntheticGame",
    "clone",
    "explain",
    "faithfulness",
    "hierarchical_game",
    "removal_curve",
    "sparse_and_game",
    "sparse_parity_game",
]
