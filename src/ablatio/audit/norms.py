r"""Embedding → feature-norm decoding with controls (RQ2–4 of "LLMs Explain't").

Pipeline: concept embeddings X (n × d) are mapped onto norms Y (n × m) by PLSR or an FFNN
under k-fold cross-validation over concepts; predictions are scored with F1@10, per-concept
Spearman ρ and neighbourhood accuracy NA@10. Every control of
:mod:`ablatio.audit.controls` is run through the *same* folds, so the system and its
controls are compared pairwise per (seed, fold); :mod:`ablatio.audit.verdict` decides.

Each seed draws, from its own child of ``random_state``: the fold split, the permutations of
the shuffle / taxonomy controls and the random targets.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> Y = pd.DataFrame(rng.random((40, 12)) * (rng.random((40, 12)) < 0.5))
>>> X = pd.DataFrame(Y.to_numpy() @ rng.normal(size=(12, 16)), index=Y.index.astype(str))
>>> Y.index = X.index
>>> table = norm_decoding(X, Y, folds=5, categories={c: "x" for c in X.index},
...                       upper_components=())
>>> sorted(table["control"].unique())
['rand', 'shuf_upper', 'shuffle', 'sys', 'taxonomy', 'taxonomy_kept', 'upper']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ablatio._validation import check_random_state
from ablatio.audit.controls import CONTROLS, DEFAULT_CONTROLS, upper_controls
from ablatio.audit.mappers import MAPPERS, MapperSettings, fit_predict
from ablatio.audit.norm_align import MIN_CONCEPTS, MIN_COVERAGE, align
from ablatio.audit.norm_metrics import (
    METRICS,
    f1_at_k,
    neighbourhood_accuracy,
    spearman_rows,
)
from ablatio.audit.pls import plsr_predictions
from ablatio.exceptions import CoverageError, ParameterError

__all__ = ["UPPER_COMPONENTS", "norm_decoding", "norm_decoding_scores"]

#: Controls that are upper bounds (scored for several PLSR component counts as well).
UPPER_NAMES = ("upper", "shuf_upper")

#: Largest share of non-zero norm cells for which the pipeline keeps the table sparse (CSR).
SPARSE_DENSITY = 0.1

#: PLSR component counts at which the upper bounds are also reported: the ceiling depends on
#: the mapper's capacity (McRae X := Y F1@10 rises from about .26 at 5 components to .47 at 50).
UPPER_COMPONENTS = (5, 10, 20)


def _sparse_if_sparse(Y: np.ndarray) -> Any:
    """Production norms (at most 10 % non-zero) as CSR: controls, fits and scores stay sparse."""
    if np.count_nonzero(Y) > SPARSE_DENSITY * Y.size:
        return Y
    from scipy import sparse

    return sparse.csr_matrix(Y)


def _folds(n: int, k: int, rng: np.random.Generator) -> list[np.ndarray]:
    return np.array_split(rng.permutation(n), k)


def _score(pred: np.ndarray, gold: np.ndarray, test: np.ndarray) -> dict[str, float]:
    return {
        "f1@10": f1_at_k(pred, gold[test]),
        "spearman": spearman_rows(pred, gold[test]),
        "na@10": neighbourhood_accuracy(pred, gold, test),
    }


def _predictions(mapper, X, Y, X_test, settings, rng, curve, memo, keys) -> dict[str, np.ndarray]:  # noqa: ANN001, E501
    """``{"": main prediction, "@k": prediction with k PLSR components for k in curve}``."""
    if mapper != "plsr" or not curve:
        pred = fit_predict(mapper, X, Y, X_test, settings=settings, rng=rng, memo=memo, keys=keys)
        return {"": pred}
    preds = plsr_predictions(X, Y, X_test, [settings.n_components, *curve])
    return {"": preds[settings.n_components], **{f"@{k}": preds[k] for k in curve}}


def _keys(shared: tuple[bool, bool], part: object) -> tuple:
    """Memo keys of a fit's training inputs and targets (None: not shared with other fits)."""
    return ("x", part) if shared[0] else None, ("y", part) if shared[1] else None


