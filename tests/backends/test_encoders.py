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
