from __future__ import annotations

import numpy as np
import pytest

from ablatio.audit.controls import (
    CONTROLS,
    permute_across_groups,
    permute_within_groups,
    random_like,
    upper_controls,
)
from ablatio.exceptions import ParameterError

GROUPS = np.array(list("aaabbbbcc"))


def test_permute_within_groups_keeps_groups():
    rng = np.random.default_rng(0)
    for _ in range(20):
        perm = permute_within_groups(GROUPS, rng)
        assert sorted(perm) == list(range(GROUPS.size))
        assert (GROUPS[perm] == GROUPS).all()


def test_permute_across_groups_changes_groups():
    rng = np.random.default_rng(1)
    for _ in range(20):
        perm = permute_across_groups(GROUPS, rng)
        assert sorted(perm) == list(range(GROUPS.size))
        assert (GROUPS[perm] != GROUPS).all()


def test_random_like_keeps_density_and_values():
    rng = np.random.default_rng(2)
    target = np.zeros((200, 100))
    target[rng.random(target.shape) < 0.05] = rng.choice([5.0, 10.0, 30.0], size=1)
    out = random_like(target, rng)
    assert out.shape == target.shape
    assert (out != 0).mean() == pytest.approx(0.05, abs=0.005)
    assert set(np.unique(out[out != 0])) <= set(np.unique(target[target != 0]))


def test_controls_build_what_they_say():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(9, 4)), rng.normal(size=(9, 3))
    assert CONTROLS["sys"].build(X, Y, GROUPS, rng)[:2] == (X, Y)
    _, rows, fit = CONTROLS["shuffle_rows"].build(X, Y, GROUPS, rng)
    assert fit == "cv" and sorted(map(tuple, rows)) == sorted(map(tuple, Y))
    X_up, Y_up, _ = upper_controls("identity")["upper"].build(X, Y, GROUPS, rng)
    assert np.array_equal(X_up, Y) and np.array_equal(Y_up, Y)
    X_su, Y_su, _ = upper_controls("identity")["shuf_upper"].build(X, Y, GROUPS, rng)
    assert np.array_equal(X_su, Y_su) and not np.array_equal(Y_su, Y)
    # the upper bound is fitted on a *different table*, not on relabelled rows
    assert sorted(map(tuple, Y_su)) != sorted(map(tuple, Y))
    _, kept, _ = CONTROLS["taxonomy_kept"].build(X, Y, GROUPS, rng)
    _, destroyed, _ = CONTROLS["taxonomy"].build(X, Y, GROUPS, rng)
    source = {tuple(row): g for row, g in zip(Y, GROUPS, strict=True)}
    assert [source[tuple(r)] for r in kept] == list(GROUPS)
    assert all(source[tuple(r)] != g for r, g in zip(destroyed, GROUPS, strict=True))
    assert upper_controls("insample")["upper"].build(X, Y, GROUPS, rng)[2] == "insample"
    with pytest.raises(ParameterError, match="upper"):
        upper_controls("oracle")


def test_shuffle_permutes_each_column_independently():
    rng = np.random.default_rng(4)
    Y = (rng.random((200, 6)) < 0.3) * rng.integers(5, 31, (200, 6))
    Y[:, 1] = Y[:, 0]  # two features that always co-occur
    _, shuffled, fit = CONTROLS["shuffle"].build(Y, Y.astype(float), np.zeros(200), rng)
    assert fit == "cv"
    for j in range(6):  # every feature keeps its values, hence its frequency
        assert sorted(shuffled[:, j]) == sorted(Y[:, j])
    assert not np.array_equal(shuffled[:, 0], shuffled[:, 1])  # co-occurrence destroyed
    assert sorted(map(tuple, shuffled)) != sorted(map(tuple, Y))


def test_single_category_taxonomy_still_moves_every_row():
    rng = np.random.default_rng(5)
    perm = permute_across_groups(np.zeros(7), rng)
    assert sorted(perm) == list(range(7)) and (perm != np.arange(7)).all()


def test_controls_on_sparse_norms_equal_the_dense_ones():
    from scipy import sparse

    rng = np.random.default_rng(6)
    Y = (rng.random((120, 40)) < 0.08) * rng.integers(5, 31, (120, 40)).astype(float)
    X = rng.normal(size=(120, 5))
    groups = np.array(list("abcd") * 30)
    table = {**CONTROLS, **upper_controls("identity")}
    for name, control in table.items():
        X_d, Y_d, fit_d = control.build(X, Y, groups, np.random.default_rng(7))
        X_s, Y_s, fit_s = control.build(X, sparse.csr_matrix(Y), groups, np.random.default_rng(7))
        assert sparse.issparse(Y_s) and fit_s == fit_d, name
        np.testing.assert_array_equal(Y_s.toarray(), Y_d, err_msg=name)
        X_s = X_s.toarray() if sparse.issparse(X_s) else X_s
        np.testing.assert_array_equal(X_s, X_d, err_msg=name)
