"""``SPEX``: sparse Fourier interactions from aliased subsampling with BCH-coded delays.

Pipeline (design notes §2 and §7): choose the BCH capability ``t``, the level ``b`` and the
number of groups ``C`` from the budget; query ``C (p + 1) 2^b`` structured masks; alias them
into buckets with one Walsh–Hadamard transform per (group, delay); peel singletons decoded by
the BCH code (hard or Chase soft decoding); refit the recovered support — closed under taking
subsets — on *all* samples by least squares; recompute the buckets from the residuals and peel
again until nothing new appears (then try all singletons and pairs of important players as
candidates, kept only if the held-out R² improves); convert to the Möbius basis. Designs are
nested: smaller levels run first and SPEX stops once the cross-group held-out R² reaches
``stop_r2``.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np

from ablatio.designs.aliasing import AliasingDesign, draw_aliasing_design
from ablatio.exceptions import LowBudgetWarning, ParameterError, RecoveryWarning
from ablatio.games.game import Game
from ablatio.interactions import Interactions
from ablatio.methods._best_of import Recorder, select
from ablatio.methods._spex_fit import (
    DEFAULT_GROUPS,
    MIN_LEVEL,
    SpexFit,
    SpexPlan,
    min_budget,
    plan_spex,
    refit_rounds,
)
from ablatio.methods.base import Interval, Method, Options, holdout_size
from ablatio.transforms.bch import bch_code
from ablatio.transforms.peeling import PeelingSettings

__all__ = ["SPEX", "min_budget", "spex_recover"]

#: Peeling iterations per round, and iterations without a new term before giving up.
MAX_PEEL_ITER, STALL_ITER = 100, 15
#: Levels tried in turn by the nested (early-stopping) design: ``b - 2``, ``b - 1``, ``b``.
NESTED_LEVELS = 3
#: Groups of the reduced design used when the budget is below the usual smallest design.
REDUCED_GROUPS = 2


def spex_recover(
    game: Game,
    budget: int,
    max_order: int,
    rng: np.random.Generator,
    *,
    n_groups: int | None = None,
    t: int | None = None,
    decoder: str = "soft",
    chase_depth: int | None = None,
    singleton_cutoff: float = 0.9,
    refit: bool = True,
    prune_z: float = 3.0,
    max_rounds: int = 8,
    stop_r2: float | None = 0.99999,
) -> SpexFit:
    """Run SPEX on ``game`` within ``budget`` distinct ablations (the internal entry point).

    Parameters are those of :class:`SPEX`; ``rng`` draws the hashes. Returns a
    :class:`~ablatio.methods._spex_fit.SpexFit` whose ``interactions`` are in the Fourier basis.
    Raises :class:`~ablatio.exceptions.BudgetTooSmallError` if no design fits the budget.
    """
    n = game.n_players
    plan = plan_spex(n, budget, max_order, n_groups, t)
    code = bch_code(n, plan.t)
    design = draw_aliasing_design(code.delays, plan.n_groups, plan.b, rng)
    depth = chase_depth if chase_depth is not None else plan.t
    settings = PeelingSettings(
        max_order=max_order,
        decoder=decoder,
        chase_depth=depth,
        singleton_cutoff=singleton_cutoff,
        zeroton_tol=0.0,
        max_iter=MAX_PEEL_ITER,
        stall_iter=STALL_ITER,
    )
    stages = _stages(plan) if stop_r2 is not None else [plan]
    for number, stage in enumerate(stages, start=1):
        sub = AliasingDesign(design.hashes[: stage.n_groups, : stage.b], design.delays)
        values = _collect(game, sub, stage.b)
        fit = refit_rounds(
            values,
            sub,
            code,
            stage,
            settings,
            refit=refit,
            prune_z=prune_z,
            max_rounds=max_rounds,
            search=number == len(stages),  # candidate searches only on the full design
        )
        if stop_r2 is not None and fit.holdout_r2 >= stop_r2:
            break
    return fit


def _collect(game: Game, design: AliasingDesign, b: int) -> np.ndarray:
    """Values ``(C, p + 1, 2^b)`` of the design's masks, one game call per group."""
    out = []
    for c in range(design.n_groups):
        masks = design.masks(c, b)
        out.append(game(masks.reshape(-1, masks.shape[-1])).reshape(masks.shape[:2]))
    return np.stack(out)


