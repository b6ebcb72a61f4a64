"""Requests per second of the HTTP backend against a loopback OpenAI-compatible server.

The server (stdlib, HTTP/1.1 keep-alive, 127.0.0.1) answers every ``/v1/completions`` request
at once with a fixed completion, so the figure is the client's own cost per request: event
loop, HTTP client, TCP connections. Two ways of sending the same batches are compared:

* ``new client per batch``: a fresh :class:`~ablatio.backends.http.OpenAIEndpoint` for every
  batch (what ablatio did before one client per run: a new event loop, a new
  ``httpx.AsyncClient`` and new TCP connections per batch);
* ``one client per run``: one endpoint for all batches (connections pooled and kept alive).

``--label`` files the figures under a name, so runs of two source trees (before/after a
change) land in one table; timings are wall-clock on whatever machine runs this.

    PYTHONPATH=src python benchmarks/http_throughput.py --label after
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ANSWER = json.dumps({"object": "text_completion", "choices": [{"index": 0, "text": " ok"}]})


class _Server:
    """Fixed answers on 127.0.0.1; counts requests and distinct client connections."""

    def __init__(self) -> None:
        self.ports: set[int] = set()
        self.n_requests = 0
        server = self
        payload = ANSWER.encode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.ports.add(self.client_address[1])
                server.n_requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _run(server: _Server, n_batches: int, batch_size: int, reuse: bool) -> dict[str, float]:
    from ablatio.backends.http import OpenAIEndpoint

    def endpoint() -> OpenAIEndpoint:
        return OpenAIEndpoint(server.url, "bench", max_concurrency=batch_size, random_state=0)

    server.ports.clear()
    before = server.n_requests
    shared = endpoint() if reuse else None
    start = time.perf_counter()
    for b in range(n_batches):
        ep = shared or endpoint()
        answers = ep.generate([f"prompt {b} {i}" for i in range(batch_size)], 1)
        assert answers == ["ok"] * batch_size
        if shared is None:
            ep.close()
    elapsed = time.perf_counter() - start
    if shared is not None:
        shared.close()
    sent = server.n_requests - before
    return {"requests_per_s": sent / elapsed, "connections": len(server.ports)}


def markdown(results: dict) -> str:
    lines = [
        "# HTTP backend throughput (loopback server, requests per second)",
        "",
        "Each row: median of the repeats; the same batches sent by a new endpoint per batch or by",
        "one endpoint for the run. Wall-clock on a shared, loaded machine: compare ratios.",
        "",
        "| label | machine (load at start) | batches x size | way | requests/s | connections |",
        "|---|---|---|---|---|---|",
    ]
    for label, run in results.items():
        for way, figures in run["ways"].items():
            lines.append(
                f"| {label} | {run['machine']} ({run['load_average']}) | "
                f"{run['n_batches']} x {run['batch_size']} | {way} | "
                f"{figures['requests_per_s']:.1f} | {figures['connections']} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="current")
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(HERE / "results" / "http_throughput"))
    args = parser.parse_args()
    out = Path(args.out + ".json")
    results = json.loads(out.read_text()) if out.is_file() else {}
    load = [round(x, 2) for x in os.getloadavg()]
    server = _Server()
    try:
        ways = {}
        for way, reuse in (("new client per batch", False), ("one client per run", True)):
            runs = [_run(server, args.batches, args.batch_size, reuse) for _ in range(args.repeats)]
            ways[way] = {
                "requests_per_s": statistics.median(r["requests_per_s"] for r in runs),
                "connections": runs[0]["connections"],
                "repeats": [round(r["requests_per_s"], 2) for r in runs],
            }
    finally:
        server.close()
    results[args.label] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average": load,
        "n_batches": args.batches,
        "batch_size": args.batch_size,
        "ways": ways,
    }
    out.write_text(json.dumps(results, indent=1))
    Path(args.out + ".md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
