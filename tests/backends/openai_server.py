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
``quote_auth``     how the 401 body quotes the Authorization header: ``"plain"``, ``"json"``
                   (every ``/`` escaped as ``\\/``), ``"percent"``, ``"padded"`` (the key starts at
                   character 280, so a 300-character cut falls inside it)
``drip``           seconds between the bytes of each answer (headers first, then the body)
``raw_reply``      ``(headers, body)`` sent verbatim for every request (e.g. a gzip bomb);
                   with ``Transfer-Encoding: chunked`` no length is announced
``bad_logprob``    JSON value sent instead of every log-probability (``True``, ``"-1"``, NaN)
``logprob_shift``  ``{model name: shift}`` added to every log-probability of that model
``echo_shifted``   echo each prompt token's log-probability one position late (the value of
                   the token under the *next* position's distribution), as llama-cpp-python's
                   server does for models that add no BOS token

Connections are HTTP/1.1 keep-alive; ``client_ports`` records the client port of every
request, so ``len(set(client_ports))`` counts TCP connections.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
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
        self.quote_auth = "plain"
        self.drip = 0.0
        self.raw_reply: tuple[dict[str, str], bytes] | None = None
        self.bad_logprob: Any = None
        self.logprob_shift: dict[str, float] = {}
        self.echo_shifted = False
        self.client_ports: list[int] = []
        self.n_requests = 0
        self.auth_headers: list[str | None] = []
        self._attempts: Counter[str] = Counter()
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._model_lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.client_ports.append(self.client_address[1])
                if server.raw_reply is not None:
                    headers, payload = server.raw_reply
                    status = 200
                else:
                    auth = self.headers.get("Authorization")
                    status, payload = server.handle(self.path, raw, auth)
                    headers = {"Content-Type": "application/json"}
                chunked = headers.get("Transfer-Encoding") == "chunked"
                if not chunked:
                    headers = {"Content-Length": str(len(payload)), **headers}
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if chunked:  # 64 KiB chunks, no length announced
                        for i in range(0, len(payload), 2**16):
                            piece = payload[i : i + 2**16]
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        self.wfile.write(b"0\r\n\r\n")
                    elif not server.drip:
                        self.wfile.write(payload)
                    for i in range(len(payload) if server.drip else 0):
                        self.wfile.write(payload[i : i + 1])
                        self.wfile.flush()
                        time.sleep(server.drip)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

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
            return 401, self._refusal(str(auth))
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
        return 200, json.dumps(answer, allow_nan=True).encode()

    def _refusal(self, auth: str) -> bytes:
        """A 401 body quoting the Authorization header as ``quote_auth`` says."""
        if self.quote_auth == "percent":
            auth = urllib.parse.quote(auth, safe="")
        head = '{"error": {"message": "'
        pad = "x" * (280 - len(head) - len("invalid key: Bearer ") - 1) + " "
        message = f"{pad if self.quote_auth == 'padded' else ''}invalid key: {auth}"
        text = json.dumps({"error": {"message": message}})
        if self.quote_auth == "json":
            text = text.replace("/", "\\/")
        return text.encode()

    def _logprob(self, value: float, model: str) -> Any:
        """What the server sends for a log-probability ``value`` (see the switches)."""
        if self.bad_logprob is not None:
            return self.bad_logprob
        return value + self.logprob_shift.get(model, 0.0)

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        prompt = body["prompt"]
        lm = self.lm
        with self._model_lock:
            generated = lm.generate([prompt], body.get("max_tokens") or 1)[0]
            if body.get("echo"):
                echo = self._echo(prompt, body["model"])
            else:  # the generated tokens only: their generation-time log-probabilities
                full = self._echo(prompt + generated, body["model"], shifted=False)
                keep = [i for i, o in enumerate(full["text_offset"]) if o >= len(prompt)]
                echo = {
                    "tokens": [full["tokens"][i] for i in keep],
                    "token_logprobs": [full["token_logprobs"][i] for i in keep],
                    "text_offset": [full["text_offset"][i] for i in keep],
                }
        choice: dict[str, Any] = {"index": 0, "text": generated, "finish_reason": "length"}
        choice["logprobs"] = None if self.no_logprobs or body.get("logprobs") is None else echo
        return {"object": "text_completion", "model": body["model"], "choices": [choice]}

    def _echo(self, prompt: str, model_name: str, *, shifted: bool | None = None) -> dict[str, Any]:
        tok, model = self.lm.tokenizer, self.lm.model
        enc = tok(prompt, add_special_tokens=False, return_offsets_mapping=True)
        ids = enc["input_ids"]
        with torch.inference_mode():
            logp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), -1)
        values: list[Any] = [None]
        late = self.echo_shifted if shifted is None else shifted
        for t in range(1, len(ids)):
            values.append(self._logprob(float(logp[t if late else t - 1, ids[t]]), model_name))
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
                {
                    "token": lm.tokenizer.decode([int(i)]),
                    "logprob": self._logprob(float(v), body["model"]),
                }
                for v, i in zip(values, index, strict=True)
            ]
            choice["logprobs"] = {"content": [{**top[0], "top_logprobs": top}]}
        return {"object": "chat.completion", "model": body["model"], "choices": [choice]}
