"""The public entry point ``ablatio.explain``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import ablatio
from ablatio.exceptions import BudgetTooSmallError, ParameterError


def test_documented_call_works():
    game = ablatio.sparse_and_game(8, 5, 3, random_state=0)
    expl = ablatio.explain(game, 8, method="exact", budget=None, max_order=3, random_state=0)
    masks = np.random.default_rng(0).random((10, 8)) < 0.5
    assert expl.predict(masks).shape == (10,)
    assert expl.n_queries == 256
    assert expl.interactions.allclose(game.true_interactions, atol=1e-10)


def test_plain_function_with_names_and_cache(tmp_path):
    def fn(m):  # a def function: its code is its cache identity (a lambda needs name/version)
        return 2.0 * m[:, 0] * m[:, 2] - m[:, 1]

    expl = ablatio.explain(fn, 3, feature_names=["a", "b", "c"], cache=tmp_path / "c.sqlite")
    assert expl.interactions[(0, 2)] == pytest.approx(2.0)
    assert expl.interactions.feature_names == ("a", "b", "c")
    assert "a × c" in repr(expl)


def test_errors_are_clear():
    fn = lambda m: m.sum(axis=1).astype(float)  # noqa: E731
    with pytest.raises(ParameterError, match="choose one of"):
        ablatio.explain(fn, 3, method="magic")
    with pytest.raises(ParameterError, match="no option 'depth'"):
        ablatio.explain(fn, 3, options={"depth": 2})
    with pytest.raises(BudgetTooSmallError, match="budget=4 < 8"):
        ablatio.explain(fn, 3, budget=4)
    with pytest.raises(ParameterError, match="n == 0"):
        ablatio.explain(fn, 0)


def test_same_seed_identical_across_processes():
    code = (
        "import ablatio;"
        "g=ablatio.sparse_and_game(10,6,3,noise_sd=0.3,random_state=4);"
        "e=ablatio.explain(g,method='exact',max_order=2,random_state=0);"
        "print(e.interactions.coefficients.tobytes().hex(), e.interactions.terms)"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }
    assert len(runs) == 1


def test_tiny_game_keeps_its_terms_with_spex():
    """Issue #16: a game of scale 1e-12 came back empty from SPEX (absolute cuts)."""
    game = ablatio.sparse_parity_game(20, n_terms=10, max_order=3, random_state=0)
    unit = ablatio.explain(game, method="spex", budget=1000, random_state=0)
    tiny = ablatio.explain(
        ablatio.Game(lambda m: 1e-12 * game(m), 20), method="spex", budget=1000, random_state=0
    )
    assert len(unit.interactions) > 1
    assert tiny.interactions.allclose(unit.interactions.scale(1e-12), atol=1e-21)
    assert len(tiny.interactions) == len(unit.interactions)


def test_small_effects_on_a_large_offset_are_kept():
    """Issue #16: Exact cut at 1e-10·max|f| returned Shapley values [0, 0, 0] here."""

    def fn(m):
        return 1e6 + 1e-5 * (m[:, 0] & m[:, 1]) + 3e-5 * m[:, 2]

    phi = ablatio.explain(fn, 3).interactions.shapley_values()
    np.testing.assert_allclose(phi, [5e-6, 5e-6, 3e-5], rtol=1e-4)


def test_default_max_order_is_capped_at_n():
    """Issue #16: explain(fn, 2, method="spex") raised max_order == 3 > n == 2."""
    expl = ablatio.explain(lambda m: 1.0 + m[:, 0] * m[:, 1], 2, method="spex", random_state=0)
    assert expl.interactions.allclose(ablatio.Interactions([(), (0, 1)], [1.0, 1.0], n_players=2))
    with pytest.raises(ParameterError, match="max_order == 3 > n == 2"):
        ablatio.explain(lambda m: m[:, 0] * 1.0, 2, method="spex", max_order=3)


def test_game_settings_are_applied_or_refused(tmp_path):
    """Issue #16: feature_names and cache were silently ignored for an existing Game."""
    game = ablatio.Game(ablatio.sparse_and_game(3, 2, 2, random_state=0))
    expl = ablatio.explain(game, feature_names=["a", "b", "c"])
    assert expl.interactions.feature_names == ("a", "b", "c")
    with pytest.raises(ParameterError, match="cache= is a Game setting"):
        ablatio.explain(game, cache=tmp_path / "c.sqlite")
    with pytest.raises(ParameterError, match="part_keys= is a Game setting"):
        ablatio.explain(game, part_keys=["a", "a", "b"])
    with pytest.raises(ParameterError, match="part_keys= is a Game setting"):
        ablatio.explain(game, part_keys=False)
    with pytest.raises(ParameterError, match="ordered= is a Game setting"):
        ablatio.explain(game, ordered=True)


def test_part_keys_reach_the_game():
    seen = []

    def fn(masks):
        return masks.sum(axis=1).astype(float)

    class Spy(ablatio.Exact):
        def _fit(self, game, rng):
            seen.append(game.part_keys)
            return super()._fit(game, rng)

    ablatio.explain(fn, 3, method=Spy(), part_keys=["x", "y", "x"])
    assert seen == [("x", "y", "x")]

    class Keyed:
        n_players, part_keys = 3, ("x", "y", "x")

        def __call__(self, masks):
            return fn(masks)

    ablatio.explain(Keyed(), method=Spy(), part_keys=False)  # the target's keys, turned off
    assert seen[-1] is None


def test_order_reaches_the_game():
    seen = []

    class Spy(ablatio.Exact):
        def _fit(self, game, rng):
            seen.append(game.ordered)
            return super()._fit(game, rng)

    ablatio.explain(lambda m: m.sum(axis=1) * 1.0, 3, method=Spy(), ordered=True)
    ablatio.explain(lambda m: m.sum(axis=1) * 1.0, 3, method=Spy())
    assert seen == [True, False]


@pytest.mark.parametrize("method", ["spex", "proxyspex", "kernelshap"])
def test_seed_sequence_is_accepted(method):
    """Issue #16: a SeedSequence accepted by the seed helper was refused by methods."""
    game = ablatio.sparse_and_game(6, 3, 2, random_state=0)
    runs = [
        ablatio.explain(game, method=method, budget=64, random_state=np.random.SeedSequence(5))
        for _ in range(2)
    ]
    assert runs[0].interactions == runs[1].interactions


def test_explanation_reports_the_held_out_estimate():
    game = ablatio.sparse_parity_game(24, n_terms=5, max_order=2, random_state=1)
    expl = ablatio.explain(game, method="spex", budget=2000, max_order=2, random_state=0)
    assert expl.holdout_r2 > 0.999 and expl.warnings == ()
