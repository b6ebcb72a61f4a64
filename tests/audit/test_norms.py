from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablatio.audit.controls import DEFAULT_CONTROLS
from ablatio.audit.mappers import MapperSettings
from ablatio.audit.norms import norm_decoding, norm_decoding_scores
from ablatio.exceptions import CoverageError, CoverageWarning, ParameterError

N, M, D, K = 60, 30, 40, 10


def planted(seed=0, n=N, graded=False):
    """Norms Y with exactly K features per concept and embeddings X = Y A (exactly linear)."""
    rng = np.random.default_rng(seed)
    if graded:
        Y = rng.normal(size=(n, M))
    else:
        Y = np.zeros((n, M))
        for row in Y:
            row[rng.choice(M, K, replace=False)] = rng.uniform(5, 30, K)
    X = Y @ rng.normal(size=(M, D))
    names = [f"w{i}" for i in range(n)]
    return pd.DataFrame(X, index=names), pd.DataFrame(Y, index=names)


def wide(table):
    return table.pivot(index="control", columns="metric", values="mean")


SETTINGS = MapperSettings(n_components=M)


def test_linear_map_is_decoded_perfectly_and_shuffle_is_at_chance():
    X, Y = planted()
    cats = {c: "cat" for c in X.index}
    table = norm_decoding(X, Y, mapper="plsr", folds=5, categories=cats, settings=SETTINGS,
                          n_seeds=2, controls=[*DEFAULT_CONTROLS, "shuffle_rows"])  # fmt: skip
    assert list(table.columns) == ["control", "metric", "mean", "std"]
    assert set(table["control"]) == {
        "sys", "upper", "shuffle", "shuf_upper", "rand", "taxonomy", "taxonomy_kept",
        "shuffle_rows", *(f"{c}@{k}" for c in ("upper", "shuf_upper") for k in (5, 10, 20)),
    }  # fmt: skip
    assert set(table["metric"]) == {"f1@10", "spearman", "na@10"}
    w = wide(table)
    assert w.loc["sys", "f1@10"] == pytest.approx(1.0)
    assert w.loc["sys", "na@10"] == pytest.approx(1.0)
    assert w.loc["upper", "f1@10"] == pytest.approx(1.0)
    # chance F1@10 with 10 of 30 features: predicting any 10 gives E|P ∩ G| = 10/3 hits
    for control in ("shuffle", "shuffle_rows", "taxonomy", "taxonomy_kept"):
        # one category: both taxonomy permutations are row shuffles
        assert w.loc[control, "f1@10"] == pytest.approx(1 / 3, abs=0.08)
    # random targets: density 1/3, so F1@10 is near 1/3 as well, NA@10 near 10/60
    assert w.loc["rand", "na@10"] < 0.4
    assert w.loc["shuffle", "na@10"] < 0.4


def test_taxonomy_control_recovers_category_only_targets():
    rng = np.random.default_rng(1)
    protos = np.zeros((4, M))
    for row in protos:
        row[rng.choice(M, K, replace=False)] = 1.0
    cats = np.repeat(np.arange(4), 15)
    Y = pd.DataFrame(protos[cats], index=[f"w{i}" for i in range(N)])
    X = pd.DataFrame(protos[cats] @ rng.normal(size=(M, D)) + 0.01 * rng.normal(size=(N, D)),
                     index=Y.index)  # fmt: skip
    groups = dict(zip(Y.index, cats.astype(str), strict=True))
    w = wide(norm_decoding(X, Y, folds=5, settings=SETTINGS, categories=groups))
    assert w.loc["sys", "f1@10"] == pytest.approx(1.0)
    assert w.loc["taxonomy_kept", "f1@10"] == pytest.approx(1.0)  # within-category: no change
    assert w.loc["taxonomy", "f1@10"] < 0.8  # across categories: taxonomy destroyed
    assert w.loc["shuffle", "f1@10"] < 0.8


def test_shuf_upper_is_below_upper_on_structured_norms_with_few_components():
    """Features that come in bundles (low rank): the paper's ordering of the five columns."""
    rng = np.random.default_rng(2)
    n, bundles, per = 120, 6, 8
    Y = np.zeros((n, bundles * per))
    for row in Y:
        for b in rng.choice(bundles, 2, replace=False):
            row[b * per : (b + 1) * per] = rng.uniform(5, 30)
    X = Y @ rng.normal(size=(Y.shape[1], 20)) + 5 * rng.normal(size=(n, 20))
    names = [f"w{i}" for i in range(n)]
    table = norm_decoding(pd.DataFrame(X, index=names), pd.DataFrame(Y, index=names), folds=5,
                          categories={c: "a" for c in names}, upper_components=(2, 6),
                          settings=MapperSettings(n_components=6), n_seeds=2)  # fmt: skip
    w = wide(table)["f1@10"]
    assert w["rand"] < w["shuffle"] < w["shuf_upper"] < w["upper"]
    assert w["shuf_upper"] < w["upper"] - 0.2  # a row relabelling would give equality
    assert w["upper@2"] < w["upper@6"] == pytest.approx(w["upper"])  # capacity sets the ceiling


