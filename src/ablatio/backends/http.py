"""An OpenAI-compatible HTTP endpoint (vLLM, llama.cpp server, hosted APIs) as a language model.

One synchronous, batched API outward (:meth:`OpenAIEndpoint.logprob`,
:meth:`OpenAIEndpoint.generate`); inside, the requests of a batch run concurrently on the
endpoint's own asyncio loop (one background thread and one ``httpx.AsyncClient`` per endpoint,
so connections are pooled and kept alive across batches), with at most ``max_concurrency`` in
flight. Failures that may pass (HTTP 429 and 5xx, timeouts, dropped connections, malformed
JSON) are retried with exponential backoff and jitter,

.. math::

    d_a = \\min(d_{\\max}, d_0 2^a) \\cdot u_a, \\qquad u_a \\sim U(\\tfrac12, 1),

honouring a ``Retry-After`` header when the server sends one. ``timeout`` bounds each whole
attempt (connect, send and the complete response), so a server that drips bytes cannot hold
a request forever; ``max_response_bytes`` bounds each response before and after gzip/deflate
decoding, read as a stream. After ``max_retries`` retries an
:class:`~ablatio.exceptions.EvaluationError` names the endpoint, the attempts and the last
error. Every valid response is stored in the SQLite response cache as soon as it arrives, so
nothing received is lost when a later request fails; an invalid one is never stored.

Secrets: the API key is read from the environment variable ``api_key_env`` at request time
and sent only in the ``Authorization`` header; ``user:password@`` credentials in ``base_url``
are taken out of the URL at construction and sent as HTTP basic auth. Neither is ever part
of the cache, the fingerprint, reprs or error messages: server text quoted in an error is
scrubbed of every encoding of both (plain, JSON-escaped, percent-encoded, base64) *before*
it is shortened.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import re
import threading
import weakref
import zlib
from collections.abc import Callable, Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit, urlunsplit

import numpy as np

from ablatio._optional import require
from ablatio._validation import RandomState, check_random_state
from ablatio.backends._openai import (
    chat_first_token_logprob,
    echo_logprob,
    first_generated_logprob,
    generated_text,
)
from ablatio.backends._responses import ResponseCache, request_key
from ablatio.exceptions import EvaluationError, ParameterError

__all__ = ["OpenAIEndpoint"]

#: HTTP statuses worth retrying: rate limiting and server-side failures.
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
#: ``parse(request index, response JSON) -> value``; raises EvaluationError if unusable.
Parser = Callable[[int, dict[str, Any]], Any]
#: Characters of server text quoted in an EvaluationError (after scrubbing secrets).
_QUOTE = 300
#: Key prefix of cache rows holding a parsed value instead of a raw response.
_PARSED_PREFIX = "parsed:"
#: Seconds allowed for closing an endpoint's connections.
_CLOSE_S = 5.0
#: Default ``max_response_bytes``: 8 MiB, far above any scoring response.
DEFAULT_MAX_RESPONSE_BYTES = 8 * 2**20
#: Largest gap (nats) between a token's echoed and generated log-probability, ``a + r |lp|``.
ECHO_TOLERANCE = (0.05, 0.01)
#: ``Authorization: Bearer/Basic <credential>`` wherever a server quotes it.
_AUTH_HEADER = re.compile(r"(?i)\b(bearer|basic)(\s+|%20|\+)[A-Za-z0-9._~+/=%\\-]+")


class _Retryable(Exception):
    """A failure that may pass on a later attempt (internal)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _Credentials:
    """``user:password`` from the base URL; its repr never shows them."""

    __slots__ = ("password", "user")

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password

    def __repr__(self) -> str:
        return "_Credentials(<hidden>)"


