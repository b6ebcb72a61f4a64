"""A local torch causal language model as a batched scorer and generator.

Every wrapper evaluates under ``torch.inference_mode`` in batches of ``batch_size`` texts and
optionally limits torch to ``threads`` CPU threads for the duration of a call (the previous
setting is restored afterwards). Scoring sorts the prompts by token length before batching
(equal or nearly equal lengths share a batch: little padding) and runs the linear layers of an
fp32 CPU model through oneDNN-packed weights (:mod:`ablatio.backends._packed`).
torch and transformers are imported lazily.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ablatio._optional import require
from ablatio.exceptions import ParameterError

__all__ = ["TorchCausalLM", "model_fingerprint"]

#: Parameter values hashed into a model fingerprint (from the start of each tensor).
_FINGERPRINT_VALUES = 16
#: model -> (weights state, fingerprint): recomputed only when a tensor changed in place
_FINGERPRINTS: weakref.WeakKeyDictionary[Any, tuple[tuple[Any, ...], str]] = (
    weakref.WeakKeyDictionary()
)

#: Scoring precisions: the model's own fp32 (default) or bfloat16 linear layers (faster, inexact).
DTYPES = ("float32", "bfloat16")


def weights_state(model: Any) -> tuple[Any, ...]:
    """Changes whenever a parameter or buffer is changed in place or replaced: torch's
    in-place counters (``_version``) and storage addresses of every tensor."""
    return tuple((_version(t), t.data_ptr()) for t in model.state_dict(keep_vars=True).values())


def _checked_dtype(dtype: Any) -> str:
    if dtype not in DTYPES:
        msg = f"dtype == {dtype!r}; choose one of {DTYPES}"
        raise ParameterError(msg)
    return str(dtype)


class PackedScorer:
    """The module that scores for a wrapper of ``model``, built on first use and rebuilt when
    the weights change in place (:func:`weights_state`); the user's model is not modified.

    fp32 (``dtype="float32"``): a copy whose ``nn.Linear`` layers run oneDNN's packed kernel
    when ``packed`` and the model allows it (fp32 on CPU), else the model itself — same values
    up to float rounding, and hooks registered on the model's modules run in the copy too.
    ``dtype="bfloat16"``: the packed copy in bfloat16 (the rest fp32) where oneDNN supports
    it and ``packed``, else a bfloat16 cast of the whole model (:mod:`ablatio.backends._packed`).
    """

    def __init__(self, model: Any, packed: bool, dtype: str = "float32") -> None:
        self.model, self.packed, self.dtype = model, bool(packed), dtype
        self._copy: Any = None
        self._seen: tuple[Any, ...] = ()

    def __call__(self) -> Any:
        """The scoring module for the model's current weights."""
        state = weights_state(self.model)
        if self._copy is None or state != self._seen:
            from ablatio.backends import _packed

            if self.packs_bfloat16():
                self._copy = _packed.packed_copy(self.model, _packed.torch.bfloat16)
            elif self.dtype == "bfloat16":
                self._copy = _packed.bfloat16_copy(self.model)
            elif self.packed and _packed.can_pack(self.model):
                self._copy = _packed.packed_copy(self.model)
            else:
                self._copy = self.model
            self._seen = state
        return self._copy

    def packs_bfloat16(self) -> bool:
        """Whether ``dtype="bfloat16"`` runs as bfloat16 packed linear layers (else a cast)."""
        if self.dtype != "bfloat16" or not self.packed:
            return False
        from ablatio.backends import _packed

        return _packed.can_pack(self.model, _packed.torch.bfloat16)


def _version(tensor: Any) -> int:
    """torch's in-place counter (-1 for an inference tensor, which keeps none)."""
    try:
        return int(tensor._version)
    except RuntimeError:
        return -1


