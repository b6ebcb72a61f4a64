"""Training-data attribution: a mask keeps groups of training examples, the model is retrained.

The parts are groups of training examples (given by the user, or k-means clusters). A mask
keeps a subset of groups; the value is a chosen output of a model retrained from scratch on the
kept examples and evaluated on test points. Retrainings of one batch run in parallel with
joblib processes, or on any :class:`~ablatio.backends.base.Backend` (e.g. a Ray cluster,
``backend="ray"``: the data is shipped once per batch, each worker retrains a chunk of masks);
:class:`~ablatio.games.game.Game` stores every finished batch in its SQLite cache, so an
interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ablatio._identity import callable_id
from ablatio._validation import RandomState, check_random_state
from ablatio.backends.base import Backend, get_backend
from ablatio.exceptions import ParameterError
from ablatio.targets.base import Target

__all__ = ["DataTarget", "SCORES", "kmeans_groups"]

#: Value definitions for classifiers (per test point, then averaged over test points).
SCORES = ("margin", "log_proba", "loss", "accuracy")

#: Seeds passed on to scikit-learn are drawn below this bound (its int32 seed range).
_SEED_BOUND = 2**31 - 1


def kmeans_groups(
    X: np.ndarray,
    n_groups: int,
    *,
    y: np.ndarray | None = None,
    random_state: RandomState = None,
) -> list[np.ndarray]:
    """Partition the rows of ``X`` into ``n_groups`` k-means clusters.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training inputs.
    n_groups : int
        Number of groups (clusters).
    y : ndarray of shape (n_samples,), optional
        Class labels. If given, clusters are formed within each class (stratified), with
        ``n_groups`` shared among classes in proportion to their sizes (at least one each), so
        that every group holds one class only.
    random_state : int, Generator or None
        Seeds k-means (one child stream per class).

    Returns
    -------
    list of ndarray
        ``n_groups`` sorted index arrays, ordered by class, then cluster.
    """
    from sklearn.cluster import KMeans

    rng = check_random_state(random_state)
    X = np.asarray(X)
    labels = np.zeros(len(X), dtype=int) if y is None else np.asarray(y)
    classes, counts = np.unique(labels, return_counts=True)
    if not 1 <= n_groups <= len(X) or n_groups < len(classes):
        msg = (
            f"n_groups == {n_groups}: need between {len(classes)} (one per class) and "
            f"{len(X)} (one per example) groups"
        )
        raise ParameterError(msg)
    share = np.maximum(1, np.floor(n_groups * counts / counts.sum()).astype(int))
    while share.sum() < n_groups:  # hand the remainder to the classes with most examples/group
        share[np.argmax(counts / share)] += 1
    while share.sum() > n_groups:
        share[np.argmax(np.where(share > 1, share, 0))] -= 1
    groups: list[np.ndarray] = []
    for cls, k, child in zip(classes, share, rng.spawn(len(classes)), strict=True):
        rows = np.flatnonzero(labels == cls)
        k = min(int(k), len(rows))
        seed = int(child.integers(_SEED_BOUND))
        assign = KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(X[rows])
        groups.extend(rows[assign == c] for c in range(k) if np.any(assign == c))
    return groups


def _fallback_proba(y_kept: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Prior prediction ``(count_c + 1) / (n_kept + K)`` (uniform when nothing is kept)."""
    counts = np.array([(y_kept == c).sum() for c in classes], dtype=np.float64)
    return (counts + 1.0) / (counts.sum() + len(classes))


def _score(proba: np.ndarray, true_col: np.ndarray, score: str, floor: float) -> float:
    """Mean over test points of the chosen score of class probabilities ``(n_test, K)``."""
    logp = np.log(np.clip(proba, floor, None))
    rows = np.arange(len(true_col))
    true = logp[rows, true_col]
    if score == "log_proba":
        return float(true.mean())
    if score == "loss":
        return float(-true.mean())
    if score == "accuracy":
        return float((proba.argmax(axis=1) == true_col).mean())
    other = logp.copy()
    other[rows, true_col] = -np.inf
    return float((true - other.max(axis=1)).mean())


