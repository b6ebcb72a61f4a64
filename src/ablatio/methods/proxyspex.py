"""``ProxySPEX``: boosted-tree proxy → exact Fourier spectrum → CV-chosen support → refit.

ProxySPEX (Butler et al., NeurIPS 2025) exploits that important interactions of real models
are hierarchical: a high-order interaction comes with important subsets. It fits gradient-
boosted trees to uniform ablations, reads their exact Fourier spectrum
(:mod:`ablatio.transforms.trees`), keeps the dominant coefficients and refits them by least
squares on the real samples. Differences from the reference implementation (shapiq 1.4.1):

* no fixed 95 % energy cut-off: the number of terms is chosen by K-fold cross-validation on
  the real samples (:func:`~ablatio.methods._fourier_selection.cv_prefix`);
* hierarchical refinement: children ``T ∪ {j}`` of selected terms that correlate with the
  residual are added and the support is re-chosen (finds terms the trees missed);
* adaptive budget: a first stage uses ``first_stage`` of the budget; if its CV R² reaches
  ``stop_r2`` the fit stops early, if it is below ``fallback_r2`` the rest of the budget goes to
  SPEX (when registered and affordable) whose terms join the candidates, else to more uniform
  ablations;
* an honest self-estimate without setting ablations aside: every ablation fits the answer,
  and ``holdout_r2_`` is cross-fitted (:mod:`ablatio.methods._crossfit`): the whole pipeline
  runs again in ``crossfit_folds`` folds, each random ablation predicted by the run that never
  saw it. A fit that stops early (exact after its first stage) is instead confirmed on fresh
  masks bought with the budget it left. A :class:`~ablatio.exceptions.RecoveryWarning`
  states it when the game stays unexplained (e.g. parity games, which trees cannot see).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ablatio.designs.distinct import distinct_masks
from ablatio.exceptions import RecoveryWarning
from ablatio.games.game import Game
from ablatio.interactions import Interactions
from ablatio.methods._alternatives import PartStructure
from ablatio.methods._best_of import choose, select
from ablatio.methods._crossfit import available_cpus, cross_fit
from ablatio.methods._fallback import fallback_min_budget, run_fallback
from ablatio.methods._fourier_selection import (
    cv_prefix,
    enumerated_spectrum,
    grow_terms,
    parity_columns,
)
from ablatio.methods._proxy_models import PROXY_MODELS, ProxyConfig, fit_proxy_fourier
from ablatio.methods.base import Interval, Method, Options
from ablatio.transforms.solve import least_squares
from ablatio.transforms.terms import term_orders, terms_to_tuples, tuples_to_terms

__all__ = ["ProxySPEX"]

#: Smallest number of masks per cross-validation fold that ``min_budget`` allows.
_MIN_ROWS_PER_FOLD = 10
#: The first stage is never shrunk below this fraction of the budget to make room for SPEX.
_MIN_FIRST_STAGE = 0.25
#: ``n_jobs=None`` fits the folds in threads only from this many ablations × parts: below it
#: the threads' start-up and the interpreter lock cost more than they save (same machine,
#: best of 3: VADER 128 words / 500 ablations 1.9 → 2.3 s with threads, a 16-word prompt
#: 0.9 → 1.4 s; MiniLM 128 words / 2000 ablations 9.2 → 6.2 s, 512 / 1000 11.1 → 7.5 s).
_THREADED_CELLS = 100_000
#: Fourier coefficients below this fraction of the largest are round-off and dropped.
_ZERO_TOL = 1e-10


class ProxySPEX(Method):
    """Sparse Fourier/Möbius interactions from a boosted-tree proxy and a CV-chosen refit.

    Parameters
    ----------
    budget : int, optional
        Maximum number of distinct ablations (default: ``Method.default_budget``), all of
        them used by the answer (``holdout_r2_`` is cross-fitted).
    max_order : int, optional
        Largest interaction order (depth of the proxy's trees; default 3, capped at ``n``).
    model : {"sklearn", "lightgbm"}, default="sklearn"
        Proxy back end: ``HistGradientBoostingRegressor`` or LightGBM (extra ``trees``).
    n_trees : int, default=100
        Boosting rounds of the proxy.
    learning_rate : float, default=0.1
        Shrinkage of the proxy.
    min_samples_leaf : int, default=5
        Smallest leaf of the proxy's trees.
    cv_folds : int, default=5
        Folds of the cross-validation that chooses the number of terms.
    max_column_ratio : float, default=0.5
        At most this fraction of the training rows become columns of a refit.
    n_refine : int, default=3
        Rounds of hierarchical growth (0 disables it).
    first_stage : float, default=0.5
        Fraction of the budget spent before deciding to stop, call the fallback or add
        uniform ablations; shrunk (down to a quarter of the budget) when the rest would be
        below the fallback's minimum budget.
    stop_r2 : float or None, default=0.9999
        Stop after the first stage when its CV R² reaches this (None: always spend the budget).
    fallback : {"spex", None}, default="spex"
        Method run on the rest of the budget when the first stage's CV R² is below
        ``fallback_r2`` (skipped when it is not registered or the rest is below its minimum).
        Its terms are ranked first among the candidates and its ablations join the refit.
    fallback_r2 : float, default=0.9
        CV R² under which the proxy is considered to have failed.
    warn_r2 : float, default=0.8
        A :class:`~ablatio.exceptions.RecoveryWarning` is emitted unless ``holdout_r2_``
        clears this by ``WARN_Z`` standard errors (:data:`~ablatio.methods.base.WARN_Z`; the
        CV ``train_r2_`` when there are too few random ablations to cross-fit).
    ridge : float, default=0.0
        L2 penalty of the final refit (0: ordinary least squares, exact without noise).
    crossfit_folds : int, default=5
        Folds ``K`` of the cross-fitted ``holdout_r2_``: the pipeline (and the best-of
        alternatives) run ``K`` more times, each on ``(K-1)/K`` of the random ablations.
    best_of_below : float or None, default=0.99
        When the decoded support's cross-fitted R² is below this, cross-fit the
        alternatives on the same ablations too (first order, first order + detected pairs,
        ridge refit of the support, lassos; :mod:`ablatio.methods._best_of`) and return
        their stacked combination (non-negative weights on the candidates' cross-fitted
        predictions; :mod:`ablatio.methods._crossfit`), or the one with the best estimate
        when fewer than two get a weight (``model_``). ``None`` always returns the
        CV-chosen support.
    keep_probability : float, default=0.5
        Probability that each random ablation keeps a part: masks ``m ~ Bernoulli(p)^n``
        (uniform at 1/2). The surrogate minimises the squared error over that distribution,
        ``E_p[(f(m) - f̂(m))²]`` on the drawn masks, and ``holdout_r2_`` is measured on masks
        from it. A high ``p`` concentrates the budget near the full input (e.g. pruning
        a few components of a model that collapses when half are removed). The SPEX fallback
        needs uniform masks, so below ``fallback_r2`` a ``p != 1/2`` fit spends the rest of
        the budget on more Bernoulli(p) masks instead.
    n_threads : int or None, default=1
        BLAS/OpenMP threads for the proxy and the refits (None: the libraries' defaults).
        One thread is fastest for these small dense problems and cannot oversubscribe a
        shared machine (measured 6x faster than the default on a loaded 2-core host). The
        limit holds only while the proxy and refits compute: the game's evaluations, and
        everything after ``fit``, run with the process's own thread settings. The best-of
        stage's alternatives always run on one BLAS thread (as every least-squares solve in
        :mod:`ablatio.transforms.solve`: same bits on any machine; at n = 1024 / 1000
        ablations 2× faster than two threads on an idle 2-core host).
    n_jobs : int, -1 or None, default=None
        Cross-fit folds (and best-of alternatives) fitted at once, each in its own thread
        (:func:`~ablatio.methods._crossfit.fold_map`); the answer is the same for every value.
        -1 (scikit-learn's "all"): one per CPU this process may use, at most
        ``crossfit_folds + 1``; None: the same from 100,000 ablations × parts on, one at a
        time below (small fits ran slower in threads). Folds run one at a time unless
        ``n_threads=1`` (several threads each asking for more math-library threads would
        oversubscribe the machine).
        On 2 cores, MiniLM over 512 words with 1000 ablations decoded in 7.5 s instead of
        11.1 s (1.4–1.7× over the real-model benchmark's cells: README, "Real models, side
        by side").
    random_state : int, Generator or None
        Seed of every random draw (masks, folds, proxy).

    Attributes
    ----------
    interactions_ : Interactions
        Möbius-basis result.
    fourier_ : Interactions
        The same function in the Fourier basis (what was fitted).
    holdout_r2_ : float
        Cross-fitted R² of the result on its random ablations (each predicted by a run of the
        pipeline that never saw it), or, after an early stop, R² on fresh masks drawn from
        ``keep_probability`` with the budget left, or, when every mask was queried (uniform
        masks), the exact R² over all of them (``nan`` when none is possible;
        ``holdout_r2_se_`` its standard error).
    train_r2_ : float
        Cross-validated R² of the final support on the ablations that chose it (optimistic:
        the support and the number of terms were picked to maximise it).
    recovered_ : bool
        ``holdout_r2_ - WARN_Z · holdout_r2_se_ >= warn_r2`` (``train_r2_ >= warn_r2``
        when there is no held-out estimate).
    model_ : str
        ``"decoded"``, a best-of alternative (``"first_order_lasso"``, ...;
        :data:`~ablatio.methods._alternatives.ALTERNATIVES`) or ``"stacked"``: a non-negative
        combination of the candidates fitted on their cross-fitted predictions.
    model_scores_ : dict of str to float
        Held-out estimate of every candidate the best-of stage compared (``"stacked"``:
        nested, each fold predicted with weights fitted on the others).
    model_weights_ : dict of str to float
        Weight of each candidate in the answer (``{model_: 1.0}`` unless stacked).
    stages_ : list of str
        What the fit did (``"proxy"``, ``"stop"``, ``"uniform"``, ``"spex"``).

    Notes
    -----
    With ``Φ[q, T] = (-1)^{|m_q ∩ T|}`` over the chosen support ``S`` (always containing ∅),
    the result is ``F̂ = argmin_F ||y - Φ F||²`` and ``a(S) = (-2)^{|S|} Σ_{T ⊇ S} F̂(T)``.

    References
    ----------
    Butler, Agarwal, Kang, Erginbas, Yu, Ramchandran. ProxySPEX: Inference-efficient
    interpretability via sparse feature interactions in LLMs. NeurIPS 2025, arXiv 2505.17495.

    Examples
    --------
    >>> from ablatio import ProxySPEX, hierarchical_game
    >>> game = hierarchical_game(32, 8, 2, random_state=0)
    >>> method = ProxySPEX(budget=400, max_order=2, n_trees=50, random_state=0).fit(game)
    >>> method.interactions_.allclose(game.true_interactions, atol=1e-6)
    True
    """

    name: ClassVar[str] = "proxyspex"
    default_max_order: ClassVar[int | None] = 3
    model_: str
    model_scores_: dict[str, float]
    model_weights_: dict[str, float]
    _check_tags: ClassVar[dict[str, Any]] = {
        "exact": "max_order",
        "params": {"n_trees": 20},
        # the generic checks see every mask of their 6-part game (exact answer and estimate);
        # at 50 of 64 masks the cross-fitted estimate (folds of 40) may warn, by design
        "budget": 64,
    }
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "budget": [None, Interval(int, 1, None)],
        "max_order": [None, Interval(int, 1, None)],
        "model": [Options(PROXY_MODELS)],
        "n_trees": [Interval(int, 1, None)],
        "learning_rate": [Interval(float, 0, 1)],
        "min_samples_leaf": [Interval(int, 1, None)],
        "cv_folds": [Interval(int, 2, None)],
        "max_column_ratio": [Interval(float, 0, 1)],
        "n_refine": [Interval(int, 0, None)],
        "first_stage": [Interval(float, 0, 1)],
        "stop_r2": [None, Interval(float, None, 1)],
        "fallback": [None, Options(("spex",))],
        "fallback_r2": [Interval(float, None, 1)],
        "warn_r2": [Interval(float, None, 1)],
        "ridge": [Interval(float, 0, None)],
        "crossfit_folds": [Interval(int, 2, None)],
        "best_of_below": [None, Interval(float, None, 1)],
        "keep_probability": [Interval(float, 0.01, 0.99)],
        "n_threads": [None, Interval(int, 1, None)],
        "n_jobs": [None, Options((-1,)), Interval(int, 1, None)],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        budget: int | None = None,
        max_order: int | None = None,
        model: str = "sklearn",
        n_trees: int = 100,
        learning_rate: float = 0.1,
        min_samples_leaf: int = 5,
        cv_folds: int = 5,
        max_column_ratio: float = 0.5,
        n_refine: int = 3,
        first_stage: float = 0.5,
        stop_r2: float | None = 0.9999,
        fallback: str | None = "spex",
        fallback_r2: float = 0.9,
        warn_r2: float = 0.8,
        ridge: float = 0.0,
        crossfit_folds: int = 5,
        best_of_below: float | None = 0.99,
        keep_probability: float = 0.5,
        n_threads: int | None = 1,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.budget = budget
        self.max_order = max_order
        self.model = model
        self.n_trees = n_trees
        self.learning_rate = learning_rate
        self.min_samples_leaf = min_samples_leaf
        self.cv_folds = cv_folds
        self.max_column_ratio = max_column_ratio
        self.n_refine = n_refine
        self.first_stage = first_stage
        self.stop_r2 = stop_r2
        self.fallback = fallback
        self.fallback_r2 = fallback_r2
        self.warn_r2 = warn_r2
        self.ridge = ridge
        self.crossfit_folds = crossfit_folds
        self.best_of_below = best_of_below
        self.keep_probability = keep_probability
        self.n_threads = n_threads
        self.n_jobs = n_jobs
        self.random_state = random_state

    def min_budget(self, n_players: int) -> int:
        return min(2**n_players, _MIN_ROWS_PER_FOLD * self.cv_folds)

    def _fit(self, game: Game, rng: np.random.Generator) -> Interactions:
        stage_rng, select_rng = rng.spawn(2)
        decoded, X, y, random_rows = self._staged_fit(game, stage_rng)
        if "stop" in self.stages_:  # exact after the first stage: fresh masks confirm it
            result = select(self, game, select_rng, X, y, decoded, self.train_r2_)
        elif self._enumerated and self.keep_probability == 0.5:  # R² over the whole cube
            self.model_, self.model_scores_ = "decoded", {"decoded": self.train_r2_}
            self.holdout_r2_, self.holdout_r2_se_ = self.train_r2_, 0.0
            result = decoded.to_moebius()
        else:
            result = self._cross_fit(X, y, random_rows, decoded, select_rng, game)
        self.fourier_ = decoded if self.model_ == "decoded" else result.to_fourier()
        category = self._recovery_doubt(self.warn_r2)
        self.recovered_ = category is None
        if category is not None:
            self._warn_unrecovered(bool(np.isfinite(self.holdout_r2_)), category)
        return result.to_moebius()

    def _cross_fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        random_rows: np.ndarray,
        decoded: Interactions,
        rng: np.random.Generator,
        game: Game,
    ) -> Interactions:
        """The answer and ``holdout_r2_`` from :func:`~ablatio.methods._crossfit.cross_fit`."""
        n, structure = game.n_players, PartStructure.of(game)

        def decode(masks: np.ndarray, values: np.ndarray, r: np.random.Generator) -> Interactions:
            terms, coef, _ = self._explain(masks, values, self._extra_terms, r)
            return self._fourier(terms, coef, n)

        found = cross_fit(
            decode,
            X,
            y,
            random_rows,
            decoded,
            n_folds=self.crossfit_folds,
            best_of_below=self.best_of_below,
            rng=rng,
            structure=structure,
            n_jobs=self._fold_jobs(X.size),
        )
        if found is None:  # too few random ablations to cross-fit: the CV choice stands
            choice = choose(X, y, decoded, self.train_r2_, self.best_of_below, structure)
            self.model_, self.model_scores_ = choice.model, choice.scores
            return choice.interactions
        self.model_, self.model_scores_ = found.model, found.scores
        self.model_weights_ = found.weights
        self.holdout_r2_, self.holdout_r2_se_ = found.r2, found.se
        return found.interactions

    def _fold_jobs(self, cells: int) -> int:
        """Threads for the cross-fit's folds over ``cells`` ablations × parts (``n_jobs``; 1
        unless ``n_threads == 1``, and for ``None`` below :data:`_THREADED_CELLS`)."""
        if self.n_threads != 1 or (self.n_jobs is None and cells < _THREADED_CELLS):
            return 1
        if self.n_jobs is not None and self.n_jobs > 0:
            return int(self.n_jobs)
        return min(available_cpus(), self.crossfit_folds + 1)

    @staticmethod
    def _fourier(terms: list[tuple[int, ...]], coef: np.ndarray, n: int) -> Interactions:
        """Fourier-basis result, coefficients below ``_ZERO_TOL`` of the largest dropped."""
        fourier = Interactions._build(tuples_to_terms(terms), coef, n, "fourier")
        nonconstant = np.abs(coef[[len(t) > 0 for t in terms]]) if terms else np.zeros(0)
        return fourier.prune(_ZERO_TOL * float(nonconstant.max(initial=0.0)))

    def _staged_fit(
        self, game: Game, rng: np.random.Generator
    ) -> tuple[Interactions, np.ndarray, np.ndarray, np.ndarray]:
        """First stage, then stop / fallback / more random ablations, then the final refit.

        Returns the decoded answer, every ablation and value, and which rows are random
        draws (from ``keep_probability``; the fallback's design rows are not).
        """
        n = game.n_players
        seen: set[bytes] = set()
        stage_rng, proxy_rng, fallback_rng = rng.spawn(3)
        p = self.keep_probability
        budget = self.budget_
        X = distinct_masks(n, self._first_stage_size(n, budget), stage_rng, seen, p)
        y = game(X)
        random_rows = np.ones(X.shape[0], dtype=bool)
        terms, coef, r2 = self._explain(X, y, [], proxy_rng)
        self.stages_ = ["proxy"]
        rest = budget - X.shape[0]
        found = None
        self._extra_terms: list[tuple[int, ...]] = []
        if rest > 0 and self.stop_r2 is not None and r2 >= self.stop_r2:
            self.stages_.append("stop")
        elif rest > 0:
            if r2 < self.fallback_r2 and p == 0.5:
                found = run_fallback(self.fallback, game, rest, self.max_order_, fallback_rng)
            if found is not None:
                X, y = np.concatenate([X, found.masks]), np.concatenate([y, found.values])
                random_rows = np.concatenate([random_rows, np.zeros(found.values.size, bool)])
                self.stages_.append(str(self.fallback))
            else:
                X2 = distinct_masks(n, rest, stage_rng, seen, p)
                if X2.shape[0]:  # empty only when a tiny game has no unseen mask left
                    X, y = np.concatenate([X, X2]), np.concatenate([y, game(X2)])
                    random_rows = np.concatenate([random_rows, np.ones(X2.shape[0], bool)])
                    self.stages_.append("uniform")
            if len(self.stages_) > 1:
                self._extra_terms = list(found.terms) if found is not None else []
                terms, coef, r2 = self._explain(X, y, self._extra_terms, proxy_rng)
        self._enumerated = X.shape[0] >= 2**n and np.unique(X, axis=0).shape[0] == 2**n
        if self._enumerated:  # all masks: the exact truncated spectrum and its exact R²
            terms, coef, r2 = enumerated_spectrum(X, y, self.max_order_)
        self.train_r2_ = r2
        self._n_samples = X.shape[0]
        return self._fourier(terms, coef, n), X, y, random_rows

    def _first_stage_size(self, n: int, budget: int) -> int:
        """``first_stage × budget``, shrunk so that the fallback still fits in the rest.

        Shrunk also when SPEX's smallest design has fewer masks than parts: on sparse games
        that design still recovers what the proxy cannot (parities: R² 0.86–1.0 at n = 600 …
        1024 with 800–1000 ablations, 0.22–0.43 with uniform masks instead), although on the
        real long documents uniform masks did better at 500 ablations
        (``benchmarks/results/real_models_fallback.md``).
        """
        if self.stop_r2 is None and self.fallback is None:
            return budget
        first = max(self.min_budget(n), int(self.first_stage * budget))
        fallback = self.fallback if self.keep_probability == 0.5 else None
        needed = fallback_min_budget(fallback, n, self.max_order_)
        if needed is not None and budget - first < needed:
            shrunk = budget - needed
            if shrunk >= _MIN_FIRST_STAGE * budget and shrunk >= self.min_budget(n):
                first = shrunk
        return min(first, budget)

    def _warn_unrecovered(self, honest: bool, category: type[RecoveryWarning]) -> None:
        kind = "held-out" if honest else "in-sample CV (optimistic: too few random ablations)"
        self._warn(
            f"ProxySPEX: game not recovered: {kind} "
            f"{self._estimate_text('warn_r2', self.warn_r2)} "
            f"(in-sample CV R² {self.train_r2_:.3f} on {self._n_samples} ablations; stages "
            f"{'+'.join(self.stages_)}). The game may be non-hierarchical (e.g. parities, "
            "which trees cannot see): raise budget so that the SPEX fallback runs (or runs "
            "larger), or use method='spex'",
            category,
        )

    def _explain(
        self,
        X: np.ndarray,
        y: np.ndarray,
        extra: list[tuple[int, ...]],
        rng: np.random.Generator,
    ) -> tuple[list[tuple[int, ...]], np.ndarray, float]:
        """Proxy candidates (after ``extra``) → CV prefix → growth rounds → final refit.

        Runs with at most ``n_threads`` math-library threads; the game is never called here,
        so the model's own evaluations keep the process's thread settings.
        """
        # Load the OpenMP runtime of scikit-learn's boosting first: threadpoolctl only limits
        # libraries already loaded when the limit is entered.
        import sklearn.ensemble  # noqa: F401
        from threadpoolctl import threadpool_limits  # a scikit-learn dependency

        with threadpool_limits(limits=self.n_threads):
            return self._explain_limited(X, y, extra, rng)

    def _explain_limited(
        self,
        X: np.ndarray,
        y: np.ndarray,
        extra: list[tuple[int, ...]],
        rng: np.random.Generator,
    ) -> tuple[list[tuple[int, ...]], np.ndarray, float]:
        config = ProxyConfig(
            self.n_trees, self.max_order_, self.learning_rate, self.min_samples_leaf
        )
        proxy_rng, cv_rng = rng.spawn(2)
        idx, coef = fit_proxy_fourier(X, y, model=self.model, config=config, rng=proxy_rng)
        keep = (term_orders(idx) > 0) & (term_orders(idx) <= self.max_order_)
        ranked = np.argsort(-np.abs(coef[keep]), kind="stable")
        candidates = terms_to_tuples(idx[keep])
        proxy_terms = [candidates[i] for i in ranked]
        limit = max(1, int(self.max_column_ratio * X.shape[0]))
        support = list(dict.fromkeys([(), *extra, *proxy_terms]))[:limit]
        for round_ in range(self.n_refine + 1):
            design = parity_columns(X, tuples_to_terms(support))
            choice = cv_prefix(
                design,
                y,
                n_folds=min(self.cv_folds, max(2, X.shape[0] // 2)),  # tiny n: few masks
                max_column_ratio=self.max_column_ratio,
                rng=cv_rng,
            )
            chosen = support[: choice.size]
            beta = least_squares(design[:, : choice.size], y, ridge=self.ridge)
            if round_ == self.n_refine:
                break
            residual = y - design[:, : choice.size] @ beta
            new, _ = grow_terms(
                X,
                residual,
                tuples_to_terms(chosen),
                max_order=self.max_order_,
                max_new=limit - choice.size,
            )
            fresh = [t for t in terms_to_tuples(new) if t not in set(chosen)]
            if not fresh:
                break
            support = list(dict.fromkeys([*chosen, *fresh, *support[choice.size :]]))[:limit]
        return chosen, beta, choice.cv_r2
