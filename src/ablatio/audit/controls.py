"""Controls for a decoding pipeline X → Y: what the score would be without the claimed link.

A *control* replaces the input X or the target Y of a pipeline by a version in which the
relation the explanation claims is destroyed (or, for the upper bounds, made perfect), and the
pipeline is re-run unchanged. Each control is a :class:`Control`: a name, a one-line definition
and a ``build`` function ``(X, Y, groups, rng) -> (X', Y', fit)`` where ``fit`` is
``"cv"`` (train on the training fold, score the test fold) or ``"insample"`` (fit once on all
rows, score the test fold's rows: the memorisation ceiling).

Definitions (the paper's full text is unavailable; these are explicit choices, see
``docs/audit.md``):

``sys``
    X → Y as given.
``upper`` (``upper="identity"``, default)
    X := Y: an input carrying all information about the target; the score is the ceiling set
    by the regressor, the metric and the target's sparsity.
``upper`` (``upper="insample"``)
    X → Y fitted and scored on the same rows.
``shuffle``
    Y's rows permuted across concepts (π uniform): each concept gets another concept's
    feature vector. Feature frequencies and sparsity are kept, the concept–feature link is not.
``shuf_upper``
    The upper bound computed on the shuffled target (X := Yπ, or in-sample X → Yπ).
``rand``
    Y replaced by random values: each cell non-zero with probability equal to Y's density,
    non-zero cells drawn with replacement from Y's non-zero values. No dataset structure.
``taxonomy``
    Y's rows permuted *within* taxonomic categories (e.g. WordNet lexicographer files): every
    concept gets the feature vector of another member of its own category. Only category
    membership survives; a score close to ``sys`` means the score is explained by taxonomy.
``taxonomy_across`` (optional)
    Y's rows permuted so that every concept gets a vector from a *different* category where
    possible: taxonomy and identity destroyed, frequencies kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ablatio.exceptions import ParameterError

__all__ = [
    "CONTROLS",
    "DEFAULT_CONTROLS",
    "Control",
    "permute_across_groups",
    "permute_within_groups",
    "random_like",
    "upper_controls",
]

Build = Callable[
    [np.ndarray, np.ndarray, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray, str]
]


@dataclass(frozen=True)
class Control:
    """A named, documented transformation of a decoding pipeline's input and target."""

    name: str
    definition: str
    build: Build


def permute_within_groups(groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return a permutation π of ``range(len(groups))`` with ``groups[π[i]] == groups[i]``."""
    perm = np.arange(groups.size)
    for label in np.unique(groups):
        members = np.flatnonzero(groups == label)
        perm[members] = rng.permutation(members)
    return perm


def permute_across_groups(groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return a permutation that sends rows to other groups wherever the group sizes allow.

    Rows are sorted by group (random order inside each group) and rotated by the size of the
    largest group, so row k receives the row ``max_size`` places later: a different group
    unless one group holds more than half of the rows.
    """
    order = np.lexsort((rng.random(groups.size), groups))
    _, counts = np.unique(groups, return_counts=True)
    perm = np.empty(groups.size, dtype=np.int64)
    perm[order] = np.roll(order, -int(counts.max()) % groups.size)
    return perm


def random_like(target: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random matrix with ``target``'s shape, density and distribution of non-zero values."""
    values = target[target != 0]
    if values.size == 0:
        return np.zeros_like(target, dtype=float)
    keep = rng.random(target.shape) < values.size / target.size
    out = np.zeros(target.shape)
    out[keep] = rng.choice(values, size=int(keep.sum()), replace=True)
    return out


def _sys(X, Y, groups, rng):  # noqa: ANN001, ARG001 - Build signature
    return X, Y, "cv"


def _shuffle(X, Y, groups, rng):  # noqa: ANN001, ARG001
    return X, Y[rng.permutation(Y.shape[0])], "cv"


def _rand(X, Y, groups, rng):  # noqa: ANN001, ARG001
    return X, random_like(Y, rng), "cv"


def _taxonomy(X, Y, groups, rng):  # noqa: ANN001
    return X, Y[permute_within_groups(groups, rng)], "cv"


def _taxonomy_across(X, Y, groups, rng):  # noqa: ANN001
    return X, Y[permute_across_groups(groups, rng)], "cv"


def _upper_identity(X, Y, groups, rng):  # noqa: ANN001, ARG001
    return Y.astype(float, copy=True), Y, "cv"


def _upper_insample(X, Y, groups, rng):  # noqa: ANN001, ARG001
    return X, Y, "insample"


def _shuf_upper_identity(X, Y, groups, rng):  # noqa: ANN001, ARG001
    target = Y[rng.permutation(Y.shape[0])]
    return target.astype(float, copy=True), target, "cv"


def _shuf_upper_insample(X, Y, groups, rng):  # noqa: ANN001, ARG001
    return X, Y[rng.permutation(Y.shape[0])], "insample"


CONTROLS: dict[str, Control] = {
    "sys": Control("sys", "embeddings X -> norms Y, k-fold CV over concepts", _sys),
    "shuffle": Control("shuffle", "rows of Y permuted across concepts", _shuffle),
    "rand": Control("rand", "Y random with Y's density and non-zero values", _rand),
    "taxonomy": Control("taxonomy", "rows of Y permuted within taxonomic categories", _taxonomy),
    "taxonomy_across": Control(
        "taxonomy_across", "rows of Y permuted into other categories", _taxonomy_across
    ),
}

_UPPERS = {
    "identity": (
        Control("upper", "X := Y (input carries the whole target), k-fold CV", _upper_identity),
        Control("shuf_upper", "X := Y_shuffled -> Y_shuffled, k-fold CV", _shuf_upper_identity),
    ),
    "insample": (
        Control("upper", "X -> Y fitted and scored on the same concepts", _upper_insample),
        Control("shuf_upper", "X -> Y_shuffled fitted and scored in-sample", _shuf_upper_insample),
    ),
}

#: The controls reported by default, in table order.
DEFAULT_CONTROLS = ("sys", "upper", "shuffle", "shuf_upper", "rand", "taxonomy")


def upper_controls(upper: str) -> dict[str, Control]:
    """Return the ``upper`` and ``shuf_upper`` controls for an upper-bound definition."""
    if upper not in _UPPERS:
        msg = f"upper == {upper!r}, must be one of {tuple(_UPPERS)}"
        raise ParameterError(msg)
    first, second = _UPPERS[upper]
    return {"upper": first, "shuf_upper": second}
