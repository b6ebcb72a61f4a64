"""The readable view of an explanation: named Shapley values, a few pairs, variance by order.

Raw Möbius terms of real models are often of high order with large, cancelling coefficients
(e.g. VADER on a 12-word review: −6.09, then +3.17 four times at orders 5–7). The same function
reads compactly as

* **Shapley values** :math:`\\phi_i = \\sum_{S \\ni i} a(S)/|S|`, one per part, named, summing
  to :math:`f(\\mathbf 1) - f(\\mathbf 0)`;
* the strongest **pairwise interactions** of an index of order 2 (default Shapley–Taylor,
  :math:`I_{ij} = \\sum_{S \\supseteq \\{i,j\\}} a(S) / \\binom{|S|}{2}`, which with the
  first-order terms also sums to :math:`f(\\mathbf 1) - f(\\mathbf 0)`);
* the **variance share of each order** in the Fourier basis: under uniformly random masks
  :math:`\\operatorname{Var} f = \\sum_{T \\neq \\emptyset} F(T)^2`, so order ``k`` carries
  :math:`\\sum_{|T| = k} F(T)^2 / \\sum_{T \\neq \\emptyset} F(T)^2`.

pandas is imported when a summary is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ablatio.exceptions import ParameterError
from ablatio.interactions import BASES, Interactions
from ablatio.report.figures import attributions
from ablatio.transforms.fourier import fourier_transform
from ablatio.transforms.moebius import zeta_transform

__all__ = [
    "FOURIER_ATOL",
    "INDEX_NAMES",
    "MAX_DENSE_PLAYERS",
    "MAX_FOURIER_TERMS",
    "Summary",
    "pair_interactions",
    "shapley_series",
    "summarize",
    "top_pairs",
    "variance_by_order",
]

#: Readable names of the interaction indices.
INDEX_NAMES = {
    "stii": "Shapley–Taylor",
    "fsii": "Faith-Shap",
    "ksii": "k-Shapley",
    "sii": "Shapley interaction",
    "bii": "Banzhaf interaction",
    "fbii": "Faith-Banzhaf",
}
#: Largest number of Fourier terms a sparse Möbius → Fourier conversion may create.
MAX_FOURIER_TERMS = 2**22
#: Fourier coefficients at most this large count as zero (as in ``Interactions.to_fourier``).
FOURIER_ATOL = 1e-12
#: Up to this many parts, the variance shares fall back to dense transforms over 2^n masks.
MAX_DENSE_PLAYERS = 20


def _label(inter: Interactions, term: tuple[int, ...]) -> str:
    return " × ".join(inter.feature_names[i] for i in term)


def shapley_series(inter: Interactions) -> Any:
    """Shapley values as a pandas Series indexed by part name (first-order values of an index)."""
    import pandas as pd

    values = attributions(inter)
    return pd.Series(values, index=list(inter.feature_names), name="shapley")


def top_pairs(
    inter: Interactions, index: str = "stii", k: int | None = None
) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """The ``k`` largest order-2 values of ``index``: ``(terms, values)``, largest first."""
    if index not in INDEX_NAMES:
        msg = f"index == {index!r}; choose one of {sorted(INDEX_NAMES)}"
        raise ParameterError(msg)
    if inter.basis not in BASES:
        pairs = inter if inter.basis == index else inter.top(0)
    else:
        pairs = inter.index(index, 2)
    keep = pairs.orders == 2
    terms = [t for t, ok in zip(pairs.terms, keep, strict=True) if ok]
    values = pairs.coefficients[keep]
    rank = np.argsort(-np.abs(values), kind="stable")[: len(values) if k is None else k]
    return [terms[i] for i in rank], values[rank]


def pair_interactions(inter: Interactions, index: str = "stii", k: int | None = None) -> Any:
    """Order-2 values of ``index`` as a Series ``"a × b" → value``, largest ``|value|`` first."""
    import pandas as pd

    terms, values = top_pairs(inter, index, k)
    labels = [_label(inter, t) for t in terms]
    return pd.Series(values, index=labels, name=index, dtype=float)


def variance_by_order(inter: Interactions) -> Any:
    """Share of the variance over uniform masks carried by each order (Series, sums to 1).

    Empty when the function is constant; None for index values or when the Fourier view is too
    large (more than :data:`MAX_FOURIER_TERMS` terms and more than :data:`MAX_DENSE_PLAYERS`
    parts).
    """
    import pandas as pd

    if inter.basis not in BASES:
        return None
    if inter.basis == "fourier":
        orders, coef = inter.orders, inter.coefficients
    elif float(np.sum(2.0**inter.orders)) <= MAX_FOURIER_TERMS:
        fourier = inter.to_fourier()
        orders, coef = fourier.orders, fourier.coefficients
    elif inter.n_players <= MAX_DENSE_PLAYERS:
        orders, coef = _dense_fourier(inter)
    else:
        return None
    power = coef**2 * (orders > 0)
    total = float(power.sum())
    if total == 0.0:
        return pd.Series([], dtype=float, name="variance share")
    used = power > 0
    shares = np.bincount(orders[used], weights=power[used])[1:] / total
    index = pd.Index(np.arange(1, shares.size + 1), name="order")
    return pd.Series(shares, index=index, name="variance share")


def _dense_fourier(inter: Interactions) -> tuple[np.ndarray, np.ndarray]:
    """Orders and Fourier coefficients on all 2^n masks (for exact results with many terms)."""
    n = inter.n_players
    dense = np.zeros(2**n)
    codes = [sum(1 << i for i in term) for term in inter.terms]
    np.add.at(dense, codes, inter.coefficients)
    coef = fourier_transform(zeta_transform(dense))
    coef[np.abs(coef) <= FOURIER_ATOL] = 0.0  # as Interactions.to_fourier drops them
    orders = np.array([bin(c).count("1") for c in range(2**n)])
    return orders, coef


@dataclass(frozen=True)
class Summary:
    """The readable view (see the module docstring); ``str()`` renders it as text.

    Attributes
    ----------
    shapley : pandas.Series
        One Shapley value per part, indexed by name (all parts, in part order).
    pairs : pandas.Series
        The ``k`` strongest order-2 values of ``index`` (``"a × b" → value``).
    index : str
        The interaction index of ``pairs``.
    variance : pandas.Series or None
        Variance share of each order (Fourier basis, uniform masks).
    base_value, full_value : float or None
        :math:`f(\\mathbf 0)` (every part ablated) and :math:`f(\\mathbf 1)` (the full input).
    k : int
        Rows shown per section.
    header : str
        First line (method, ablations, time).
    """

    shapley: Any
    pairs: Any
    index: str
    variance: Any
    base_value: float | None
    full_value: float | None
    k: int
    header: str = ""

    def __str__(self) -> str:
        lines = [self.header] if self.header else []
        if self.base_value is not None and self.full_value is not None:
            lines.append(
                f"value with every part ablated f(∅) = {self.base_value:+.4g}, "
                f"full input f(all) = {self.full_value:+.4g}"
            )
        ranked = self.shapley.reindex(self.shapley.abs().sort_values(ascending=False).index)
        lines.append(f"Shapley values (sum {float(self.shapley.sum()):+.4g}):")
        lines += [f"  {v:+.4g}  {name}" for name, v in ranked.head(self.k).items()]
        if len(ranked) > self.k:
            lines.append(f"  ... {len(ranked) - self.k} more parts")
        if len(self.pairs):
            name = INDEX_NAMES.get(self.index, self.index)
            lines.append(f"Strongest pairwise interactions ({name}, order 2):")
            lines += [f"  {v:+.4g}  {label}" for label, v in self.pairs.head(self.k).items()]
        if self.variance is not None and len(self.variance):
            shares = ", ".join(
                f"{o}: {100 * s:.1f} %" for o, s in self.variance.items() if s >= 5e-4
            )
            lines.append(f"Variance by order (Fourier, uniform masks): {shares}")
        lines.append("Raw Möbius terms: .top(k) or .interactions")
        return "\n".join(lines)

    __repr__ = __str__


def summarize(
    inter: Interactions, *, k: int = 10, index: str = "stii", header: str = ""
) -> Summary:
    """The :class:`Summary` of ``inter``: ``k`` rows per section, pairs from ``index``."""
    if not isinstance(k, int) or k < 1:
        msg = f"k == {k!r}, must be a positive int"
        raise ParameterError(msg)
    base = full = None
    if inter.basis in BASES:
        moebius = inter.to_moebius()
        base = moebius[()]
        full = float(np.sum(moebius.coefficients))
    return Summary(
        shapley=shapley_series(inter),
        pairs=pair_interactions(inter, index, k),
        index=index,
        variance=variance_by_order(inter),
        base_value=base,
        full_value=full,
        k=k,
        header=header,
    )
