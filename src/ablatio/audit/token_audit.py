"""The token-identity audit: per-layer table, flags, verdict, markdown and plot.

See :mod:`ablatio.audit.token_identity` for the measurements and the thresholds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ablatio._optional import require
from ablatio._validation import check_random_state
from ablatio.audit._format import markdown_table
from ablatio.audit.token_identity import (
    attention_influence,
    identity_measurements,
    identity_shares,
    load_model,
    load_sentences,
    probe_accuracy,
)
from ablatio.audit.verdict import Verdict
from ablatio.exceptions import ParameterError

__all__ = ["TokenIdentityAudit", "token_identity_audit"]

#: An influence below this (L2 change of a hidden state) counts as "no influence".
INFLUENCE_EPS = 1e-6


@dataclass(frozen=True)
class TokenIdentityAudit:
    """Result of :func:`token_identity_audit`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per layer (0 = embedding output): ``identity_share``, ``mixed_baseline``,
        ``probe_accuracy``, ``attention_influence_rho``, ``flagged``, ``reason``.
    verdict : Verdict
        ``"supported"`` if no layer is flagged, else ``"not_supported"`` naming the layers.
    info : dict
        Model, sentence and token counts, thresholds, seconds.
    """

    table: pd.DataFrame
    verdict: Verdict
    info: dict = field(default_factory=dict)

    def to_markdown(self) -> str:
        """The per-layer table and the verdict as markdown."""
        head = (
            f"Token identity audit of {self.info.get('model')}: {self.info.get('n_sentences')} "
            f"sentences, {self.info.get('n_tokens')} content tokens; thresholds identity share "
            f">= {self.info.get('min_identity_share')}, attention-influence ρ >= "
            f"{self.info.get('min_attention_influence')}."
        )
        body = markdown_table(self.table.set_index("layer").round(3))
        return f"{head}\n\n{body}\n\n**Verdict ({self.verdict.status})**: {self.verdict.text}"

    def plot(self, path: str | Path | None = None) -> object:
        """Line plot of the three per-layer readings with flagged layers shaded."""
        plt = require("matplotlib.pyplot", extra="plots")
        fig, ax = plt.subplots(figsize=(7, 3.5))
        t = self.table
        ax.plot(t["layer"], t["identity_share"], "o-", label="identity share (ablation)")
        ax.plot(t["layer"], t["mixed_baseline"], ":", label="fully mixed")
        ax.plot(t["layer"], t["probe_accuracy"], "s-", label="probe top-1")
        ax.plot(t["layer"], t["attention_influence_rho"], "^-", label="ρ(attention, influence)")
        for layer in t.loc[t["flagged"], "layer"]:
            ax.axvspan(layer - 0.5, layer + 0.5, color="red", alpha=0.1)
        ax.set_xlabel("layer")
        ax.set_ylim(-0.2, 1.05)
        ax.set_title(f"Token identity: {self.info.get('model')}")
        ax.legend(fontsize=7, loc="lower left")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
            plt.close(fig)
        return fig


def _tokenize(tokenizer: Any, sentences: Sequence[str]) -> tuple[list, list]:
    ids, content = [], []
    for sentence in sentences:
        enc = tokenizer(sentence, return_special_tokens_mask=True)
        ids.append(list(enc["input_ids"]))
        content.append([m == 0 for m in enc["special_tokens_mask"]])
    return ids, content


def _mask_id(tokenizer: object) -> int:
    for attr in ("mask_token_id", "unk_token_id", "pad_token_id", "eos_token_id"):
        value = getattr(tokenizer, attr, None)
        if value is not None:
            return int(value)
    msg = "the tokenizer has no mask/unk/pad/eos token: pass mask_token_id="
    raise ParameterError(msg)


def token_identity_audit(
    model: str | object = "minilm",
    sentences: Sequence[str] | Sequence[Sequence[int]] | None = None,
    *,
    tokenizer: object | None = None,
    mask_token_id: int | None = None,
    max_sentences: int | None = None,
    probe_folds: int = 2,
    probe_alpha: float = 10.0,
    min_identity_share: float = 0.5,
    min_attention_influence: float = 0.3,
    random_state: int | np.random.Generator | None = 0,
) -> TokenIdentityAudit:
    """Measure, per layer, whether positions keep their token's identity and attention tracks it.

    Parameters
    ----------
    model : {"minilm", "smollm2"} or transformers model
        A name loads the shipped model (:func:`load_model`); a model object needs eager
        attention.
    sentences : sequence of str or of id lists, optional
        Default: the 212 shipped sentences. Id lists (special tokens included) skip the
        tokenizer; then every position is a content token.
    tokenizer : transformers tokenizer, optional
        Needed for string sentences with a model object.
    mask_token_id : int, optional
        Replacement of an ablated token; default the tokenizer's mask, else unk, pad, eos token.
    max_sentences : int, optional
        Use only the first sentences.
    probe_folds : int, default=2
        Folds over sentences for the probe.
    probe_alpha : float, default=10.0
        Ridge penalty of the probe (on standardised states).
    min_identity_share, min_attention_influence : float
        Flag thresholds (module docstring of ``token_identity``).
    random_state : int, Generator or None
        Assigns sentences to probe folds.
    """
    start = time.perf_counter()
    name = model if isinstance(model, str) else type(model).__name__
    if isinstance(model, str):
        model, tokenizer = load_model(model)
    chosen: list[Any] = load_sentences() if sentences is None else list(sentences)
    chosen = chosen[:max_sentences]
    if len(chosen) < probe_folds or probe_folds < 2:
        msg = f"{len(chosen)} sentences with probe_folds={probe_folds}: need >= 2 of each"
        raise ParameterError(msg)
    if isinstance(chosen[0], str):
        if tokenizer is None:
            msg = "string sentences need tokenizer= (or pass token id lists)"
            raise ParameterError(msg)
        ids, content = _tokenize(tokenizer, chosen)
    else:
        ids, content = [list(s) for s in chosen], [[True] * len(s) for s in chosen]
    if mask_token_id is None:
        if tokenizer is None:
            msg = "token id sentences need mask_token_id="
            raise ParameterError(msg)
        mask_token_id = _mask_id(tokenizer)
    data = identity_measurements(model, ids, content, mask_token_id=mask_token_id)
    share, mixed = identity_shares(data["delta"], INFLUENCE_EPS)
    rho = attention_influence(data["delta"], data["attention"], INFLUENCE_EPS)
    probe = probe_accuracy(
        data["states"], data["ids"], folds=probe_folds, alpha=probe_alpha,
        rng=check_random_state(random_state),
    )  # fmt: skip
    table = pd.DataFrame(
        {
            "layer": np.arange(share.size),
            "identity_share": share,
            "mixed_baseline": mixed,
            "probe_accuracy": probe,
            "attention_influence_rho": rho,
        }
    )
    reasons = []
    for row in table.itertuples():
        why = []
        if row.identity_share < min_identity_share:
            why.append(f"identity share {row.identity_share:.2f} < {min_identity_share}")
        if row.layer > 0 and not row.attention_influence_rho >= min_attention_influence:
            why.append(f"ρ(attention, influence) {row.attention_influence_rho:.2f} < "
                       f"{min_attention_influence}")  # fmt: skip
        reasons.append("; ".join(why))
    table["flagged"] = [bool(r) for r in reasons]
    table["reason"] = reasons
    flagged = table.loc[table["flagged"], "layer"].tolist()
    lost = table.loc[table["identity_share"] < min_identity_share, "layer"].tolist()
    weak = table.loc[
        (table["layer"] > 0) & ~(table["attention_influence_rho"] >= min_attention_influence),
        "layer",
    ].tolist()
    explained = tuple(
        e
        for e, layers in (
            (f"token mixing (identity lost) at layers {lost}", lost),
            (f"attention not tracking influence at layers {weak}", weak),
        )
        if layers
    )
    status = "not_supported" if flagged else "supported"
    text = (
        f"Token-relation readings of attention are not supported at layers {flagged}: "
        + "; ".join(explained)
        + "."
        if flagged
        else "Every layer keeps token identity and attention tracks ablation-measured influence."
    )
    verdict = Verdict(status, "identity_share", table, explained, text)
    info = {
        "model": name,
        "n_sentences": len(ids),
        "n_tokens": int(sum(map(sum, content))),
        "min_identity_share": min_identity_share,
        "min_attention_influence": min_attention_influence,
        "seconds": time.perf_counter() - start,
    }
    return TokenIdentityAudit(table, verdict, info)
