"""Attention-head attribution: a mask keeps heads, ablated heads are removed by forward hooks.

Every attention layer ends in an output projection whose input is the concatenation of the
heads' outputs, ``(batch, tokens, n_heads * head_dim)``. A forward pre-hook on that projection
replaces the slices of ablated heads by zero or by their mean over a reference batch. The hook
takes a ``(rows, n_heads)`` keep-mask, so one forward pass evaluates several head masks: the
evaluation batch is replicated once per mask (rows ``r * B .. r * B + B - 1`` belong to mask
``r``). transformers 5.x ignores ``head_mask``; hooks work on every version.

A custom ``forward`` may run the model several times per evaluation (e.g. a shared prompt
once, then its continuations from the prompt's key/value cache): every hooked call whose batch
is a multiple ``k * rows * B`` of the evaluation rows gets each keep-row repeated ``k`` times.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ablatio._identity import callable_id
from ablatio._optional import require
from ablatio.backends.local import PackedScorer, model_fingerprint
from ablatio.exceptions import ParameterError
from ablatio.targets.base import Target

__all__ = ["ABLATIONS", "PROJECTION_SUFFIXES", "AttentionLayer", "HeadTarget", "find_heads"]

#: Module-name endings of attention output projections: BERT-style encoders, Llama-style decoders.
PROJECTION_SUFFIXES = ("attention.output.dense", "self_attn.o_proj")
#: How an ablated head's output is replaced.
ABLATIONS = ("zero", "mean")

Score = Callable[[Any, Mapping[str, Any]], Any]
Reduce = Callable[[Any], Any]
Forward = Callable[[Any, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class AttentionLayer:
    """One attention layer's output projection and its head layout."""

    name: str
    module: Any
    n_heads: int
    head_dim: int


