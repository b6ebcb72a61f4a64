"""ablatio — ablation-based interpretability with sparse interactions and built-in controls.

Quick start::

    import ablatio
    from ablatio.games.synthetic import sparse_and_game

    game = sparse_and_game(12, n_terms=6, max_order=3, random_state=0)
    expl = ablatio.explain(game, method="exact", random_state=0)
    print(expl.top(5), ablatio.faithfulness(expl, game, random_state=1))
"""

from ablatio.adapters import tabular_game, text_game
from ablatio.evaluation.compare import compare
from ablatio.evaluation.faithfulness import RemovalCurve, faithfulness, removal_curve
from ablatio.evaluation.reality_check import RealityCheck, reality_check
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
from ablatio.methods import (
    LIME,
    METHODS,
    SPEX,
    Banzhaf,
    Exact,
    FaithBanzhaf,
    FaithShap,
    KernelSHAP,
    Method,
    PermutationShapley,
    ProxySPEX,
    clone,
)

__version__ = "0.1.0"

__all__ = [
    "LIME",
    "METHODS",
    "SPEX",
    "AblatioError",
    "AblationError",
    "Banzhaf",
    "BudgetTooSmallError",
    "CacheError",
    "EvaluationError",
    "Exact",
    "Explanation",
    "FaithBanzhaf",
    "FaithShap",
    "Game",
    "Interactions",
    "KernelSHAP",
    "Method",
    "NonFiniteValueError",
    "PermutationShapley",
    "Progress",
    "ProxySPEX",
    "RealityCheck",
    "RecoveryWarning",
    "RemovalCurve",
    "SyntheticGame",
    "clone",
    "compare",
    "explain",
    "faithfulness",
    "hierarchical_game",
    "reality_check",
    "removal_curve",
    "sparse_and_game",
    "sparse_parity_game",
    "tabular_game",
    "text_game",
]