def _run(
    data, mapper, folds, n_seeds, random_state, controls, table, settings, curve, progress
) -> list:  # noqa: ANN001, E501
    """Fit and score every (seed, control, fold); one BLAS thread (small matrices, shared CPUs).

    The upper bounds of a PLSR run are also scored with each component count of ``curve``
    (rows ``upper@k``, ``shuf_upper@k``), from the same fits. Fits on the same training
    matrices (a fold's embeddings under every control that keeps X; the norms under Sys and
    Upper) share the mapper's preprocessing through ``memo`` (FFNN: standardisation, bases).
    """
    n = len(data.concepts)
    records = []
    total, done = n_seeds * len(controls) * folds, 0
    target = _sparse_if_sparse(data.Y)
    memo: dict = {}
    for seed, seed_rng in enumerate(check_random_state(random_state).spawn(n_seeds)):
        memo.clear()
        split_rng, *control_rngs = seed_rng.spawn(1 + len(controls))
        splits = _folds(n, folds, split_rng)
        for name, rng in zip(controls, control_rngs, strict=True):
            build_rng, fit_rng = rng.spawn(2)
            X, Y, fit = table[name].build(data.X, target, data.groups, build_rng)
            ks = curve if name in UPPER_NAMES else ()
            shared = (X is data.X, Y is target)  # this fold's embeddings / norms, unchanged
            full = None
            if fit == "insample":
                keys = _keys(shared, "all")
                full = _predictions(mapper, X, Y, X, settings, fit_rng, ks, memo, keys)
            for fold, test in enumerate(splits):
                if full is None:
                    train = np.setdiff1d(np.arange(n), test, assume_unique=True)
                    preds = _predictions(mapper, X[train], Y[train], X[test], settings,
                                         fit_rng, ks, memo, _keys(shared, fold))  # fmt: skip
                else:
                    preds = {suffix: pred[test] for suffix, pred in full.items()}
                for suffix, pred in preds.items():
                    for metric, score in _score(pred, Y, test).items():
                        records.append((seed, fold, name + suffix, metric, score))
                done += 1
                if progress is not None:
                    progress(done, total)
    return records


