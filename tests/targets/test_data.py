"""Tests of the training-data target: retraining values, fallback, grouping, cache, parallelism."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import ablatio
from ablatio import Game
from ablatio.exceptions import ParameterError
from ablatio.methods.exact import all_masks
from ablatio.targets.data import DataTarget, kmeans_groups


@pytest.fixture(scope="module")
def blobs() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    y = np.repeat(np.arange(3), 12)
    X = centers[y] + rng.normal(scale=0.7, size=(36, 2))
    X_test = centers + 0.2
    return X, y, X_test, np.arange(3)


def _groups(y: np.ndarray) -> list[np.ndarray]:
    """Two groups per class (6 parts)."""
    return [np.flatnonzero(y == c)[half::2] for c in range(3) for half in range(2)]


def test_value_is_the_retrained_models_margin(blobs):
    X, y, X_test, y_test = blobs
    est = LogisticRegression(max_iter=500)
    target = DataTarget(X, y, X_test, y_test, estimator=est, groups=_groups(y))
    mask = np.array([[True, False, True, True, False, True]])
    rows = np.concatenate([_groups(y)[k] for k in (0, 2, 3, 5)])
    logp = np.log(LogisticRegression(max_iter=500).fit(X[rows], y[rows]).predict_proba(X_test))
    others = np.where(np.eye(3, dtype=bool), -np.inf, logp).max(axis=1)
    expected = np.mean(logp[np.arange(3), y_test] - others)
    np.testing.assert_allclose(target(mask), [expected])
    assert target.n_fallbacks == 0


def test_unfittable_subsets_use_the_documented_prior(blobs):
    X, y, X_test, y_test = blobs
    target = DataTarget(
        X, y, X_test, y_test, estimator=LogisticRegression(), groups=_groups(y), score="log_proba"
    )
    empty = np.zeros((1, 6), dtype=bool)
    one_class = np.array([[True, True, False, False, False, False]])
    values = target(np.vstack([empty, one_class]))
    # empty: uniform 1/3; one class (12 rows of class 0): (12+1)/(12+3) for class 0, 1/15 else
    expected_one = np.mean(np.log([13 / 15, 1 / 15, 1 / 15]))
    np.testing.assert_allclose(values, [np.log(1 / 3), expected_one])
    assert target.n_fallbacks == 2


def test_missing_class_gets_floor_probability(blobs):
    X, y, X_test, y_test = blobs
    target = DataTarget(
        X, y, X_test, y_test, estimator=LogisticRegression(), groups=_groups(y), score="loss",
        proba_floor=1e-4,
    )  # fmt: skip
    value = target(np.array([[True, True, True, True, False, False]]))[0]
    assert value > -np.log(1e-4) / 3  # class-2 test point has probability 0 -> floored
    assert target.n_fallbacks == 0


def test_train_and_score_callable_recovers_planted_terms():
    X, y = np.zeros((8, 1)), np.zeros(8)

    def train_and_score(rows: np.ndarray) -> float:
        kept = set(rows.tolist())
        return 1.0 * (0 in kept) + 2.0 * (2 in kept and 5 in kept) - 0.5 * (7 in kept)

    groups = [[0, 1], [2, 3], [4, 5], [6, 7]]
    target = DataTarget(X, y, X[:1], y[:1], train_and_score=train_and_score, groups=groups)
    expl = ablatio.explain(target, method="exact")
    assert expl.interactions.as_dict() == pytest.approx({(0,): 1.0, (1, 2): 2.0, (3,): -0.5})


def test_kmeans_groups_are_pure_seeded_partitions(blobs):
    X, y, _, _ = blobs
    groups = kmeans_groups(X, 7, y=y, random_state=3)
    assert len(groups) == 7
    assert sorted(np.concatenate(groups).tolist()) == list(range(len(X)))
    assert all(len(np.unique(y[g])) == 1 for g in groups)
    again = kmeans_groups(X, 7, y=y, random_state=3)
    assert all(np.array_equal(a, b) for a, b in zip(groups, again, strict=True))
    with pytest.raises(ParameterError, match="n_groups == 2"):
        kmeans_groups(X, 2, y=y)


def test_cache_resumes_without_retraining(blobs, tmp_path):
    X, y, X_test, y_test = blobs
    make = lambda: DataTarget(  # noqa: E731
        X, y, X_test, y_test, estimator=LogisticRegression(), n_groups=6, random_state=0
    )
    masks = all_masks(6)[:20]
    with Game(make(), cache=tmp_path / "c.sqlite", batch_size=8) as game:
        first = game(masks)
    with Game(make(), cache=tmp_path / "c.sqlite") as game:
        np.testing.assert_array_equal(game(masks), first)
        assert game.n_evaluated == 0


def test_parallel_retraining_matches_serial(blobs):
    X, y, X_test, y_test = blobs
    masks = all_masks(6)[::5]
    values = [
        DataTarget(
            X, y, X_test, y_test, estimator=LogisticRegression(), groups=_groups(y), n_jobs=jobs
        )(masks)
        for jobs in (1, 2)
    ]
    np.testing.assert_allclose(values[0], values[1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "exactly one of"),
        ({"estimator": LogisticRegression(), "score": "auc"}, "score == 'auc'"),
        ({"estimator": LogisticRegression(), "groups": [[0, 1], [1, 2]]}, "overlap"),
        ({"estimator": LogisticRegression(), "groups": [[0, 99]]}, "outside"),
    ],
)
def test_bad_input_raises_clear_errors(blobs, kwargs, match):
    X, y, X_test, y_test = blobs
    with pytest.raises(ParameterError, match=match):
        DataTarget(X, y, X_test, y_test, **kwargs)


def test_unstratified_groups_for_a_callable_target(blobs):
    X, y, _, _ = blobs
    target = DataTarget(
        X, y, X[:1], y[:1], train_and_score=lambda rows: float(len(rows)), n_groups=5,
        random_state=1,
    )  # fmt: skip
    assert target.n_players == 5
    assert sum(len(g) for g in target.groups) == len(X)
    np.testing.assert_allclose(target(all_masks(5)), all_masks(5) @ [len(g) for g in target.groups])
