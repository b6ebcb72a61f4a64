"""The best-of stage's alternatives (``ablatio.methods._alternatives``)."""

from __future__ import annotations

import numpy as np
import pytest
from sparse_games import local_phrases, r2, repeated_words, sparse_additive

import ablatio
from ablatio.methods._alternatives import (
    ADJACENT,
    ADJACENT_ADAPTIVE,
    LOCAL,
    MAX_LOCAL_PAIRS,
    PartStructure,
    _too_many_local_pairs,
    adaptive_lasso,
    adjacent_pairs,
    first_order_lasso,
    fit_alternatives,
    hub_pairs,
    local_pairs,
    tied_adaptive_lasso,
    tied_groups,
    tied_lasso,
)
from ablatio.methods._best_of import choose
from ablatio.transforms.lasso import leverage
from ablatio.transforms.solve import ridge_loo


def test_the_lasso_finds_the_few_parts_that_matter_and_scores_itself_honestly():
    """600 parts, 300 ablations, 25 parts matter: ridge spreads weight over every part and
    predicts poorly; the lasso keeps the large slopes, and its leave-one-out R² (approximate:
    active set held fixed) is within 0.03 of its R² on 3000 fresh masks."""
    slopes, masks, values, test, truth = sparse_additive(600, 300, 25, seed=4)
    fit, loo_r2, residuals = first_order_lasso(masks, values)
    ours = r2(truth, fit.predict(test))
    ridge = ridge_loo(masks.astype(float), values)
    assert ours > 0.95
    assert r2(truth, ridge.intercept + test @ ridge.coef) < ours - 0.3
    assert abs(loo_r2 - ours) < 0.03
    assert residuals.shape == values.shape
    assert loo_r2 == pytest.approx(r2(values, values - residuals))
    # the residuals are the returned fit's own, each inflated by 1 / (1 - leverage)
    active = [t[0] for t, c in zip(fit.terms, fit.coefficients, strict=True) if len(t) == 1 and c]
    shrink = 1.0 - leverage(masks[:, active].astype(float))
    np.testing.assert_allclose(residuals * shrink, values - fit.predict(masks), atol=1e-9)
    kept = {t[0] for t, c in zip(fit.terms, fit.coefficients, strict=True) if len(t) == 1 and c}
    assert set(np.flatnonzero(np.abs(slopes) > 0.3)) <= kept  # every part that matters much
    assert len(kept) < 150


def test_the_lasso_of_a_constant_or_a_single_part_game():
    masks = np.random.default_rng(0).random((40, 6)) < 0.5
    fit, loo_r2, residuals = first_order_lasso(masks, np.full(40, 3.0))
    assert fit.allclose(ablatio.Interactions([()], [3.0], n_players=6))
    np.testing.assert_array_equal(residuals, 0.0)
    values = 1.0 + 2.0 * masks[:, 4]
    fit, loo_r2, _ = first_order_lasso(masks, values)
    assert loo_r2 > 0.99
    np.testing.assert_allclose(fit.predict(masks), values, atol=0.05)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_adaptive_lasso_shrinks_the_slopes_that_matter_less(seed):
    """Reweighting by the first slopes undoes the lasso's shrinkage of the large slopes: they
    are closer to the truth (half the error or less) and fresh masks are predicted better."""
    slopes, masks, values, test, truth = sparse_additive(600, 300, 25, seed=seed)
    first, _, _ = first_order_lasso(masks, values)
    again, _, residuals = adaptive_lasso(masks, values, first)
    assert r2(truth, again.predict(test)) > r2(truth, first.predict(test))
    big = np.flatnonzero(np.abs(slopes) > 1)
    first_error, error = (
        np.mean([abs(fit[(int(i),)] - slopes[i]) for i in big]) for fit in (first, again)
    )
    assert error < 0.7 * first_error
    assert {t for t in again.terms if t} <= {
        t for t, c in zip(first.terms, first.coefficients, strict=True) if c
    }
    assert residuals.shape == values.shape
    assert adaptive_lasso(masks, values, ablatio.Interactions([()], [1.0], n_players=600)) is None


