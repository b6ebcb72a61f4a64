"""Post-mortem audits: does an explanation survive its controls?

Two audits after "LLMs Explain't" (Abdelhalim et al. 2026):

- embedding → feature-norm decoding (RQ2–4): :func:`norm_audit`, :func:`norm_decoding`,
  loaders :func:`load_norms` and :func:`load_embeddings`;
- token identity across layers (RQ1): :func:`token_identity_audit`.

The package imports nothing of the interaction core (targets, games, methods): it is the
second product of ablatio, and shares only the verdict vocabulary with
:func:`ablatio.reality_check`. Modules: ``norm_files`` / ``embeddings`` (loaders),
``norm_align``, ``pls`` and ``mappers`` (PLSR, FFNN), ``norm_metrics``, ``controls``,
``norms`` (decoding with controls), ``verdict``, ``norm_audit``, ``token_identity`` /
``token_audit``.

Importing this package does not import torch; the token-identity audit and the MiniLM
embeddings load it when called.
"""

from __future__ import annotations

from ablatio.audit.controls import CONTROLS, DEFAULT_CONTROLS
from ablatio.audit.embeddings import load_embeddings
from ablatio.audit.mappers import MapperSettings
from ablatio.audit.norm_align import wordnet_category
from ablatio.audit.norm_audit import NormAudit, norm_audit
from ablatio.audit.norm_files import load_norms
from ablatio.audit.norm_metrics import (
    f1_at_k,
    neighbourhood_accuracy,
    spearman_rows,
)
from ablatio.audit.norms import norm_decoding, norm_decoding_scores
from ablatio.audit.token_audit import TokenIdentityAudit, token_identity_audit
from ablatio.audit.token_identity import load_model, load_sentences
from ablatio.audit.verdict import Verdict, compare_to_controls

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
