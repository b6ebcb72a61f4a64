"""``ablatio explain|compare data`` and ``heads``: training data and attention heads.

* ``data``: groups of training examples of a scikit-learn toy dataset (bundled, offline);
  a mask keeps some groups, the classifier is retrained on them and scored on test points
  (:class:`ablatio.targets.DataTarget`).
* ``heads``: attention heads of a shipped transformer, ablated while it answers the shipped
  multiple-choice questions (:func:`ablatio.targets.head_tasks.multiple_choice_target`).

The target modules are imported when the command runs; their absence is a usage error
(exit status 2) that says what is missing.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer

from ablatio.cli.targets import TargetSpec, TargetUnavailableError
from ablatio.exceptions import ParameterError

__all__ = ["DATASETS", "ESTIMATORS", "data_target", "heads_target"]

#: ``--dataset`` choices: scikit-learn loaders of bundled datasets.
DATASETS = ("digits", "iris", "wine", "breast_cancer")
#: ``--estimator`` choices.
ESTIMATORS = ("logreg", "tree")
#: Iterations of the logistic regression (enough for the toy datasets to converge).
_LOGREG_MAX_ITER = 2000


def _module(name: str, command: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        msg = f"`ablatio explain {command}` needs {name}, which this installation does not provide"
        raise TargetUnavailableError(msg) from exc


def data_target(
    dataset: Annotated[str, typer.Option(help="digits | iris | wine | breast_cancer")] = "iris",
    groups: Annotated[int, typer.Option(help="Parts: k-means groups of training examples.")] = 8,
    estimator: Annotated[str, typer.Option(help="logreg | tree")] = "logreg",
    score: Annotated[str, typer.Option(help="margin | log_proba | loss | accuracy")] = "margin",
    test_points: Annotated[int, typer.Option(help="Test points averaged in the value.")] = 5,
    test_size: Annotated[float, typer.Option(help="Share of the data held out.")] = 0.25,
    split_seed: Annotated[int, typer.Option(min=0, help="Seed of the split and the groups.")] = 0,
) -> TargetSpec:
    """Which groups of training examples does the retrained model's test score rely on?"""
    if dataset not in DATASETS or estimator not in ESTIMATORS:
        msg = (
            f"--dataset == {dataset!r}, --estimator == {estimator!r}; choose from {DATASETS} "
            f"and {ESTIMATORS}"
        )
        raise ParameterError(msg)
    if not isinstance(test_points, int) or test_points < 1:
        msg = f"--test-points == {test_points!r}, must be >= 1"
        raise ParameterError(msg)
    data = _module("ablatio.targets.data", "data")
    from sklearn import datasets
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.tree import DecisionTreeClassifier

    X, y = getattr(datasets, f"load_{dataset}")(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=split_seed, stratify=y
    )
    model = (
        LogisticRegression(max_iter=_LOGREG_MAX_ITER)
        if estimator == "logreg"
        else DecisionTreeClassifier(random_state=split_seed)
    )
    target = data.DataTarget(
        X_train, y_train, X_test[:test_points], y_test[:test_points], estimator=model,
        n_groups=groups, score=score, random_state=split_seed,
    )  # fmt: skip
    settings = {
        "dataset": dataset,
        "groups": groups,
        "estimator": estimator,
        "score": score,
        "test_points": test_points,
        "test_size": test_size,
        "split_seed": split_seed,
    }
    return TargetSpec(target, name=f"data-{dataset}-{estimator}", settings=settings)


def heads_target(
    model: Annotated[str, typer.Option(help="Shipped causal LM: smollm2.")] = "smollm2",
    questions: Annotated[int, typer.Option(help="Shipped multiple-choice questions used.")] = 10,
    metric: Annotated[str, typer.Option(help="logprob | accuracy")] = "logprob",
    ablation: Annotated[str, typer.Option(help="zero | mean")] = "zero",
    layers: Annotated[
        str, typer.Option(help="Comma-separated layer numbers whose heads are parts (all: '').")
    ] = "0",
) -> TargetSpec:
    """Which attention heads does the model need to answer multiple-choice questions?"""
    if not isinstance(questions, int) or questions < 1:
        msg = f"--questions == {questions!r}, must be >= 1"
        raise ParameterError(msg)
    try:
        chosen = [int(part) for part in layers.split(",") if part.strip()] or None
    except ValueError:
        msg = f"--layers == {layers!r}: write layer numbers separated by commas, e.g. 0,1"
        raise ParameterError(msg) from None
    tasks = _module("ablatio.targets.head_tasks", "heads")
    shipped = _module("ablatio.targets.shipped", "heads")
    lm, tokenizer = shipped.load_shipped_model(model)
    target = tasks.multiple_choice_target(
        lm, tokenizer, tasks.load_mcq()[:questions], metric=metric, ablation=ablation,
        layers=chosen,
    )  # fmt: skip
    settings = {"model": model, "questions": questions, "metric": metric,
                "ablation": ablation, "layers": layers}  # fmt: skip
    return TargetSpec(target, name=f"heads-{model}", settings=settings)
