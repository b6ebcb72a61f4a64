"""The Method contract: params, clone, not-fitted error, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from ablatio import Exact, clone, sparse_and_game
from ablatio.exceptions import NotFittedError, ParameterError


def test_get_set_params_and_clone():
    m = Exact(max_order=2, basis="fourier")
    assert m.get_params()["max_order"] == 2
    c = clone(m)
    assert c.get_params() == m.get_params() and c is not m
    m.set_params(max_order=3)
    assert m.max_order == 3
    with pytest.raises(ParameterError, match="no parameter"):
        m.set_params(depth=1)
    assert "Exact(max_order=3" in repr(m)


def test_constructor_only_stores():
    m = Exact(max_order=-5)  # invalid, but checked in fit
    assert m.max_order == -5
    with pytest.raises(ParameterError, match="max_order == -5"):
        m.fit(sparse_and_game(4, 2, 2, random_state=0))


def test_not_fitted_and_refit_identical():
    m = Exact()
    with pytest.raises(NotFittedError, match="not fitted"):
        m.predict(np.ones((1, 4), dtype=bool))
    game = sparse_and_game(7, 4, 3, random_state=1)
    first = m.fit(game).interactions_
    assert m.fit(game).interactions_ == first


def test_fit_rejects_plain_functions():
    with pytest.raises(ParameterError, match="wrap a plain function"):
        Exact().fit(lambda masks: masks.sum(axis=1))


def test_make_method_is_the_one_builder():
    from ablatio import SPEX
    from ablatio.methods import make_method

    built = make_method("spex", budget=900, random_state=1, options={"decoder": "hard"})
    assert isinstance(built, SPEX) and built.budget == 900 and built.decoder == "hard"
    assert built.max_order is None  # None keeps the method's default
    with pytest.raises(ParameterError, match="no option 'depth'"):
        make_method("spex", options={"depth": 2})
    with pytest.raises(ParameterError, match="as arguments, not as options"):
        make_method("spex", options={"budget": 2})
    configured = SPEX(budget=500)
    copy = make_method(configured, random_state=3)
    assert copy is not configured and copy.random_state == 3 and configured.random_state is None
    with pytest.raises(ParameterError, match="conflicts"):
        make_method(configured, budget=600)


def test_one_default_budget_policy():
    from ablatio.methods import METHODS
    from ablatio.methods.base import DEFAULT_BUDGET

    for cls in METHODS.values():
        method = cls()
        assert method.default_budget(6) == 64  # every mask for small n
        assert method.default_budget(40) == max(DEFAULT_BUDGET, method.min_budget(40))


def test_learned_attributes_have_one_name():
    """Issue #16: held_out_r2_, cv_r2_ and r2_ were other names for the held-out estimate."""
    from ablatio.methods import METHODS

    game = sparse_and_game(6, 3, 2, random_state=0)
    for name, cls in METHODS.items():
        est = cls(budget=64, random_state=0).fit(game)
        for attr in (
            "holdout_r2_",
            "holdout_r2_se_",
            "train_r2_",
            "warnings_",
            "budget_",
            "max_order_",
        ):
            assert hasattr(est, attr), (name, attr)
        for old in ("held_out_r2_", "cv_r2_", "r2_"):
            assert not hasattr(est, old), (name, old)


def _precise_r2(est, game, n_masks=20_000):
    """R² of a fitted method on many fresh uniform masks (the reference, SE ~0.005)."""
    from ablatio._metrics import r2_score

    masks = np.random.default_rng(999).random((n_masks, game.n_players)) < 0.5
    return r2_score(game(masks), est.predict(masks))


def test_holdout_estimate_uses_the_whole_budget_honestly():
    """Issue #16 item 3: on this game (n = 64, 20 AND terms, noise sd 2, budget 1050) the
    estimate on the reserved 10 % (105 masks) was 0.444 for a true R² of 0.519 (20,000
    masks): off by 0.075, and pessimistic because the winning best-of model was refitted on
    the held-out masks after being scored. Unused budget now scores the result, the refit is
    cross-fitted, and the standard error says how far to trust it."""
    import warnings

    from ablatio import SPEX, Game
    from ablatio.exceptions import RecoveryWarning

    game = sparse_and_game(64, 20, 3, noise_sd=2.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RecoveryWarning)
        est = SPEX(budget=1050, max_order=3, random_state=0).fit(Game(game))
    true = _precise_r2(est, game)
    assert est.model_ != "decoded"  # a refitted best-of winner
    assert est.n_queries_ == 1050  # the fit left 48 ablations: they score the result
    assert abs(est.holdout_r2_ - true) <= 0.05
    assert 0.0 < est.holdout_r2_se_ < 0.06
    assert abs(est.holdout_r2_ - true) <= 1.96 * est.holdout_r2_se_


def test_converged_fit_spends_nothing_on_the_top_up():
    """A recovered game has an exact estimate (SE 0): no ablation beyond the reserved share."""
    from ablatio import SPEX

    game = sparse_and_game(64, 20, 3, random_state=0)
    est = SPEX(budget=1500, max_order=3, random_state=0).fit(game)
    assert est.holdout_r2_ == pytest.approx(1.0) and est.holdout_r2_se_ < 1e-6
    assert est.n_queries_ < 1500 - 100


def test_warning_uses_the_interval():
    """An estimate above the threshold by less than WARN_Z standard errors warns with an
    UnconfirmedRecoveryWarning (the point rule stayed silent); one below it with a plain
    RecoveryWarning. Both messages show the margin."""
    import warnings

    from ablatio import SPEX, Game
    from ablatio.exceptions import RecoveryWarning, UnconfirmedRecoveryWarning
    from ablatio.methods.base import WARN_Z

    game = sparse_and_game(64, 20, 3, noise_sd=2.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RecoveryWarning)
        probe = SPEX(budget=1050, max_order=3, random_state=0).fit(Game(game))
    threshold = round(probe.holdout_r2_ - WARN_Z * probe.holdout_r2_se_ / 2, 3)
    assert threshold < probe.holdout_r2_
    pattern = r"R² = \d\.\d{3} ± \d\.\d{3}, not clearly above warn_below"
    with pytest.warns(UnconfirmedRecoveryWarning, match=pattern) as caught:
        est = SPEX(budget=1050, max_order=3, warn_below=threshold, random_state=0)
        est.fit(Game(game))
    assert est.holdout_r2_ == probe.holdout_r2_
    assert issubclass(caught[0].category, RecoveryWarning)  # filters of RecoveryWarning see it
    with pytest.warns(RecoveryWarning, match=r"R² = \d\.\d{3} ± \d\.\d{3} < warn_below") as caught:
        SPEX(budget=1050, max_order=3, warn_below=0.99, random_state=0).fit(Game(game))
    assert caught[0].category is RecoveryWarning