class _Loop:
    """A private event loop in a daemon thread, holding one ``httpx.AsyncClient``."""

    def __init__(self, max_concurrency: int, timeout: float) -> None:
        httpx = require("httpx", extra="http")
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, name="ablatio-http", daemon=True)
        self.thread.start()
        self._closed = False

        async def setup() -> tuple[Any, asyncio.Semaphore]:
            limits = httpx.Limits(
                max_connections=max_concurrency, max_keepalive_connections=max_concurrency
            )
            return httpx.AsyncClient(timeout=timeout, limits=limits), asyncio.Semaphore(
                max_concurrency
            )

        self.client, self.limit = self.run(setup())

    def _serve(self) -> None:
        self.loop.run_forever()
        self.loop.close()

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coro`` on the loop and wait for its result (from any other thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def close(self, wait: bool = True) -> None:
        """Close the client's connections, then stop the loop; its thread closes it.

        Never blocks for long: closing the connections is bounded by ``_CLOSE_S`` seconds,
        and ``wait=False`` (garbage collection, possibly on any thread) does not wait at all.
        """
        if self._closed or not self.thread.is_alive():
            return
        self._closed = True

        async def shutdown() -> None:
            try:
                await asyncio.wait_for(self.client.aclose(), _CLOSE_S)
            except (asyncio.TimeoutError, OSError):
                pass  # the sockets are dropped with the loop anyway
            finally:
                self.loop.stop()

        self.loop.call_soon_threadsafe(lambda: self.loop.create_task(shutdown()))
        if wait and threading.current_thread() is not self.thread:
            self.thread.join(2 * _CLOSE_S)


class OpenAIEndpoint:
    """A model served over the OpenAI HTTP protocol.

    Parameters
    ----------
    base_url : str
        E.g. ``"http://127.0.0.1:8000/v1"``. ``user:password@`` in it is sent as HTTP basic
        auth and kept out of every artefact (the attribute ``base_url`` holds the URL
        without it).
    model : str
        The served model's name (sent as ``"model"``).
    mode : {"completions", "chat"}, default="completions"
        ``completions`` scores continuations exactly (echo + logprobs); ``chat`` sends the
        prompt as a user message and scores only the continuation's first token.
    prompt_template : str, default="{prompt}"
        Completions mode: how a user prompt becomes the raw prompt (e.g. a chat format).
    system : str, optional
        Chat mode: system message.
    api_key_env : str, default="OPENAI_API_KEY"
        Environment variable holding the API key (no key is sent if it is unset).
    max_concurrency : int, default=8
        Requests in flight at once (over all batches, also from several threads).
    max_retries : int, default=5
        Retries after the first attempt of a request.
    timeout : float, default=60.0
        Seconds per attempt: connecting, sending and receiving the whole response.
    max_response_bytes : int, default=8 MiB
        Largest response accepted, both as sent (compressed) and after decoding; the
        response is read as a stream and abandoned as soon as it passes the limit.
    backoff : float, default=0.5
        First backoff delay ``d_0`` in seconds.
    max_backoff : float, default=30.0
        Longest delay ``d_max``.
    top_logprobs : int, default=20
        Chat mode: alternatives requested for the first generated token.
    cache : str or Path, optional
        SQLite file for responses (may be the run's ablation cache file). Keys are
        ``sha256(url + request body + what is read from the answer)``: no prompt text and
        no credentials.
    store_responses : bool, default=False
        Keep each raw response JSON in ``cache``. Completions-mode responses echo the prompt
        tokens, so the default keeps only the parsed number (log-probability) or generated
        text per request hash; set True to keep the raw responses for auditing.
    verify_echo : bool, default=True
        Completions mode: before the first score, check once that the server's *echoed*
        prompt log-probabilities are the generation-time ones. The greedy next token ``g``
        after the first prompt is generated with its log-probability, then ``prompt + g`` is
        scored by echo; a gap above ``0.05 + 0.01 |log p|`` nats is an EvaluationError
        (e.g. llama-cpp-python's server shifts echoed values by one token for models that
        add no BOS token). Costs two requests per endpoint (cached with ``cache``).
    random_state : int, Generator or None
        Seed of the backoff jitter.

    Attributes
    ----------
    n_requests : int
        HTTP requests sent (attempts, retries included).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        mode: str = "completions",
        prompt_template: str = "{prompt}",
        system: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        max_concurrency: int = 8,
        max_retries: int = 5,
        timeout: float = 60.0,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        top_logprobs: int = 20,
        cache: str | Path | None = None,
        store_responses: bool = False,
        verify_echo: bool = True,
        random_state: RandomState = None,
    ) -> None:
        url, credentials = _split_credentials(base_url)
        if mode not in ("completions", "chat"):
            msg = f"mode == {mode!r}; choose 'completions' or 'chat'"
            raise ParameterError(msg)
        if "{prompt}" not in prompt_template:
            msg = f"prompt_template == {prompt_template!r} must contain '{{prompt}}'"
            raise ParameterError(msg)
        for name, value, low in (
            ("max_concurrency", max_concurrency, 1),
            ("max_retries", max_retries, 0),
            ("top_logprobs", top_logprobs, 1),
            ("max_response_bytes", max_response_bytes, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                msg = f"{name} == {value!r}, must be an int >= {low}"
                raise ParameterError(msg)
        for name, seconds in (
            ("timeout", timeout),
            ("backoff", backoff),
            ("max_backoff", max_backoff),
        ):
            if not (isinstance(seconds, (int, float)) and 0 < seconds < math.inf):
                msg = f"{name} == {seconds!r}, must be a finite number > 0 seconds"
                raise ParameterError(msg)
        self.base_url = url.rstrip("/")
        self.model = model
        self.mode = mode
        self.prompt_template = prompt_template
        self.system = system
        self.api_key_env = api_key_env
        self.max_concurrency = max_concurrency
        self.max_retries = max_retries
        self.timeout = float(timeout)
        self.max_response_bytes = max_response_bytes
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.top_logprobs = top_logprobs
        self.cache = None if cache is None else ResponseCache(cache)
        self.store_responses = bool(store_responses)
        self.verify_echo = bool(verify_echo)
        self._echo_checked = False
        self._credentials = credentials
        self._rng = check_random_state(random_state)
        self._lock = threading.Lock()
        self._loop: _Loop | None = None
        self.n_requests = 0

    def __repr__(self) -> str:
        return f"OpenAIEndpoint({self.base_url!r}, model={self.model!r}, mode={self.mode!r})"

    def __getstate__(self) -> dict[str, Any]:
        # sent to worker processes without the loop, its thread and its connections
        state = self.__dict__.copy()
        state.update(_lock=None, _loop=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def fingerprint(self) -> str:
        """Endpoint, model, mode and prompt format (no credentials)."""
        return json.dumps([self.base_url, self.model, self.mode, self.prompt_template, self.system])

    # -- the LanguageModel interface -------------------------------------------------------
    def logprob(self, prompts: Sequence[str], continuation: str) -> np.ndarray:
        """Log-probability of ``continuation`` after each prompt (see the class doc)."""
        if not continuation:
            msg = "continuation is empty: pass at least one character to score"
            raise ParameterError(msg)
        if self.mode == "chat":
            bodies = [
                {
                    **self._chat_body(p, 1),
                    "logprobs": True,
                    "top_logprobs": self.top_logprobs,
                }
                for p in prompts
            ]
            reading = {"read": "chat_first_token_logprob", "continuation": continuation}
            values = self._run(
                "/chat/completions",
                bodies,
                lambda _, r: chat_first_token_logprob(r, continuation),
                [reading] * len(bodies),
                _is_logprob,
            )
            return np.array(values, dtype=np.float64)
        heads = [self.prompt_template.format(prompt=p) for p in prompts]
        if self.verify_echo and not self._echo_checked and heads:
            self._check_echo(max(heads, key=len))
        return self._echo_scores(heads, continuation)

    def _echo_scores(self, heads: list[str], continuation: str) -> np.ndarray:
        """Echoed log-probability of ``continuation`` after each raw prompt ``head``."""
        bodies = [
            {
                "model": self.model,
                "prompt": head + continuation,
                "max_tokens": 1,
                "temperature": 0,
                "echo": True,
                "logprobs": 0,
            }
            for head in heads
        ]
        ends = [(len(h), len(h) + len(continuation)) for h in heads]
        readings = [{"read": "echo_logprob", "span": list(span)} for span in ends]
        values = self._run(
            "/completions",
            bodies,
            lambda i, r: echo_logprob(r, *ends[i]),
            readings,
            _is_logprob,
        )
        return np.array(values, dtype=np.float64)

    def _check_echo(self, head: str) -> None:
        """EvaluationError if echoed prompt log-probs differ from generation-time ones."""
        probe = {
            "model": self.model,
            "prompt": head,
            "max_tokens": 1,
            "temperature": 0,
            "logprobs": 1,
        }
        ((token, generated),) = self._run(
            "/completions",
            [probe],
            lambda _, r: first_generated_logprob(r),
            [{"read": "first_generated_logprob"}],
            lambda v: isinstance(v, list) and len(v) == 2 and _is_text(v[0]) and _is_logprob(v[1]),
        )
        if not token:
            self._echo_checked = True  # nothing to compare (the model ended at once)
            return
        echoed = float(self._echo_scores([head], token)[0])
        absolute, relative = ECHO_TOLERANCE
        if abs(echoed - generated) > absolute + relative * abs(generated):
            msg = (
                f"{self.base_url} echoes prompt log-probabilities that are not the generation-"
                f"time ones: the greedy next token {token!r} after the first prompt has "
                f"log p = {generated:.4f} when generated but {echoed:.4f} when echoed, so "
                "completions-mode scores would be wrong (llama-cpp-python's server does this "
                "for models without a BOS token). Use mode='chat' (first-token scores from "
                "generation-time top_logprobs) or a server with exact echo (vLLM); "
                "verify_echo=False skips this check"
            )
            raise EvaluationError(msg)
        self._echo_checked = True

    def generate(self, prompts: Sequence[str], max_new_tokens: int) -> list[str]:
        """Greedy (temperature 0) answer to each prompt."""
        if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            msg = f"max_new_tokens == {max_new_tokens!r}, must be a positive int"
            raise ParameterError(msg)
        if self.mode == "chat":
            path = "/chat/completions"
            bodies = [self._chat_body(p, max_new_tokens) for p in prompts]
        else:
            path = "/completions"
            bodies = [
                {
                    "model": self.model,
                    "prompt": self.prompt_template.format(prompt=p),
                    "max_tokens": max_new_tokens,
                    "temperature": 0,
                }
                for p in prompts
            ]
        readings = [{"read": "generated_text"}] * len(bodies)
        return self._run(path, bodies, lambda _, r: generated_text(r), readings, _is_text)

    def _chat_body(self, prompt: str, max_tokens: int) -> dict[str, Any]:
        messages = [] if self.system is None else [{"role": "system", "content": self.system}]
        messages.append({"role": "user", "content": prompt})
        return {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
        }

    # -- transport ---------------------------------------------------------------------------
    def _run(
        self,
        path: str,
        bodies: list[dict[str, Any]],
        parse: Parser,
        readings: list[dict[str, Any]],
        valid: Callable[[Any], bool],
    ) -> list[Any]:
        """``parse(i, response)`` of every body's response (cache first), in order.

        A value is stored in the cache only after ``parse`` accepted it; a stored value that
        fails ``valid`` (written by an older version) is requested again and replaced.
        """
        url = self.base_url + path
        if self.store_responses:
            keys = [request_key(url, b) for b in bodies]
        else:
            pairs = zip(bodies, readings, strict=True)
            keys = [_PARSED_PREFIX + request_key(url, b, r) for b, r in pairs]
        out: dict[int, Any] = {}
        for i, key in enumerate(keys):
            stored = None if self.cache is None else self.cache.get(key)
            if stored is None:
                continue
            if self.store_responses:
                out[i] = self._checked(lambda: parse(i, stored))  # noqa: B023 - called at once
            elif valid(stored.get("value")):
                out[i] = stored["value"]
        todo = [i for i in range(len(bodies)) if i not in out]
        if todo:
            with self._lock:
                delays = self._rng.uniform(0.5, 1.0, size=(len(todo), self.max_retries + 1))
                if self._loop is None:
                    self._loop = _Loop(self.max_concurrency, self.timeout)
                    weakref.finalize(self, self._loop.close, False)
                loop = self._loop
            jobs = [(url, bodies[i], keys[i], delays[j], i, parse) for j, i in enumerate(todo)]
            fetched = loop.run(self._fetch_all(loop, jobs))
            out.update(zip(todo, fetched, strict=True))
        return [out[i] for i in range(len(bodies))]

    async def _fetch_all(self, loop: _Loop, jobs: list[tuple]) -> list[Any]:
        async def one(job: tuple) -> Any:
            async with loop.limit:
                return await self._fetch(loop.client, *job)

        tasks = [asyncio.ensure_future(one(job)) for job in jobs]
        try:
            return list(await asyncio.gather(*tasks))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _fetch(
        self, client: Any, url: str, body: dict, key: str, jitter: np.ndarray, i: int, parse: Parser
    ) -> Any:
        last = ""
        for attempt in range(self.max_retries + 1):
            try:
                response = await self._attempt(client, url, body)
            except _Retryable as exc:
                last = str(exc)
                if attempt == self.max_retries:
                    break
                delay = min(self.max_backoff, self.backoff * 2**attempt) * jitter[attempt]
                if exc.retry_after is not None:
                    delay = min(self.max_backoff, max(delay, exc.retry_after))
                await asyncio.sleep(delay)
                continue
            value = self._checked(lambda: parse(i, response))  # noqa: B023 - called at once
            if self.cache is not None:
                self.cache.put(key, response if self.store_responses else {"value": value})
            return value
        msg = (
            f"{url} failed after {self.max_retries + 1} attempts (last error: {last}); "
            "responses received before it are kept in the response cache when one is set "
            "(cache=...)"
        )
        raise EvaluationError(msg)

    def _checked(self, parse: Callable[[], Any]) -> Any:
        """``parse()``, its EvaluationError quoting the server with secrets scrubbed first."""
        try:
            return parse()
        except EvaluationError as exc:
            raise EvaluationError(self._quote(str(exc), 2 * _QUOTE)) from None

    async def _attempt(self, client: Any, url: str, body: dict) -> dict[str, Any]:
        """One request: the whole exchange bounded by ``timeout``, the body by size."""
        httpx = require("httpx", extra="http")
        self.n_requests += 1
        try:
            status, headers, raw = await asyncio.wait_for(
                self._exchange(client, url, body), self.timeout
            )
        except asyncio.TimeoutError:
            msg = (
                f"no complete answer within timeout={self.timeout}s (connecting, sending and "
                "receiving the whole response)"
            )
            raise _Retryable(msg) from None
        except httpx.TransportError as exc:
            msg = f"connection failed ({type(exc).__name__}: {self._quote(str(exc))})"
            raise _Retryable(msg) from None
        text = raw.decode("utf-8", errors="replace")
        if status in RETRY_STATUSES:
            after = headers.get("retry-after")
            wait = float(after) if after and after.replace(".", "", 1).isdigit() else None
            msg = f"HTTP {status}: {self._quote(text)}"
            raise _Retryable(msg, wait)
        if status >= 400:
            hint = f"; check the API key in ${self.api_key_env}" if status in (401, 403) else ""
            msg = f"{url} answered HTTP {status}: {self._quote(text)}{hint}"
            raise EvaluationError(msg)
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            msg = f"malformed JSON from the server: {self._quote(text, 80)!r}"
            raise _Retryable(msg) from None
        if not isinstance(data, dict):
            msg = f"malformed response (not a JSON object): {self._quote(text, 80)!r}"
            raise _Retryable(msg)
        return data

    async def _exchange(self, client: Any, url: str, body: dict) -> tuple[int, Any, bytes]:
        """Status, headers and decoded body, read as a stream within the size limit."""
        headers = {"Accept-Encoding": "gzip, deflate"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        elif self._credentials is not None:
            pair = f"{self._credentials.user}:{self._credentials.password}"
            token = base64.b64encode(pair.encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        async with client.stream("POST", url, json=body, headers=headers) as reply:
            raw = await self._read_limited(url, reply)
            return reply.status_code, reply.headers, raw

    async def _read_limited(self, url: str, reply: Any) -> bytes:
        """The body, decoded from gzip/deflate; EvaluationError past ``max_response_bytes``."""
        cap = self.max_response_bytes

        def too_large(what: str) -> NoReturn:
            msg = (
                f"{url} sent a response larger than max_response_bytes={cap} ({what}); it was "
                "abandoned. Raise max_response_bytes if such answers are expected"
            )
            raise EvaluationError(msg)

        length = reply.headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            too_large(f"Content-Length {length}")
        encoding = reply.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            msg = f"{url} sent Content-Encoding {encoding!r}; only gzip and deflate are read"
            raise EvaluationError(msg)
        decoder = None if encoding in ("", "identity") else zlib.decompressobj(wbits=47)
        parts: list[bytes] = []
        sent = size = 0
        try:
            async for chunk in reply.aiter_raw():
                sent += len(chunk)
                if sent > cap:
                    too_large("as sent")
                if decoder is not None:
                    chunk = decoder.decompress(chunk, cap - size + 1)
                    if decoder.unconsumed_tail:
                        too_large("after decompression")
                size += len(chunk)
                if size > cap:
                    too_large("after decompression")
                parts.append(chunk)
            if decoder is not None:
                rest = decoder.flush()
                if size + len(rest) > cap:
                    too_large("after decompression")
                parts.append(rest)
        except zlib.error as exc:
            msg = f"undecodable {encoding} response ({exc})"
            raise _Retryable(msg) from None
        return b"".join(parts)

    def _secrets(self) -> list[str]:
        """Every secret this endpoint sends, in every spelling a server may echo."""
        found = []
        key = os.environ.get(self.api_key_env)
        if key:
            found.append(key)
        if self._credentials is not None:
            user, password = self._credentials.user, self._credentials.password
            found += [password, f"{user}:{password}"]
        spelled = set()
        for secret in found:
            spelled.add(secret)
            spelled.add(base64.b64encode(secret.encode()).decode().rstrip("="))
            spelled.add(base64.urlsafe_b64encode(secret.encode()).decode().rstrip("="))
        return sorted((s for s in spelled if s), key=len, reverse=True)

    def _quote(self, text: str, limit: int = _QUOTE) -> str:
        """``text`` with secrets scrubbed, *then* shortened to ``limit`` characters."""
        clean = _scrub(text, self._secrets())
        return clean if len(clean) <= limit else clean[:limit] + "..."

    def close(self) -> None:
        """Close the connections, the endpoint's event loop and the response cache."""
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.close()
        if self.cache is not None:
            self.cache.close()


def _is_logprob(value: Any) -> bool:
    return isinstance(value, float) and math.isfinite(value)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _split_credentials(url: str) -> tuple[str, _Credentials | None]:
    """``url`` without ``user:password@``, and the (decoded) credentials if there were any."""
    if not isinstance(url, str):
        msg = f"base_url == {type(url).__name__}: pass the endpoint URL as a string"
        raise ParameterError(msg)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        msg = "base_url must be an http(s) URL with a host, e.g. 'http://127.0.0.1:8000/v1'"
        raise ParameterError(msg)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return clean, _Credentials(unquote(user), unquote(password))


def _char_spellings(char: str) -> str:
    """A regex matching one character as itself or JSON-, percent- or HTML-escaped."""
    code = ord(char)
    options = [re.escape(char)]
    if code < 0x10000:
        options.append(rf"\\u{code:04x}")
    else:  # a JSON surrogate pair
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        options.append(rf"\\u{high:04x}\\u{low:04x}")
    options.append("".join(re.escape(f"%{b:02x}") for b in char.encode()))
    options.append(rf"&#0*{code};|&#x0*{code:x};")
    if char == "/":
        options.append(r"\\/")
    if char == " ":
        options.append(r"\+")
    return "(?:" + "|".join(options) + ")"


def _scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every spelling of every secret, and any quoted auth header, with ``***``."""
    for secret in secrets:
        pattern = "".join(_char_spellings(c) for c in secret)
        text = re.sub(pattern, "***", text, flags=re.IGNORECASE)
    return _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