def _retrain(
    estimator: Any,
    X: np.ndarray,
    y: np.ndarray,
    X_test: np.ndarray,
    true_col: np.ndarray,
    classes: np.ndarray,
    rows: np.ndarray,
    score: str,
    floor: float,
) -> tuple[float, bool]:
    """Fit a clone on ``rows``; returns (value, whether the prior fallback was used)."""
    from sklearn.base import clone

    y_kept = y[rows]
    proba = None
    if len(np.unique(y_kept)) >= 2:
        model = clone(estimator)
        try:
            model.fit(X[rows], y_kept)
        except ValueError:  # e.g. fewer samples than n_neighbors: fall back to the prior
            model = None
        if model is not None:
            proba = np.full((len(X_test), len(classes)), 0.0)
            cols = np.searchsorted(classes, model.classes_)
            proba[:, cols] = model.predict_proba(X_test)
    if proba is None:
        proba = np.tile(_fallback_proba(y_kept, classes), (len(X_test), 1))
        return _score(proba, true_col, score, floor), True
    return _score(proba, true_col, score, floor), False


def _call_user(
    train_and_score: Callable[[np.ndarray], Any], rows: np.ndarray
) -> tuple[float, bool]:
    return float(np.mean(train_and_score(rows))), False


class _Retrainer:
    """Picklable job shipped to workers: retrain once per mask of a chunk, BLAS single-threaded.

    Returns ``float64 (n_masks, 2)``: the value and whether the prior fallback was used. One
    BLAS thread everywhere makes the values independent of where they run (a multi-threaded
    BLAS sums in another order, so a fit in the driver and in a Ray worker differed in the
    last bits).
    """

    def __init__(self, target: DataTarget) -> None:
        self.groups = target.groups
        self.train_and_score = target.train_and_score
        self.args = (
            target.estimator, target.X, target.y, target.X_test, target.true_col,
            target.classes,
        )  # fmt: skip
        self.score, self.floor = target.score, target.proba_floor

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        from threadpoolctl import threadpool_limits

        out = np.empty((len(masks), 2), dtype=np.float64)
        with threadpool_limits(limits=1):
            self._fill(masks, out)
        return out

    def _fill(self, masks: np.ndarray, out: np.ndarray) -> None:
        for i, mask in enumerate(masks):
            kept = [self.groups[k] for k in np.flatnonzero(mask)]
            rows = np.sort(np.concatenate(kept)) if kept else np.zeros(0, dtype=np.int64)
            if self.train_and_score is not None:
                out[i] = _call_user(self.train_and_score, rows)
            else:
                out[i] = _retrain(*self.args, rows, self.score, self.floor)