def test_tie_groups_are_the_keys_two_or_more_parts_hold_in_order_of_appearance():
    groups = tied_groups(["good", "the", "bad", "good", "the", "good", "!"])
    assert [g.tolist() for g in groups] == [[0, 3, 5], [1, 4]]
    assert tied_groups(None) == () == tied_groups(["a", "b"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_repeated_words_share_a_slope_in_the_tied_lasso(seed):
    """A document whose words repeat (one copy of each valued word negated): the lasso with a
    shared column per repeated word pools the copies' evidence and predicts fresh masks
    better than the first-order lasso (by 0.04-0.14 here), honestly scored; every copy's
    slope is its word's shared slope plus its own deviation."""
    keys, _, masks, values, test, truth = repeated_words(600, 300, seed)
    ties = tied_groups(keys)
    wrong = ablatio.Interactions([(), (0, 1)], [0.0, 1.0], n_players=600)
    choice = choose(masks, values, wrong, 0.0, 0.99, PartStructure(ties))
    assert choice.model == "first_order+tied_lasso"
    fits = choice.candidates
    ours = r2(truth, fits["first_order+tied_lasso"].predict(test))
    assert ours > r2(truth, fits["first_order_lasso"].predict(test)) + 0.03
    assert abs(choice.scores["first_order+tied_lasso"] - ours) < 0.03
    (fit, _, residuals), raw = tied_lasso(masks, values, ties)
    assert raw.shape == (600 + len(ties),) and residuals.shape == values.shape
    group = int(np.argmax([abs(raw[600 + t]) for t in range(len(ties))]))
    for i in ties[group]:
        assert fit[(int(i),)] == pytest.approx(raw[int(i)] + raw[600 + group])
    again, _, _ = tied_adaptive_lasso(masks, values, ties, raw)
    assert r2(truth, again.predict(test)) > ours  # less shrinkage of the shared slopes
    assert tied_adaptive_lasso(masks, values, ties, np.zeros_like(raw)) is None


def test_the_tied_alternatives_need_repeated_keys():
    keys, _, masks, values, _, _ = repeated_words(100, 60, 0)
    wrong = ablatio.Interactions([(), (0, 1)], [0.0, 1.0], n_players=100)
    names = ("first_order+tied_lasso", "first_order+tied_adaptive_lasso")
    assert fit_alternatives(masks, values, wrong, names) == {}
    fitted = fit_alternatives(masks, values, wrong, names, PartStructure(tied_groups(keys)))
    assert set(fitted) == set(names)


def test_the_tied_lasso_takes_product_terms_beside_its_tied_columns():
    """With ``terms``, the surrogate is the tied first order plus one Möbius term per product,
    and predicts exactly what its columns' coefficients do."""
    keys, _, masks, values, _, _ = repeated_words(60, 200, 1)
    ties = tied_groups(keys)
    values = values + 2.0 * (masks[:, 3] & masks[:, 4])
    (fit, _, _), raw = tied_lasso(masks, values, ties, [(3, 4)])
    assert raw.shape == (60 + len(ties) + 1,)
    assert fit[(3, 4)] == pytest.approx(raw[-1])
    assert fit[(3, 4)] > 1.5
    counts = np.column_stack([masks[:, g].sum(axis=1) for g in ties])
    columns = np.column_stack([masks, counts, masks[:, 3] & masks[:, 4]]).astype(float)
    np.testing.assert_allclose(fit.predict(masks) - fit[()], columns @ raw, atol=1e-9)
    again, _, _ = tied_adaptive_lasso(masks, values, ties, raw, [(3, 4)])
    assert again[(3, 4)] > 1.5  # the adaptive stage keeps the product term


def test_adjacent_pairs_are_the_hubs_and_the_neighbours_of_kept_parts():
    first = ablatio.Interactions([(), (2,), (5,), (9,)], [1.0, 0.5, -3.0, 0.2], n_players=10)
    hub = [(2, 5), (5, 9)]
    assert hub_pairs(first) == hub
    neighbours = [(1, 2), (2, 3), (4, 5), (5, 6), (8, 9)]
    assert adjacent_pairs(first) == sorted(hub + neighbours)
    assert adjacent_pairs(ablatio.Interactions([()], [1.0], n_players=4)) == []


@pytest.mark.parametrize("seed", [0, 1])
def test_a_long_ordered_game_gets_the_adjacent_lasso_in_place_of_the_hub_lasso(seed):
    """800 ordered parts (the 3-window's 2394 pairs are more than ``MAX_LOCAL_PAIRS``), 400
    ablations: 15 valued words each flipped by the part just before it. First order and the
    hub's pairs miss the modifiers; the lasso over the adjacent pairs of the kept words recovers
    the game, and its adaptive stage shrinks the slopes less. Shorter or unordered games keep
    the hub lasso (and the windows)."""
    masks, values, test, truth = local_phrases(800, 400, 15, seed, reach=1)
    wrong = ablatio.Interactions([(), (0, 1)], [0.0, 1.0], n_players=800)
    fits = fit_alternatives(masks, values, wrong, structure=PartStructure(ordered=True))
    assert ADJACENT in fits
    assert "first_order+hub_lasso" not in fits
    assert not set(LOCAL) & set(fits)  # too many pairs for the windows
    adjacent = r2(truth, fits[ADJACENT][0].predict(test))
    assert adjacent > 0.9
    assert r2(truth, fits[ADJACENT_ADAPTIVE][0].predict(test)) > adjacent
    assert r2(truth, fits["first_order_lasso"][0].predict(test)) < 0.7
    unordered = fit_alternatives(masks, values, wrong)
    assert not {ADJACENT, ADJACENT_ADAPTIVE} & set(unordered)
    assert "first_order+hub_lasso" in unordered
    short = local_phrases(300, 400, 15, seed, reach=1)[:2]
    fits = fit_alternatives(*short, wrong, structure=PartStructure(ordered=True))
    assert ADJACENT not in fits
    assert {"first_order+hub_lasso", "first_order+local3_lasso"} <= set(fits)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 100, 684, 685, 2048])
