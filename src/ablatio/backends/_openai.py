"""Request bodies and response parsing of the OpenAI-compatible protocol.

Completions (``/completions``) score a continuation with ``echo=true`` and ``logprobs``: the
server returns the log-probability of every prompt token, and the tokens starting inside the
continuation are summed. Chat (``/chat/completions``) endpoints only return log-probabilities
of *generated* tokens, so there the value is the log-probability of the continuation's first
token among the first generated token's ``top_logprobs``.
"""

from __future__ import annotations

import math
from typing import Any

from ablatio.exceptions import EvaluationError

__all__ = [
    "chat_first_token_logprob",
    "echo_logprob",
    "first_generated_logprob",
    "generated_text",
    "logprob_number",
]


def _no_logprobs(where: str) -> EvaluationError:
    msg = (
        f"the endpoint returned no log-probabilities ({where}): it does not support them for "
        "this request. Use mode='completions' only on a server that echoes prompt "
        "log-probabilities (vLLM), mode='chat' for first-token scores (llama.cpp's server), "
        "or explain a score of the generated text with GenerationTarget"
    )
    return EvaluationError(msg)


def logprob_number(value: Any, where: str) -> float:
    """``value`` as a float if it is a finite JSON number; else an EvaluationError.

    JSON ``true``/``false`` (Python ``bool``), strings such as ``"-1.5"``, ``NaN`` and
    ``Infinity`` are refused: a log-probability is a finite number.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"the endpoint sent {value!r} as a log-probability ({where}): not a number"
        raise EvaluationError(msg)
    if not math.isfinite(value):
        msg = f"the endpoint sent {value!r} as a log-probability ({where}): not finite"
        raise EvaluationError(msg)
    return float(value)


def _choice(response: dict[str, Any]) -> dict[str, Any]:
    choices = response.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        msg = f"the endpoint's response has no choices: {response}"
        raise EvaluationError(msg)
    return choices[0]


def echo_logprob(response: dict[str, Any], start: int, end: int) -> float:
    """Sum of echoed token log-probabilities of the tokens overlapping ``[start, end)``."""
    logprobs = _choice(response).get("logprobs")
    if not isinstance(logprobs, dict):
        where = "choices[0].logprobs is missing"
        raise _no_logprobs(where)
    tokens = logprobs.get("tokens")
    values = logprobs.get("token_logprobs")
    offsets = logprobs.get("text_offset")
    if not (isinstance(tokens, list) and isinstance(values, list) and isinstance(offsets, list)):
        where = "tokens, token_logprobs or text_offset missing"
        raise _no_logprobs(where)
    total, found = 0.0, False
    for token, value, offset in zip(tokens, values, offsets, strict=False):
        if not isinstance(token, str) or isinstance(offset, bool) or not isinstance(offset, int):
            msg = f"malformed echoed token {token!r} at text offset {offset!r}"
            raise EvaluationError(msg)
        if offset < end and offset + len(token) > start:
            if value is None:
                where = "a continuation token has a null log-probability"
                raise _no_logprobs(where)
            total += logprob_number(value, f"token {token!r}")
            found = True
    if not found:
        msg = "the echoed tokens do not cover the continuation: the server ignored echo=true"
        raise EvaluationError(msg)
    return total


def first_generated_logprob(response: dict[str, Any]) -> list[Any]:
    """``[text, log-probability]`` of the first generated token (``["", 0.0]`` if none)."""
    logprobs = _choice(response).get("logprobs")
    tokens = logprobs.get("tokens") if isinstance(logprobs, dict) else None
    values = logprobs.get("token_logprobs") if isinstance(logprobs, dict) else None
    if not (isinstance(tokens, list) and isinstance(values, list)):
        where = "no token_logprobs for the generated token"
        raise _no_logprobs(where)
    if not tokens or not values:
        return ["", 0.0]  # the model ended at once: nothing generated
    if not isinstance(tokens[0], str):
        msg = f"malformed generated token {tokens[0]!r}"
        raise EvaluationError(msg)
    return [tokens[0], logprob_number(values[0], f"generated token {tokens[0]!r}")]


def chat_first_token_logprob(response: dict[str, Any], continuation: str) -> float:
    """Log-probability of the continuation's first token from ``top_logprobs``.

    The longest listed token that the continuation starts with is taken. If none is listed,
    the smallest listed log-probability is returned: an upper bound of the true value (the
    token is less likely than every listed one).
    """
    logprobs = _choice(response).get("logprobs")
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(content, list) or not content:
        where = "choices[0].logprobs.content is missing"
        raise _no_logprobs(where)
    first = content[0] if isinstance(content[0], dict) else {}
    top = first.get("top_logprobs") or [first]
    if not isinstance(top, list) or not all(isinstance(e, dict) for e in top):
        msg = f"malformed top_logprobs in the endpoint's response: {top!r}"
        raise EvaluationError(msg)
    listed = [
        (str(e.get("token", "")).lstrip(), logprob_number(e.get("logprob"), "top_logprobs"))
        for e in top
    ]
    best: tuple[int, float] | None = None
    want = continuation.lstrip()
    for token, value in listed:
        if token and want.startswith(token) and (best is None or len(token) > best[0]):
            best = (len(token), value)
    if best is not None:
        return best[1]
    return min(value for _, value in listed)


def generated_text(response: dict[str, Any]) -> str:
    """The generated text of a completions or chat response, whitespace stripped."""
    choice = _choice(response)
    if "message" in choice:
        text = (choice.get("message") or {}).get("content")
    else:
        text = choice.get("text")
    if not isinstance(text, str):
        msg = f"the endpoint's response has no generated text: {choice}"
        raise EvaluationError(msg)
    return text.strip()