def test_graded_linear_map_spearman_and_upper_insample():
    X, Y = planted(graded=True)
    table = norm_decoding(X, Y, folds=5, upper="insample", settings=SETTINGS,
                          categories={c: "a" for c in X.index})  # fmt: skip
    w = wide(table)
    assert w.loc["sys", "spearman"] == pytest.approx(1.0)
    assert w.loc["upper", "spearman"] == pytest.approx(1.0)
    assert abs(w.loc["shuffle", "spearman"]) < 0.2
    assert abs(w.loc["rand", "spearman"]) < 0.2


def test_ffnn_learns_the_planted_map_better_than_shuffle():
    X, Y = planted(graded=True)
    table = norm_decoding(X, Y, mapper="ffnn", folds=5, controls=["sys", "shuffle"])
    w = wide(table)
    assert w.loc["sys", "spearman"] > 0.5
    assert w.loc["sys", "spearman"] > w.loc["shuffle", "spearman"] + 0.4


def test_deterministic_per_seed():
    X, Y = planted()
    kw = dict(folds=5, controls=["sys", "shuffle", "rand"], settings=SETTINGS)
    a = norm_decoding_scores(X, Y, random_state=3, **kw)
    b = norm_decoding_scores(X, Y, random_state=3, **kw)
    pd.testing.assert_frame_equal(a, b)


def test_missing_concepts_warn_and_report_coverage():
    X, Y = planted()
    with pytest.warns(CoverageWarning, match="5 of 60"):
        table = norm_decoding(X.iloc[5:], Y, folds=5, controls=["sys"], settings=SETTINGS)
    assert table.attrs["coverage"] == pytest.approx(55 / 60)
    assert table.attrs["dropped"] == [f"w{i}" for i in range(5)]


def test_low_coverage_and_too_few_concepts_fail_clearly():
    X, Y = planted()
    with pytest.raises(CoverageError, match="only 20 of 60"):
        norm_decoding(X.iloc[:20], Y, folds=5)
    X, Y = planted(n=15)
    with pytest.raises(CoverageError, match="folds=10 needs at least 20"):
        norm_decoding(X, Y, folds=10)
    with pytest.raises(ParameterError, match="folds"):
        norm_decoding(X, Y, folds=1)
    with pytest.raises(ParameterError, match="mapper"):
        norm_decoding(X, Y, mapper="svm")
    with pytest.raises(ParameterError, match="unknown"):
        norm_decoding(X, Y, controls=["sys", "oracle"])


def published_shape(n, m, cells, seed):
    """Synthetic norms of a published shape (cells=None: dense ratings) and 300-d embeddings."""
    rng = np.random.default_rng(seed)
    if cells is None:
        Y = np.clip(rng.normal(2.5, 1.5, (n, m)), 0, 6)
    else:
        Y = np.zeros((n, m))
        Y[rng.integers(0, n, cells), rng.integers(0, m, cells)] = rng.integers(5, 31, cells)
        Y[np.arange(n), rng.integers(0, m, n)] = 7.0  # every concept has a feature
    X = Y @ rng.normal(size=(m, 300)) / np.sqrt(m) + 2.0 * rng.normal(size=(n, 300))
    names = [f"c{i}" for i in range(n)]
    return pd.DataFrame(X, index=names), pd.DataFrame(Y, index=names)


@pytest.mark.parametrize(("n", "m", "cells"), [(541, 2526, 7259), (535, 65, None)])
def test_fast_routes_score_like_the_dense_reference(monkeypatch, n, m, cells):
    # McRae and Binder shapes, every control: sparse norms, X := Y as principal components and
    # Spearman from the gold non-zeros give the scores of dense tables, PLSR's general route
    # for X := Y and full rankings
    from ablatio.audit import norm_metrics, norms, pls

    X, Y = published_shape(n, m, cells, seed=n)
    kw = dict(folds=3, controls=[*DEFAULT_CONTROLS, "shuffle_rows"],
              categories={c: f"k{i % 20}" for i, c in enumerate(X.index)})  # fmt: skip
    fast = norm_decoding_scores(X, Y, **kw)
    monkeypatch.setattr(norms, "SPARSE_DENSITY", -1.0)  # keep every table dense
    monkeypatch.setattr(pls, "_same", lambda X, Y: False)  # X := Y through the general route
    monkeypatch.setattr(norm_metrics, "_SPARSE_DENSITY", -1.0)  # rank whole rows
    reference = norm_decoding_scores(X, Y, **kw)
    pd.testing.assert_frame_equal(fast, reference, check_exact=False, rtol=0, atol=1e-9)


def test_shared_ffnn_preprocessing_changes_no_score(monkeypatch):
    from ablatio.audit import mappers

    X, Y = planted()
    kw = dict(mapper="ffnn", folds=3, controls=["sys", "upper", "shuffle", "rand"],
              settings=MapperSettings(max_iter=3, max_rank=8))  # fmt: skip
    shared = norm_decoding_scores(X, Y, **kw)
    monkeypatch.setattr(mappers, "_memoised", lambda memo, key, compute: compute())
    pd.testing.assert_frame_equal(shared, norm_decoding_scores(X, Y, **kw))