def test_the_count_of_window_pairs_matches_the_pairs(n):
    assert _too_many_local_pairs(n) == (len(local_pairs(n, 3)) > MAX_LOCAL_PAIRS)


def test_local_pairs_are_the_parts_at_most_window_positions_apart():
    assert local_pairs(5, 2) == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3), (2, 4), (3, 4)]
    assert local_pairs(3, 8) == [(0, 1), (0, 2), (1, 2)]
    assert local_pairs(1, 3) == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nearby_parts_of_an_ordered_game_interact_in_the_local_lasso(seed):
    """300 ordered parts, 400 ablations: 15 valued words, each flipped by a modifier one to
    three positions before it ("not good"). First order explains about 0.4 of the variance
    and the hub's pairs find one modifier at most; the lasso over the pairs at most 3 apart
    recovers the game (R² > 0.97 on fresh masks), wins the best-of stage and scores itself
    within 0.02 of that."""
    masks, values, test, truth = local_phrases(300, 400, 15, seed)
    wrong = ablatio.Interactions([(), (0, 1)], [0.0, 1.0], n_players=300)
    choice = choose(masks, values, wrong, 0.0, 0.99, PartStructure(ordered=True))
    assert choice.model == "first_order+local3_lasso"
    fits = choice.candidates
    ours = r2(truth, fits["first_order+local3_lasso"].predict(test))
    assert ours > 0.97
    assert r2(truth, fits["first_order+hub_lasso"].predict(test)) < 0.7
    assert abs(choice.scores["first_order+local3_lasso"] - ours) < 0.02


