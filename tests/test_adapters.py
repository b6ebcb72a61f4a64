"""Models in: tabular and text adapters return Games with names and a safe cache identity.

Text models are tiny random networks built from configs and saved to a temporary folder, so a
"Hugging Face name" here is a local path (no hub download); the tokenizers are the shipped ones.
"""

from __future__ import annotations

import numpy as np
import pytest

import ablatio
from ablatio.exceptions import CacheMismatchError, ParameterError
from ablatio.methods.exact import all_masks
from ablatio.targets import CausalLMTarget, ClassifierTarget, EmbeddingTarget, ScoreTarget

TEXT = "not bad at all"


def _linear():
    from sklearn.linear_model import LinearRegression

    X = np.random.default_rng(0).normal(size=(40, 4))
    return LinearRegression().fit(X, X @ [1.0, -2.0, 0.5, 0.0]), X


def test_tabular_game_names_cache_and_resume(tmp_path):
    pytest.importorskip("sklearn")
    model, X = _linear()
    cache = tmp_path / "run.sqlite"
    names = ["a", "b", "c", "d"]
    with ablatio.tabular_game(model, X[0], X[:8], feature_names=names, cache=cache) as game:
        first = ablatio.explain(game, method="exact")
        assert game.n_evaluated == 16
    assert list(first.shapley_values().index) == names
    with ablatio.tabular_game(model, X[0], X[:8], feature_names=names, cache=cache) as again:
        second = ablatio.explain(again, method="exact")
        assert again.n_evaluated == 0 and again.n_cached == 16
    assert second.interactions == first.interactions


def test_tabular_cache_refuses_another_model(tmp_path):
    pytest.importorskip("sklearn")
    from sklearn.linear_model import LinearRegression

    model, X = _linear()
    cache = tmp_path / "run.sqlite"
    with ablatio.tabular_game(model, X[0], X[:8], cache=cache) as game:
        game(all_masks(4))
    other = LinearRegression().fit(X, X @ [1.0, -2.0, 0.5, 1.0])
    with pytest.raises(CacheMismatchError):
        ablatio.tabular_game(other, X[0], X[:8], cache=cache)


@pytest.fixture
def saved_classifier(tmp_path, tiny_bert_config, bert_tokenizer):
    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(0)
    config = tiny_bert_config.__class__(**tiny_bert_config.to_dict())
    config.id2label = {0: "NEGATIVE", 1: "NEUTRAL", 2: "POSITIVE"}
    config.label2id = {v: k for k, v in config.id2label.items()}
    model = BertForSequenceClassification(config).eval()
    folder = tmp_path / "tiny-classifier"
    model.save_pretrained(folder)
    bert_tokenizer.save_pretrained(folder)
    return folder, model


def test_text_game_from_a_model_folder_is_a_classifier(saved_classifier):
    folder, model = saved_classifier
    game = ablatio.text_game(TEXT, str(folder), label="POSITIVE")
    assert isinstance(game.fn, ClassifierTarget) and game.fn.label == 2
    assert game.feature_names == ("0:not", "1:bad", "2:at", "3:all")
    values = game(all_masks(4)[[5, 15]])  # parts {0, 2} and all four
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    import torch

    with torch.no_grad():
        logits = model(**tok(["not at", TEXT], return_tensors="pt", padding=True)).logits
    assert np.allclose(values, torch.softmax(logits.double(), -1)[:, 2].numpy(), atol=1e-6)


def test_text_game_from_a_pipeline_matches_the_folder(saved_classifier):
    folder, _ = saved_classifier
    transformers = pytest.importorskip("transformers")
    pipe = transformers.pipeline("text-classification", model=str(folder), device="cpu")
    by_pipe = ablatio.text_game(TEXT, pipe, label="NEGATIVE")
    by_name = ablatio.text_game(TEXT, folder, label=0)
    masks = all_masks(4)
    assert np.allclose(by_pipe(masks), by_name(masks), atol=1e-6)
    assert by_pipe.fingerprint == by_name.fingerprint  # same weights, same value definition


def test_text_game_detects_causal_lms_and_encoders(tmp_path, tiny_llama, smol_tokenizer):
    tiny_llama.save_pretrained(tmp_path / "lm")
    smol_tokenizer.save_pretrained(tmp_path / "lm")
    game = ablatio.text_game("Is the sky blue?", tmp_path / "lm", target=" yes")
    assert isinstance(game.fn, CausalLMTarget) and game.fn.target == " yes"
    assert game(all_masks(game.n_players)).shape == (2**game.n_players,)


def test_text_game_encoder_folder_is_embedding_similarity(
    tmp_path, tiny_bert_config, bert_tokenizer
):
    from transformers import BertModel

    BertModel(tiny_bert_config).save_pretrained(tmp_path / "enc")
    bert_tokenizer.save_pretrained(tmp_path / "enc")
    game = ablatio.text_game(TEXT, tmp_path / "enc")
    assert isinstance(game.fn, EmbeddingTarget)
    assert game(np.ones((1, 4), dtype=bool))[0] == pytest.approx(1.0)


def test_text_game_vader_and_a_scoring_function():
    pytest.importorskip("vaderSentiment")
    vader = ablatio.text_game(TEXT, "vader")
    assert isinstance(vader.fn, ScoreTarget)
    assert vader(np.array([[True, True, False, False]]))[0] > 0  # "not bad" is positive
    lengths = ablatio.text_game(TEXT, lambda texts: [len(t) for t in texts])
    assert lengths(np.array([[True, True, True, True]]))[0] == len(TEXT)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": 3}, "pass a Hugging Face name"),
        ({"model": "vader", "task": "generation"}, "is a score model"),
        ({"model": "vader", "task": "poetry"}, "choose one of"),
        ({"model": "vader", "label": 1}, "option not understood"),
    ],
)
def test_text_game_errors(kwargs, match):
    pytest.importorskip("vaderSentiment")
    with pytest.raises(ParameterError, match=match):
        ablatio.text_game(TEXT, **kwargs)


def test_unknown_label_name(saved_classifier):
    folder, _ = saved_classifier
    with pytest.raises(ParameterError, match="the model's labels are"):
        ablatio.text_game(TEXT, folder, label="HAPPY")