def _stages(plan: SpexPlan) -> list[SpexPlan]:
    """Nested designs ending at ``plan``: smaller levels with 3 groups first, then all groups."""
    first = min(plan.n_groups, DEFAULT_GROUPS)
    levels = range(max(MIN_LEVEL, plan.b - NESTED_LEVELS + 1), plan.b + 1)
    stages = [replace(plan, n_groups=first, b=b) for b in levels]
    if plan.n_groups > first:
        stages.append(plan)
    return stages


class SPEX(Method):
    """SPEX: sparse Fourier recovery from aliased subsampling with BCH-coded delays.

    Parameters
    ----------
    budget : int, optional
        Maximum number of distinct ablations (default: ``Method.default_budget``). A share
        (:func:`~ablatio.methods.base.holdout_size`) is kept for held-out ablations that score
        the result (``holdout_r2_``) and is never used to choose or fit terms.
    max_order : int, optional
        Largest interaction order (Fourier degree) to recover (default 3, capped at ``n``).
    random_state : int, Generator or None
        Seed of the random hashes; the same seed gives identical interactions.
    decoder : {"soft", "hard"}, default="soft"
        Chase-II soft decoding of the real-valued sign patterns, or hard BCH decoding.
    n_groups : int, optional
        Number of subsampling groups ``C``. ``None`` uses 3 at the largest level ``b`` the
        budget allows, then adds groups (up to 6) while they still fit.
    t : int, optional
        BCH error-correction capability (``>= max_order``). ``None`` picks it from the budget:
        ``max_order + 1`` (one spare for a sign error) when that still leaves ``2^b`` buckets
        with ``b >= 5``, else ``max_order``.
    chase_depth : int, optional
        Least reliable bits flipped by the soft decoder (default ``t``); it tries
        ``depth (depth + 1) / 2`` flip patterns in order of increasing cost.
    singleton_cutoff : float, default=0.9
        A bucket is a (dominant) singleton when the decoded term leaves less than this fraction
        of the bucket's energy.
    refit : bool, default=True
        Refit the support (closed under subsets) on all samples by least squares, then peel
        the residual buckets again; ``False`` returns the raw peeled values (the reference).
    prune_z : float, default=3.0
        After a refit, drop terms whose coefficient is below ``prune_z`` standard errors.
    max_rounds : int, default=8
        Peel → refit rounds at most.
    stop_r2 : float or None, default=0.99999
        Nested budgets: run first on the nested sub-designs with ``2^{b-2}``, ``2^{b-1}``
        buckets (3 groups), then the full design, and stop as soon as the cross-group held-out
        R² reaches ``stop_r2`` (the ablations of a stage are reused by the next one). ``None``
        always queries the full design.
    warn_below : float, default=0.9
        Warn with :class:`~ablatio.exceptions.RecoveryWarning` unless ``holdout_r2_`` clears
        this by ``WARN_Z`` standard errors (:data:`~ablatio.methods.base.WARN_Z`; when the
        budget leaves no held-out ablations: the cross-group ``train_r2_``).
    best_of_below : float or None, default=0.99
        When the decoded support's held-out R² is below this, refit the alternatives on the
        same ablations (first order, first order + detected pairs, ridge refit of the support;
        :mod:`ablatio.methods._best_of`) and return the one with the best honest estimate
        (``model_``). ``None`` always returns the decoded support.

    Attributes
    ----------
    interactions_ : Interactions
        Recovered interactions in the Möbius basis.
    fourier_ : Interactions
        The same function in the Fourier basis (what SPEX recovers).
    holdout_r2_ : float
        R² on uniform ablations drawn after the fit and never used by it (``nan`` when the
        budget leaves fewer than 20; ``holdout_r2_se_`` its standard error).
    train_r2_ : float
        Cross-group R² (fit on the other groups, scored on one group's uniform masks; ``nan``
        with one group). The support was chosen on every group, so it is optimistic; it
        decides the nested early stop and the candidate searches.
    model_ : str
        Which model was returned: ``"decoded"``, a best-of alternative
        (:data:`~ablatio.methods._alternatives.ALTERNATIVES`), or ``"proxyspex/..."`` below the
        smallest design (ProxySPEX's ``model_``, e.g. ``"proxyspex/stacked"``, whose weights
        are then ``model_weights_``).
    model_scores_ : dict of str to float
        Held-out estimate of every candidate the best-of stage compared.
    t_, b_, n_groups_ : int
        BCH capability, level and number of groups used (0 when no design fit the budget).
    n_queries_ : int
        Distinct ablations used (``<= budget``).

    Notes
    -----
    Below the usual smallest design (``min_budget(n, max_order)`` of
    :mod:`ablatio.methods.spex`, 3 groups) SPEX warns with
    :class:`~ablatio.exceptions.LowBudgetWarning` and runs a reduced design with
    ``REDUCED_GROUPS = 2`` groups; below that (:meth:`design_min_budget`) it spends the budget
    on uniform ablations explained by ProxySPEX (then the best-of stage). Only budgets below
    ProxySPEX's minimum raise :class:`~ablatio.exceptions.BudgetTooSmallError`.

    Query ``m_{c,i,ℓ} = M_c^⊤ ℓ ⊕ d_i``; the transform over ``ℓ`` gives buckets
    ``U_c[i, j] = Σ_{M_c k = j} F(k) (-1)^{⟨d_i, k⟩}`` of ``f(m) = Σ_k F(k) (-1)^{⟨m, k⟩}``.
    Distinct ablations: ``(p + 1)(C 2^b - C + 1)`` with ``p = p(n, t)`` the BCH parity length.

    References
    ----------
    Kang, Butler, Agarwal, Erginbas, Pedarsani, Yu, Ramchandran, "SPEX: Scaling feature
    interaction explanations for LLMs", ICML 2025.

    Examples
    --------
    >>> from ablatio import SPEX
    >>> from ablatio.games.synthetic import sparse_parity_game
    >>> game = sparse_parity_game(32, n_terms=4, max_order=2, random_state=0)
    >>> spex = SPEX(budget=1500, max_order=2, random_state=0).fit(game)
    >>> spex.fourier_.allclose(game.true_interactions, atol=1e-6)
    True
    """

    name: ClassVar[str] = "spex"
    default_max_order: ClassVar[int | None] = 3
    model_: str
    model_scores_: dict[str, float]
    _check_tags: ClassVar[dict[str, Any]] = {
        "exact": "max_order",
        "exact_budget": 2000,
        "budget": 2000,  # the generic checks run the usual design, not the low-budget path
    }
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "budget": [None, Interval(int, 1, None)],
        "max_order": [None, Interval(int, 1, None)],
        "random_state": ["random_state"],
        "decoder": [Options(("soft", "hard"))],
        "n_groups": [None, Interval(int, 1, 8)],
        "t": [None, Interval(int, 1, 16)],
        "chase_depth": [None, Interval(int, 1, 12)],
        "singleton_cutoff": [Interval(float, 0, 1)],
        "refit": ["boolean"],
        "prune_z": [Interval(float, 0, None)],
        "max_rounds": [Interval(int, 1, None)],
        "stop_r2": [None, Interval(float, None, 1)],
        "warn_below": [Interval(float, None, 1)],
        "best_of_below": [None, Interval(float, None, 1)],
    }

    def __init__(
        self,
        *,
        budget: int | None = None,
        max_order: int | None = None,
        random_state: Any = None,
        decoder: str = "soft",
        n_groups: int | None = None,
        t: int | None = None,
        chase_depth: int | None = None,
        singleton_cutoff: float = 0.9,
        refit: bool = True,
        prune_z: float = 3.0,
        max_rounds: int = 8,
        stop_r2: float | None = 0.99999,
        warn_below: float = 0.9,
        best_of_below: float | None = 0.99,
    ) -> None:
        self.budget = budget
        self.max_order = max_order
        self.random_state = random_state
        self.decoder = decoder
        self.n_groups = n_groups
        self.t = t
        self.chase_depth = chase_depth
        self.singleton_cutoff = singleton_cutoff
        self.refit = refit
        self.prune_z = prune_z
        self.max_rounds = max_rounds
        self.stop_r2 = stop_r2
        self.warn_below = warn_below
        self.best_of_below = best_of_below

    def min_budget(self, n_players: int) -> int:
        """Smallest budget anything can be fitted with (the uniform fallback's minimum).

        Below :meth:`design_min_budget` SPEX spends the budget on ProxySPEX over uniform
        ablations, with a warning.
        """
        from ablatio.methods.proxyspex import ProxySPEX

        return ProxySPEX().min_budget(n_players)

    def design_min_budget(self, n_players: int) -> int:
        """Distinct ablations of the smallest aliasing design SPEX runs (``t = max_order``,
        ``b = 3``; ``REDUCED_GROUPS`` groups when ``n_groups`` is automatic), at most ``2^n``:
        a design larger than that repeats masks, which cost nothing."""
        order = self.resolved_max_order(n_players)
        groups = REDUCED_GROUPS if self.n_groups is None else self.n_groups
        return min(2**n_players, min_budget(n_players, order, groups, self.t))

    def _fit(self, game: Game, rng: np.random.Generator) -> Interactions:
        if self.t is not None and self.t < self.max_order_:
            msg = f"t == {self.t} < max_order == {self.max_order_}: raise t or lower max_order"
            raise ParameterError(msg)
        n = game.n_players
        budget = self.budget_ - holdout_size(self.budget_)
        if budget < self.design_min_budget(n):  # too tight to keep ablations apart
            budget = self.budget_
        if budget >= 2**n:  # every mask affordable: any design fits (repeats are free)
            budget = max(budget, min_budget(n, self.max_order_, self.n_groups, self.t))
        n_groups = self.n_groups
        usual = min_budget(n, self.max_order_, n_groups, self.t)
        if budget < self.design_min_budget(n):
            return self._below_design(game, self.budget_, usual, rng)
        if budget < usual:  # only with automatic n_groups: the reduced design fits
            n_groups = REDUCED_GROUPS
            self._warn(
                f"budget={budget} < {usual} ablations of SPEX's usual smallest design for "
                f"n={n}, max_order={self.max_order_}: ran the reduced design with "
                f"{REDUCED_GROUPS} groups (fewer buckets, weaker peeling); raise budget to "
                f"{usual} for the usual design",
                LowBudgetWarning,
            )
        recorder = Recorder(game)
        fit = spex_recover(
            recorder.wrapped(),
            budget,
            self.max_order_,
            rng,
            n_groups=n_groups,
            t=self.t,
            decoder=self.decoder,
            chase_depth=self.chase_depth,
            singleton_cutoff=self.singleton_cutoff,
            refit=self.refit,
            prune_z=self.prune_z,
            max_rounds=self.max_rounds,
            stop_r2=self.stop_r2,
        )
        self.train_r2_ = fit.holdout_r2
        self.t_, self.b_, self.n_groups_ = fit.plan.t, fit.plan.b, fit.plan.n_groups
        result = select(
            self, game, rng.spawn(1)[0], *recorder.data(), fit.interactions, fit.holdout_r2
        )
        self.fourier_ = fit.interactions if self.model_ == "decoded" else result.to_fourier()
        category = self._recovery_doubt(self.warn_below)
        if category is not None:
            honest = np.isfinite(self.holdout_r2_)
            kind = "held-out" if honest else "cross-group (optimistic, no held-out ablations)"
            returned = (
                "" if self.model_ == "decoded" else f"; returned the best-of model {self.model_!r}"
            )
            self._warn(
                f"SPEX did not recover the game: {kind} "
                f"{self._estimate_text('warn_below', self.warn_below)} (budget {self.budget_}, "
                f"t={fit.plan.t}, b={fit.plan.b})"
                f"{returned}; raise budget or max_order, or the game is not sparse"
                + ("" if category is RecoveryWarning else " (or the estimate is too imprecise)"),
                category,
            )
        return result.to_moebius()

    def _below_design(
        self, game: Game, budget: int, smallest: int, rng: np.random.Generator
    ) -> Interactions:
        """ProxySPEX (uniform ablations, then best-of) when no aliasing design fits."""
        from ablatio.methods.proxyspex import ProxySPEX

        proxy = ProxySPEX(
            budget=budget,
            max_order=self.max_order_,
            fallback=None,
            best_of_below=self.best_of_below,
            random_state=rng,
        )
        with warnings.catch_warnings():  # restated below with the budget context
            warnings.simplefilter("ignore", RecoveryWarning)
            proxy.fit(game)
        self.model_ = f"proxyspex/{proxy.model_}"
        self.holdout_r2_, self.train_r2_ = proxy.holdout_r2_, proxy.train_r2_
        self.holdout_r2_se_ = proxy.holdout_r2_se_
        self.model_scores_, self.model_weights_ = proxy.model_scores_, proxy.model_weights_
        self.fourier_ = proxy.fourier_
        self.t_ = self.b_ = self.n_groups_ = 0
        self._warn(
            f"budget={budget} < {smallest} ablations of SPEX's smallest design for "
            f"n={game.n_players}, max_order={self.max_order_}: explained {proxy.n_queries_} "
            f"uniform ablations with ProxySPEX instead (model {self.model_!r}, held-out R² "
            f"{self.holdout_r2_:.3f}); raise budget to {smallest} for SPEX's own design",
            LowBudgetWarning,
        )
        return proxy.interactions_
