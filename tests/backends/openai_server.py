"""A small OpenAI-compatible server on 127.0.0.1 for the HTTP backend's tests.

It serves a local causal LM (a :class:`~ablatio.backends.local.TorchCausalLM`, in tests a tiny
randomly initialised Llama) on ``/v1/completions`` (with ``echo`` + ``logprobs``) and
``/v1/chat/completions`` (with ``logprobs`` + ``top_logprobs``), from a stdlib
``ThreadingHTTPServer`` in a background thread. Switches inject trouble:

``fail_rate``      fraction of requests answered 503 or 429 (a given request fails at most
                   ``max_failures`` times in a row, so retrying always ends)
``delay``          seconds to wait before answering
``hang``           seconds to wait before answering a request's first attempt (past timeouts)
``malformed``      answer with invalid JSON
``no_logprobs``    leave ``logprobs`` out of the answers
``required_key``   answer 401 (quoting the key received) unless this bearer key is sent
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import torch


class OpenAIServer:
    """Context manager: ``with OpenAIServer(lm) as srv: srv.base_url``."""

    def __init__(self, lm: Any, *, seed: int = 0) -> None:
        from ablatio.backends.local import TorchCausalLM

        self.lm = TorchCausalLM(lm.model, lm.tokenizer, chat=False)
        self.chat_lm = TorchCausalLM(lm.model, lm.tokenizer, chat=True)
        self.required_key: str | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        self.fail_rate = 0.0
        self.max_failures = 2
        self.delay = 0.0
        self.hang = 0.0
        self.malformed = False
        self.no_logprobs = False
        self.n_requests = 0
        self.auth_headers: list[str | None] = []
        self._attempts: Counter[str] = Counter()
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._model_lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, payload = server.handle(self.path, raw, self.headers.get("Authorization"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> OpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- request handling ----------------------------------------------------------------------
    def handle(self, path: str, raw: bytes, auth: str | None) -> tuple[int, bytes]:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return self._handle(path, raw, auth)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _handle(self, path: str, raw: bytes, auth: str | None) -> tuple[int, bytes]:
        if self.required_key is not None and auth != f"Bearer {self.required_key}":
            return 401, json.dumps({"error": {"message": f"invalid key: {auth}"}}).encode()
        with self._lock:
            self.n_requests += 1
            self.auth_headers.append(auth)
            attempt = self._attempts[raw.decode()]
            self._attempts[raw.decode()] += 1
            fail = self._rng.random() < self.fail_rate and attempt < self.max_failures
            status = int(self._rng.choice([429, 503]))
        if self.hang and attempt == 0:
            time.sleep(self.hang)
        if self.delay:
            time.sleep(self.delay)
        if fail:
            return status, b'{"error": {"message": "injected failure"}}'
        if self.malformed:
            return 200, b'{"choices": [ {"text": "oops'
        body = json.loads(raw)
        text = body["messages"][-1]["content"] if "messages" in body else body["prompt"]
        limit = self.lm.max_length
        if len(self.lm.tokenizer(text)["input_ids"]) + (body.get("max_tokens") or 1) > limit:
            message = f"This model's maximum context length is {limit} tokens"
            return 400, json.dumps({"error": {"message": message}}).encode()
        if path.endswith("/chat/completions"):
            answer = self._chat(body)
        elif path.endswith("/completions"):
            answer = self._completion(body)
        else:
            return 404, b'{"error": {"message": "unknown path"}}'
        return 200, json.dumps(answer).encode()

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        prompt = body["prompt"]
        lm = self.lm
        with self._model_lock:
            generated = lm.generate([prompt], body.get("max_tokens") or 1)[0]
            echo = self._echo(prompt) if body.get("echo") else None
        choice: dict[str, Any] = {"index": 0, "text": generated, "finish_reason": "length"}
        choice["logprobs"] = None if self.no_logprobs or body.get("logprobs") is None else echo
        return {"object": "text_completion", "model": body["model"], "choices": [choice]}

    def _echo(self, prompt: str) -> dict[str, Any]:
        tok, model = self.lm.tokenizer, self.lm.model
        enc = tok(prompt, add_special_tokens=False, return_offsets_mapping=True)
        ids = enc["input_ids"]
        with torch.inference_mode():
            logp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), -1)
        values: list[float | None] = [None]
        values += [float(logp[t - 1, ids[t]]) for t in range(1, len(ids))]
        return {
            "tokens": [prompt[a:b] for a, b in enc["offset_mapping"]],
            "token_logprobs": values,
            "text_offset": [a for a, _ in enc["offset_mapping"]],
        }

    def _chat(self, body: dict[str, Any]) -> dict[str, Any]:
        user = body["messages"][-1]["content"]
        lm = self.chat_lm
        with self._model_lock:
            answer = lm.generate([user], body.get("max_tokens") or 1)[0]
            ids = lm._encode_prompt(user)
            with torch.inference_mode():
                last = torch.log_softmax(lm.model(torch.tensor([ids])).logits[0, -1].float(), -1)
        message = {"role": "assistant", "content": answer}
        choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": "length"}
        if body.get("logprobs") and not self.no_logprobs:
            k = int(body.get("top_logprobs") or 1)
            values, index = last.topk(k)
            top = [
                {"token": lm.tokenizer.decode([int(i)]), "logprob": float(v)}
                for v, i in zip(values, index, strict=True)
            ]
            choice["logprobs"] = {"content": [{**top[0], "top_logprobs": top}]}
        return {"object": "chat.completion", "model": body["model"], "choices": [choice]}