@pytest.mark.parametrize("seed", [0, 1])
def test_the_decoded_local_lasso_joins_the_decoded_interactions_to_the_nearby_pairs(seed):
    """200 ordered parts, 600 ablations: the local phrases of the test above plus six pairs of
    parts 50-90 positions apart, which the decoded answer found and no window holds. The local
    lasso misses the distant pairs, the decoded lasso the nearby ones; the lasso over both
    recovers the game."""
    masks, values, test, truth = local_phrases(200, 600, 10, seed)
    rng = np.random.default_rng(100 + seed)
    starts = rng.choice(100, 6, replace=False)
    far = [(int(i), int(i + 50 + j)) for i, j in zip(starts, rng.integers(0, 40, 6), strict=True)]
    strength = 2.0 * rng.normal(size=6)

    def distant(m):
        return sum(c * (m[:, i] & m[:, j]) for (i, j), c in zip(far, strength, strict=True))

    values, truth = values + distant(masks), truth + distant(test)
    decoded = ablatio.Interactions([(), *far], [0.0, *strength], n_players=200)
    choice = choose(masks, values, decoded, 0.0, 0.99, PartStructure(ordered=True))
    fits = choice.candidates
    both = r2(truth, fits["first_order+decoded+local3_lasso"].predict(test))
    assert both > 0.97
    assert both > r2(truth, fits["first_order+local3_lasso"].predict(test)) + 0.05
    assert both > r2(truth, fits["first_order+decoded_lasso"].predict(test)) + 0.05
    assert choice.scores["first_order+decoded+local3_lasso"] <= 0.0  # capped at the decoded's
    # its adaptive stage reweights the columns it kept, and is capped alike
    adaptive = fits["first_order+decoded+local3_adaptive_lasso"]
    base = fits["first_order+decoded+local3_lasso"]

    def kept(fit):
        return {t for t, c in zip(fit.terms, fit.coefficients, strict=True) if c}

    assert kept(adaptive) <= kept(base) | {()}
    assert r2(truth, adaptive.predict(test)) > 0.97
    assert choice.scores["first_order+decoded+local3_adaptive_lasso"] <= 0.0


def test_the_local_alternatives_need_ordered_parts():
    masks, values, _, _ = local_phrases(60, 100, 5, 0)
    wrong = ablatio.Interactions([(), (0, 1)], [0.0, 1.0], n_players=60)
    names = tuple(LOCAL)
    assert fit_alternatives(masks, values, wrong, names) == {}
    fitted = fit_alternatives(masks, values, wrong, names, PartStructure(ordered=True))
    assert set(fitted) == set(names)
    for name, window in LOCAL.items():
        pairs = [t for t in fitted[name][0].terms if len(t) == 2]
        assert all(0 < j - i <= window for i, j in pairs)


def test_a_local_lasso_with_too_many_pairs_is_skipped():
    masks, values, _, _ = local_phrases(600, 40, 5, 0)  # 1797 pairs within 3, 4764 within 8
    wrong = ablatio.Interactions([(), (0, 1)], [0.0, 1.0], n_players=600)
    fitted = fit_alternatives(masks, values, wrong, tuple(LOCAL), PartStructure(ordered=True))
    assert len(local_pairs(600, 8)) > MAX_LOCAL_PAIRS >= len(local_pairs(600, 3))
    assert set(fitted) == {"first_order+local3_lasso", "first_order+decoded+local3_lasso"}


def test_the_structure_of_a_game_is_its_tied_keys_and_its_order():
    game = ablatio.Game(lambda m: m.sum(axis=1) * 1.0, 4, part_keys=["a", "b", "a", "c"])
    structure = PartStructure.of(game)
    assert [g.tolist() for g in structure.ties] == [[0, 2]] and structure.ordered is False
    assert PartStructure.of(ablatio.Game(lambda m: m[:, 0] * 1.0, 2, ordered=True)).ordered


def test_the_hub_is_the_largest_slope_and_pairs_with_every_other_kept_part():
    first = ablatio.Interactions(
        [(), (1,), (3,), (4,), (5,)], [2.0, 0.5, -4.0, 0.0, 4.0], n_players=6
    )
    assert hub_pairs(first) == [(1, 3), (3, 5)]  # a tie goes to the lower index; 4 was dropped
    assert hub_pairs(ablatio.Interactions([(), (2,)], [1.0, 3.0], n_players=6)) == []