def model_fingerprint(model: Any) -> str:
    """Class, name/path, parameter count and a hash of every tensor's name, shape, first
    values, sum and sum of squares (float64), so that a change anywhere in a tensor (a pruned
    head, a fine-tuning step) changes it. Memoised per model until :func:`weights_state`
    changes.
    """
    state = weights_state(model)
    known = _FINGERPRINTS.get(model)
    if known is not None and known[0] == state:
        return known[1]
    torch = require("torch", extra="torch")
    digest = hashlib.sha256()
    count = 0
    with torch.no_grad():
        for name, param in model.state_dict().items():
            flat = param.detach().reshape(-1)
            count += flat.numel()
            digest.update(f"{name}:{tuple(param.shape)}".encode())
            digest.update(flat[:_FINGERPRINT_VALUES].float().cpu().numpy().tobytes())
            if flat.is_floating_point() or flat.is_complex():
                wide = flat.to(torch.float64)
                sums = torch.stack([wide.sum(), (wide * wide).sum()])
            else:
                sums = torch.stack([flat.sum(), (flat * flat).sum()]).to(torch.float64)
            digest.update(sums.cpu().numpy().tobytes())
    source = getattr(getattr(model, "config", None), "_name_or_path", "") or ""
    fingerprint = f"{type(model).__name__}:{source}:{count}:{digest.hexdigest()[:16]}"
    _FINGERPRINTS[model] = (state, fingerprint)
    return fingerprint


@contextmanager
def torch_threads(threads: int | None) -> Iterator[Any]:
    torch = require("torch", extra="torch")
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            yield torch
    finally:
        torch.set_num_threads(previous)


def check_batching(batch_size: Any, threads: Any) -> None:
    if not isinstance(batch_size, int) or batch_size < 1:
        msg = f"batch_size == {batch_size!r}, must be a positive int"
        raise ParameterError(msg)
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        msg = f"threads == {threads!r}, must be a positive int or None (torch's default)"
        raise ParameterError(msg)


