"""Local torch encoders as batched scorers: sentence embeddings and sequence classifiers.

Both evaluate under ``torch.inference_mode`` in batches of ``batch_size`` texts and can limit
torch to ``threads`` CPU threads during a call (see :mod:`ablatio.backends.local`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ablatio.backends.local import check_batching, model_fingerprint, torch_threads
from ablatio.exceptions import ParameterError

__all__ = ["TorchClassifier", "TorchEncoder"]


class TorchEncoder:
    """Sentence embeddings from an encoder (``AutoModel``): pooled last hidden states.

    Parameters
    ----------
    model, tokenizer
        A transformers encoder (e.g. BERT) and its tokenizer.
    pooling : {"mean", "cls"}, default="mean"
        Attention-masked mean of the token states (sentence-transformers' default), or the
        first token's state.
    normalize : bool, default=True
        Scale each embedding to unit length.
    batch_size : int, default=64
    threads : int, optional
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        pooling: str = "mean",
        normalize: bool = True,
        batch_size: int = 64,
        threads: int | None = None,
    ) -> None:
        check_batching(batch_size, threads)
        if pooling not in ("mean", "cls"):
            msg = f"pooling == {pooling!r}; choose 'mean' or 'cls'"
            raise ParameterError(msg)
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.normalize = normalize
        self.batch_size = batch_size
        self.threads = threads

    def fingerprint(self) -> str:
        """Model identity and pooling."""
        return f"{model_fingerprint(self.model)}:{self.pooling}:{self.normalize}"

    def _hidden(self, texts: list[str], torch: Any) -> tuple[Any, Any]:
        enc = self.tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        return self.model(**enc).last_hidden_state, enc["attention_mask"]

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings ``float64 (n_texts, dim)``."""
        chunks = []
        with torch_threads(self.threads) as torch:
            for start in range(0, len(texts), self.batch_size):
                states, attn = self._hidden(list(texts[start : start + self.batch_size]), torch)
                if self.pooling == "cls":
                    emb = states[:, 0]
                else:
                    weights = attn.unsqueeze(-1).to(states.dtype)
                    emb = (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)
                if self.normalize:
                    emb = torch.nn.functional.normalize(emb, dim=-1)
                chunks.append(emb.double().numpy())
        return np.concatenate(chunks) if chunks else np.zeros((0, 0))


class TorchClassifier:
    """Logits of a sequence classifier (``AutoModelForSequenceClassification``), batched.

    Parameters
    ----------
    model, tokenizer
        The classifier and its tokenizer.
    batch_size : int, default=64
    threads : int, optional
    """

    def __init__(
        self, model: Any, tokenizer: Any, *, batch_size: int = 64, threads: int | None = None
    ) -> None:
        check_batching(batch_size, threads)
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.threads = threads

    def fingerprint(self) -> str:
        """Model identity."""
        return model_fingerprint(self.model)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Logits ``float64 (n_texts, n_classes)``."""
        chunks = []
        with torch_threads(self.threads):
            for start in range(0, len(texts), self.batch_size):
                enc = self.tokenizer(
                    list(texts[start : start + self.batch_size]),
                    padding=True,
                    truncation=True,
                    return_tensors="pt",
                )
                chunks.append(self.model(**enc).logits.double().numpy())
        return np.concatenate(chunks)
