"""Fixtures shared by the HTTP backend tests: the tiny local model and a loopback server."""

import pytest


@pytest.fixture
def local(tiny_llama, smol_tokenizer):
    """The tiny Llama as a local backend (completions mode)."""
    from ablatio.backends.local import TorchCausalLM

    return TorchCausalLM(tiny_llama, smol_tokenizer, chat=False)


@pytest.fixture
def server(local):
    """An OpenAI-compatible server on 127.0.0.1 answering from ``local``."""
    from .openai_server import OpenAIServer

    with OpenAIServer(local) as srv:
        yield srv
