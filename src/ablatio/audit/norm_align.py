"""Match norm concepts to embedding words, and give concepts taxonomic categories.

Concept names are turned into words the way the mapping literature does: a sense tag in
parentheses is dropped (``bat_(animal)`` → ``bat``), ``_`` becomes a space, and a multi-word
concept is the mean of its words' vectors (all words must be in the vocabulary).
"""

from __future__ import annotations

import gzip
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from ablatio.exceptions import CoverageError, CoverageWarning, ParameterError

__all__ = ["MIN_CONCEPTS", "MIN_COVERAGE", "Aligned", "align", "concept_words", "wordnet_category"]

#: Smallest share of norm concepts that must have a vector; below it the audit would describe
#: a different (self-selected) concept set than the norms, so it stops.
MIN_COVERAGE = 0.5

#: Fewest concepts an audit runs on: NA@10 ranks each prediction among all concepts, so fewer
#: than 2 × 10 concepts make a top-10 hit nearly automatic.
MIN_CONCEPTS = 20

_SENSE_TAG = re.compile(r"_?\([^)]*\)")

#: Category of concepts WordNet does not know.
UNKNOWN_CATEGORY = "unknown"


def concept_words(concept: str) -> list[str]:
    """Words of a norm concept name: ``"bat_(animal)"`` → ``["bat"]``, ``"fire_hydrant"`` → 2."""
    return _SENSE_TAG.sub("", concept).replace("_", " ").lower().split()


@cache
def _wordnet_table() -> dict[str, str]:
    ref = resources.files("ablatio.audit") / "data" / "wordnet_categories.tsv.gz"
    with ref.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        next(fh)
        return dict(line.rstrip("\n").split("\t") for line in fh)


def wordnet_category(concept: str) -> str:
    """WordNet 3.0 lexicographer category of a concept (``noun.animal``, ``noun.artifact``...).

    The category of a lemma is the lexicographer file shared by most of its senses (nouns
    first); a multi-word concept not in WordNet falls back to its last word (the head noun).
    Unknown concepts get ``"unknown"``.
    """
    table = _wordnet_table()
    words = concept_words(concept)
    for key in (" ".join(words), words[-1] if words else ""):
        if key in table:
            return table[key]
    return UNKNOWN_CATEGORY


@dataclass(frozen=True)
class Aligned:
    """Concepts present in both the norms and the embeddings.

    Attributes
    ----------
    concepts : list of str
    X : ndarray of shape (n_concepts, n_dims)
    Y : ndarray of shape (n_concepts, n_features)
    groups : ndarray of shape (n_concepts,)
        Taxonomic category of each concept.
    coverage : float
        Share of the norm concepts kept.
    dropped : list of str
        Norm concepts without a vector.
    """

    concepts: list[str]
    X: np.ndarray
    Y: np.ndarray
    groups: np.ndarray
    coverage: float
    dropped: list[str]


def align(
    embeddings: pd.DataFrame,
    norms: pd.DataFrame,
    *,
    categories: Mapping[str, str] | pd.Series | None = None,
    min_coverage: float = MIN_COVERAGE,
    min_concepts: int = MIN_CONCEPTS,
) -> Aligned:
    """Look up each norm concept's vector; drop (with a warning) those without one.

    Raises
    ------
    CoverageError
        Fewer than ``min_coverage`` of the concepts, or fewer than ``min_concepts``, have vectors.
    """
    if not isinstance(embeddings, pd.DataFrame) or not isinstance(norms, pd.DataFrame):
        msg = "embeddings and norms must be DataFrames (use load_embeddings / load_norms)"
        raise ParameterError(msg)
    if norms.shape[0] == 0 or norms.shape[1] == 0:
        msg = f"norms has shape {norms.shape}: it needs concepts (rows) and features (columns)"
        raise ParameterError(msg)
    index = {str(w).lower(): i for i, w in reversed(list(enumerate(embeddings.index)))}
    values = embeddings.to_numpy(dtype=np.float64)
    rows, kept, dropped = [], [], []
    for concept in norms.index.astype(str):
        ids = [index.get(w) for w in concept_words(concept)]
        if ids and None not in ids:
            rows.append(values[ids].mean(axis=0))
            kept.append(concept)
        else:
            dropped.append(concept)
    coverage = len(kept) / norms.shape[0]
    if coverage < min_coverage or len(kept) < min_concepts:
        msg = (
            f"only {len(kept)} of {norms.shape[0]} norm concepts ({coverage:.0%}) have an "
            f"embedding; the audit needs >= {min_coverage:.0%} and >= {min_concepts} concepts "
            f"(missing e.g. {dropped[:5]}): use embeddings with a larger vocabulary or check "
            "the concept spelling"
        )
        raise CoverageError(msg)
    if dropped:
        warnings.warn(
            f"{len(dropped)} of {norms.shape[0]} norm concepts have no embedding and are dropped "
            f"(coverage {coverage:.1%}; e.g. {dropped[:5]})",
            CoverageWarning,
            stacklevel=3,
        )
    if categories is None:
        groups = np.array([wordnet_category(c) for c in kept])
    else:
        lookup = dict(categories)
        groups = np.array([str(lookup.get(c, UNKNOWN_CATEGORY)) for c in kept])
    Y = norms.loc[kept].to_numpy(dtype=np.float64)
    if not np.isfinite(Y).all() or not np.isfinite(rows).all():
        msg = "norms or embeddings contain NaN/inf for the kept concepts: clean them first"
        raise ParameterError(msg)
    return Aligned(kept, np.vstack(rows), Y, groups, coverage, dropped)
