"""Post-mortem audits: does an explanation survive its controls?

Two audits after "LLMs Explain't" (Abdelhalim et al. 2026):

- embedding → feature-norm decoding (RQ2–4): :func:`norm_audit`, :func:`norm_decoding`,
  loaders :func:`load_norms` and :func:`load_embeddings`;
- token identity across layers (RQ1): :func:`token_identity_audit`.

Importing this module does not import torch; the token-identity audit and the MiniLM
embeddings load it when called.
"""

from __future__ import annotations

from ablatio.evaluation.audits.embeddings import load_embeddings
from ablatio.evaluation.audits.mappers import MapperSettings
from ablatio.evaluation.audits.norm_align import wordnet_category
from ablatio.evaluation.audits.norm_audit import NormAudit, norm_audit
from ablatio.evaluation.audits.norm_files import load_norms
from ablatio.evaluation.audits.norm_metrics import (
    f1_at_k,
    neighbourhood_accuracy,
    spearman_rows,
)
from ablatio.evaluation.audits.norms import norm_decoding, norm_decoding_scores
from ablatio.evaluation.audits.token_audit import TokenIdentityAudit, token_identity_audit
from ablatio.evaluation.audits.token_identity import load_model, load_sentences
from ablatio.evaluation.controls import CONTROLS, DEFAULT_CONTROLS
from ablatio.evaluation.verdict import Verdict, compare_to_controls

__all__ = [
    "CONTROLS",
    "DEFAULT_CONTROLS",
    "MapperSettings",
    "NormAudit",
    "TokenIdentityAudit",
    "Verdict",
    "compare_to_controls",
    "f1_at_k",
    "load_embeddings",
    "load_model",
    "load_norms",
    "load_sentences",
    "neighbourhood_accuracy",
    "norm_audit",
    "norm_decoding",
    "norm_decoding_scores",
    "spearman_rows",
    "token_identity_audit",
    "wordnet_category",
]
