"""The HTTP backend against a hostile server on 127.0.0.1: drips, bombs, echoed secrets."""

from __future__ import annotations

import base64
import gzip
import json
import struct
import time
import tracemalloc
import urllib.parse
import zlib

import numpy as np
import pytest

pytest.importorskip("httpx")
pytest.importorskip("torch")  # the test server runs a tiny local model

from ablatio import Game  # noqa: E402
from ablatio.backends.http import OpenAIEndpoint  # noqa: E402
from ablatio.exceptions import EvaluationError  # noqa: E402
from ablatio.games.cache import AblationCache  # noqa: E402
from ablatio.targets.lm import CausalLMTarget  # noqa: E402

FAST = {"backoff": 0.01, "max_backoff": 0.05, "random_state": 0}
MiB = 2**20


# -- 1. deadlines ------------------------------------------------------------------------------
def test_timeout_bounds_the_whole_attempt_against_a_dripping_server(server, tmp_path):
    """1 byte per 0.1 s never trips a per-read timeout; the whole attempt is bounded."""
    path = tmp_path / "run.sqlite"
    ep = OpenAIEndpoint(server.base_url, "tiny", cache=path, timeout=4.0, max_retries=1, **FAST)
    target = CausalLMTarget("pull the lever now", ep, target=" yes")
    with Game(target, cache=path, batch_size=2) as game:
        done = game(np.array([[1, 1, 1, 1], [0, 1, 1, 1]], dtype=bool))
        server.drip = 0.1  # an answer of ~1 KB would take ~100 s
        start = time.monotonic()
        with pytest.raises(EvaluationError, match=r"failed after 2 attempts.*timeout=4.0s"):
            game(np.array([[1, 0, 1, 1]], dtype=bool))
        assert time.monotonic() - start < 12
    ep.close()
    server.drip = 0.0
    with AblationCache(path, fingerprint=game.fingerprint, n_players=4) as cache:
        assert len(cache) == 2  # the finished ablations stay
    assert np.isfinite(done).all()


