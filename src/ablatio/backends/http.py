"""An OpenAI-compatible HTTP endpoint (vLLM, llama.cpp server, hosted APIs) as a language model.

One synchronous, batched API outward (:meth:`OpenAIEndpoint.logprob`,
:meth:`OpenAIEndpoint.generate`); inside, the requests of a batch run concurrently on an
asyncio loop with at most ``max_concurrency`` in flight. Failures that may pass (HTTP 429 and
5xx, timeouts, dropped connections, malformed JSON) are retried with exponential backoff and
jitter,

.. math::

    d_a = \\min(d_{\\max}, d_0 2^a) \\cdot u_a, \\qquad u_a \\sim U(\\tfrac12, 1),

honouring a ``Retry-After`` header when the server sends one. After ``max_retries`` retries an
:class:`~ablatio.exceptions.EvaluationError` names the endpoint, the attempts and the last
error. Every valid response is stored in the SQLite response cache as soon as it arrives, so
nothing received is lost when a later request fails.

The API key is read from the environment variable ``api_key_env`` at request time; it is sent
only in the ``Authorization`` header and never stored in the cache, the fingerprint, reprs or
error messages.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ablatio._optional import require
from ablatio._validation import RandomState, check_random_state
from ablatio.backends._openai import chat_first_token_logprob, echo_logprob, generated_text
from ablatio.backends._responses import ResponseCache, request_key
from ablatio.exceptions import EvaluationError, ParameterError

__all__ = ["OpenAIEndpoint"]

#: HTTP statuses worth retrying: rate limiting and server-side failures.
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
#: ``parse(request index, response JSON) -> value``; raises EvaluationError if unusable.
Parser = Callable[[int, dict[str, Any]], Any]
#: Characters of an error body quoted in an EvaluationError.
_QUOTE = 300
#: Key prefix of cache rows holding a parsed value instead of a raw response.
_PARSED_PREFIX = "parsed:"


class _Retryable(Exception):
    """A failure that may pass on a later attempt (internal)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OpenAIEndpoint:
    """A model served over the OpenAI HTTP protocol.

    Parameters
    ----------
    base_url : str
        E.g. ``"http://127.0.0.1:8000/v1"``.
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
        Requests in flight at once.
    max_retries : int, default=5
        Retries after the first attempt of a request.
    timeout : float, default=60.0
        Seconds per attempt.
    backoff : float, default=0.5
        First backoff delay ``d_0`` in seconds.
    max_backoff : float, default=30.0
        Longest delay ``d_max``.
    top_logprobs : int, default=20
        Chat mode: alternatives requested for the first generated token.
    cache : str or Path, optional
        SQLite file for responses (may be the run's ablation cache file). Keys are
        ``sha256(url + request body)``: no prompt text and no credentials.
    store_responses : bool, default=False
        Keep each raw response JSON in ``cache``. Completions-mode responses echo the prompt
        tokens, so the default keeps only the parsed number (log-probability) or generated
        text per request hash; set True to keep the raw responses for auditing.
    random_state : int, Generator or None
        Seed of the backoff jitter.
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
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        top_logprobs: int = 20,
        cache: str | Path | None = None,
        store_responses: bool = False,
        random_state: RandomState = None,
    ) -> None:
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
        ):
            if not isinstance(value, int) or value < low:
                msg = f"{name} == {value!r}, must be an int >= {low}"
                raise ParameterError(msg)
        for name, seconds in (
            ("timeout", timeout),
            ("backoff", backoff),
            ("max_backoff", max_backoff),
        ):
            if not seconds > 0:
                msg = f"{name} == {seconds!r}, must be > 0 seconds"
                raise ParameterError(msg)
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.mode = mode
        self.prompt_template = prompt_template
        self.system = system
        self.api_key_env = api_key_env
        self.max_concurrency = max_concurrency
        self.max_retries = max_retries
        self.timeout = float(timeout)
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.top_logprobs = top_logprobs
        self.cache = None if cache is None else ResponseCache(cache)
        self.store_responses = bool(store_responses)
        self._rng = check_random_state(random_state)
        self.n_requests = 0

    def __repr__(self) -> str:
        return f"OpenAIEndpoint({self.base_url!r}, model={self.model!r}, mode={self.mode!r})"

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
            values = self._run(
                "/chat/completions", bodies, lambda _, r: chat_first_token_logprob(r, continuation)
            )
            return np.array(values, dtype=np.float64)
        heads = [self.prompt_template.format(prompt=p) for p in prompts]
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
        values = self._run("/completions", bodies, lambda i, r: echo_logprob(r, *ends[i]))
        return np.array(values, dtype=np.float64)

    def generate(self, prompts: Sequence[str], max_new_tokens: int) -> list[str]:
        """Greedy (temperature 0) answer to each prompt."""
        if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            msg = f"max_new_tokens == {max_new_tokens!r}, must be a positive int"
            raise ParameterError(msg)
        if self.mode == "chat":
            bodies = [self._chat_body(p, max_new_tokens) for p in prompts]
            return self._run("/chat/completions", bodies, lambda _, r: generated_text(r))
        bodies = [
            {
                "model": self.model,
                "prompt": self.prompt_template.format(prompt=p),
                "max_tokens": max_new_tokens,
                "temperature": 0,
            }
            for p in prompts
        ]
        return self._run("/completions", bodies, lambda _, r: generated_text(r))

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
    def _run(self, path: str, bodies: list[dict[str, Any]], parse: Parser) -> list[Any]:
        """``parse(i, response)`` of every body's response (cache first), in order.

        A response is stored in the cache only after ``parse`` accepted it.
        """
        url = self.base_url + path
        prefix = "" if self.store_responses else _PARSED_PREFIX
        keys = [prefix + request_key(url, b) for b in bodies]
        out: dict[int, Any] = {}
        for i, key in enumerate(keys):
            stored = None if self.cache is None else self.cache.get(key)
            if stored is not None:
                out[i] = parse(i, stored) if self.store_responses else stored["value"]
        todo = [i for i in range(len(bodies)) if i not in out]
        if todo:
            delays = self._rng.uniform(0.5, 1.0, size=(len(todo), self.max_retries + 1))
            jobs = [(url, bodies[i], keys[i], delays[j], i, parse) for j, i in enumerate(todo)]
            fetched = _run_sync(self._fetch_all(jobs))
            out.update(zip(todo, fetched, strict=True))
        return [out[i] for i in range(len(bodies))]

    async def _fetch_all(self, jobs: list[tuple]) -> list[Any]:
        httpx = require("httpx", extra="http")
        limit = asyncio.Semaphore(self.max_concurrency)
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        async with httpx.AsyncClient(timeout=self.timeout, headers=headers) as client:

            async def one(job: tuple) -> Any:
                async with limit:
                    return await self._fetch(client, *job)

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
            value = parse(i, response)
            if self.cache is not None:
                self.cache.put(key, response if self.store_responses else {"value": value})
            return value
        msg = (
            f"{url} failed after {self.max_retries + 1} attempts (last error: "
            f"{self._scrub(last)}); responses received before it are kept in the response "
            "cache when one is set (cache=...)"
        )
        raise EvaluationError(msg)

    async def _attempt(self, client: Any, url: str, body: dict) -> dict[str, Any]:
        httpx = require("httpx", extra="http")
        self.n_requests += 1
        try:
            reply = await client.post(url, json=body)
        except httpx.TimeoutException:
            msg = f"no answer within timeout={self.timeout}s"
            raise _Retryable(msg) from None
        except httpx.TransportError as exc:
            msg = f"connection failed ({type(exc).__name__}: {exc})"
            raise _Retryable(msg) from None
        text = reply.text
        if reply.status_code in RETRY_STATUSES:
            after = reply.headers.get("retry-after")
            wait = float(after) if after and after.replace(".", "", 1).isdigit() else None
            msg = f"HTTP {reply.status_code}: {text[:_QUOTE]}"
            raise _Retryable(msg, wait)
        if reply.status_code >= 400:
            hint = (
                f"; check the API key in ${self.api_key_env}"
                if reply.status_code in (401, 403)
                else ""
            )
            msg = f"{url} answered HTTP {reply.status_code}: {self._scrub(text[:_QUOTE])}{hint}"
            raise EvaluationError(msg)
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            msg = f"malformed JSON from the server: {text[:80]!r}"
            raise _Retryable(msg) from None
        if not isinstance(data, dict):
            msg = f"malformed response (not a JSON object): {text[:80]!r}"
            raise _Retryable(msg)
        return data

    def _scrub(self, text: str) -> str:
        key = os.environ.get(self.api_key_env)
        return text.replace(key, "***") if key else text

    def close(self) -> None:
        """Close the response cache."""
        if self.cache is not None:
            self.cache.close()


def _run_sync(coro: Any) -> Any:
    """Run a coroutine to completion from synchronous code, even inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
