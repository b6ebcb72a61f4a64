from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ablatio.backends.encoders import TorchClassifier, TorchEncoder  # noqa: E402
from ablatio.exceptions import ParameterError  # noqa: E402


def test_encoder_mean_and_cls_pooling(tiny_bert_config, bert_tokenizer):
    from transformers import BertModel

    torch.manual_seed(4)
    model = BertModel(tiny_bert_config).eval()
    texts = ["one", "two words here"]
    enc = bert_tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        states = model(**enc).last_hidden_state
    mean = TorchEncoder(model, bert_tokenizer, normalize=False, batch_size=1)(texts)
    n_tok = enc["attention_mask"].sum(1, keepdim=True)
    expected = (states * enc["attention_mask"][..., None]).sum(1) / n_tok
    np.testing.assert_allclose(mean, expected.numpy(), rtol=1e-4, atol=1e-6)
    cls = TorchEncoder(model, bert_tokenizer, pooling="cls", normalize=False)(texts)
    np.testing.assert_allclose(cls, states[:, 0].numpy(), rtol=1e-4, atol=1e-6)


def test_classifier_logits_are_batched_consistently(tiny_bert_config, bert_tokenizer):
    from transformers import BertForSequenceClassification

    torch.manual_seed(5)
    model = BertForSequenceClassification(tiny_bert_config)
    texts = ["one", "two words here", "three"]
    one = TorchClassifier(model, bert_tokenizer, batch_size=1)(texts)
    many = TorchClassifier(model, bert_tokenizer, batch_size=3)(texts)
    np.testing.assert_allclose(one, many, rtol=1e-4, atol=1e-6)
    assert one.shape == (3, 3)
    with pytest.raises(ParameterError, match="pooling"):
        TorchEncoder(model, bert_tokenizer, pooling="max")


def test_packed_scoring_matches_the_model_and_follows_weight_changes(
    tiny_bert_config, bert_tokenizer
):
    from transformers import BertModel

    from ablatio.backends._packed import PackedLinear

    torch.manual_seed(6)
    model = BertModel(tiny_bert_config).eval()
    texts = ["a much longer text with many more words in it", "one", "two words", "x y z w"]
    packed = TorchEncoder(model, bert_tokenizer, batch_size=2)
    plain = TorchEncoder(model, bert_tokenizer, batch_size=2, packed=False)
    singly = np.concatenate([plain([t]) for t in texts])  # no padding, input order
    np.testing.assert_allclose(packed(texts), singly, rtol=0, atol=1e-5)
    np.testing.assert_allclose(plain(texts), singly, rtol=0, atol=1e-5)
    assert any(isinstance(m, PackedLinear) for m in packed._scoring_model().modules())
    assert plain._scoring_model() is model
    assert not any(isinstance(m, PackedLinear) for m in model.modules())  # untouched
    assert packed.fingerprint() == plain.fingerprint()  # same values up to rounding
    with torch.no_grad():
        model.pooler.dense.weight.zero_()  # not used by mean pooling
        model.encoder.layer[0].output.dense.weight.mul_(2.0)
    np.testing.assert_allclose(packed(texts), plain(texts), rtol=0, atol=1e-5)
    assert np.abs(packed(texts) - singly).max() > 1e-3  # the copy was rebuilt
    assert packed([]).shape == (0, 0)
    packed.packed = False
    assert packed._scoring_model() is model
    as_array = np.array(texts, dtype=object)  # any sequence of strings
    np.testing.assert_allclose(packed(as_array), packed(texts), rtol=0, atol=1e-6)