class TorchCausalLM:
    """A local causal LM (``AutoModelForCausalLM``) that scores and generates in batches.

    Parameters
    ----------
    model : transformers.PreTrainedModel
        A causal LM in eval mode.
    tokenizer : transformers tokenizer
        Its tokenizer.
    chat : bool, default=True
        Wrap each prompt in the tokenizer's chat template (as the user's message, followed by
        the assistant turn's opening) when the tokenizer has one.
    system : str, optional
        System message for the chat template (default: the template's own default).
    batch_size : int, default=16
        Most prompts per forward pass ...
    max_batch_tokens : int or None, default=1200
        ... and most tokens (prompts × the longest one's length) per scoring pass: long prompts
        go in smaller batches (CPU measurement at 511 tokens: batch 4 ran at 1.49 ablations/s,
        batch 16 at 0.65). None: ``batch_size`` alone decides.
    threads : int, optional
        torch CPU threads during a call (default: leave torch's setting).
    reuse_prefix : bool, default=True
        Scoring runs the token prefix common to all prompts of a call (the chat template's
        opening, plus any unablated start of the text) once and continues every prompt from its
        key/value cache; same values up to float rounding. Prefixes shorter than
        ``min_prefix`` tokens are not worth it and are recomputed.
    min_prefix : int, default=8
        Shortest common prefix that is reused.
    packed : bool, default=True
        Score with a copy of the model whose ``nn.Linear`` layers run oneDNN's packed fp32
        kernel (CPU fp32 models with a oneDNN build of torch; otherwise the model itself).
        Same values up to float rounding (≤ 1e-4 nats on SmolLM2); 1.8× faster at batch 1 on
        this project's AMD EPYC, where MKL's fp32 GEMM is slow; costs a second copy of the
        linear weights. The copy of a model loaded with eager attention attends through
        torch's fused ``scaled_dot_product_attention`` where its class supports it (2–8 %
        faster; the model itself stays eager). Generation always uses the model itself.
    dtype : {"float32", "bfloat16"}, default="float32"
        ``"bfloat16"`` scores and generates with linear layers in bfloat16: with ``packed`` on a
        CPU whose oneDNN supports bfloat16, the packed copy multiplies bfloat16 inputs and
        weights with fp32 accumulation and keeps everything else fp32 (1.5× the fp32 packed
        copy on one AVX-512 BF16 core, values within ~0.05 nats on SmolLM2); elsewhere a
        bfloat16 copy of the whole model (about 0.2 nats). The values change, so the
        fingerprint (cache key) changes too, and differs between the two variants.

    Notes
    -----
    The packed (or bfloat16) copy is built at the first call and rebuilt when the model's
    weights change in place; assigning new tensors to ``.data`` is not seen by torch's
    change counters — build a new wrapper then.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        chat: bool = True,
        system: str | None = None,
        batch_size: int = 16,
        max_batch_tokens: int | None = 1200,
        threads: int | None = None,
        reuse_prefix: bool = True,
        min_prefix: int = 8,
        packed: bool = True,
        dtype: str = "float32",
    ) -> None:
        check_batching(batch_size, threads)
        if max_batch_tokens is not None and (
            not isinstance(max_batch_tokens, int) or max_batch_tokens < 1
        ):
            msg = f"max_batch_tokens == {max_batch_tokens!r}, must be a positive int or None"
            raise ParameterError(msg)
        self.max_batch_tokens = max_batch_tokens
        if not isinstance(min_prefix, int) or min_prefix < 1:
            msg = f"min_prefix == {min_prefix!r}, must be a positive int"
            raise ParameterError(msg)
        self.reuse_prefix, self.min_prefix = bool(reuse_prefix), min_prefix
        self._weights_seen: tuple[Any, ...] = ()
        self._fingerprint: str | None = None
        self.model = model.eval()
        self._scoring_model = PackedScorer(self.model, packed, _checked_dtype(dtype))
        self.tokenizer = tokenizer
        self.chat = bool(chat) and bool(getattr(tokenizer, "chat_template", None))
        self.system = system
        self.batch_size = batch_size
        self.threads = threads
        self._pad_id = tokenizer.pad_token_id
        if self._pad_id is None:
            self._pad_id = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
        self.max_length = int(getattr(model.config, "max_position_embeddings", 0) or 0) or None

    @property
    def packed(self) -> bool:
        """Whether scoring runs through the oneDNN-packed copy (where the model allows it)."""
        return self._scoring_model.packed

    @packed.setter
    def packed(self, value: bool) -> None:
        self._scoring_model = PackedScorer(self.model, value, self.dtype)
        self._fingerprint = None  # bfloat16's key names the variant that scores

    @property
    def dtype(self) -> str:
        """Scoring precision (:data:`DTYPES`)."""
        return self._scoring_model.dtype

    @dtype.setter
    def dtype(self, value: str) -> None:
        self._scoring_model = PackedScorer(self.model, self.packed, _checked_dtype(value))
        self._fingerprint = None  # the key names the precision

    def fingerprint(self) -> str:
        """Model identity and prompt format (recomputed after an in-place weight change)."""
        self._sync_weights()
        if self._fingerprint is None:
            fmt = f"chat={self.chat}:system={self.system!r}"
            if self.dtype != "float32":
                linear = self._scoring_model.packs_bfloat16()
                fmt += f":dtype={self.dtype}" + (":linear" if linear else "")
            self._fingerprint = f"{model_fingerprint(self.model)}:{fmt}"
        return self._fingerprint

    def render(self, prompt: str) -> str:
        """The exact string fed to the model for a user prompt."""
        if not self.chat:
            return prompt
        messages = [] if self.system is None else [{"role": "system", "content": self.system}]
        messages.append({"role": "user", "content": prompt})
        return str(
            self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        )

    def _encode_prompt(self, prompt: str) -> list[int]:
        ids = self.tokenizer(self.render(prompt), add_special_tokens=not self.chat)["input_ids"]
        return list(ids)

    def encode_continuation(self, continuation: str) -> list[int]:
        """Token ids of a continuation; raise if the tokenizer cannot represent it exactly."""
        if not continuation:
            msg = "continuation is empty: pass at least one character to score"
            raise ParameterError(msg)
        try:
            ids = list(self.tokenizer(continuation, add_special_tokens=False)["input_ids"])
            back = self.tokenizer.decode(ids)
        except (TypeError, ValueError, UnicodeError):  # e.g. lone surrogates
            ids, back = [], "<not encodable>"
        unk = self.tokenizer.unk_token_id
        if not ids or (unk is not None and unk in ids) or back.strip() != continuation.strip():
            msg = (
                f"the tokenizer cannot encode the target continuation {continuation!r} "
                f"(it decodes back as {back!r}): remove the characters it does not know"
            )
            raise ParameterError(msg)
        return ids

    def count_tokens(self, continuation: str) -> int:
        """Number of tokens of a continuation."""
        return len(self.encode_continuation(continuation))

    def _check_length(self, length: int, prompt: str) -> None:
        if self.max_length is not None and length > self.max_length:
            msg = (
                f"prompt + continuation is {length} tokens, longer than the model's context of "
                f"{self.max_length} (prompt starts {prompt[:40]!r}): shorten the prompt"
            )
            raise ParameterError(msg)

    def _sync_weights(self) -> None:
        """Drop the fingerprint when the weights changed since (the scoring copy follows by
        itself: :class:`PackedScorer`)."""
        state = weights_state(self.model)
        if state != self._weights_seen:
            self._fingerprint, self._weights_seen = None, state

    def _generator_model(self) -> Any:
        return self._scoring_model() if self.dtype != "float32" else self.model

    def _batch(self, rows: list[list[int]], torch: Any) -> tuple[Any, Any, Any]:
        """Left-padded ids, attention mask and position ids."""
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self._pad_id, dtype=torch.long)
        attn = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, width - len(row) :] = torch.tensor(row, dtype=torch.long)
            attn[i, width - len(row) :] = 1
        positions = (attn.cumsum(dim=1) - 1).clamp(min=0)
        return ids, attn, positions

    def logprob(self, prompts: Sequence[str], continuation: str) -> np.ndarray:
        """Teacher-forced log-probability of ``continuation`` after each prompt.

        Returns
        -------
        ndarray of shape (n_prompts,)
            :math:`\\sum_t \\log p(y_t \\mid x, y_{<t})` in nats.
        """
        cont = self.encode_continuation(continuation)
        rows = []
        for prompt in prompts:
            row = self._encode_prompt(prompt) + cont
            self._check_length(len(row), prompt)
            rows.append(row)
        out = np.empty(len(rows), dtype=np.float64)
        k = len(cont)
        with torch_threads(self.threads) as torch:
            target = torch.tensor(cont, dtype=torch.long)
            for index, logits in self._last_logits(rows, k + 1, torch):
                logp = torch.log_softmax(logits[:, :k, :].float(), dim=-1)
                picked = logp.gather(2, target.expand(len(logp), k).unsqueeze(-1)).squeeze(-1)
                out[index] = picked.sum(dim=1).double().numpy()
        return out

    def _last_logits(
        self, rows: list[list[int]], keep: int, torch: Any
    ) -> Iterator[tuple[np.ndarray, Any]]:
        """``(row indices, logits (b, keep, vocab))`` of the last ``keep`` positions.

        Rows are batched in order of length (stable sort), so a batch pads little. With
        ``reuse_prefix``, the prefix ``P`` common to all rows (leaving each row at least
        ``keep`` tokens) runs once; each batch continues from a copy of its key/value cache,
        its remainders left-padded between the prefix and the tokens (attention mask
        ``1^P 0^pad 1^len``, positions ``P, P+1, ...``).
        """
        model = self._scoring_model()
        shared = self._common_prefix(rows, keep) if self.reuse_prefix else 0
        cache = None
        if shared:
            ids = torch.tensor([rows[0][:shared]], dtype=torch.long)
            cache = _reuse_cache(model, model(input_ids=ids, use_cache=True))
        for index in self._length_batches([len(row) - shared for row in rows]):
            chunk = [rows[i][shared:] for i in index]
            ids, attn, pos = self._batch(chunk, torch)
            extra: dict[str, Any] = {}
            if cache is not None:
                ((key, value),) = cache.items()
                copied = copy.deepcopy(value)
                copied.batch_repeat_interleave(len(chunk))
                extra = {key: copied}
                attn = torch.cat([torch.ones((len(chunk), shared), dtype=attn.dtype), attn], 1)
                pos = pos + shared
            yield (
                index,
                model(
                    input_ids=ids,
                    attention_mask=attn,
                    position_ids=pos,
                    logits_to_keep=keep,
                    **extra,
                ).logits,
            )

    def _length_batches(self, lengths: list[int]) -> Iterator[np.ndarray]:
        """Row indices in batches of increasing length: at most ``batch_size`` rows and
        ``max_batch_tokens`` tokens (rows × the batch's longest row; one row always fits)."""
        order = np.argsort(lengths, kind="stable")
        start = 0
        while start < len(order):
            stop = min(start + self.batch_size, len(order))
            if self.max_batch_tokens is not None:
                while stop - start > 1 and (stop - start) * lengths[order[stop - 1]] > (
                    self.max_batch_tokens
                ):
                    stop -= 1
            yield order[start:stop]
            start = stop

    def _common_prefix(self, rows: list[list[int]], keep: int) -> int:
        """Length of the token prefix shared by all rows, or 0 when below ``min_prefix``."""
        limit = min(len(row) for row in rows) - keep
        first = rows[0]
        shared = 0
        while shared < limit and all(row[shared] == first[shared] for row in rows):
            shared += 1
        return shared if shared >= self.min_prefix else 0

    def logprob_many(self, prompts: Sequence[str], continuations: Sequence[str]) -> np.ndarray:
        """Log-probabilities ``(n_prompts, n_continuations)``; one pass when they differ last.

        Continuations of equal token length that differ only in their last token (``"True"``
        / ``"False"``, or ``"It was born in Norway"`` / ``"... in Italy"``) are all read from
        one teacher-forced pass over the shared tokens: the shared log-probability plus that
        of each last token. This halves the cost of a contrast.
        """
        ids = [self.encode_continuation(c) for c in continuations]
        shared = ids[0][:-1]
        if any(len(i) != len(ids[0]) or i[:-1] != shared for i in ids):
            return np.stack([self.logprob(prompts, c) for c in continuations], axis=1)
        rows = []
        for prompt in prompts:
            rows.append(self._encode_prompt(prompt) + shared)
            self._check_length(len(rows[-1]) + 1, prompt)
        out = np.empty((len(rows), len(ids)), dtype=np.float64)
        k = len(shared)
        with torch_threads(self.threads) as torch:
            wanted = torch.tensor([i[-1] for i in ids], dtype=torch.long)
            given = torch.tensor(shared, dtype=torch.long)
            for index, logits in self._last_logits(rows, k + 1, torch):
                logp = torch.log_softmax(logits.float(), dim=-1)
                before = logp[:, :k, :].gather(2, given.expand(len(logp), k).unsqueeze(-1))
                total = before.squeeze(-1).sum(dim=1, keepdim=True) + logp[:, k, :][:, wanted]
                out[index] = total.double().numpy()
        return out

    def generate(self, prompts: Sequence[str], max_new_tokens: int) -> list[str]:
        """Greedy continuation of each prompt (special tokens removed, whitespace stripped)."""
        if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            msg = f"max_new_tokens == {max_new_tokens!r}, must be a positive int"
            raise ParameterError(msg)
        rows = [self._encode_prompt(p) for p in prompts]
        for row, prompt in zip(rows, prompts, strict=True):
            self._check_length(len(row) + max_new_tokens, prompt)
        stop = {self.tokenizer.eos_token_id, self._pad_id} - {None}
        answers: list[str] = []
        with torch_threads(self.threads) as torch:
            for start in range(0, len(rows), self.batch_size):
                chunk = rows[start : start + self.batch_size]
                new = self._greedy(chunk, max_new_tokens, stop, torch)
                answers += [self.tokenizer.decode(r, skip_special_tokens=True).strip() for r in new]
        return answers

    def _greedy(
        self, rows: list[list[int]], max_new_tokens: int, stop: set[int], torch: Any
    ) -> list[list[int]]:
        model = self._generator_model()
        ids, attn, pos = self._batch(rows, torch)
        out = model(input_ids=ids, attention_mask=attn, position_ids=pos, use_cache=True)
        new: list[list[int]] = [[] for _ in rows]
        done = [False] * len(rows)
        for _ in range(max_new_tokens):
            nxt = out.logits[:, -1, :].argmax(dim=-1)
            for i, tok in enumerate(nxt.tolist()):
                if not done[i]:
                    if tok in stop:
                        done[i] = True
                    else:
                        new[i].append(tok)
            if all(done):
                break
            attn = torch.cat([attn, torch.ones((len(rows), 1), dtype=attn.dtype)], dim=1)
            pos = pos[:, -1:] + 1
            out = model(
                input_ids=nxt[:, None],
                attention_mask=attn,
                position_ids=pos,
                use_cache=True,
                **_reuse_cache(model, out),
            )
        return new


def _reuse_cache(model: Any, out: Any) -> dict[str, Any]:
    """The keyword that feeds a forward pass's key/value cache into the next one.

    transformers ≥ 5.24 names it ``cache`` (input and output); earlier releases
    ``past_key_values``, deprecated since. Looked up once per model class.
    """
    cls = type(model)
    if cls not in _CACHE_KEYWORD:
        takes_cache = "cache" in inspect.signature(cls.forward).parameters
        _CACHE_KEYWORD[cls] = "cache" if takes_cache else "past_key_values"
    keyword = _CACHE_KEYWORD[cls]
    return {keyword: getattr(out, keyword)}


#: Model class → name of its key/value-cache keyword (see :func:`_reuse_cache`).
_CACHE_KEYWORD: dict[type, str] = {}
