"""The HTTP response cache returns a value only for the same question (issue: cache key)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

pytest.importorskip("httpx")
torch = pytest.importorskip("torch")  # the test server runs a tiny local model

from ablatio.backends.http import OpenAIEndpoint  # noqa: E402
from ablatio.backends.local import TorchCausalLM  # noqa: E402

# request counts below are of scoring requests only (the echo self-check is tested elsewhere)
FAST = {"backoff": 0.01, "max_backoff": 0.05, "random_state": 0, "verify_echo": False}


def _two_listed_tokens(tiny_llama, smol_tokenizer, prompt):
    """The chat model's two likeliest first tokens after ``prompt``."""
    chat = TorchCausalLM(tiny_llama, smol_tokenizer, chat=True)
    with torch.inference_mode():
        logits = tiny_llama(torch.tensor([chat._encode_prompt(prompt)])).logits[0, -1]
    top = torch.log_softmax(logits, -1).topk(2)
    tokens = [smol_tokenizer.decode([int(i)]) for i in top.indices]
    return tokens, [float(v) for v in top.values]


def test_chat_key_contains_the_continuation(server, tmp_path, tiny_llama, smol_tokenizer):
    (first, second), (v1, v2) = _two_listed_tokens(tiny_llama, smol_tokenizer, "Is it?")
    assert v1 != v2
    path = tmp_path / "r.sqlite"
    warm = OpenAIEndpoint(server.base_url, "tiny", mode="chat", cache=path, **FAST)
    assert warm.logprob(["Is it?"], first)[0] == pytest.approx(v1)
    warm.close()
    ep = OpenAIEndpoint(server.base_url, "tiny", mode="chat", cache=path, **FAST)
    assert ep.logprob(["Is it?"], second)[0] == pytest.approx(v2)  # not v1 from the cache
    assert ep.logprob(["Is it?"], first)[0] == pytest.approx(v1)  # v1 still from the cache
    assert ep.n_requests == 1
    ep.close()


def test_completions_key_contains_the_split_point(server, tmp_path, local):
    path = tmp_path / "r.sqlite"
    asked = [(["Answer"], ": yes"), (["Answer:"], " yes")]  # the same text "Answer: yes"
    truth = [local.logprob(p, c)[0] for p, c in asked]
    assert abs(truth[0] - truth[1]) > 1e-3
    for p, c in asked:  # each split asked on a cache warmed by the other
        OpenAIEndpoint(server.base_url, "tiny", cache=path, **FAST).logprob(p, c)
    ep = OpenAIEndpoint(server.base_url, "tiny", cache=path, **FAST)
    got = [ep.logprob(p, c)[0] for p, c in asked]
    np.testing.assert_allclose(got, truth, rtol=1e-4)
    assert ep.n_requests == 0
    ep.close()


def test_every_request_setting_is_in_the_key(server, tmp_path, local):
    """Model, mode, prompt, continuation, template, system and top_logprobs each ask again."""
    server.logprob_shift = {"tiny-b": -1.0}
    path = tmp_path / "r.sqlite"
    base = {"cache": path, **FAST}
    variants = [
        ({}, ["Is it?"], " yes"),
        ({}, ["Is it? "], "yes"),
        ({}, ["Is it?"], " no"),
        ({}, ["Is it"], " yes"),
        ({"prompt_template": "Q: {prompt}"}, ["Is it?"], " yes"),
        ({"mode": "chat"}, ["Is it?"], " yes"),
        ({"mode": "chat", "system": "Be brief."}, ["Is it?"], " yes"),
        ({"mode": "chat", "top_logprobs": 2}, ["Is it?"], " yes"),
        ({"mode": "chat"}, ["Is it?"], " no"),
    ]
    fresh = []
    for model in ("tiny", "tiny-b"):
        for options, prompts, continuation in variants:
            ep = OpenAIEndpoint(server.base_url, model, **{**base, **options})
            fresh.append(ep.logprob(prompts, continuation)[0])
            assert ep.n_requests == 1  # a cache hit here would be another question's value
            ep.close()
    # replayed from the cache, every variant keeps its own value
    again = []
    for model in ("tiny", "tiny-b"):
        for options, prompts, continuation in variants:
            ep = OpenAIEndpoint(server.base_url, model, **{**base, **options})
            again.append(ep.logprob(prompts, continuation)[0])
            assert ep.n_requests == 0
            ep.close()
    assert again == fresh
    n = len(variants)
    np.testing.assert_allclose(np.array(fresh[n:]) - np.array(fresh[:n]), -1.0, rtol=1e-9)
    assert local.logprob(["Is it?"], " yes")[0] == pytest.approx(fresh[0], rel=1e-4)


def test_an_invalid_stored_value_is_asked_again_and_replaced(server, tmp_path, local):
    """A NaN stored by an older version is not returned: the request is sent again."""
    path = tmp_path / "r.sqlite"
    ep = OpenAIEndpoint(server.base_url, "tiny", cache=path, **FAST)
    value = ep.logprob(["Is it?"], " yes")[0]
    ep.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE responses SET response = '{\"value\": NaN}'")
    again = OpenAIEndpoint(server.base_url, "tiny", cache=path, **FAST)
    assert again.logprob(["Is it?"], " yes")[0] == value
    assert again.n_requests == 1
    again.close()
    with sqlite3.connect(path) as conn:
        assert "NaN" not in conn.execute("SELECT response FROM responses").fetchone()[0]
