"""SPEX: exact recovery of planted terms, budgets, determinism, decoders, noise, warnings."""

from __future__ import annotations

import numpy as np
import pytest

import ablatio
from ablatio import SPEX, Game, RecoveryWarning
from ablatio.exceptions import (
    BudgetTooSmallError,
    LowBudgetWarning,
    NonFiniteValueError,
    ParameterError,
)
from ablatio.games.synthetic import hierarchical_game, sparse_and_game, sparse_parity_game
from ablatio.methods import clone
from ablatio.methods.spex import min_budget


@pytest.mark.parametrize("n", [16, 64, 128])
def test_recovers_planted_parities_exactly(n):
    game = sparse_parity_game(n, n_terms=12, max_order=3, random_state=n)
    spex = SPEX(budget=2500, max_order=3, random_state=0).fit(game)
    assert spex.fourier_.allclose(game.true_interactions, atol=1e-6)
    assert set(spex.fourier_.terms) <= set(game.true_interactions.terms) | {()}
    assert spex.interactions_.basis == "moebius"
    assert spex.interactions_.allclose(game.true_interactions.to_moebius(), atol=1e-6)


@pytest.mark.parametrize("n", [16, 64, 128])
def test_recovers_planted_and_terms_exactly_in_moebius_basis(n):
    game = sparse_and_game(n, n_terms=12, max_order=3, random_state=n)
    spex = SPEX(budget=2500, max_order=3, random_state=1).fit(game)
    assert spex.interactions_.allclose(game.true_interactions, atol=1e-6)
    assert spex.n_queries_ <= 2500


def test_hierarchical_game_is_recovered_exactly():
    game = hierarchical_game(48, n_terms=15, max_order=3, random_state=2)
    spex = SPEX(budget=2000, max_order=3, random_state=2).fit(game)
    assert spex.interactions_.allclose(game.true_interactions, atol=1e-6)


@pytest.mark.parametrize("decoder", ["soft", "hard"])
def test_both_decoders_recover(decoder):
    game = sparse_parity_game(100, n_terms=10, max_order=3, random_state=5)
    spex = SPEX(budget=2000, max_order=3, decoder=decoder, refit=False, random_state=3)
    spex.fit(game)
    assert spex.fourier_.allclose(game.true_interactions, atol=1e-6)


def test_same_seed_gives_identical_interactions_and_other_seed_other_design():
    game = sparse_and_game(64, n_terms=10, max_order=2, random_state=0)
    a = SPEX(budget=1200, max_order=2, random_state=7).fit(Game(game))
    b = SPEX(budget=1200, max_order=2, random_state=7).fit(Game(game))
    assert a.interactions_ == b.interactions_
    assert a.holdout_r2_ == b.holdout_r2_
    refit = clone(a).fit(Game(game))
    assert refit.interactions_ == a.interactions_


def test_queries_stay_within_budget_and_sizes_follow_it():
    game = sparse_and_game(256, n_terms=5, max_order=2, random_state=0)
    small = SPEX(budget=700, max_order=2, stop_r2=None, random_state=0).fit(game)
    large = SPEX(budget=3000, max_order=2, stop_r2=None, random_state=0).fit(game)
    assert small.n_queries_ <= 700 and large.n_queries_ <= 3000
    assert large.n_groups_ * 2**large.b_ > small.n_groups_ * 2**small.b_
    assert small.t_ >= 2


def test_below_the_smallest_design_answers_with_a_warning():
    """n = 256 at 500 ablations (< 616 of the usual design): a reduced 2-group design;
    at 400 (< 420 of the reduced design): ProxySPEX on uniform ablations; both warned."""
    need = min_budget(256, 3)
    assert need == 616 and SPEX(max_order=3).design_min_budget(256) == min_budget(256, 3, 2)
    for kind, game in (
        ("parity", sparse_parity_game(256, n_terms=20, max_order=3, random_state=0)),
        ("hierarchical", hierarchical_game(256, 20, 3, random_state=0)),
    ):
        with pytest.warns(LowBudgetWarning, match=f"budget=500 < {need}"):
            spex = SPEX(budget=500, max_order=3, random_state=0).fit(game)
        assert spex.n_queries_ <= 500 and spex.n_groups_ == 2, kind
        assert ablatio.faithfulness(spex, game, random_state=1) > 0.99, kind
    with pytest.warns(LowBudgetWarning, match="with ProxySPEX instead"):
        spex = SPEX(budget=400, max_order=3, random_state=0).fit(game)
    assert spex.model_.startswith("proxyspex/") and spex.n_queries_ <= 400
    assert ablatio.faithfulness(spex, game, random_state=1) > 0.95
    floor = SPEX(max_order=3).min_budget(256)
    with pytest.raises(BudgetTooSmallError, match=f"< {floor} ablations") as info:
        SPEX(budget=floor - 1, max_order=3).fit(game)
    assert info.value.minimum == floor


