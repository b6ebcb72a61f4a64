"""The HTTP backend against a real OpenAI-compatible server on 127.0.0.1 (no mocked client)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

pytest.importorskip("httpx")
pytest.importorskip("torch")  # the test server runs a tiny local model

from ablatio import Game  # noqa: E402
from ablatio.backends.http import OpenAIEndpoint  # noqa: E402
from ablatio.backends.local import TorchCausalLM  # noqa: E402
from ablatio.exceptions import EvaluationError, ParameterError  # noqa: E402
from ablatio.games.cache import AblationCache  # noqa: E402
from ablatio.targets.lm import CausalLMTarget, GenerationTarget  # noqa: E402

PROMPTS = ["pull the lever", "do not pull the lever", "the trolley is coming", "yes or no?"]
FAST = {"backoff": 0.01, "max_backoff": 0.05, "random_state": 0}


def test_completions_logprob_and_generate_match_local_model(server, local):
    ep = OpenAIEndpoint(server.base_url, "tiny", **FAST)
    np.testing.assert_allclose(
        ep.logprob(PROMPTS, " yes it is"), local.logprob(PROMPTS, " yes it is"), rtol=1e-4
    )
    assert ep.generate(PROMPTS, 4) == local.generate(PROMPTS, 4)


def test_chat_generate_and_first_token_logprob(server, tiny_llama, smol_tokenizer):
    chat = TorchCausalLM(tiny_llama, smol_tokenizer, chat=True)
    ep = OpenAIEndpoint(server.base_url, "tiny", mode="chat", **FAST)
    answers = ep.generate(PROMPTS, 3)
    assert answers == chat.generate(PROMPTS, 3)
    import torch

    for prompt in PROMPTS:
        with torch.inference_mode():
            logits = tiny_llama(torch.tensor([chat._encode_prompt(prompt)])).logits[0, -1]
        logp = torch.log_softmax(logits, -1)
        first = smol_tokenizer.decode([int(logp.argmax())])
        assert ep.logprob([prompt], first + " and more")[0] == pytest.approx(float(logp.max()))


def test_thirty_percent_failures_and_delays_are_retried(server, local):
    server.fail_rate, server.delay = 0.3, 0.02
    ep = OpenAIEndpoint(server.base_url, "tiny", max_retries=3, **FAST)
    prompts = [f"{p} {i}" for i in range(3) for p in PROMPTS]
    np.testing.assert_allclose(ep.logprob(prompts, " no"), local.logprob(prompts, " no"), rtol=1e-4)
    assert server.n_requests > len(prompts)


def test_concurrency_is_bounded(server):
    server.delay = 0.15
    OpenAIEndpoint(server.base_url, "tiny", max_concurrency=2, **FAST).generate(PROMPTS * 2, 1)
    assert server.max_in_flight == 2


def test_last_retry_raises_evaluation_error(server):
    server.fail_rate, server.max_failures = 1.0, 100
    ep = OpenAIEndpoint(server.base_url, "tiny", max_retries=2, **FAST)
    with pytest.raises(EvaluationError, match="failed after 3 attempts.*HTTP (429|503)"):
        ep.generate(["hi"], 1)
    assert server.n_requests == 3


def test_hang_times_out_then_retry_succeeds(server, local):
    server.hang = 1.5
    ep = OpenAIEndpoint(server.base_url, "tiny", timeout=0.3, max_retries=1, **FAST)
    assert ep.generate(["hi"], 2) == local.generate(["hi"], 2)
    server.hang = 0
    with pytest.raises(EvaluationError, match="failed after 1 attempts.*connection failed"):
        OpenAIEndpoint("http://127.0.0.1:9/v1", "x", max_retries=0, **FAST).generate(["a"], 1)


def test_prompt_longer_than_context_fails_at_once(server):
    ep = OpenAIEndpoint(server.base_url, "tiny", **FAST)
    with pytest.raises(EvaluationError, match="HTTP 400.*maximum context length is 96"):
        ep.logprob([" ".join(["word"] * 120)], " yes")
    assert server.n_requests == 1


def test_malformed_json_is_a_clear_error(server):
    server.malformed = True
    ep = OpenAIEndpoint(server.base_url, "tiny", max_retries=1, **FAST)
    with pytest.raises(EvaluationError, match="malformed JSON"):
        ep.logprob(["hi"], " yes")


def test_missing_logprobs_is_a_clear_error_and_not_cached(server, tmp_path):
    server.no_logprobs = True
    ep = OpenAIEndpoint(server.base_url, "tiny", cache=tmp_path / "r.sqlite", **FAST)
    with pytest.raises(EvaluationError, match="no log-probabilities.*GenerationTarget"):
        ep.logprob(["hi"], " yes")
    assert server.n_requests == 1 and len(ep.cache) == 0
    chat = OpenAIEndpoint(server.base_url, "tiny", mode="chat", **FAST)
    with pytest.raises(EvaluationError, match="no log-probabilities"):
        chat.logprob(["hi"], " yes")


def test_api_key_sent_but_never_stored_or_shown(server, monkeypatch, tmp_path):
    secret = "sk-test-secret-0123456789"
    monkeypatch.setenv("ABLATIO_TEST_KEY", secret)
    server.required_key = secret
    path = tmp_path / "run.sqlite"
    ep = OpenAIEndpoint(server.base_url, "tiny", api_key_env="ABLATIO_TEST_KEY", cache=path, **FAST)
    ep.generate(["hi"], 2)
    assert server.auth_headers[-1] == f"Bearer {secret}"
    ep.close()
    assert secret.encode() not in b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert secret not in repr(ep) + ep.fingerprint()
    server.required_key = "another-key"
    with pytest.raises(EvaluationError, match=r"HTTP 401.*\*\*\*.*ABLATIO_TEST_KEY") as info:
        OpenAIEndpoint(server.base_url, "tiny", api_key_env="ABLATIO_TEST_KEY", **FAST).generate(
            ["x"], 1
        )
    assert secret not in str(info.value)


def test_nothing_cached_is_lost_when_the_endpoint_fails(server, tmp_path):
    path = tmp_path / "run.sqlite"
    ep = OpenAIEndpoint(server.base_url, "tiny", cache=path, max_retries=0, **FAST)
    target = CausalLMTarget("pull the lever now", ep, target=" yes")
    game = Game(target, cache=path, batch_size=2)
    first = np.array([[1, 1, 1, 1], [0, 1, 1, 1]], dtype=bool)
    values = game(first)
    server.fail_rate, server.max_failures = 1.0, 100
    with pytest.raises(EvaluationError):
        game(np.array([[1, 0, 1, 1], [1, 1, 0, 1]], dtype=bool))
    game.close()
    ep.close()
    with AblationCache(path, fingerprint=game.fingerprint, n_players=4) as cache:
        assert len(cache) == 2
    # a new run re-uses both caches: no request reaches the (still failing) server
    ep2 = OpenAIEndpoint(server.base_url, "tiny", cache=path, max_retries=0, **FAST)
    before = server.n_requests
    np.testing.assert_array_equal(ep2.logprob(target.texts(first), " yes"), values)
    assert server.n_requests == before


def test_generation_target_over_http_and_inside_event_loop(server, local):
    ep = OpenAIEndpoint(server.base_url, "tiny", **FAST)
    answer = local.generate(["pull the lever"], 3)[0]
    target = GenerationTarget("pull the lever", ep, lambda a: float(a == answer), max_new_tokens=3)

    async def inside_loop():
        return target(np.ones((1, 3), dtype=bool))

    assert asyncio.run(inside_loop())[0] == 1.0


def test_parameter_checks():
    for bad in (
        {"mode": "embeddings"},
        {"max_concurrency": 0},
        {"timeout": 0},
        {"prompt_template": "x"},
    ):
        with pytest.raises(ParameterError):
            OpenAIEndpoint("http://127.0.0.1:1/v1", "m", **bad)
