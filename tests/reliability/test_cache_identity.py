"""A cached value is only returned for the same question: game identity (issue 14, item 1).

Before the fix, the fingerprint of a plain function was its ``__qualname__``: two lambdas, two
partials, a redefined function or two ``ScoreTarget`` scorers shared one cache file, and game B
got game A's values back with nothing evaluated.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import ablatio
from ablatio import Game
from ablatio.exceptions import CacheMismatchError, GameIdentityError
from ablatio.targets import ClassifierTarget, DataTarget, EmbeddingTarget, ScoreTarget

N = 3
MASKS = np.array([[1, 1, 1], [0, 1, 1], [0, 0, 0]], dtype=bool)


def constant(masks, value):
    return np.full(len(masks), value)


def _first_then_second(path, first, second, **kwargs):
    """Fill the cache with game ``first``; return what game ``second`` gets (or its error)."""
    with Game(first, N, cache=path, **kwargs) as game:
        game(MASKS)
    with Game(second, N, cache=path, **kwargs) as game:
        return game(MASKS), game.n_evaluated


def test_two_lambdas_are_refused(tmp_path):
    with pytest.raises(GameIdentityError, match=r"lambda.*name= and version="):
        _first_then_second(tmp_path / "c.sqlite", lambda m: np.full(len(m), 6.0), lambda m: -10)


def test_two_lambdas_with_stated_names_get_their_own_values(tmp_path):
    path = tmp_path / "c.sqlite"
    with Game(lambda m: np.full(len(m), 6.0), N, cache=path, name="a", version="1") as game:
        game(MASKS)
    with pytest.raises(CacheMismatchError):
        Game(lambda m: np.full(len(m), -10.0), N, cache=path, name="b", version="1")
    other = tmp_path / "other.sqlite"
    with Game(lambda m: np.full(len(m), -10.0), N, cache=other, name="b", version="1") as game:
        np.testing.assert_array_equal(game(MASKS), [-10.0] * 3)


def test_lambda_with_version_but_no_name_is_refused(tmp_path):
    with pytest.raises(GameIdentityError, match="add name="):
        Game(lambda m: m.sum(1), N, cache=tmp_path / "c.sqlite", version="1")


def test_two_partials_do_not_share_values(tmp_path):
    with pytest.raises(CacheMismatchError):
        _first_then_second(
            tmp_path / "c.sqlite",
            functools.partial(constant, value=6.0),
            functools.partial(constant, value=-10.0),
        )


def test_the_same_partial_reuses_the_cache(tmp_path):
    values, n_evaluated = _first_then_second(
        tmp_path / "c.sqlite",
        functools.partial(constant, value=6.0),
        functools.partial(constant, value=6.0),
    )
    np.testing.assert_array_equal(values, [6.0] * 3)
    assert n_evaluated == 0


def test_partial_of_a_lambda_is_refused(tmp_path):
    with pytest.raises(GameIdentityError, match="lambda"):
        Game(functools.partial(lambda m, v: m.sum(1) * v, v=2), N, cache=tmp_path / "c.sqlite")


def test_closure_over_an_undescribable_object_is_refused(tmp_path):
    state = object()

    def value(masks):
        return np.full(len(masks), float(id(state) > 0))

    with pytest.raises(GameIdentityError, match="closure"):
        Game(value, N, cache=tmp_path / "c.sqlite")


def test_closures_over_different_arrays_do_not_share_values(tmp_path):
    def make(weights):
        def value(masks):
            return masks @ weights

        return value

    with pytest.raises(CacheMismatchError):
        _first_then_second(tmp_path / "c.sqlite", make(np.ones(N)), make(-np.ones(N)))


def _notebook_function(body: str):
    """Define ``value`` as a notebook cell would (same module, same name)."""
    namespace: dict[str, object] = {"np": np, "__name__": "notebook"}
    exec(f"def value(masks):\n    return {body}\n", namespace)
    return namespace["value"]


def test_redefined_function_with_other_code_is_refused(tmp_path):
    with pytest.raises(CacheMismatchError, match="another game"):
        _first_then_second(
            tmp_path / "c.sqlite",
            _notebook_function("np.full(len(masks), 6.0)"),
            _notebook_function("np.full(len(masks), -10.0)"),
        )


def test_redefined_function_with_the_same_code_reuses_the_cache(tmp_path):
    values, n_evaluated = _first_then_second(
        tmp_path / "c.sqlite",
        _notebook_function("masks.sum(axis=1) * 2.0"),
        _notebook_function("masks.sum(axis=1) * 2.0"),
    )
    np.testing.assert_array_equal(values, MASKS.sum(axis=1) * 2.0)
    assert n_evaluated == 0


def test_stated_version_reuses_the_cache_across_a_redefinition(tmp_path):
    """version= states that the values did not change: the code is then not part of the key."""
    values, n_evaluated = _first_then_second(
        tmp_path / "c.sqlite",
        _notebook_function("masks.sum(axis=1) * 2.0"),
        _notebook_function("2.0 * masks.sum(axis=1)  # refactored"),
        version="1",
    )
    np.testing.assert_array_equal(values, MASKS.sum(axis=1) * 2.0)
    assert n_evaluated == 0


def test_explain_refuses_a_lambda_and_accepts_a_stated_identity(tmp_path):
    with pytest.raises(GameIdentityError):
        ablatio.explain(lambda m: m.sum(1), N, cache=tmp_path / "c.sqlite")
    expl = ablatio.explain(
        lambda m: m.sum(1), N, cache=tmp_path / "c.sqlite", name="count", version="1"
    )
    np.testing.assert_allclose(expl.predict(MASKS), MASKS.sum(1))


TEXT = "not bad at all"
M4 = np.array([[1, 1, 1, 1], [0, 1, 1, 1]], dtype=bool)


def length(texts):
    return [len(t) for t in texts]


def minus_length(texts):
    return [-len(t) for t in texts]


def test_score_target_with_lambdas_is_refused(tmp_path):
    path = tmp_path / "c.sqlite"
    with pytest.raises(GameIdentityError, match="ScoreTarget.*score"):
        with Game(ScoreTarget(TEXT, lambda t: [len(s) for s in t]), cache=path) as game:
            game(M4)
        Game(ScoreTarget(TEXT, lambda t: [-len(s) for s in t]), cache=path)


def test_score_targets_with_different_functions_do_not_share_values(tmp_path):
    path = tmp_path / "c.sqlite"
    with Game(ScoreTarget(TEXT, length), cache=path) as game:
        game(M4)
    with pytest.raises(CacheMismatchError):
        Game(ScoreTarget(TEXT, minus_length), cache=path)


def test_score_target_lambda_with_stated_identity_is_cached(tmp_path):
    path = tmp_path / "c.sqlite"
    target = ScoreTarget(TEXT, lambda t: [len(s) for s in t])
    with Game(target, cache=path, name="length", version="1") as game:
        first = game(M4)
    with Game(target, cache=path, name="length", version="1") as game:
        np.testing.assert_array_equal(game(M4), first)
        assert game.n_evaluated == 0
    other_text = ScoreTarget("good at all", lambda t: [len(s) for s in t])
    with pytest.raises(CacheMismatchError):  # the text is still part of the identity
        Game(other_text, cache=path, name="length", version="1")


def _logits(texts):
    return np.array([[len(t), 1.0] for t in texts])


def _embed(texts):
    return np.array([[len(t), 1.0] for t in texts])


TARGETS_WITH_LAMBDAS = {
    "ScoreTarget": lambda: ScoreTarget(TEXT, lambda t: [len(s) for s in t]),
    "ClassifierTarget": lambda: ClassifierTarget(TEXT, lambda t: _logits(t)),
    "EmbeddingTarget": lambda: EmbeddingTarget(TEXT, lambda t: _embed(t)),
    "DataTarget": lambda: DataTarget(
        np.zeros((4, 1)),
        np.array([0, 1, 0, 1]),
        np.zeros((2, 1)),
        np.array([0, 1]),
        train_and_score=lambda rows: float(len(rows)),
        groups=[np.array([0, 1]), np.array([2, 3])],
    ),
}


@pytest.mark.parametrize("kind", sorted(TARGETS_WITH_LAMBDAS))
def test_targets_holding_a_lambda_are_refused(tmp_path, kind):
    target = TARGETS_WITH_LAMBDAS[kind]()
    with pytest.raises(GameIdentityError, match=kind):
        Game(target, cache=tmp_path / "c.sqlite")
    Game(target, cache=tmp_path / "c.sqlite", name=kind, version="1").close()
