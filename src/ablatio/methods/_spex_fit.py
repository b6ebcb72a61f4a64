"""SPEX internals: budget → design sizes, and the peel → refit → re-peel loop.

The refit uses that every SPEX sample is a parity evaluation with known structure: for mask
``m_{c,i,ℓ} = M_c^⊤ ℓ ⊕ d_i`` and term ``T``,

.. math::

    (-1)^{\\langle m_{c,i,\\ell}, T\\rangle} = (-1)^{\\langle \\ell, M_c T\\rangle}\\,
    (-1)^{\\langle d_i, T\\rangle},

so the least-squares design matrix is built from bucket indices and delay signs without
touching the ``n``-wide masks (cheap at ``n = 4096``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np

from ablatio._metrics import r2_from_sums
from ablatio.designs.aliasing import AliasingDesign, n_distinct_masks
from ablatio.exceptions import BudgetTooSmallError
from ablatio.interactions import Interactions
from ablatio.transforms.bch import BCHCode, bch_code
from ablatio.transforms.fourier import fwht
from ablatio.transforms.peeling import PeelingSettings, peel
from ablatio.transforms.solve import least_squares_gram
from ablatio.transforms.terms import tuples_to_terms

__all__ = ["MIN_LEVEL", "SpexFit", "SpexPlan", "min_budget", "plan_spex", "refit_rounds"]

#: Smallest level ``b`` (``2^b`` buckets per group) SPEX runs with.
MIN_LEVEL = 3
#: A spare BCH capability (``t = max_order + 1``) is used only if it leaves at least this level.
SPARE_LEVEL = 5
#: Groups used first when ``n_groups`` is automatic, and the most added when budget remains.
DEFAULT_GROUPS, MAX_GROUPS = 3, 6
#: Largest level considered.
MAX_LEVEL = 20
#: Buckets whose energy is below ``ZERO_RTOL · var(y)`` per entry are zerotons. The variance
#: (not ``mean(y²)``) is the scale: a constant offset only moves the ``∅`` bucket.
ZERO_RTOL = 1e-12
#: Coefficients below ``COEF_RTOL · std(y)`` are dropped after a refit.
COEF_RTOL = 1e-9
#: Zeroton threshold after a refit: ``(1 + NOISE_MARGIN) ·`` median residual bucket energy.
NOISE_MARGIN = 0.5
#: Candidate columns may not exceed this fraction of the samples (else no subset closure).
MAX_COLUMN_FRACTION = 0.5
#: Most extra candidates one search (all singletons, pairs of important players) may add.
MAX_SEARCH_COLUMNS = 1024


@dataclass(frozen=True)
class SpexPlan:
    """Internal sizes chosen from the budget."""

    t: int
    b: int
    n_parity: int
    n_groups: int

    @property
    def n_queries(self) -> int:
        """Distinct ablations of the design."""
        return n_distinct_masks(self.n_groups, self.b, self.n_parity)


@dataclass(frozen=True)
class SpexFit:
    """What :func:`~ablatio.methods.spex.spex_recover` returns.

    Attributes
    ----------
    interactions : Interactions
        Recovered function in the Fourier basis.
    holdout_r2 : float
        R² on one group's uniform masks of a fit on the other groups (``nan`` if ``C = 1``).
    plan : SpexPlan
        The design sizes used.
    n_rounds : int
        Peel → refit rounds run.
    """

    interactions: Interactions
    holdout_r2: float
    plan: SpexPlan
    n_rounds: int


def min_budget(n: int, max_order: int, n_groups: int | None = None, t: int | None = None) -> int:
    """Smallest budget SPEX accepts for ``n`` players (``t = max_order``, ``b = MIN_LEVEL``)."""
    groups = DEFAULT_GROUPS if n_groups is None else n_groups
    return n_distinct_masks(groups, MIN_LEVEL, bch_code(n, t or max_order).n_parity)


def plan_spex(n: int, budget: int, max_order: int, n_groups: int | None, t: int | None) -> SpexPlan:
    """Design sizes for ``budget``: the largest level ``b``, then as many groups as fit.

    ``n_groups=None`` starts from ``C = 3`` (the peeling sweet spot) and adds groups, up to
    ``MAX_GROUPS``, while the design at that level still fits. ``t=None`` tries a spare
    capability ``max_order + 1`` if it leaves ``b >= SPARE_LEVEL``, else ``t = max_order``.
    """
    base_groups = DEFAULT_GROUPS if n_groups is None else n_groups
    choices = [t] if t is not None else [max_order + 1, max_order]
    for tt in choices:
        p = bch_code(n, tt).n_parity
        b = MIN_LEVEL - 1
        while b < MAX_LEVEL and n_distinct_masks(base_groups, b + 1, p) <= budget:
            b += 1
        floor = SPARE_LEVEL if t is None and tt > max_order else MIN_LEVEL
        if b >= floor:
            groups = base_groups
            while (
                n_groups is None
                and groups < MAX_GROUPS
                and n_distinct_masks(groups + 1, b, p) <= budget
            ):
                groups += 1
            return SpexPlan(t=tt, b=b, n_parity=p, n_groups=groups)
    need = min_budget(n, max_order, base_groups, t)
    msg = (
        f"budget={budget} < {need} ablations SPEX needs for n={n}, max_order={max_order}"
        f"{'' if t is None else f', t={t}'}: raise budget or lower max_order"
    )
    raise BudgetTooSmallError(msg, minimum=need)


class BucketRegression:
    """Least squares of the samples on parities of ``terms``, computed in the bucket domain.

    The transform over ``ℓ`` is orthogonal, so for each group
    ``‖y_c − X_c β‖² = 2^b ‖U_c − Σ_T β_T σ(T) e_{j_c(T)}‖²`` and the normal equations are
    ``G_c[T, T'] = [j_c(T) = j_c(T')] ⟨σ(T), σ(T')⟩`` and ``(Xᵀy)_c[T] = ⟨σ(T), U_c[:, j_c(T)]⟩``
    (both divided by ``2^b``): ``O(C K² + C K p)`` instead of a ``C p 2^b × K`` design.
    """

    def __init__(self, design: AliasingDesign, b: int, terms: list[tuple[int, ...]]) -> None:
        idx = tuples_to_terms(terms)
        self.homes = design.buckets(idx, b)  # (C, K)
        self.signs = design.signs(idx)  # (K, P)
        cross = self.signs @ self.signs.T
        same = self.homes[:, :, None] == self.homes[:, None, :]
        self.grams = same * cross[None, :, :]  # (C, K, K)

    def moments(self, buckets: np.ndarray) -> np.ndarray:
        """``(Xᵀy)_c / 2^b`` per group, ``(C, K)``."""
        cols = np.take_along_axis(buckets, self.homes[:, None, :], axis=2)  # (C, P, K)
        return np.einsum("cpk,kp->ck", cols, self.signs)

    def fit(self, buckets: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
        """Coefficients fitted on the groups selected by the boolean ``groups`` (default all)."""
        sel = slice(None) if groups is None else groups
        return least_squares_gram(self.grams[sel].sum(axis=0), self.moments(buckets)[sel].sum(0))

    def residual(self, buckets: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """Buckets of ``y − Xβ``: each term subtracted from the bucket it hashes to."""
        out = buckets.copy()
        contrib = beta[:, None] * self.signs  # (K, P)
        for c in range(out.shape[0]):
            np.add.at(out[c].T, self.homes[c], -contrib)
        return out


def _closure(terms: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    out: dict[tuple[int, ...], None] = {}
    for term in terms:
        for r in range(len(term) + 1):
            out.update(dict.fromkeys(combinations(term, r)))
    return list(out)


def _holdout_r2(reg: BucketRegression, buckets: np.ndarray, values: np.ndarray) -> float:
    """Fit on all groups but one, score on that group's uniform (``ℓ ≠ 0``) masks; pool."""
    n_groups, _, n_buckets = buckets.shape
    if n_groups < 2:
        return float("nan")
    sse = sst = sum_sq = 0.0
    for c in range(n_groups):
        beta = reg.fit(buckets, np.arange(n_groups) != c)
        resid = buckets[c].copy()
        np.add.at(resid.T, reg.homes[c], -(beta[:, None] * reg.signs))
        at_zero = values[c, :, 0] - (beta[:, None] * reg.signs).sum(axis=0)  # ℓ = 0 rows
        sse += n_buckets * float(np.sum(resid**2)) - float(np.sum(at_zero**2))
        uniform = values[c, :, 1:]
        sst += float(np.sum((uniform - uniform.mean()) ** 2))
        sum_sq += float(np.sum(uniform**2))
    return r2_from_sums(max(sse, 0.0), sst, sum_sq)


class _Refitter:
    """Least squares on candidate terms, pruning of insignificant ones, refit on the rest.

    A coefficient is kept if ``|β| > max(prune_z · se, floor)`` with ``se = σ̂ / √N`` (columns
    are ±1 and nearly orthogonal) and ``σ̂²`` the residual variance; pruned terms are
    remembered in ``rejected`` so later rounds do not propose them again.
    """

    def __init__(
        self, design: AliasingDesign, b: int, buckets: np.ndarray, prune_z: float, floor: float
    ) -> None:
        self.design, self.b, self.buckets = design, b, buckets
        self.prune_z, self.floor = prune_z, floor
        self.rejected: set[tuple[int, ...]] = set()

    def __call__(
        self, candidates: list[tuple[int, ...]]
    ) -> tuple[list[tuple[int, ...]], BucketRegression, np.ndarray]:
        reg = BucketRegression(self.design, self.b, candidates)
        beta = reg.fit(self.buckets)
        n_rows = self.buckets.size
        rss = self.buckets.shape[2] * float(np.sum(reg.residual(self.buckets, beta) ** 2))
        se = np.sqrt(rss / max(n_rows - len(candidates), 1) / n_rows)
        keep = np.abs(beta) > max(self.prune_z * se, self.floor)
        keep[0] = True  # the constant term
        if keep.all():
            return candidates, reg, beta
        self.rejected.update(k for k, kept in zip(candidates, keep, strict=True) if not kept)
        support = [k for k, kept in zip(candidates, keep, strict=True) if kept]
        reg = BucketRegression(self.design, self.b, support)
        return support, reg, reg.fit(self.buckets)


def _search_candidates(
    kind: str,
    support: list[tuple[int, ...]],
    beta: np.ndarray,
    known: set[tuple[int, ...]],
    n: int,
    limit: float,
) -> list[tuple[int, ...]]:
    """Extra candidates once peeling stalls (at most ``limit − |support|`` of them).

    ``"singletons"``: every player. ``"pairs"``: pairs of the players with the largest total
    ``|β|`` in the support. AND-like games hide many low-order terms in crowded buckets while
    their players show up elsewhere; the refit, pruning and the held-out check decide.
    """
    room = limit - len(support)
    if kind == "singletons":
        singles: list[tuple[int, ...]] = [(i,) for i in range(n) if (i,) not in known]
        return singles if len(singles) <= room else []
    weight: dict[int, float] = {}
    for term, value in zip(support, beta, strict=True):
        for player in term:
            weight[player] = weight.get(player, 0.0) + abs(float(value))
    ranked = sorted(weight, key=lambda i: (-weight[i], i))
    m = len(ranked)
    while m > 1 and m * (m - 1) / 2 > room:
        m -= 1
    return [pair for pair in combinations(sorted(ranked[:m]), 2) if pair not in known]


def refit_rounds(
    values: np.ndarray,
    design: AliasingDesign,
    code: BCHCode,
    plan: SpexPlan,
    settings: PeelingSettings,
    *,
    refit: bool,
    prune_z: float,
    max_rounds: int,
    search: bool = True,
) -> SpexFit:
    """Peel, refit on all samples, re-peel the residual buckets; return the Fourier fit.

    When peeling stalls and ``search`` is set, all singletons, then pairs of the important
    players, are tried as extra candidates; they are kept only if the cross-group held-out R²
    improves.
    """
    n_buckets = values.shape[2]
    n_rows = values.size
    buckets = fwht(values) / n_buckets
    scale2 = float(np.var(values))
    settings = replace(settings, zeroton_tol=ZERO_RTOL * scale2)
    if not refit:
        found = peel(buckets.copy(), design, code, plan.b, settings)
        terms = sorted(found, key=lambda k: (len(k), k))
        coef = np.array([found[k] for k in terms])
        r2 = _holdout_r2(BucketRegression(design, plan.b, terms), buckets, values)
        result = Interactions._build(tuples_to_terms(terms), coef, code.n, "fourier")
        return SpexFit(result, r2, plan, 1)
    refitter = _Refitter(design, plan.b, buckets, prune_z, COEF_RTOL * np.sqrt(scale2))
    support, reg, beta = refitter([()])
    searches = ["singletons", "pairs"] if search else []
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - the count is reported
        found = peel(reg.residual(buckets, beta), design, code, plan.b, settings)
        known = set(support) | refitter.rejected
        new = [k for k in sorted(found, key=lambda k: (len(k), k)) if k not in known]
        if not new:
            extra: list[tuple[int, ...]] = []
            while searches and not extra:
                limit = min(MAX_COLUMN_FRACTION * n_rows, len(support) + MAX_SEARCH_COLUMNS)
                extra = _search_candidates(searches.pop(0), support, beta, known, code.n, limit)
            if not extra:
                break
            trial = refitter(support + extra)
            if _holdout_r2(trial[1], buckets, values) > _holdout_r2(reg, buckets, values):
                support, reg, beta = trial
        else:
            closed = _closure(new)
            if len(support) + len(closed) > MAX_COLUMN_FRACTION * n_rows:
                closed = new
            in_support = set(support)
            support, reg, beta = refitter(support + [k for k in closed if k not in in_support])
        floor = float(np.median(np.mean(reg.residual(buckets, beta) ** 2, axis=1)))
        settings = replace(
            settings, zeroton_tol=max(ZERO_RTOL * scale2, (1 + NOISE_MARGIN) * floor)
        )
    r2 = _holdout_r2(reg, buckets, values)
    idx = tuples_to_terms(support)
    return SpexFit(Interactions._build(idx, beta, code.n, "fourier"), r2, plan, rounds)