def norm_decoding_scores(
    embeddings: pd.DataFrame,
    norms: pd.DataFrame,
    *,
    mapper: str = "plsr",
    folds: int = 10,
    n_seeds: int = 1,
    random_state: int | np.random.Generator | None = 0,
    controls: Sequence[str] = DEFAULT_CONTROLS,
    upper: str = "identity",
    categories: Mapping[str, str] | pd.Series | None = None,
    settings: MapperSettings | None = None,
    min_coverage: float = MIN_COVERAGE,
    min_concepts: int = MIN_CONCEPTS,
    upper_components: Sequence[int] = UPPER_COMPONENTS,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Per-(seed, fold, control, metric) scores of the decoding pipeline and its controls.

    Parameters are those of :func:`norm_decoding` plus ``n_seeds`` (repetitions with fresh
    splits and control draws) and ``progress``, called as ``progress(done, total)`` after each
    (seed, control, fold) fit. Returns a long DataFrame with columns ``seed, fold, control,
    metric, score``; ``attrs`` holds ``n_concepts``, ``coverage``, ``dropped``, ``folds``,
    ``chance_na`` (k / n, the NA@10 of a random ranking).
    """
    if mapper not in MAPPERS:
        msg = f"mapper == {mapper!r}, must be one of {MAPPERS}"
        raise ParameterError(msg)
    if not isinstance(folds, int) or folds < 2:
        msg = f"folds == {folds!r}, must be an int >= 2 (k of k-fold cross-validation)"
        raise ParameterError(msg)
    if not isinstance(n_seeds, int) or n_seeds < 1:
        msg = f"n_seeds == {n_seeds!r}, must be an int >= 1"
        raise ParameterError(msg)
    table = {**CONTROLS, **upper_controls(upper)}
    unknown = [c for c in controls if c not in table]
    if unknown or not controls:
        msg = f"controls == {list(controls)}: unknown {unknown}; choose from {sorted(table)}"
        raise ParameterError(msg)
    data = align(
        embeddings, norms, categories=categories, min_coverage=min_coverage, min_concepts=1
    )
    n = len(data.concepts)
    if n < max(folds * 2, min_concepts):
        msg = (
            f"{n} concepts have both norms and embeddings, but folds={folds} needs at least "
            f"{max(2 * folds, min_concepts)} (2 per fold, and >= {min_concepts} for NA@10): "
            "lower folds or use more concepts"
        )
        raise CoverageError(msg)
    settings = settings or MapperSettings()
    with threadpool_limits(limits=1):
        records = _run(
            data, mapper, folds, n_seeds, random_state, controls, table, settings,
            tuple(upper_components), progress,
        )  # fmt: skip
    scores = pd.DataFrame(records, columns=["seed", "fold", "control", "metric", "score"])
    scores.attrs.update(
        n_concepts=n,
        coverage=data.coverage,
        dropped=data.dropped,
        folds=folds,
        chance_na=min(1.0, 10 / n),
        categories=dict(zip(data.concepts, data.groups, strict=True)),
    )
    return scores


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over (seed, fold) of each (control, metric)."""
    grouped = scores.groupby(["control", "metric"], sort=False)["score"]
    table = grouped.agg(mean="mean", std="std").reset_index()
    table["metric"] = pd.Categorical(table["metric"], METRICS, ordered=True)
    order = list(dict.fromkeys(scores["control"]))
    order = [c for c in order if "@" not in c] + [c for c in order if "@" in c]
    table["control"] = pd.Categorical(table["control"], order, ordered=True)
    table = table.sort_values(["control", "metric"]).reset_index(drop=True)
    table["control"] = table["control"].astype(str)
    table["metric"] = table["metric"].astype(str)
    return table


def norm_decoding(
    embeddings: pd.DataFrame,
    norms: pd.DataFrame,
    mapper: str = "plsr",
    folds: int = 10,
    random_state: int | np.random.Generator | None = 0,
    *,
    n_seeds: int = 1,
    controls: Sequence[str] = DEFAULT_CONTROLS,
    upper: str = "identity",
    categories: Mapping[str, str] | pd.Series | None = None,
    settings: MapperSettings | None = None,
    min_coverage: float = MIN_COVERAGE,
    min_concepts: int = MIN_CONCEPTS,
    upper_components: Sequence[int] = UPPER_COMPONENTS,
) -> pd.DataFrame:
    """Decode norms from embeddings and score the system next to its controls.

    Parameters
    ----------
    embeddings : pandas.DataFrame of shape (n_words, n_dims)
        Word vectors (:func:`~ablatio.audit.embeddings.load_embeddings`).
    norms : pandas.DataFrame of shape (n_concepts, n_features)
        Feature norms (:func:`~ablatio.audit.norm_files.load_norms`).
    mapper : {"plsr", "ffnn"}, default="plsr"
    folds : int, default=10
        k of the k-fold cross-validation over concepts (each fold needs >= 2 concepts).
    random_state : int, Generator or None, default=0
    n_seeds : int, default=1
        Repetitions with fresh folds and control draws; mean/std are over folds × seeds.
    controls : sequence of str, default=DEFAULT_CONTROLS
        Rows of the table (``sys, upper, shuffle, shuf_upper, rand, taxonomy,
        taxonomy_kept``); also ``"shuffle_rows"``. Definitions in :mod:`ablatio.audit.controls`.
    upper : {"identity", "insample"}, default="identity"
        Definition of ``upper`` / ``shuf_upper``: X := Y under CV, or an in-sample fit.
    categories : mapping concept -> category, optional
        Categories of the taxonomy controls; default WordNet 3.0 lexicographer files.
    settings : MapperSettings, optional
        PLSR components, FFNN size and early stopping.
    min_coverage : float, default=0.5
        Smallest share of norm concepts with a vector (fewer: CoverageError; some missing:
        CoverageWarning and they are dropped).
    min_concepts : int, default=20
        Fewest concepts to run on.
    upper_components : sequence of int, default=(5, 10, 20)
        PLSR only: the upper bounds are also scored with these component counts (rows
        ``upper@k``, ``shuf_upper@k``, from the same fits); ``()`` for none.

    Returns
    -------
    pandas.DataFrame
        Columns ``control, metric, mean, std``, one row per (control, metric), metrics
        ``f1@10``, ``spearman``, ``na@10``.
    """
    scores = norm_decoding_scores(
        embeddings,
        norms,
        mapper=mapper,
        folds=folds,
        n_seeds=n_seeds,
        random_state=random_state,
        controls=controls,
        upper=upper,
        categories=categories,
        settings=settings,
        min_coverage=min_coverage,
        min_concepts=min_concepts,
        upper_components=upper_components,
    )
    table = summarise(scores)
    table.attrs.update(scores.attrs)
    return table
