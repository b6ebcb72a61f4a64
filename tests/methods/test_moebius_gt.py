"""MobiusRecovery: exact recovery of planted AND terms, budget handling, determinism."""

from __future__ import annotations

import pytest

import ablatio
from ablatio import BudgetTooSmallError, Game, MobiusRecovery
from ablatio.exceptions import RecoveryWarning
from ablatio.games.synthetic import sparse_and_game, sparse_parity_game
from ablatio.methods import METHODS


@pytest.mark.parametrize(
    ("n", "n_terms", "seed"), [(16, 6, 0), (32, 8, 1), (64, 10, 2), (128, 10, 3)]
)
def test_recovers_planted_and_terms_exactly(n, n_terms, seed):
    game = sparse_and_game(n, n_terms, 3, random_state=seed)
    method = MobiusRecovery(budget=12000, max_order=3, random_state=seed).fit(Game(game))
    truth = game.true_interactions
    assert set(method.interactions_.terms) == set(truth.terms)
    assert method.interactions_.allclose(truth, atol=1e-6)
    assert method.n_queries_ <= 12000


def test_peeled_values_exact_without_refit():
    game = sparse_and_game(24, 6, 2, random_state=5)
    method = MobiusRecovery(budget=6000, max_order=2, refit=False, random_state=0).fit(game)
    assert method.interactions_.allclose(game.true_interactions, atol=1e-6)


def test_same_seed_same_result():
    game = sparse_and_game(32, 6, 3, random_state=1)
    a = MobiusRecovery(budget=8000, random_state=3).fit(Game(game))
    b = MobiusRecovery(budget=8000, random_state=3).fit(Game(game))
    assert a.interactions_ == b.interactions_
    assert a.n_queries_ == b.n_queries_


def test_budget_too_small_states_minimum():
    method = MobiusRecovery(budget=100, max_order=3)
    minimum = method.min_budget(64)
    assert minimum == 3 * (method._pools(64) + 1) * 4
    with pytest.raises(BudgetTooSmallError, match=str(minimum)) as info:
        method.fit(sparse_and_game(64, 5, 3, random_state=0))
    assert info.value.minimum == minimum


def test_budget_drives_design_size():
    small = MobiusRecovery(budget=3000, max_order=2, n_pools=20, random_state=0)
    large = MobiusRecovery(budget=30000, max_order=2, n_pools=20, random_state=0)
    game = sparse_and_game(40, 5, 2, random_state=0)
    small.fit(Game(game))
    large.fit(Game(game))
    assert small.n_bits_ < large.n_bits_
    assert 3 * 21 * 2**small.n_bits_ <= 3000


def test_low_order_parities_are_sparse_and_terms():
    """A parity of order t is 2^t AND terms of order <= t: recoverable."""
    game = sparse_parity_game(20, 4, 2, random_state=0)
    method = MobiusRecovery(budget=8000, max_order=2, random_state=0).fit(game)
    assert method.interactions_.allclose(game.true_interactions.to_moebius(), atol=1e-6)


def test_high_order_parity_warns_not_recovered():
    """χ over 8 players has 256 AND terms up to order 8: not sparse of order <= 2."""
    truth = ablatio.Interactions([tuple(range(8))], [1.0], n_players=20, basis="fourier")
    with pytest.warns(RecoveryWarning, match=r"not recovered: R² = -?\d\.\d{3}"):
        MobiusRecovery(budget=5000, max_order=2, random_state=0).fit(ablatio.SyntheticGame(truth))


def test_registry_and_explain():
    assert METHODS["mobius"] is MobiusRecovery
    game = sparse_and_game(20, 5, 2, random_state=2)
    expl = ablatio.explain(game, method="mobius", budget=5000, max_order=2, random_state=0)
    assert expl.interactions.allclose(game.true_interactions, atol=1e-6)


def test_budget_required():
    from ablatio.exceptions import ParameterError

    with pytest.raises(ParameterError, match="pass budget="):
        MobiusRecovery().fit(sparse_and_game(20, 5, 2, random_state=0))


def test_unrecovered_game_still_gets_its_constant():
    # far too small a budget: nothing is peeled, but the refit keeps the intercept, so the
    # explanation is no worse than predicting the mean (R² near 0, not strongly negative)
    game = ablatio.sparse_and_game(256, 20, 3, random_state=0)
    with pytest.warns(RecoveryWarning, match="not recovered"):
        method = MobiusRecovery(budget=2000, max_order=3, random_state=0).fit(game)
    assert () in method.interactions_.terms
    assert ablatio.faithfulness(method, game, random_state=1) > -0.1