def find_heads(model: Any) -> list[AttentionLayer]:
    """Attention output projections of ``model`` in forward order.

    Raises
    ------
    ParameterError
        If no module name ends in one of :data:`PROJECTION_SUFFIXES`.
    """
    config = getattr(model, "config", None)
    n_heads = getattr(config, "num_attention_heads", None)
    layers = []
    for name, module in model.named_modules():
        if name.endswith(PROJECTION_SUFFIXES):
            width = module.in_features
            head_dim = getattr(config, "head_dim", None) or (width // n_heads if n_heads else 0)
            if not n_heads or head_dim * n_heads != width:
                msg = (
                    f"{name}: input width {width} is not num_attention_heads ({n_heads}) x "
                    f"head_dim ({head_dim}); set them on model.config"
                )
                raise ParameterError(msg)
            layers.append(AttentionLayer(name, module, n_heads, head_dim))
    if not layers:
        msg = (
            f"{type(model).__name__} has no recognised attention modules: looked for module "
            f"names ending in {' or '.join(repr(s) for s in PROJECTION_SUFFIXES)} (BERT-style "
            "encoders, Llama-style decoders)"
        )
        raise ParameterError(msg)
    return layers


def _replicate(batch: Mapping[str, Any], times: int) -> dict[str, Any]:
    """Stack ``times`` copies of every tensor along the batch dimension (others as they are)."""
    return {
        k: v.repeat(times, *([1] * (v.dim() - 1))) if hasattr(v, "repeat") else v
        for k, v in batch.items()
    }


class HeadTarget(Target):
    """Task score of a transformer whose masked-out attention heads are ablated.

    Parameters
    ----------
    model : torch.nn.Module
        A Hugging Face BERT-style encoder or Llama-style decoder (put in eval mode here).
    inputs : mapping of str to Tensor
        Model keyword arguments of the evaluation batch, tensors ``(B, ...)`` (other values,
        e.g. ``logits_to_keep``, are passed unchanged).
    score : callable
        ``score(outputs, batch) -> Tensor (rows, ...)``: one number (or vector) per evaluation
        row; ``batch`` holds the replicated ``inputs`` and ``extras``.
    reduce : callable, optional
        ``reduce(scores (n_masks, B, ...)) -> Tensor (n_masks,)`` (default: mean over rows).
    extras : mapping of str to Tensor, optional
        Row-aligned tensors the score needs but the model does not take (e.g. target tokens).
    ablation : {"zero", "mean"}, default="zero"
        Replace an ablated head's output by zeros, or by its mean over the reference batch
        (all non-padding tokens).
    reference : mapping of str to Tensor, optional
        Model inputs of the reference batch for ``ablation="mean"`` (default: ``inputs``).
    layers : sequence of int, optional
        Only heads of these layers are parts (default: every layer).
    masks_per_forward : int, default=8
        Head masks evaluated in one forward pass (batch ``masks_per_forward * B``).
    forward : callable, optional
        ``forward(model, batch) -> outputs`` (default ``model(**batch)``), for tasks that run
        the model in stages; the first tensor of ``inputs`` sets the rows ``B`` and later calls
        may use ``k * B`` rows per mask (rows ordered mask, then evaluation row, then copy).
        With ``ablation="mean"`` it needs an explicit ``reference`` (run as ``model(**ref)``).
    name : str, default=""
        Identifies model and task in :meth:`fingerprint` (e.g. the checkpoint name).
    packed : bool, default=True
        Run (fp32 CPU models) through a copy whose linear layers use oneDNN's packed kernel,
        the ablation hooks included: same values up to float rounding (5.7e-8 on MiniLM's
        paraphrase margins, 1.4e-5 on SmolLM2's answers), 1.7–2.2× the masks per second on
        CPU, for a second copy of the linear weights. Other models (GPU, half precision)
        run as they are.

    Notes
    -----
    With :math:`o^{(\\ell)}_h` the output of head :math:`h` in layer :math:`\\ell`, keep bit
    :math:`m_{\\ell h}` and output projection :math:`W_O^{(\\ell)}`, the ablated layer computes

    .. math::

        W_O^{(\\ell)} \\big[\\, m_{\\ell h}\\, o^{(\\ell)}_h
        + (1 - m_{\\ell h})\\, \\bar o^{(\\ell)}_h \\,\\big]_{h},

    where :math:`\\bar o = 0` (zero ablation) or the reference mean. The all-kept
    mask runs the unmodified model.
    """

    def __init__(
        self,
        model: Any,
        inputs: Mapping[str, Any],
        *,
        score: Score,
        reduce: Reduce | None = None,
        extras: Mapping[str, Any] | None = None,
        ablation: str = "zero",
        reference: Mapping[str, Any] | None = None,
        layers: Sequence[int] | None = None,
        masks_per_forward: int = 8,
        forward: Forward | None = None,
        name: str = "",
        packed: bool = True,
    ) -> None:
        self.torch = require("torch", extra="torch")
        if ablation not in ABLATIONS:
            msg = f"ablation == {ablation!r}; choose one of {ABLATIONS}"
            raise ParameterError(msg)
        if not isinstance(masks_per_forward, int) or masks_per_forward < 1:
            msg = f"masks_per_forward == {masks_per_forward!r}, must be a positive int"
            raise ParameterError(msg)
        if forward is not None and ablation == "mean" and reference is None:
            msg = "ablation='mean' with a custom forward needs reference= (plain model inputs)"
            raise ParameterError(msg)
        self.model = model.eval()
        self._scoring_model = PackedScorer(self.model, packed)
        self.forward = forward
        self.inputs, self.extras = dict(inputs), dict(extras or {})
        self.score, self.reduce = score, reduce
        self.ablation, self.masks_per_forward, self.name = ablation, masks_per_forward, name
        all_layers = find_heads(model)
        chosen = range(len(all_layers)) if layers is None else list(layers)
        if any(not 0 <= k < len(all_layers) for k in chosen) or len(set(chosen)) != len(chosen):
            msg = f"layers == {list(chosen)}: give distinct indices in 0..{len(all_layers) - 1}"
            raise ParameterError(msg)
        self.layer_ids = list(chosen)
        self.layers = [all_layers[k] for k in self.layer_ids]
        self.player_layers = np.repeat(self.layer_ids, [a.n_heads for a in self.layers])
        self.player_heads = np.concatenate([np.arange(a.n_heads) for a in self.layers])
        self.n_players = len(self.player_layers)
        self.player_names = tuple(
            f"L{layer}.H{head}"
            for layer, head in zip(self.player_layers, self.player_heads, strict=True)
        )
        self.batch_rows = len(next(v for v in self.inputs.values() if hasattr(v, "repeat")))
        self._fills = self._reference_means(reference) if ablation == "mean" else None
        self._keep: list[Any] | None = None

    def _reference_means(self, reference: Mapping[str, Any] | None) -> list[Any]:
        """Mean projection input ``(n_heads * head_dim,)`` per layer over non-padding tokens."""
        batch = dict(self.inputs if reference is None else reference)
        weights = batch.get("attention_mask")
        sums: list[Any] = []

        def record(_: Any, args: tuple[Any, ...]) -> None:
            x = args[0].double()
            if weights is None:
                sums.append(x.reshape(-1, x.shape[-1]).mean(dim=0))
            else:
                w = weights.to(x.dtype)[..., None]
                sums.append((x * w).sum(dim=(0, 1)) / w.sum())

        handles = [a.module.register_forward_pre_hook(record) for a in self.layers]
        try:
            with self.torch.no_grad():
                self._scoring_model()(**batch)  # a custom forward comes with a plain reference
        finally:
            for handle in handles:
                handle.remove()
        return [s.to(self.layers[0].module.weight.dtype) for s in sums]

    def _hook(self, position: int) -> Callable[[Any, tuple[Any, ...]], Any]:
        layer = self.layers[position]

        def ablate(_: Any, args: tuple[Any, ...]) -> Any:
            keep = self._keep[position] if self._keep is not None else None
            if keep is None:
                return None
            x = args[0]
            if x.shape[0] != keep.shape[0]:  # a later stage with k rows per evaluation row
                keep = keep.repeat_interleave(x.shape[0] // keep.shape[0], dim=0)
            heads = x.reshape(*x.shape[:-1], layer.n_heads, layer.head_dim)
            view = (x.shape[0],) + (1,) * (x.dim() - 2) + (layer.n_heads, 1)
            if self._fills is None:
                fill = self.torch.zeros((), dtype=x.dtype)
            else:
                fill = self._fills[position].view(layer.n_heads, layer.head_dim)
            out = self.torch.where(keep.view(view), heads, fill)
            return (out.reshape(x.shape), *args[1:])

        return ablate

    def _forward(self, masks: np.ndarray) -> Any:
        """Row scores ``(rows, B, ...)`` of up to ``masks_per_forward`` masks in one pass."""
        torch = self.torch
        rows = len(masks)
        keep = []
        for layer_id in self.layer_ids:
            cols = masks[:, self.player_layers == layer_id]
            # a layer with nothing ablated is left untouched (the hook returns None)
            per_row = None if cols.all() else np.repeat(cols, self.batch_rows, axis=0)
            keep.append(None if per_row is None else torch.from_numpy(per_row))
        batch = _replicate(self.inputs, rows)
        self._keep = keep
        handles = [
            a.module.register_forward_pre_hook(self._hook(i)) for i, a in enumerate(self.layers)
        ]
        try:
            with torch.no_grad():
                model = self._scoring_model()
                outputs = model(**batch) if self.forward is None else self.forward(model, batch)
                scores = self.score(outputs, {**batch, **_replicate(self.extras, rows)})
        finally:
            self._keep = None
            for handle in handles:
                handle.remove()
        return scores.reshape(rows, self.batch_rows, *scores.shape[1:])

    def _values(self, masks: np.ndarray) -> np.ndarray:
        scores = self._forward(masks)
        with self.torch.no_grad():
            values = scores.mean(dim=1) if self.reduce is None else self.reduce(scores)
        return values.double().cpu().numpy().reshape(len(masks))

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        """Task scores ``float64 (n_masks,)`` of head masks ``bool (n_masks, n_players)``."""
        step = self.masks_per_forward
        parts = [self._values(masks[s : s + step]) for s in range(0, len(masks), step)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def row_scores(self, masks: np.ndarray) -> np.ndarray:
        """Per-row scores ``float64 (n_masks, B, ...)`` before ``reduce`` (e.g. per question)."""
        step = self.masks_per_forward
        parts = [
            self._forward(masks[s : s + step]).double().cpu().numpy()
            for s in range(0, len(masks), step)
        ]
        return np.concatenate(parts)

    def fingerprint(self) -> str:
        """Hash of the name, the model (:func:`~ablatio.backends.local.model_fingerprint`,
        memoised until its weights change), inputs, layers, ablation, score."""
        digest = hashlib.sha256()
        weights = model_fingerprint(self.model)
        digest.update(f"{self.name}|{type(self.model).__name__}|{weights}".encode())
        staged = () if self.forward is None else (self.forward,)
        funcs = [
            callable_id(self.score, "HeadTarget's score"),
            callable_id(self.reduce, "HeadTarget's reduce"),
            *(callable_id(f, "HeadTarget's forward") for f in staged),
        ]
        digest.update(f"{self.layer_ids}|{self.ablation}|{funcs}".encode())
        for key, value in sorted({**self.inputs, **self.extras}.items()):
            blob = value.cpu().numpy().tobytes() if hasattr(value, "cpu") else repr(value)
            digest.update(key.encode() + (blob if isinstance(blob, bytes) else blob.encode()))
        return digest.hexdigest()[:32]
