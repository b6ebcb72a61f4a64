"""What the HTTP backend's response cache keeps: no prompt text unless asked (read the SQLite)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

pytest.importorskip("httpx")
pytest.importorskip("torch")  # the test server runs a tiny local model

from ablatio.backends.http import OpenAIEndpoint  # noqa: E402

PROMPT = "zebra crossing quietly"
FAST = {"backoff": 0.01, "max_backoff": 0.05, "random_state": 0}


def _cache_text(path) -> str:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT key, response FROM responses").fetchall()
    return " ".join(k + " " + r for k, r in rows)


def test_default_cache_keeps_no_prompt_text_and_replays(server, tmp_path):
    path = tmp_path / "r.sqlite"
    ep = OpenAIEndpoint(server.base_url, "tiny", cache=path, **FAST)
    first = ep.logprob([PROMPT], " yes")
    ep.close()
    stored = _cache_text(path)
    assert "zebra" not in stored and "quietly" not in stored
    sent = server.n_requests
    again = OpenAIEndpoint(server.base_url, "tiny", cache=path, **FAST)
    np.testing.assert_array_equal(again.logprob([PROMPT], " yes"), first)
    assert server.n_requests == sent  # answered from the cache
    again.close()


def test_store_responses_keeps_raw_json_on_request(server, tmp_path):
    path = tmp_path / "r.sqlite"
    ep = OpenAIEndpoint(server.base_url, "tiny", cache=path, store_responses=True, **FAST)
    raw = ep.logprob([PROMPT], " yes")
    ep.close()
    assert "logprobs" in _cache_text(path)
    assert "tokens" in _cache_text(path)  # completions echo the prompt tokens: why it is opt-in
    hashed = OpenAIEndpoint(server.base_url, "tiny", cache=path, **FAST)
    np.testing.assert_array_equal(hashed.logprob([PROMPT], " yes"), raw)  # own rows, same value
    hashed.close()
