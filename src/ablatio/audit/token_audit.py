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
    control_labels,
    identity_measurements,
    identity_shares,
    load_model,
    load_sentences,
    probe_accuracy,
    random_weights_model,
)
from ablatio.audit.verdict import Verdict
from ablatio.exceptions import ParameterError
from ablatio.verdicts import NOT_SUPPORTED, SUPPORTED, UNTESTED

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
        ``probe_accuracy`` (all test tokens), ``probe_type_accuracy`` (mean over token types),
        ``probe_control_accuracy`` (Hewitt & Liang control task), ``selectivity``,
        ``attention_influence_rho`` (head mean), the same readings of the random-weights
        baseline (suffix ``_random``), the thresholds used (``min_identity_share``,
        ``min_attention_influence``), ``flagged`` and ``reason``.
    heads : pandas.DataFrame
        One row per (layer, head): ``attention_influence_rho``, ``special_attention`` (share of
        attention on special tokens such as [CLS] / [SEP] / BOS, the attention sinks), and the
        random baseline's ``attention_influence_rho_random``.
    verdict : Verdict
        ``"supported"`` if no layer is flagged, else ``"not_supported"`` naming the layers;
        ``"untested"`` without the random baseline and without fixed thresholds.
    info : dict
        Model, sentence and token counts, share of probe test tokens unseen in training,
        thresholds, seconds.
    """

    table: pd.DataFrame
    verdict: Verdict
    info: dict = field(default_factory=dict)
    heads: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_markdown(self) -> str:
        """The per-layer table, the most sink-like heads and the verdict as markdown."""
        head = (
            f"Token identity audit of {self.info.get('model')}: {self.info.get('n_sentences')} "
            f"sentences, {self.info.get('n_tokens')} content tokens "
            f"({self.info.get('probe_unseen', float('nan')):.0%} of the probe's test tokens "
            "have an id unseen in training and count as errors); thresholds: "
            f"{self.info.get('thresholds')}."
        )
        columns = [
            "identity_share", "identity_share_random", "mixed_baseline", "probe_accuracy",
            "probe_accuracy_random", "probe_type_accuracy", "selectivity",
            "attention_influence_rho", "attention_influence_rho_random", "flagged",
        ]  # fmt: skip
        shown = [c for c in columns if c in self.table.columns]
        body = markdown_table(self.table.set_index("layer")[shown].round(3))
        parts = [head, "", body]
        if len(self.heads):
            sinks = self.heads.sort_values("special_attention", ascending=False).head(5)
            parts += [
                "",
                "Heads with the most attention on special tokens (per-head ρ next to it; the "
                "head mean hides both):",
                "",
                markdown_table(sinks.set_index(["layer", "head"]).round(3)),
            ]
        parts += ["", f"**Verdict ({self.verdict.status})**: {self.verdict.text}"]
        return "\n".join(parts)

    def plot(self, path: str | Path | None = None) -> object:
        """Line plot of the per-layer readings (dotted: random-weights baseline)."""
        plt = require("matplotlib.pyplot", extra="plots")
        fig, ax = plt.subplots(figsize=(7, 3.5))
        t = self.table
        for column, style, label in (
            ("identity_share", "o-", "identity share (ablation)"),
            ("probe_accuracy", "s-", "probe top-1 (all tokens)"),
            ("selectivity", "d-", "probe selectivity"),
            ("attention_influence_rho", "^-", "ρ(attention, influence)"),
        ):
            line = ax.plot(t["layer"], t[column], style, label=label)[0]
            if f"{column}_random" in t.columns:
                ax.plot(t["layer"], t[f"{column}_random"], ":", color=line.get_color())
        ax.plot(t["layer"], t["mixed_baseline"], "k:", label="fully mixed")
        for layer in t.loc[t["flagged"], "layer"]:
            ax.axvspan(layer - 0.5, layer + 0.5, color="red", alpha=0.1)
        ax.set_xlabel("layer (dotted: random-weights baseline)")
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


def _readings(model, ids, content, mask_token_id, probe_folds, probe_alpha, rng) -> dict:  # noqa: ANN001
    """Per-layer and per-head readings of one model (module docstring of token_identity)."""
    data = identity_measurements(model, ids, content, mask_token_id=mask_token_id)
    share, mixed = identity_shares(data["delta"], INFLUENCE_EPS)
    heads_rho = attention_influence(data["delta"], data["attention"], INFLUENCE_EPS)
    mean_attn = [a.mean(axis=1) for a in data["attention"]]
    rho = attention_influence(data["delta"], mean_attn, INFLUENCE_EPS)
    probe_rng, control_rng = rng.spawn(2)
    probe = probe_accuracy(data["states"], data["ids"], folds=probe_folds, alpha=probe_alpha,
                           rng=probe_rng)  # fmt: skip
    control = probe_accuracy(
        data["states"], control_labels(data["ids"], control_rng), folds=probe_folds,
        alpha=probe_alpha, rng=probe_rng.spawn(1)[0], types=data["ids"],
    )  # fmt: skip
    return {
        "identity_share": share,
        "mixed_baseline": mixed,
        "probe_accuracy": probe["all"],
        "probe_type_accuracy": probe["types"],
        "probe_control_accuracy": control["all"],
        "selectivity": probe["all"] - control["all"],
        "attention_influence_rho": rho,
        "heads_rho": heads_rho,
        "special": np.mean(data["special"], axis=0),
        "unseen": float(probe["unseen"][0]),
    }


def token_identity_audit(
    model: str | object = "minilm",
    sentences: Sequence[str] | Sequence[Sequence[int]] | None = None,
    *,
    tokenizer: object | None = None,
    mask_token_id: int | None = None,
    max_sentences: int | None = None,
    probe_folds: int = 2,
    probe_alpha: float = 10.0,
    random_baseline: bool = True,
    min_identity_share: float | None = None,
    min_attention_influence: float | None = None,
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
    random_baseline : bool, default=True
        Repeat every reading on the same architecture with random weights; its values are the
        default flag thresholds (about twice the run time).
    min_identity_share, min_attention_influence : float, optional
        Fixed flag thresholds instead of the random baseline's per-layer values.
    random_state : int, Generator or None
        Probe folds, control-task labels and the random baseline's weights.
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
    trained_rng, random_rng, seed_rng = check_random_state(random_state).spawn(3)
    args = (ids, content, mask_token_id, probe_folds, probe_alpha)
    real = _readings(model, *args, trained_rng)
    base = None
    if random_baseline:
        seed = int(seed_rng.integers(2**31 - 1))
        base = _readings(random_weights_model(model, seed), *args, random_rng)
    table, heads = _tables(real, base)
    verdict, thresholds = _flag(table, base is not None, min_identity_share,
                                min_attention_influence)  # fmt: skip
    info = {
        "model": name,
        "n_sentences": len(ids),
        "n_tokens": int(sum(map(sum, content))),
        "probe_unseen": real["unseen"],
        "thresholds": thresholds,
        "random_baseline": random_baseline,
        "seconds": time.perf_counter() - start,
    }
    return TokenIdentityAudit(table, verdict, info, heads)


_LAYER_READINGS = (
    "identity_share", "mixed_baseline", "probe_accuracy", "probe_type_accuracy",
    "probe_control_accuracy", "selectivity", "attention_influence_rho",
)  # fmt: skip


def _tables(real: dict, base: dict | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_layers = real["identity_share"].size
    table = pd.DataFrame({"layer": np.arange(n_layers)})
    for key in _LAYER_READINGS:
        table[key] = real[key]
        if base is not None and key != "mixed_baseline":
            table[f"{key}_random"] = base[key]
    layers, heads = np.meshgrid(np.arange(1, n_layers), np.arange(real["special"].shape[1]),
                                indexing="ij")  # fmt: skip
    per_head = pd.DataFrame({
        "layer": layers.ravel(),
        "head": heads.ravel(),
        "attention_influence_rho": real["heads_rho"][1:].ravel(),
        "special_attention": real["special"].ravel(),
    })  # fmt: skip
    if base is not None:
        per_head["attention_influence_rho_random"] = base["heads_rho"][1:].ravel()
        per_head["special_attention_random"] = base["special"].ravel()
    return table, per_head


def _flag(table, has_base, min_identity_share, min_attention_influence):  # noqa: ANN001, ANN202
    """Per-layer thresholds (random baseline or fixed), flags, reasons and the verdict."""
    thresholds = {}
    for column, fixed in (
        ("identity_share", min_identity_share),
        ("attention_influence_rho", min_attention_influence),
    ):
        if fixed is not None:
            table[f"min_{column}"] = float(fixed)
            thresholds[column] = f">= {fixed} (fixed)"
        elif has_base:
            table[f"min_{column}"] = table[f"{column}_random"]
            thresholds[column] = "> the random-weights baseline at the same layer"
    if not thresholds:
        text = "No random baseline and no fixed thresholds: nothing to compare the readings to."
        table["flagged"], table["reason"] = False, ""
        return Verdict(UNTESTED, "identity_share", table, (), text), thresholds
    reasons = []
    for row in table.itertuples():
        why = []
        floor = getattr(row, "min_identity_share", np.nan)
        if row.layer > 0 and row.identity_share < floor:
            why.append(f"identity share {row.identity_share:.2f} < {floor:.2f}")
        floor = getattr(row, "min_attention_influence_rho", np.nan)
        if row.layer > 0 and np.isfinite(floor) and not row.attention_influence_rho > floor:
            why.append(f"ρ(attention, influence) {row.attention_influence_rho:.2f} <= {floor:.2f}")
        reasons.append("; ".join(why))
    table["flagged"] = [bool(r) for r in reasons]
    table["reason"] = reasons
    flagged = table.loc[table["flagged"], "layer"].tolist()
    lost = [r.layer for r in table.itertuples() if "identity share" in r.reason]
    weak = [r.layer for r in table.itertuples() if "ρ(attention" in r.reason]
    explained = tuple(
        e
        for e, layers in (
            (f"token mixing (identity lost) at layers {lost}", lost),
            (f"attention not tracking influence at layers {weak}", weak),
        )
        if layers
    )
    status = NOT_SUPPORTED if flagged else SUPPORTED
    text = (
        f"Token-relation readings of attention are not supported at layers {flagged}: "
        + "; ".join(explained)
        + "."
        if flagged
        else "Every layer keeps token identity and attention tracks ablation-measured influence "
        "beyond the thresholds."
    )
    return Verdict(status, "identity_share", table, explained, text), thresholds