# -- 2. size caps ------------------------------------------------------------------------------
def _gzip_bomb(decoded: int) -> bytes:
    """``decoded`` zero bytes, gzip-compressed, built in 1 MiB pieces."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"0" * MiB
    return b"".join(packer.compress(block) for _ in range(decoded // MiB)) + packer.flush()


def _padded_gzip(sent: int = 2 * MiB) -> bytes:
    """A gzip stream of ``sent`` bytes that decodes to ``{}`` (empty stored blocks first)."""
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = raw.compress(b"{}") + raw.flush()
    head = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    empty_block = b"\x00\x00\x00\xff\xff"  # BFINAL=0, stored, LEN=0, NLEN=0xffff
    return head + empty_block * (sent // 5) + body + struct.pack("<II", zlib.crc32(b"{}"), 2)


def test_gzip_bomb_is_abandoned_while_streaming(server):
    bomb = _gzip_bomb(64 * MiB)
    assert len(bomb) < 100_000 and len(gzip.decompress(bomb)) == 64 * MiB
    server.raw_reply = ({"Content-Encoding": "gzip"}, bomb)
    ep = OpenAIEndpoint(server.base_url, "tiny", max_response_bytes=MiB, **FAST)
    tracemalloc.start()
    try:
        with pytest.raises(EvaluationError, match=r"max_response_bytes=1048576 \(after"):
            ep.logprob(["hi"], " yes")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        ep.close()
    assert peak < 16 * MiB  # the 64 MiB body was never built
    assert server.n_requests == 0 and len(server.client_ports) == 1  # not retried


@pytest.mark.parametrize(
    ("headers", "body", "what"),
    [
        ({"Content-Encoding": "gzip", "Transfer-Encoding": "chunked"}, _padded_gzip, "as sent"),
        ({"Transfer-Encoding": "chunked"}, lambda: b" " * (2 * MiB), "as sent"),
        ({}, lambda: b" " * (2 * MiB), "Content-Length"),
        ({"Content-Encoding": "br"}, lambda: b"x", None),
    ],
    ids=["padded-gzip", "plain-chunked", "plain-announced", "brotli"],
)
def test_compressed_size_and_unknown_encodings_are_refused(server, headers, body, what):
    server.raw_reply = (headers, body())
    ep = OpenAIEndpoint(server.base_url, "tiny", max_response_bytes=MiB, **FAST)
    match = f"max_response_bytes=1048576 \\({what}" if what else "Content-Encoding 'br'"
    with pytest.raises(EvaluationError, match=match):
        ep.generate(["hi"], 1)
    ep.close()


def test_gzip_answers_within_the_cap_are_read(server, local):
    expected = local.generate(["hi"], 2)
    server.raw_reply = None
    ep = OpenAIEndpoint(server.base_url, "tiny", **FAST)
    answer = json.dumps({"choices": [{"text": expected[0]}]}).encode()
    server.raw_reply = ({"Content-Encoding": "gzip"}, gzip.compress(answer))
    assert ep.generate(["hi"], 2) == expected
    server.raw_reply = ({"Content-Encoding": "deflate"}, zlib.compress(answer))
    assert ep.generate(["hi there"], 2) == expected
    ep.close()


# -- 3. secrets --------------------------------------------------------------------------------
SECRET = "sk-live/9f8e7d6c5b4a3210/zyxw+vuts"


def _spellings(secret: str) -> list[str]:
    return [
        secret,
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        urllib.parse.quote(secret, safe=""),
        base64.b64encode(secret.encode()).decode().rstrip("="),
    ]


def _leaked(text: str, secret: str) -> list[str]:
    """Every 8-character piece of any spelling of ``secret`` found in ``text``."""
    return [
        spelled[i : i + 8]
        for spelled in _spellings(secret)
        for i in range(len(spelled) - 7)
        if spelled[i : i + 8] in text
    ]


@pytest.mark.parametrize("quoting", ["plain", "json", "percent", "padded"])
def test_an_echoed_key_never_reaches_the_error(server, monkeypatch, quoting):
    monkeypatch.setenv("ABLATIO_TEST_KEY", SECRET)
    server.required_key, server.quote_auth = "another-key", quoting
    ep = OpenAIEndpoint(server.base_url, "tiny", api_key_env="ABLATIO_TEST_KEY", **FAST)
    with pytest.raises(EvaluationError, match=r"HTTP 401.*ABLATIO_TEST_KEY") as info:
        ep.generate(["x"], 1)
    ep.close()
    assert _leaked(str(info.value), SECRET) == []


@pytest.mark.parametrize("how", ["url", "api-key"])
def test_credentials_are_sent_but_never_shown_anywhere(server, tmp_path, monkeypatch, how):
    """Run, save, fail: no artefact (reprs, errors, cache, run files) holds the secret."""
    import ablatio
    from ablatio.report.run import RunRecord, write_run

    user, password = "alice", "pa/ss:w0rd-TOPSECRET"
    url, key_env = server.base_url, "ABLATIO_UNSET"
    if how == "url":
        netloc = f"{user}:{urllib.parse.quote(password, safe='')}@"
        url = url.replace("http://", "http://" + netloc)
        secrets = [password, f"{user}:{password}"]
    else:
        key_env = "ABLATIO_TEST_KEY"
        monkeypatch.setenv(key_env, SECRET)
        server.required_key = SECRET
        secrets = [SECRET]
    path = tmp_path / "run.sqlite"
    ep = OpenAIEndpoint(
        url, "tiny", prompt_template="Q: {prompt}", api_key_env=key_env, cache=path, **FAST
    )
    target = CausalLMTarget("pull the lever now", ep, target=" yes")
    with Game(target, cache=path) as game:
        result = ablatio.explain(game, method="exact", random_state=0)
    if how == "url":  # sent as basic auth
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        assert server.auth_headers[-1] == f"Basic {basic}"
    else:
        assert server.auth_headers[-1] == f"Bearer {SECRET}"
    record = RunRecord(title="t", target={"lm": ep.fingerprint(), "repr": repr(ep)}, method="x")
    write_run(tmp_path / "out", result.interactions, record, png=False)
    server.required_key = "k"  # now every request is refused, quoting the credentials sent
    with pytest.raises(EvaluationError, match="HTTP 401") as info:
        ep.logprob(["another prompt"], " no")
    ep.close()
    shown = [repr(ep), ep.fingerprint(), ep.base_url, str(info.value), repr(game), str(vars(ep))]
    files = [p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()]
    assert any(name.endswith("run.json") for name in map(str, tmp_path.rglob("*")))
    for text in shown + files:
        for secret in secrets:
            assert _leaked(text, secret) == []


# -- 4. one client per run ---------------------------------------------------------------------
def test_one_kept_alive_connection_serves_every_batch(server, local):
    ep = OpenAIEndpoint(server.base_url, "tiny", max_concurrency=1, **FAST)
    for i in range(5):
        np.testing.assert_allclose(
            ep.logprob([f"batch {i}"], " yes"), local.logprob([f"batch {i}"], " yes"), rtol=1e-4
        )
    ep.close()
    assert len(server.client_ports) == 2 + 5  # the echo check's two requests, then 5 batches
    assert len(set(server.client_ports)) == 1


# -- 5. log-probs must be finite numbers -------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "bad"),
    [
        ("completions", True),
        ("completions", "-1.5"),
        ("completions", float("nan")),
        ("completions", float("-inf")),
        ("chat", True),
        ("chat", float("nan")),
    ],
)
def test_non_numeric_logprobs_are_refused_never_cached_and_asked_again(server, tmp_path, mode, bad):
    server.bad_logprob = bad
    path = tmp_path / "r.sqlite"
    ep = OpenAIEndpoint(server.base_url, "tiny", mode=mode, cache=path, verify_echo=False, **FAST)
    with pytest.raises(EvaluationError, match="as a log-probability.*not (a number|finite)"):
        ep.logprob(["is it?"], " yes")
    assert len(ep.cache) == 0
    ep.close()
    server.bad_logprob = None  # the server is fixed: the next run asks again and succeeds
    sent = server.n_requests
    again = OpenAIEndpoint(
        server.base_url, "tiny", mode=mode, cache=path, verify_echo=False, **FAST
    )
    assert np.isfinite(again.logprob(["is it?"], " yes")).all()
    assert server.n_requests == sent + 1
    again.close()


# -- echoed prompt log-probs must be the generation-time ones ----------------------------------
def test_a_server_echoing_shifted_logprobs_is_detected(server):
    server.echo_shifted = True  # llama-cpp-python's server for models without a BOS token
    ep = OpenAIEndpoint(server.base_url, "tiny", **FAST)
    with pytest.raises(EvaluationError, match="not the generation-time ones.*mode='chat'"):
        ep.logprob(["pull the lever", "do not pull the lever now"], " yes")
    ep.close()


def test_the_echo_check_runs_once_and_is_cached(server, local, tmp_path):
    path = tmp_path / "r.sqlite"
    ep = OpenAIEndpoint(server.base_url, "tiny", cache=path, **FAST)
    for prompts in (["pull the lever"], ["do not pull the lever", "now"]):
        np.testing.assert_allclose(
            ep.logprob(prompts, " yes"), local.logprob(prompts, " yes"), rtol=1e-4
        )
    assert ep.n_requests == 2 + 3  # the check's two requests, then one per prompt
    ep.close()
    again = OpenAIEndpoint(server.base_url, "tiny", cache=path, **FAST)
    again.logprob(["pull the lever"], " yes")
    assert again.n_requests == 0
    again.close()