def test_nan_outputs_raise_a_clear_error():
    def fn(masks):
        out = masks.sum(axis=1).astype(float)
        out[masks[:, 0] & masks[:, 1]] = np.nan
        return out

    with pytest.raises(NonFiniteValueError):
        SPEX(budget=800, max_order=2, random_state=0).fit(Game(fn, n=20))


def test_noisy_game_reaches_the_noise_ceiling():
    game = sparse_parity_game(64, n_terms=10, max_order=2, noise_sd=0.5, random_state=0)
    spex = SPEX(budget=4000, max_order=2, random_state=0).fit(game)
    r2 = ablatio.faithfulness(spex, game, random_state=1)
    assert r2 >= game.noise_ceiling() - 0.05


def test_unrecoverable_game_warns_with_measured_r2():
    game = sparse_parity_game(128, n_terms=60, max_order=3, random_state=0)
    with pytest.warns(RecoveryWarning, match=r"held-out R² = -?\d\.\d{3}"):
        spex = SPEX(budget=1000, max_order=3, random_state=0).fit(game)
    assert spex.holdout_r2_ < 0.9


def test_explain_dispatches_to_spex():
    game = sparse_and_game(32, n_terms=6, max_order=2, random_state=3)
    expl = ablatio.explain(game, method="spex", budget=1000, max_order=2, random_state=0)
    assert expl.method == "spex" and expl.n_queries <= 1000
    assert expl.interactions.allclose(game.true_interactions, atol=1e-6)


def test_capability_below_max_order_is_rejected():
    game = sparse_and_game(32, n_terms=4, max_order=3, random_state=0)
    with pytest.raises(ParameterError, match="t == 2 < max_order == 3"):
        SPEX(budget=3000, max_order=3, t=2).fit(game)


def test_nested_budget_stops_early_on_an_easy_game_and_full_design_otherwise():
    from ablatio.designs.aliasing import n_distinct_masks

    game = sparse_parity_game(128, n_terms=5, max_order=2, random_state=0)
    full = SPEX(budget=3000, max_order=2, stop_r2=None, random_state=0).fit(Game(game))
    nested = SPEX(budget=3000, max_order=2, random_state=0).fit(Game(game))
    from ablatio.methods.base import holdout_size

    expected = n_distinct_masks(full.n_groups_, full.b_, _parity_length(128, full.t_))
    # the held-out estimate takes the reserved share, not the rest of the budget
    assert full.n_queries_ == expected + min(holdout_size(3000), 3000 - expected)
    assert full.holdout_r2_ > 0.9999 and nested.holdout_r2_ > 0.9999
    assert nested.n_queries_ < full.n_queries_
    assert nested.fourier_.allclose(game.true_interactions, atol=1e-6)
    assert full.fourier_.allclose(game.true_interactions, atol=1e-6)


def _parity_length(n, t):
    from ablatio.transforms.bch import bch_code

    return bch_code(n, t).n_parity


def test_holdout_r2_comes_from_ablations_the_fit_never_used():
    """Issue #16: SPEX scored itself on groups that also chose its support (0.917 estimated,
    0.886 true). The held-out estimate is now the R² on the last, fresh batch of masks
    (ProxySPEX cross-fits instead: tests/methods/test__crossfit.py)."""
    from ablatio._metrics import r2_score
    from ablatio.methods import make_method

    synthetic = ablatio.sparse_and_game(40, 12, 3, noise_sd=0.5, random_state=3)
    batches = []

    def record(masks):
        batches.append(masks.copy())
        return synthetic(masks)

    est = make_method("spex", budget=1500, random_state=0)
    est.fit(Game(record, 40, batch_size=10**6))
    held_out = batches[-1]
    earlier = {m.tobytes() for batch in batches[:-1] for m in np.packbits(batch, axis=1)}
    assert held_out.shape[0] >= 100
    assert not any(m.tobytes() in earlier for m in np.packbits(held_out, axis=1))
    expected = r2_score(synthetic(held_out), est.interactions_.predict(held_out))
    assert est.holdout_r2_ == pytest.approx(expected, abs=1e-12)
    assert np.isfinite(est.train_r2_) and est.train_r2_ != est.holdout_r2_
