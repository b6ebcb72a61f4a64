"""Controls for a decoding pipeline X → Y: what the score would be without the claimed link.

A *control* replaces the input X or the target Y of a pipeline by a version in which the
relation the explanation claims is destroyed (or, for the upper bounds, made perfect), and the
pipeline is re-run unchanged. Each control is a :class:`Control`: a name, a one-line definition
and a ``build`` function ``(X, Y, groups, rng) -> (X', Y', fit)`` where ``fit`` is
``"cv"`` (train on the training fold, score the test fold) or ``"insample"`` (fit once on all
rows, score the test fold's rows: the memorisation ceiling).
Y may be a SciPy CSR matrix (production norms are kept sparse): every control then returns
CSR with the same cells, from the same draws, as for the dense table.

Definitions (the paper's full text is unavailable; these are explicit choices, see
``docs/audit.md``; the reading of Shuffle is the one under which the paper's whole table —
Rand < Shuffle < Shuf-Upper < Upper on McRae, Buchanan and Binder — is possible at all):

``sys``
    X → Y as given.
``upper`` (``upper="identity"``, default)
    X := Y: an input carrying all information about the target; the score is the ceiling set
    by the regressor (its capacity: PLSR components), the metric and the target's sparsity.
``upper`` (``upper="insample"``)
    X → Y fitted and scored on the same rows.
``shuffle`` (default)
    Every feature column of Y permuted independently across concepts: each feature keeps its
    frequency and value distribution, which features co-occur in a concept is destroyed, and
    so is the concept–feature link.
``shuf_upper``
    The upper bound fitted on that column-shuffled table (X := Y', Y'; or in-sample X → Y').
    It differs from ``upper`` because the table itself changed; a row permutation would only
    relabel concepts and leave any X := Y bound unchanged.
``shuffle_rows`` (opt-in, "concept-label shuffle")
    Y's rows permuted across concepts (each concept gets another concept's whole vector):
    frequencies *and* co-occurrence kept, only the concept link broken. The control for "is
    the mapping specific to the concept?".
``rand``
    Y replaced by random values: each cell non-zero with probability equal to Y's density,
    non-zero cells drawn with replacement from Y's non-zero values. No dataset structure.
``taxonomy`` (taxonomy destroyed)
    Y's rows permuted so that every concept gets the vector of a concept from a *different*
    category wherever the category sizes allow: category membership, identity and
    co-occurrence of the target are decoupled from the input; frequencies kept. (Dropping
    McRae's taxonomic features at load time, ``exclude_taxonomic=True``, is the other form.)
``taxonomy_kept``
    Y's rows permuted *within* categories: every concept gets the vector of another member of
    its own category. Only category membership survives; a score close to ``sys`` means the
    score is explained by taxonomy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ablatio.exceptions import ParameterError

__all__ = [
    "CONTROLS",
    "DEFAULT_CONTROLS",
    "Control",
    "permute_across_groups",
    "permute_within_groups",
    "random_like",
    "shuffle_columns",
    "upper_controls",
]

Build = Callable[[Any, Any, np.ndarray, np.random.Generator], tuple[Any, Any, str]]


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
    """Return a uniform-looking permutation that sends each row to another group where possible.

    A uniform permutation is drawn, then every row left in its own group swaps its source with
    a random row for which the swap puts both in other groups. Sources are drawn from all
    other categories (not a block rotation, which would map whole categories onto whole
    categories and keep taxonomy). Rows stay in their group only where no such swap exists
    (one group holding more than half of the rows). A single group gives a derangement.
    """
    n = groups.size
    perm = rng.permutation(n)
    if np.unique(groups).size < 2:
        out = np.empty(n, dtype=np.int64)
        out[perm] = np.roll(perm, -1)
        return out
    for i in rng.permutation(n):
        if groups[perm[i]] != groups[i]:
            continue
        swappable = np.flatnonzero((groups[perm] != groups[i]) & (groups != groups[i]))
        if swappable.size:
            j = int(rng.choice(swappable))
            perm[i], perm[j] = perm[j], perm[i]
    return perm


def random_like(target: Any, rng: np.random.Generator) -> Any:
    """Random matrix with ``target``'s shape, density and distribution of non-zero values.

    A SciPy sparse ``target`` gives a CSR result with the same cells as the dense version
    (same draws).
    """
    if _is_sparse(target):
        canonical = _canonical(target)
        values = canonical.data
    else:
        values = target[target != 0]
    if values.size == 0:
        return _csr(np.zeros(target.shape)) if _is_sparse(target) else np.zeros(target.shape)
    keep = rng.random(target.shape) < values.size / (target.shape[0] * target.shape[1])
    drawn = rng.choice(values, size=int(keep.sum()), replace=True)
    if _is_sparse(target):
        rows, cols = np.nonzero(keep)  # row-major: the order of the dense assignment
        return _from_cells(rows, cols, drawn, target.shape)
    out = np.zeros(target.shape)
    out[keep] = drawn
    return out


def _is_sparse(matrix: Any) -> bool:
    return hasattr(matrix, "tocsr")


def _csr(matrix: Any) -> Any:
    from scipy import sparse

    return sparse.csr_matrix(matrix)


def _canonical(matrix: Any) -> Any:
    """CSR copy without stored zeros, columns sorted in each row (row-major cell order)."""
    out = _csr(matrix).astype(np.float64)
    out.eliminate_zeros()
    out.sort_indices()
    return out


def _from_cells(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple) -> Any:
    from scipy import sparse

    return sparse.csr_matrix((values, (rows, cols)), shape=shape)


def _sys(X, Y, groups, rng):  # noqa: ANN001, ARG001 - Build signature
    return X, Y, "cv"


def shuffle_columns(target: Any, rng: np.random.Generator) -> Any:
    """``target`` with every column permuted independently across rows.

    Column j is reordered by the ranks of n uniform keys drawn for it. A SciPy sparse
    ``target`` gives a CSR result with the same cells as the dense version (same keys): each
    non-zero of row r moves to the rank of key (r, j) within column j, so only the keys are
    sorted and no dense table is formed.
    """
    keys = rng.random(target.shape)
    if not _is_sparse(target):
        return np.take_along_axis(target, keys.argsort(axis=0), axis=0)
    canonical = _canonical(target).tocsc()
    ordered = np.sort(keys.T, axis=1)  # row j: the sorted keys of column j
    rows = np.empty(canonical.nnz, dtype=np.int64)
    for j in np.flatnonzero(np.diff(canonical.indptr)):
        part = slice(canonical.indptr[j], canonical.indptr[j + 1])
        rows[part] = np.searchsorted(ordered[j], keys[canonical.indices[part], j])
    cols = np.repeat(np.arange(target.shape[1]), np.diff(canonical.indptr))
    return _from_cells(rows, cols, canonical.data, target.shape)


def _shuffle(X, Y, groups, rng):  # noqa: ANN001, ARG001
    return X, shuffle_columns(Y, rng), "cv"


def _shuffle_rows(X, Y, groups, rng):  # noqa: ANN001, ARG001
    return X, Y[rng.permutation(Y.shape[0])], "cv"


def _rand(X, Y, groups, rng):  # noqa: ANN001, ARG001
    return X, random_like(Y, rng), "cv"


def _taxonomy(X, Y, groups, rng):  # noqa: ANN001
    return X, Y[permute_across_groups(groups, rng)], "cv"


def _taxonomy_kept(X, Y, groups, rng):  # noqa: ANN001
    return X, Y[permute_within_groups(groups, rng)], "cv"


def _upper_identity(X, Y, groups, rng):  # noqa: ANN001, ARG001
    return Y.astype(float, copy=True), Y, "cv"  # X := Y (PLSR: see pls.pls_path)


def _upper_insample(X, Y, groups, rng):  # noqa: ANN001, ARG001
    return X, Y, "insample"


def _shuf_upper_identity(X, Y, groups, rng):  # noqa: ANN001, ARG001
    target = shuffle_columns(Y, rng)
    return target.astype(float, copy=True), target, "cv"


def _shuf_upper_insample(X, Y, groups, rng):  # noqa: ANN001, ARG001
    return X, shuffle_columns(Y, rng), "insample"


CONTROLS: dict[str, Control] = {
    "sys": Control("sys", "embeddings X -> norms Y, k-fold CV over concepts", _sys),
    "shuffle": Control(
        "shuffle", "each feature column of Y permuted independently across concepts", _shuffle
    ),
    "shuffle_rows": Control(
        "shuffle_rows", "rows of Y permuted across concepts (concept-label shuffle)", _shuffle_rows
    ),
    "rand": Control("rand", "Y random with Y's density and non-zero values", _rand),
    "taxonomy": Control(
        "taxonomy", "rows of Y permuted into other categories (taxonomy destroyed)", _taxonomy
    ),
    "taxonomy_kept": Control(
        "taxonomy_kept", "rows of Y permuted within categories (taxonomy kept)", _taxonomy_kept
    ),
}

_UPPERS = {
    "identity": (
        Control("upper", "X := Y (input carries the whole target), k-fold CV", _upper_identity),
        Control(
            "shuf_upper", "X := Y' -> Y' on the column-shuffled Y', k-fold CV", _shuf_upper_identity
        ),
    ),
    "insample": (
        Control("upper", "X -> Y fitted and scored on the same concepts", _upper_insample),
        Control("shuf_upper", "X -> column-shuffled Y' fitted in-sample", _shuf_upper_insample),
    ),
}

#: The controls reported by default, in table order.
DEFAULT_CONTROLS = ("sys", "upper", "shuffle", "shuf_upper", "rand", "taxonomy", "taxonomy_kept")


def upper_controls(upper: str) -> dict[str, Control]:
    """Return the ``upper`` and ``shuf_upper`` controls for an upper-bound definition."""
    if upper not in _UPPERS:
        msg = f"upper == {upper!r}, must be one of {tuple(_UPPERS)}"
        raise ParameterError(msg)
    first, second = _UPPERS[upper]
    return {"upper": first, "shuf_upper": second}
