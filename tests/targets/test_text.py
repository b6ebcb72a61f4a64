from __future__ import annotations

import itertools

import numpy as np
import pytest

import ablatio
from ablatio.exceptions import ParameterError, ValueFunctionError
from ablatio.targets.text import ClassifierTarget, EmbeddingTarget, ScoreTarget


def _all_masks(n):
    return np.array(list(itertools.product([0, 1], repeat=n)), dtype=bool)


def _count_words(texts):
    return [float("not" in t.split()) * 2.0 + float("bad" in t.split()) for t in texts]


def test_score_target_values_and_exact_explanation():
    target = ScoreTarget("it is not bad", _count_words)
    masks = _all_masks(4)
    expected = [2.0 * m[2] + 1.0 * m[3] for m in masks]
    np.testing.assert_array_equal(target(masks), expected)
    expl = ablatio.explain(target, method="exact")
    assert expl.interactions.as_dict() == pytest.approx({(2,): 2.0, (3,): 1.0})


def test_vader_interaction_between_not_and_bad():
    vader = pytest.importorskip("ablatio.models").vader_scorer()
    target = ScoreTarget("the food was not bad", vader)
    inter = ablatio.explain(target, method="exact").interactions
    # "bad" alone is negative, "not bad" is positive: a positive pairwise synergy.
    assert inter[(4,)] < 0
    assert inter[(3, 4)] > 0


def test_fingerprint_depends_on_text_masking_and_model():
    a = ScoreTarget("it is not bad", _count_words)
    assert a.fingerprint() == ScoreTarget("it is not bad", _count_words).fingerprint()
    assert a.fingerprint() != ScoreTarget("it is not bad!", _count_words).fingerprint()
    assert a.fingerprint() != ScoreTarget("it is not bad", len).fingerprint()
    other = ScoreTarget("it is not bad", _count_words, masking="baseline", baseline="x")
    assert a.fingerprint() != other.fingerprint()


def test_score_target_checks_output_length():
    target = ScoreTarget("a b", lambda texts: [1.0])
    with pytest.raises(ValueFunctionError, match="1 values for 2 texts"):
        target(np.ones((2, 2), dtype=bool))


def test_classifier_target_outputs(tiny_bert_config, bert_tokenizer):
    import torch
    from transformers import BertForSequenceClassification

    from ablatio.backends.encoders import TorchClassifier

    torch.manual_seed(1)
    clf = TorchClassifier(BertForSequenceClassification(tiny_bert_config), bert_tokenizer)
    text = "a truly wonderful day"
    masks = _all_masks(4)[:7]
    prob = ClassifierTarget(text, clf, label=2)
    logit = ClassifierTarget(text, clf, label=2, output="logit")
    odds = ClassifierTarget(text, clf, label=2, output="log_odds")
    z = clf(prob.texts(masks))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(prob(masks), p[:, 2], rtol=1e-10)
    np.testing.assert_allclose(logit(masks), z[:, 2], rtol=1e-10)
    np.testing.assert_allclose(odds(masks), np.log(p[:, 2] / (1 - p[:, 2])), rtol=1e-8)
    assert ClassifierTarget(text, clf).label == int(np.argmax(clf([text])[0]))
    with pytest.raises(ParameterError, match="3 classes"):
        ClassifierTarget(text, clf, label=3)
    with pytest.raises(ParameterError, match="output"):
        ClassifierTarget(text, clf, output="margin")


def test_embedding_target_full_text_is_one_and_query(tiny_bert_config, bert_tokenizer):
    import torch
    from transformers import BertModel

    from ablatio.backends.encoders import TorchEncoder

    torch.manual_seed(2)
    enc = TorchEncoder(BertModel(tiny_bert_config), bert_tokenizer, batch_size=2)
    target = EmbeddingTarget("cats chase small mice", enc)
    masks = _all_masks(4)[1:]
    values = target(masks)
    assert values[-1] == pytest.approx(1.0)
    assert np.all(values <= 1.0 + 1e-9)
    e = enc(target.texts(masks))
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, rtol=1e-6)
    query = EmbeddingTarget("cats chase small mice", enc, query="dogs")
    q = enc(["dogs"])[0]
    np.testing.assert_allclose(query(masks), e @ q, rtol=1e-6)
    assert query.fingerprint() != target.fingerprint()


def test_two_levels_make_words_the_players_and_record_sentences():
    from ablatio.targets.text import ScoreTarget

    target = ScoreTarget("Bad plot. Great cast and music.", lambda t: [len(s) for s in t],
                         unit=("sentences", "words"))  # fmt: skip
    assert target.n_players == 6 and target.groups == ((0, 1), (2, 3, 4, 5))
    assert target.coarse_segments.parts == ("Bad plot.", "Great cast and music.")
    plain = ScoreTarget("Bad plot. Great cast and music.", len)
    assert plain.groups is None and plain.coarse_segments is None
