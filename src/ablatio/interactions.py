"""``Interactions``: the one immutable result type every method returns.

A sparse set function written in a named basis:

* ``"moebius"`` (AND terms): ``f̂(m) = Σ_T a(T) Π_{i∈T} m_i``
* ``"fourier"`` (parities):  ``f̂(m) = Σ_T F(T) (-1)^{|m ∩ T|}``

or the values of an interaction index (``"sv"``, ``"bv"``, ``"sii"``, ``"bii"``, ``"stii"``,
``"fsii"``, ``"fbii"``, ``"ksii"``) computed from it. Masks use 1 = part kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from itertools import combinations
from math import comb
from pathlib import Path
from typing import Any

import numpy as np

from ablatio._optional import require
from ablatio._validation import check_feature_names, check_masks, check_n_players
from ablatio.exceptions import BasisError, ParameterError
from ablatio.transforms.fourier import evaluate_fourier
from ablatio.transforms.indices import INDICES, moebius_to_index
from ablatio.transforms.moebius import (
    CANCEL_RTOL,
    evaluate_moebius,
    fourier_to_moebius,
    moebius_to_fourier,
)
from ablatio.transforms.terms import (
    aggregate,
    canonical_order,
    dense_to_terms,
    term_orders,
    terms_to_dense,
    terms_to_tuples,
    tuples_to_terms,
)

__all__ = ["BASES", "SCHEMA_VERSION", "Interactions"]

#: Bases in which ``predict`` is defined.
BASES = ("moebius", "fourier")
#: Version of the JSON layout written by :meth:`Interactions.save`.
SCHEMA_VERSION = 1
#: Most terms an index export to shapiq lists densely (zeros included).
MAX_DENSE_EXPORT = 1_000_000
#: ablatio basis → shapiq index name (``to_shapiq``); Fourier is exported via Möbius.
_TO_SHAPIQ = {
    "moebius": "Moebius",
    "sv": "SV",
    "bv": "BV",
    "sii": "SII",
    "bii": "BII",
    "stii": "STII",
    "fsii": "FSII",
    "fbii": "FBII",
    "ksii": "k-SII",
}
_FROM_SHAPIQ = {v: k for k, v in _TO_SHAPIQ.items()}


class Interactions:
    """Sparse interactions (subsets of parts → coefficients) in a named basis.

    Parameters
    ----------
    terms : sequence of tuples of int, or ndarray of shape (n_terms, n_players)
        The subsets, as tuples of player indices (each in ``0..n-1``, no repeats) or as a
        support matrix of dtype bool or uint8. An integer array of width ``n`` holding only 0
        and 1 is ambiguous and refused.
    coefficients : array-like of shape (n_terms,)
        One coefficient per subset. Repeated subsets are summed.
    n_players : int
        Number of parts ``n``.
    basis : str, default="moebius"
        ``"moebius"``, ``"fourier"`` or an index name (``"sv"``, ``"stii"``, ...).
    feature_names : sequence of str, optional
        One unique name per part (default ``x0 .. x{n-1}``).
    order : int, optional
        Explanation order of an index basis (e.g. 2 for pairwise STII).

    Examples
    --------
    >>> from ablatio import Interactions
    >>> f = Interactions([(), (0,), (0, 1)], [1.0, 2.0, -0.5], n_players=3)
    >>> f.predict([[1, 1, 0], [1, 0, 0]])
    array([2.5, 3. ])
    >>> f.shapley_values()
    array([ 1.75, -0.25,  0.  ])
    """

    __slots__ = ("_coef", "_idx", "basis", "feature_names", "n_players", "order")

    def __init__(
        self,
        terms: Sequence[Sequence[int]] | np.ndarray,
        coefficients: Sequence[float] | np.ndarray,
        *,
        n_players: int,
        basis: str = "moebius",
        feature_names: Sequence[str] | None = None,
        order: int | None = None,
    ) -> None:
        n = check_n_players(n_players)
        if basis not in BASES and basis not in INDICES:
            msg = f"basis == {basis!r}; choose one of {BASES + INDICES}"
            raise BasisError(msg)
        coef = np.asarray(coefficients, dtype=np.float64).reshape(-1)
        idx = _terms_to_index(terms, n)
        if idx.shape[0] != coef.shape[0]:
            msg = f"{idx.shape[0]} terms but {coef.shape[0]} coefficients: give one per term"
            raise ParameterError(msg)
        if idx.size and (idx.max() >= n):
            msg = f"a term names player {int(idx.max())} but n_players == {n}"
            raise ParameterError(msg)
        if not np.all(np.isfinite(coef)):
            msg = "coefficients contain NaN or infinity"
            raise ParameterError(msg)
        idx, coef = self._normalise(idx, coef)
        self._idx = idx
        self._coef = coef
        self._idx.setflags(write=False)
        self._coef.setflags(write=False)
        self.n_players = n
        self.basis = basis
        self.feature_names = check_feature_names(feature_names, n)
        self.order = order

    @staticmethod
    def _normalise(idx: np.ndarray, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if idx.shape[0] == 0:
            return np.zeros((0, 0), dtype=np.int64), np.zeros(0)
        uniq_idx, sums = aggregate(idx, coef, atol=-1.0)  # sum duplicates, keep zeros
        return uniq_idx, sums

    @classmethod
    def _from_arrays(
        cls,
        idx: np.ndarray,
        coef: np.ndarray,
        like: Interactions,
        basis: str,
        order: int | None = None,
    ) -> Interactions:
        return cls._build(idx, coef, like.n_players, basis, like.feature_names, order)

    @classmethod
    def _build(
        cls,
        idx: np.ndarray,
        coef: np.ndarray,
        n_players: int,
        basis: str,
        feature_names: Sequence[str] | None = None,
        order: int | None = None,
    ) -> Interactions:
        """Trusted constructor from padded index arrays (no validation, canonical order)."""
        out = cls.__new__(cls)
        perm = canonical_order(idx)
        out._idx = np.ascontiguousarray(idx[perm], dtype=np.int64)
        out._coef = np.ascontiguousarray(coef[perm], dtype=np.float64)
        out._idx.setflags(write=False)
        out._coef.setflags(write=False)
        out.n_players = n_players
        out.basis = basis
        out.feature_names = (
            tuple(feature_names)
            if feature_names is not None
            else tuple(f"x{i}" for i in range(n_players))
        )
        out.order = order
        return out

    def with_feature_names(self, feature_names: Sequence[str]) -> Interactions:
        """A copy with other (unique) feature names."""
        names = check_feature_names(feature_names, self.n_players)
        return Interactions._build(
            self._idx, self._coef, self.n_players, self.basis, names, self.order
        )

    # ------------------------------------------------------------------ access
    @property
    def terms(self) -> list[tuple[int, ...]]:
        """The subsets as sorted tuples of player indices, in canonical (order, players) order."""
        return terms_to_tuples(self._idx)

    @property
    def coefficients(self) -> np.ndarray:
        """Coefficients ``(n_terms,)``, aligned with :attr:`terms` (read-only)."""
        return self._coef

    @property
    def support(self) -> np.ndarray:
        """Dense ``uint8 (n_terms, n_players)`` support matrix (built on access)."""
        return terms_to_dense(self._idx, self.n_players)

    @property
    def orders(self) -> np.ndarray:
        """Size of each term ``(n_terms,)``."""
        return term_orders(self._idx)

    @property
    def max_order(self) -> int:
        """Largest term size (0 for an empty or constant function)."""
        return int(self.orders.max(initial=0))

    def __len__(self) -> int:
        return int(self._coef.shape[0])

    def __getitem__(self, term: Sequence[int]) -> float:
        """Coefficient of ``term`` (0.0 if absent)."""
        key = tuple(sorted(int(i) for i in term))
        for t, c in zip(self.terms, self._coef, strict=True):
            if t == key:
                return float(c)
        return 0.0

    def as_dict(self) -> dict[tuple[int, ...], float]:
        """``{term: coefficient}`` in canonical order."""
        return dict(zip(self.terms, self._coef.tolist(), strict=True))

    # ------------------------------------------------------------------ maths
    def predict(self, masks: Any) -> np.ndarray:
        """Evaluate the sparse function on bool masks ``(n_masks, n_players)`` → ``(n_masks,)``."""
        masks = check_masks(masks, self.n_players)
        if self.basis == "moebius":
            return evaluate_moebius(self._idx, self._coef, masks)
        if self.basis == "fourier":
            return evaluate_fourier(self._idx, self._coef, masks)
        msg = (
            f"predict needs a 'moebius' or 'fourier' basis; this holds {self.basis!r} index "
            "values. Keep the Möbius result and call .index(...) only for reporting."
        )
        raise BasisError(msg)

    def to_moebius(self, rtol: float = CANCEL_RTOL) -> Interactions:
        """The same function in the Möbius (AND) basis (exact).

        A converted coefficient is dropped only when it cancels to below ``rtol`` times the sum
        of the magnitudes that produced it (round-off), so the result does not depend on the
        scale of the coefficients.
        """
        if self.basis == "moebius":
            return self
        self._require_function_basis("to_moebius")
        idx, coef = fourier_to_moebius(self._idx, self._coef, rtol=rtol)
        return Interactions._from_arrays(idx, coef, self, "moebius")

    def to_fourier(self, rtol: float = CANCEL_RTOL) -> Interactions:
        """The same function in the Fourier (parity) basis (exact; cancellations as in
        :meth:`to_moebius`)."""
        if self.basis == "fourier":
            return self
        self._require_function_basis("to_fourier")
        idx, coef = moebius_to_fourier(self._idx, self._coef, rtol=rtol)
        return Interactions._from_arrays(idx, coef, self, "fourier")

    def index(self, index: str, order: int | None = None) -> Interactions:
        """Interaction index values of order ``<= order`` (closed forms from Möbius terms).

        ``index`` is one of ``"sv"`` (Shapley), ``"bv"`` (Banzhaf), ``"sii"`` (Shapley
        interaction), ``"bii"`` (Banzhaf interaction), ``"stii"`` (Shapley–Taylor), ``"fsii"``
        (Faith-Shap), ``"fbii"`` (Faith-Banzhaf), ``"ksii"`` (k-Shapley). ``order`` defaults to
        1 for SV/BV and to :attr:`max_order` otherwise.
        """
        if index not in INDICES:
            msg = f"index == {index!r}; choose one of {INDICES}"
            raise ParameterError(msg)
        self._require_function_basis("index")
        if order is None:
            order = 1 if index in ("sv", "bv") else max(self.max_order, 1)
        if order < 1:
            msg = f"order == {order}, must be >= 1"
            raise ParameterError(msg)
        moebius = self.to_moebius()
        idx, coef = moebius_to_index(moebius._idx, moebius._coef, index, order)
        return Interactions._from_arrays(idx, coef, self, index, order=order)

    def shapley_values(self) -> np.ndarray:
        """Exact Shapley values ``(n_players,)``: ``φ_i = Σ_{S∋i} a(S)/|S|``."""
        return self._first_order("sv")

    def banzhaf_values(self) -> np.ndarray:
        """Exact Banzhaf values ``(n_players,)``: ``β_i = Σ_{S∋i} a(S)/2^{|S|-1}``."""
        return self._first_order("bv")

    def _first_order(self, index: str) -> np.ndarray:
        values = self.index(index, 1)
        out = np.zeros(self.n_players)
        first = values.orders == 1
        if first.any():
            out[values._idx[first, 0]] = values._coef[first]
        return out

    def _require_function_basis(self, what: str) -> None:
        if self.basis not in BASES:
            msg = f"{what} needs a 'moebius' or 'fourier' basis, not {self.basis!r}"
            raise BasisError(msg)

    def __add__(self, other: Interactions) -> Interactions:
        if not isinstance(other, Interactions):
            return NotImplemented
        if other.basis != self.basis or other.n_players != self.n_players:
            msg = (
                f"cannot add {self.basis!r} (n={self.n_players}) and {other.basis!r} "
                f"(n={other.n_players}) interactions: convert to one basis first"
            )
            raise BasisError(msg)
        idx = _stack(self._idx, other._idx)
        idx, coef = aggregate(idx, np.concatenate([self._coef, other._coef]), atol=-1.0)
        return Interactions._from_arrays(idx, coef, self, self.basis, self.order)

    def scale(self, factor: float) -> Interactions:
        """Multiply every coefficient by ``factor``."""
        return Interactions._from_arrays(
            self._idx, self._coef * factor, self, self.basis, self.order
        )

    def prune(self, atol: float = 0.0) -> Interactions:
        """Drop terms with ``|coefficient| <= atol`` (default: exact zeros only; any threshold
        is the caller's, in the units of the coefficients)."""
        keep = np.abs(self._coef) > atol
        return Interactions._from_arrays(
            self._idx[keep], self._coef[keep], self, self.basis, self.order
        )

    def top(self, k: int, *, include_empty: bool = False) -> Interactions:
        """The ``k`` terms of largest ``|coefficient|`` (ties: canonical order).

        The constant term ∅ is left out unless ``include_empty``.
        """
        if k < 0:
            msg = f"k == {k}, must be >= 0"
            raise ParameterError(msg)
        candidates = np.flatnonzero(include_empty | (self.orders > 0))
        ranked = candidates[np.argsort(-np.abs(self._coef[candidates]), kind="stable")[:k]]
        return Interactions._from_arrays(
            self._idx[ranked], self._coef[ranked], self, self.basis, self.order
        )

    # ------------------------------------------------------------------ presentation
    def _label(self, term: tuple[int, ...]) -> str:
        return " × ".join(self.feature_names[i] for i in term) if term else "∅"

    def to_dataframe(self):  # noqa: ANN201 - pandas is imported lazily
        """A pandas DataFrame with columns ``term``, ``features``, ``order``, ``coefficient``,
        sorted by decreasing ``|coefficient|``."""
        import pandas as pd

        terms = self.terms
        frame = pd.DataFrame(
            {
                "term": terms,
                "features": [self._label(t) for t in terms],
                "order": self.orders,
                "coefficient": self._coef,
            }
        )
        rank = np.argsort(-np.abs(self._coef), kind="stable")
        return frame.iloc[rank].reset_index(drop=True)

    def __repr__(self) -> str:
        shown = self.top(8, include_empty=True)
        lines = [
            f"Interactions(basis={self.basis!r}, n_players={self.n_players}, "
            f"n_terms={len(self)}, max_order={self.max_order})"
        ]
        rank = np.argsort(-np.abs(shown.coefficients), kind="stable")
        for i in rank:
            term, value = shown.terms[i], shown.coefficients[i]
            lines.append(f"  {value:+.6g}  {self._label(term)}")
        if len(self) > len(shown):
            lines.append(f"  ... {len(self) - len(shown)} more terms")
        return "\n".join(lines)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Interactions):
            return NotImplemented
        return (
            self.basis == other.basis
            and self.n_players == other.n_players
            and self.order == other.order
            and self._idx.shape == other._idx.shape
            and bool(np.array_equal(self._idx, other._idx))
            and bool(np.array_equal(self._coef, other._coef))
        )

    __hash__ = None  # type: ignore[assignment]

    def allclose(self, other: Interactions, atol: float = 1e-8) -> bool:
        """Same basis and terms, coefficients equal within ``atol`` (zeros ignored)."""
        if self.basis != other.basis or self.n_players != other.n_players:
            return False
        diff = self + other.scale(-1.0)
        return bool(np.all(np.abs(diff.coefficients) <= atol))

    # ------------------------------------------------------------------ persistence
    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (schema version :data:`SCHEMA_VERSION`)."""
        return {
            "schema": "ablatio.Interactions",
            "schema_version": SCHEMA_VERSION,
            "basis": self.basis,
            "order": self.order,
            "n_players": self.n_players,
            "feature_names": list(self.feature_names),
            "terms": [list(t) for t in self.terms],
            "coefficients": [float(c) for c in self._coef],
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> Interactions:
        """Inverse of :meth:`to_json_dict`; rejects other schemas and newer versions."""
        if not isinstance(data, dict) or data.get("schema") != "ablatio.Interactions":
            msg = "not an ablatio Interactions document (missing schema 'ablatio.Interactions')"
            raise ParameterError(msg)
        version = data.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            msg = (
                f"schema_version {version!r} is not supported by this ablatio "
                f"(reads <= {SCHEMA_VERSION}): upgrade ablatio"
            )
            raise ParameterError(msg)
        return cls(
            [tuple(t) for t in data["terms"]],
            data["coefficients"],
            n_players=data["n_players"],
            basis=data["basis"],
            feature_names=data.get("feature_names"),
            order=data.get("order"),
        )

    def save(self, path: str | Path) -> None:
        """Write the interactions as JSON (never pickle)."""
        Path(path).write_text(json.dumps(self.to_json_dict(), indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Interactions:
        """Read interactions written by :meth:`save`."""
        return cls.from_json_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    # ------------------------------------------------------------------ interop
    def to_shapiq(
        self, *, estimation_budget: int | None = None, baseline_value: float | None = None
    ) -> Any:
        """The same values as a ``shapiq.InteractionValues`` (needs ``ablatio[shapiq]``).

        The Möbius basis maps to shapiq's index ``"Moebius"`` and the index bases to their
        shapiq names (``"sv"`` → ``"SV"``, ``"ksii"`` → ``"k-SII"``, ...). A Fourier result is
        converted to the Möbius basis first, since shapiq has no parity basis. Both libraries
        give the empty set the same meaning (see :mod:`ablatio.transforms.indices`). An index
        export lists every term the index defines (all subsets of size ``1..order``), zeros
        included, as shapiq does, when there are at most :data:`MAX_DENSE_EXPORT` of them (else
        every player and the non-zero terms).

        Parameters
        ----------
        estimation_budget : int, optional
            Number of ablations used, recorded on the shapiq object.
        baseline_value : float, optional
            shapiq's ``baseline_value``, ``f(∅)`` (the FBII intercept for FBII). Defaults to
            the ∅ entry, which is ``f(∅)`` for the Möbius basis, SV, STII, FSII and k-SII (and
            the intercept for FBII); SII, BII and BV hold another value at ∅, so pass it.
        """
        require("shapiq", extra="shapiq")
        from shapiq import InteractionValues

        inter = self.to_moebius() if self.basis == "fourier" else self
        values = inter.as_dict()
        empty = float(values.setdefault((), 0.0))
        if baseline_value is None and inter.basis in ("sii", "bii", "bv"):
            msg = (
                f"to_shapiq: the ∅ entry of {inter.basis!r} is not f(∅); pass "
                "baseline_value=<f(∅)> (the constant of the Möbius result it came from)"
            )
            raise ParameterError(msg)
        baseline = empty if baseline_value is None else float(baseline_value)
        max_order = inter.max_order if inter.order is None else inter.order
        if inter.basis != "moebius":
            for term in _defined_terms(inter.n_players, max(max_order, 1)):
                values.setdefault(term, 0.0)
        return InteractionValues(
            values,
            index=_TO_SHAPIQ[inter.basis],
            max_order=max(max_order, 1),
            min_order=0,
            n_players=inter.n_players,
            estimated=estimation_budget is not None,
            estimation_budget=estimation_budget,
            baseline_value=baseline,
        )

    @classmethod
    def from_shapiq(
        cls, values: Any, *, feature_names: Sequence[str] | None = None
    ) -> Interactions:
        """Interactions from a ``shapiq.InteractionValues`` (inverse of :meth:`to_shapiq`).

        Accepts shapiq's ``"Moebius"``, ``"SV"``, ``"BV"``, ``"SII"``, ``"BII"``, ``"STII"``,
        ``"FSII"``, ``"FBII"`` and ``"k-SII"`` indices; any other index raises a BasisError.
        """
        index = getattr(values, "index", None)
        if index not in _FROM_SHAPIQ:
            msg = f"shapiq index {index!r} has no ablatio basis; supported: {sorted(_FROM_SHAPIQ)}"
            raise BasisError(msg)
        basis = _FROM_SHAPIQ[index]
        scores = dict(values.interactions)
        if basis == "moebius" and scores.get((), None) == 0.0:
            del scores[()]  # shapiq always stores ∅; a zero Möbius constant is no term
        terms = list(scores)
        order = None if basis == "moebius" else int(values.max_order)
        return cls(
            terms,
            [float(scores[t]) for t in terms],
            n_players=int(values.n_players),
            basis=basis,
            feature_names=feature_names,
            order=order,
        )


def _terms_to_index(terms: Sequence[Sequence[int]] | np.ndarray, n: int) -> np.ndarray:
    """Padded index form of tuples or of a bool/uint8 support matrix; ambiguity refused."""
    if isinstance(terms, np.ndarray) and terms.ndim == 2:
        if terms.dtype in (np.bool_, np.uint8):
            if terms.shape[1] != n:
                msg = f"support matrix of width {terms.shape[1]} but n_players == {n}"
                raise ParameterError(msg)
            return dense_to_terms(terms)
        if terms.shape[1] == n and terms.size and np.isin(terms, (0, 1)).all():
            msg = (
                f"terms is an integer array of width n_players == {n} holding only 0 and 1: "
                "pass a support matrix as dtype bool (or uint8), or the terms as a list of "
                "tuples of player indices"
            )
            raise ParameterError(msg)
    tuples = [tuple(int(i) for i in t) for t in terms]
    bad = [t for t in tuples if any(i < 0 for i in t) or len(set(t)) != len(t)]
    if bad:
        msg = f"term {bad[0]} must list distinct player indices in 0..n-1 (n_players == {n})"
        raise ParameterError(msg)
    return tuples_to_terms(tuples)


def _defined_terms(n: int, order: int) -> Iterator[tuple[int, ...]]:
    """Subsets of size ``1..order`` (every player only, when they exceed the dense limit)."""
    if sum(comb(n, k) for k in range(1, order + 1)) > MAX_DENSE_EXPORT:
        order = 1
    for k in range(1, order + 1):
        yield from combinations(range(n), k)


def _stack(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    width = max(a.shape[1], b.shape[1])
    out = np.full((a.shape[0] + b.shape[0], width), -1, dtype=np.int64)
    out[: a.shape[0], : a.shape[1]] = a
    out[a.shape[0] :, : b.shape[1]] = b
    return out
