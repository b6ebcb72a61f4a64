"""Scoring copies of a torch model: oneDNN-packed linear layers (fp32 or bfloat16), or a
bfloat16 cast.

Imported lazily by :mod:`ablatio.backends.local` (it imports torch at module level).

On CPUs where MKL's fp32 GEMM has no fast path (measured on AMD EPYC Zen 5: 40–47 GFLOP/s
on one thread against 83–102 GFLOP/s for oneDNN on the same matrices), running each
``nn.Linear`` through oneDNN with its weight reordered once into oneDNN's blocked layout
computes the same products (same fp32 inputs and weights; only the summation order differs)
at about twice the speed.

With ``dtype=torch.bfloat16`` the packed weights are bfloat16 and each linear layer rounds its
input to bfloat16, multiplies with fp32 accumulation (AVX-512 BF16), rounds the product to
bfloat16 (oneDNN's output type) and returns it as fp32: everything else (embeddings, norms,
residual stream, attention, softmax) stays fp32. On SmolLM2 that runs faster than a full
bfloat16 cast (1.5× the fp32 packed layers on one thread) and moves the log-probabilities
about four times less (0.05 against 0.18 nats).

Both copies also run attention through torch's fused ``scaled_dot_product_attention`` when
the model was loaded with the ``"eager"`` implementation (as :mod:`ablatio.models` loads it,
so that audits can read attention weights) and its class supports SDPA: the same softmax
attention, computed blockwise without materialising the weight matrix (values within
1e-4 nats of eager; about a fifth less time in attention on CPU).
"""

from __future__ import annotations

import copy
from typing import Any

import torch

__all__ = ["bfloat16_copy", "can_pack", "packed_copy"]

#: Hook dictionaries of an ``nn.Module``; a packed layer shares its original's, so hooks
#: registered on the user's model (before or after packing) also run in the packed copy.
_HOOK_DICTS = (
    "_forward_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called",
    "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs",
)


def can_pack(model: Any, dtype: torch.dtype = torch.float32) -> bool:
    """Whether oneDNN's packed linear kernel can run this fp32 CPU model in ``dtype``."""
    ops = torch.ops.mkldnn
    if not (torch.backends.mkldnn.is_available() and hasattr(ops, "_linear_pointwise")):
        return False
    if dtype == torch.bfloat16 and not ops._is_mkldnn_bf16_supported():
        return False
    params = list(model.parameters())
    return bool(params) and all(p.device.type == "cpu" and p.dtype == torch.float32 for p in params)


class PackedLinear(torch.nn.Module):
    """``y = x Wᵀ + b`` with ``W`` pre-reordered for oneDNN.

    fp32 (the default): the same maths as the original. bfloat16: ``x`` and ``W`` rounded to
    bfloat16, products accumulated in fp32 and rounded to bfloat16, returned in ``x``'s dtype;
    ``b`` added in ``x``'s dtype.
    """

    def __init__(self, linear: torch.nn.Linear, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.weight, self.bias = linear.weight, linear.bias  # shared, for code that reads them
        self.dtype = dtype
        weight = linear.weight.detach().to(dtype)
        self.packed = torch.ops.mkldnn._reorder_linear_weight(weight, None)
        for name in _HOOK_DICTS:
            if name in linear.__dict__:
                self.__dict__[name] = linear.__dict__[name]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The linear map on the last dimension of ``x``."""
        op = torch.ops.mkldnn._linear_pointwise
        if self.dtype == x.dtype:
            return op(x.contiguous(), self.packed, self.bias, "none", [], "")
        y = op(x.to(self.dtype).contiguous(), self.packed, None, "none", [], "").to(x.dtype)
        return y if self.bias is None else y + self.bias


def packed_copy(model: Any, dtype: torch.dtype = torch.float32) -> Any:
    """The model's module tree with every plain ``nn.Linear`` packed for oneDNN in ``dtype``.

    Other modules are shallow copies sharing the original's parameters, buffers, config and
    hooks (the config is copied where attention switches to SDPA); the output head (often tied
    to the input embeddings) is kept as it is. The user's model is not modified.
    """
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    configs = _sdpa_configs(model)

    def rebuild(module: torch.nn.Module) -> torch.nn.Module:
        if type(module) is torch.nn.Linear and module is not head:  # subclasses may differ
            return PackedLinear(module, dtype)
        clone = copy.copy(module)
        clone._modules = {
            name: None if child is None else rebuild(child)
            for name, child in module._modules.items()
        }
        config = module.__dict__.get("config")
        if config is not None and id(config) in configs:
            clone.config = configs[id(config)]
        return clone

    return rebuild(model)


def bfloat16_copy(model: Any) -> Any:
    """A bfloat16 copy of the model (the original keeps its dtype), attention through SDPA."""
    clone = copy.deepcopy(model).to(torch.bfloat16)
    if _eager_with_sdpa(clone):
        clone.config._attn_implementation = "sdpa"  # the copy's own config (deep copy)
    return clone


def _eager_with_sdpa(model: Any) -> bool:
    """Whether a transformers model runs eager attention and its class has an SDPA path."""
    config = getattr(model, "config", None)
    eager = getattr(config, "_attn_implementation", None) == "eager"
    return eager and bool(getattr(model, "_supports_sdpa", False))


def _sdpa_configs(model: Any) -> dict[int, Any]:
    """``id(config) → copy`` whose attention runs through SDPA, for the model's configs.

    Empty unless :func:`_eager_with_sdpa`. Sub-configs (multimodal models) map to their
    copies too.
    """
    if not _eager_with_sdpa(model):
        return {}
    config = model.config
    fast = copy.deepcopy(config)
    fast._attn_implementation = "sdpa"
    pairs = {id(config): fast}
    for key in getattr(config, "sub_configs", {}) or {}:
        sub = getattr(config, key, None)
        if sub is not None:
            pairs[id(sub)] = getattr(fast, key)
    return pairs