class DataTarget(Target):
    """Value of a model retrained on the kept groups of training examples.

    Parameters
    ----------
    X, y : array-like of shape (n_samples, n_features), (n_samples,)
        Training set.
    X_test, y_test : array-like of shape (n_test, n_features), (n_test,)
        Test points the retrained model is evaluated on (value = mean over them).
    estimator : scikit-learn classifier, optional
        Cloned and fitted from scratch for every mask; needs ``predict_proba``.
    train_and_score : callable, optional
        Instead of ``estimator``: ``train_and_score(indices) -> float`` (or an array, averaged)
        trains on the training rows ``indices`` and scores; plug a torch loop in here.
    groups : sequence of index arrays, optional
        One part per array. Default: one part per example, or ``n_groups`` k-means clusters.
    n_groups : int, optional
        Cluster the training set into this many groups (stratified by class, seeded from
        ``random_state``); ignored when ``groups`` is given.
    group_names : sequence of str, optional
        One name per group (default ``"g<k>:<majority class>"``).
    score : {"margin", "log_proba", "loss", "accuracy"}, default="margin"
        Per test point: log-probability of the true class minus the largest other
        log-probability; log-probability of the true class; cross-entropy loss; or 0/1
        correctness.
    proba_floor : float, default=1e-6
        Probabilities are clipped below at this value before taking logarithms.
    n_jobs : int, default=1
        Retrainings run in parallel with joblib (``-1``: all cores); ignored with ``backend``.
        Every retraining runs with single-threaded BLAS/OpenMP wherever it runs: these small
        fits gain nothing from threads (on a loaded 2-core machine the default threads made
        each one ~40x slower), and one thread makes the values independent of the backend.
    backend : {"ray", "processes", "threads"} or Backend, optional
        Run the retrainings of each call on this backend instead of joblib (e.g. a
        :class:`~ablatio.backends.ray.RayBackend` on a cluster), in chunks of ``chunk_size``
        masks; values are the same as serial, bit for bit.
    chunk_size : int, default=4
        Masks retrained by one backend or joblib task.
    random_state : int, Generator or None
        Seeds the k-means grouping.

    Attributes
    ----------
    groups : list of ndarray
        Training-row indices of each part.
    n_fallbacks : int
        Masks (evaluated in this process) whose subset could not be fitted.

    Notes
    -----
    With kept groups :math:`S`, rows :math:`I_S = \\bigcup_{g \\in S} G_g` and model
    :math:`\\hat h_S` fitted on :math:`I_S`,

    .. math::

        v(S) = \\frac{1}{|T|} \\sum_{(x, y) \\in T} \\log \\hat p_S(y \\mid x)
        - \\max_{c \\neq y} \\log \\hat p_S(c \\mid x) \\quad (\\text{margin}).

    **Fallback.** When the kept rows hold fewer than two classes (including no rows at all),
    or the estimator's ``fit`` raises ``ValueError``, the model is replaced by the smoothed
    prior :math:`\\hat p(c) = (n_c + 1)/(|I_S| + K)` of the kept labels (uniform for the empty
    set), and the value is computed from it as above. A run never stops on such a subset.
    Values are deterministic if the estimator is (fix its ``random_state``).
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        X_test: Any,
        y_test: Any,
        *,
        estimator: Any = None,
        train_and_score: Callable[[np.ndarray], Any] | None = None,
        groups: Sequence[Any] | None = None,
        n_groups: int | None = None,
        group_names: Sequence[str] | None = None,
        score: str = "margin",
        proba_floor: float = 1e-6,
        n_jobs: int = 1,
        backend: str | Backend | None = None,
        chunk_size: int = 4,
        random_state: RandomState = None,
    ) -> None:
        if not isinstance(chunk_size, int) or chunk_size < 1:
            msg = f"chunk_size == {chunk_size!r}, must be a positive int"
            raise ParameterError(msg)
        if (estimator is None) == (train_and_score is None):
            msg = "pass exactly one of estimator= (scikit-learn) or train_and_score= (callable)"
            raise ParameterError(msg)
        if score not in SCORES:
            msg = f"score == {score!r}; choose one of {SCORES}"
            raise ParameterError(msg)
        if estimator is not None and not hasattr(estimator, "predict_proba"):
            msg = (
                f"estimator {type(estimator).__name__} has no predict_proba; use a probabilistic "
                "classifier or pass train_and_score="
            )
            raise ParameterError(msg)
        self.X, self.y = np.asarray(X), np.asarray(y)
        self.X_test, self.y_test = np.atleast_2d(np.asarray(X_test)), np.atleast_1d(y_test)
        if len(self.X) != len(self.y) or len(self.X_test) != len(self.y_test):
            msg = (
                f"X has {len(self.X)} rows and y {len(self.y)}; X_test has {len(self.X_test)} "
                f"and y_test {len(self.y_test)}: lengths must match"
            )
            raise ParameterError(msg)
        self.estimator, self.train_and_score = estimator, train_and_score
        self.score, self.proba_floor, self.n_jobs = score, proba_floor, n_jobs
        self.backend = None if backend is None else get_backend(backend)
        self.chunk_size = chunk_size
        self.classes = np.unique(self.y)
        if estimator is not None and not np.isin(self.y_test, self.classes).all():
            msg = "y_test holds classes absent from y: the true class would have no probability"
            raise ParameterError(msg)
        self.true_col = np.searchsorted(self.classes, self.y_test)
        if groups is None:
            if n_groups is None:
                groups = [np.array([i]) for i in range(len(self.X))]
            else:
                labels = self.y if estimator is not None else None
                groups = kmeans_groups(self.X, n_groups, y=labels, random_state=random_state)
        self.groups = [np.sort(np.asarray(g, dtype=np.int64).reshape(-1)) for g in groups]
        self._check_groups()
        self.n_players = len(self.groups)
        if group_names is None:
            group_names = [self._default_name(k, g) for k, g in enumerate(self.groups)]
        self.player_names = tuple(str(name) for name in group_names)
        self.n_fallbacks = 0

    def _check_groups(self) -> None:
        if not self.groups:
            msg = "groups is empty: give at least one group of training rows"
            raise ParameterError(msg)
        flat = np.concatenate(self.groups)
        if flat.size and (flat.min() < 0 or flat.max() >= len(self.X)):
            msg = f"groups index rows outside 0..{len(self.X) - 1}"
            raise ParameterError(msg)
        if len(np.unique(flat)) != len(flat):
            msg = "groups overlap: each training row may belong to one group only"
            raise ParameterError(msg)

    def _default_name(self, k: int, rows: np.ndarray) -> str:
        if rows.size == 0:
            return f"g{k}"
        values, counts = np.unique(self.y[rows], return_counts=True)
        return f"g{k}:{values[np.argmax(counts)]}"

    def group_label(self, k: int) -> Any:
        """Majority training label of group ``k``."""
        values, counts = np.unique(self.y[self.groups[k]], return_counts=True)
        return values[np.argmax(counts)]

    def rows(self, mask: np.ndarray) -> np.ndarray:
        """Training-row indices kept by one mask ``bool (n_players,)``."""
        kept = [self.groups[k] for k in np.flatnonzero(mask)]
        return np.sort(np.concatenate(kept)) if kept else np.zeros(0, dtype=np.int64)

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        """Retrain once per mask ``bool (n_masks, n_players)``; values ``float64 (n_masks,)``."""
        job = _Retrainer(self)
        step = self.chunk_size
        chunks = [masks[s : s + step] for s in range(0, len(masks), step)]
        if self.backend is not None:
            parts = list(self.backend.map(job, chunks))
        elif self.n_jobs == 1:
            parts = [job(masks)]
        else:
            from joblib import Parallel, delayed

            parts = Parallel(n_jobs=self.n_jobs)(delayed(job)(chunk) for chunk in chunks)
        done = np.concatenate(parts) if parts else np.zeros((0, 2))
        self.n_fallbacks += int(done[:, 1].sum())
        return done[:, 0].copy()

    def fingerprint(self) -> str:
        """Hash of the data, groups, estimator parameters (or the callable's identity) and score."""
        digest = hashlib.sha256()
        for array in (self.X, self.y, self.X_test, self.y_test, *self.groups):
            digest.update(np.ascontiguousarray(array).tobytes())
            digest.update(str(array.shape).encode())
        if self.estimator is not None:
            params = sorted(self.estimator.get_params().items())
            model = f"{type(self.estimator).__qualname__}{params}"
        else:
            model = callable_id(self.train_and_score, "DataTarget's train_and_score")
        digest.update(f"{model}|{self.score}|{self.proba_floor}".encode())
        return digest.hexdigest()[:32]
