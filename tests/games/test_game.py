"""Game: batching, de-duplication, counting, validation, normalisation, progress."""

from __future__ import annotations

import numpy as np
import pytest

from ablatio import Game
from ablatio.exceptions import (
    BudgetExceededError,
    EvaluationError,
    MaskError,
    NonFiniteValueError,
    ParameterError,
    ValueFunctionError,
)


class Recorder:
    def __init__(self, fn=None):
        self.calls = []
        self.fn = fn or (lambda m: m.sum(axis=1).astype(float))

    def __call__(self, masks):
        self.calls.append(masks.copy())
        return self.fn(masks)


def test_batches_deduplicates_and_counts():
    rec = Recorder()
    game = Game(rec, n=4, batch_size=2)
    masks = np.array(
        [[1, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]], dtype=bool
    )
    np.testing.assert_array_equal(game(masks), [1, 1, 2, 0, 4])
    assert [len(c) for c in rec.calls] == [2, 2]
    assert game.n_queries == 4 and game.n_evaluated == 4
    game(masks[:2])  # memoised: no new call
    assert len(rec.calls) == 2 and game.n_queries == 4


def test_int_masks_are_accepted_and_other_dtypes_rejected():
    game = Game(Recorder(), n=3)
    np.testing.assert_array_equal(game(np.array([[1, 0, 1]])), [2.0])
    with pytest.raises(MaskError, match="dtype"):
        game(np.array([[0.0, 1.0, 1.0]]))
    with pytest.raises(MaskError, match="0 and 1"):
        game(np.array([[0, 2, 1]]))
    with pytest.raises(MaskError, match=r"shape \(n_masks, 3\)"):
        game(np.ones((2, 5), dtype=bool))


@pytest.mark.parametrize(
    ("output", "error", "match"),
    [
        (lambda m: np.full(len(m), np.nan), NonFiniteValueError, "NaN or infinity"),
        (lambda m: np.r_[np.ones(len(m) - 1), np.inf], NonFiniteValueError, r"rows \[1\]"),
        (lambda m: np.ones(len(m) + 1), ValueFunctionError, "one value per mask"),
        (lambda m: np.array(["a"] * len(m)), ValueFunctionError, "real numbers"),
        (lambda m: np.ones((len(m), 2)), ValueFunctionError, "shape"),
    ],
)
def test_bad_outputs_raise_clear_errors(output, error, match):
    game = Game(output, n=3)
    with pytest.raises(error, match=match):
        game(np.array([[1, 0, 1], [0, 1, 1]], dtype=bool))


def test_list_outputs_are_accepted():
    game = Game(lambda m: [float(r.sum()) for r in m], n=2)
    np.testing.assert_array_equal(game(np.array([[1, 1], [0, 1]])), [2.0, 1.0])


def test_failing_function_is_wrapped_and_earlier_batches_kept():
    def fn(masks):
        if masks[:, 0].any():
            raise RuntimeError("model crashed")
        return np.zeros(len(masks))

    game = Game(fn, n=2, batch_size=1)
    with pytest.raises(EvaluationError, match="batch 2 of 2.*model crashed"):
        game(np.array([[0, 1], [1, 1]], dtype=bool))
    assert game.n_evaluated == 1


def test_normalize_divides_by_full_value_and_rejects_zero():
    game = Game(lambda m: 1.0 + m.sum(axis=1), n=3, normalize=True)
    np.testing.assert_allclose(game(np.array([[1, 1, 1], [0, 0, 0]])), [1.0, 0.25])
    zero = Game(lambda m: (m[:, 0] ^ m[:, 1]).astype(float), n=2, normalize=True)
    with pytest.raises(ValueFunctionError, match="full input's value is 0"):
        zero(np.array([[1, 1]]))


def test_progress_callback_and_tracker_budget():
    seen = []
    game = Game(Recorder(), n=3, batch_size=2, progress=seen.append)
    with game.track() as tracker:
        game(np.eye(3, dtype=bool))
    assert [p.done for p in seen] == [2, 3] and seen[-1].total == 3
    assert tracker.n_queries == 3
    with game.track(budget=2) as capped, pytest.raises(BudgetExceededError, match="budget of 2"):
        game(np.eye(3, dtype=bool))
    assert capped.n_queries == 0


def test_part_keys_may_repeat_come_from_the_target_and_are_checked():
    """Keys say what each part is (repeats allowed, unlike names); not part of the cache
    identity."""
    game = Game(lambda m: m.sum(1), n=3, part_keys=["good", "the", "good"])
    assert game.part_keys == ("good", "the", "good")
    assert Game(lambda m: m.sum(1), n=3).part_keys is None

    class Target:
        n_players, part_keys = 2, ("a", "a")

        def __call__(self, masks):
            return masks.sum(1)

    assert Game(Target()).part_keys == ("a", "a")
    assert Game(Target(), part_keys=["x", "y"]).part_keys == ("x", "y")
    assert Game(Target(), part_keys=False).part_keys is None  # opted out
    with pytest.raises(ParameterError, match="one key per part"):
        Game(lambda m: m.sum(1), n=3, part_keys=["a", "b"])
    with pytest.raises(ParameterError, match="strings"):
        Game(lambda m: m.sum(1), n=2, part_keys=[1, 2])
    with pytest.raises(ParameterError, match="strings"):
        Game(lambda m: m.sum(1), n=2, part_keys="ab")
    for not_keys in (True, 5):  # not iterable: a clear error, not a TypeError
        with pytest.raises(ParameterError, match="or False for none"):
            Game(lambda m: m.sum(1), n=2, part_keys=not_keys)


def test_order_comes_from_the_target_can_be_overridden_and_is_checked(tmp_path):
    """``ordered``: the parts are a sequence (text targets say so); not part of the cache
    identity."""
    from ablatio.targets.text import ScoreTarget

    target = ScoreTarget("not a bad day", lambda texts: [len(t) for t in texts])
    assert Game(target).ordered is True
    assert Game(target, ordered=False).ordered is False
    assert Game(lambda m: m.sum(1), n=3).ordered is False
    assert Game(lambda m: m.sum(1), n=3, ordered=np.bool_(True)).ordered is True
    cached = {"name": "f", "version": "1", "cache": tmp_path / "c.sqlite"}
    same = Game(lambda m: m.sum(1), n=3, **cached).fingerprint
    assert same is not None
    assert Game(lambda m: m.sum(1), n=3, ordered=True, **cached).fingerprint == same
    for not_flag in ("yes", 1, None.__class__):
        with pytest.raises(ParameterError, match="ordered must be True or False"):
            Game(lambda m: m.sum(1), n=3, ordered=not_flag)


def test_parameter_errors():
    with pytest.raises(ParameterError, match="n is required"):
        Game(lambda m: m.sum(1))
    with pytest.raises(ParameterError, match="n == 0"):
        Game(lambda m: m.sum(1), n=0)
    with pytest.raises(ParameterError, match="unique"):
        Game(lambda m: m.sum(1), n=2, feature_names=["a", "a"])
    with pytest.raises(ParameterError, match="callable"):
        Game(3, n=2)
    with pytest.raises(ParameterError, match="batch_size"):
        Game(lambda m: m.sum(1), n=2, batch_size=0)
