"""Models in: a fitted model (tabular or text) and an input → a :class:`~ablatio.Game`.

* :func:`tabular_game`: any scikit-learn-style ``predict``/``predict_proba`` model, a torch
  module or a function of rows, explained on one row with a documented baseline
  (:mod:`ablatio.targets.tabular`: ``"marginal"`` over a background sample, ``"mean"``,
  ``"median"`` or a reference row).
* :func:`text_game`: a Hugging Face model name or local folder, a ``transformers`` pipeline,
  a shipped model (``"vader"``, ``"minilm"``, ``"smollm2"``) or a scoring function, explained
  word by word (or by sentences/tokens) on one text.

Each returns a :class:`~ablatio.games.game.Game` whose cache fingerprint is derived from the
model's parameters and every setting that enters the value, so ``cache=`` is safe to reuse.

>>> import numpy as np, ablatio
>>> from sklearn.linear_model import LinearRegression
>>> X = np.random.default_rng(0).normal(size=(50, 3))
>>> model = LinearRegression().fit(X, X @ [1.0, 2.0, 0.0])
>>> game = ablatio.tabular_game(model, X[0], background=X, baseline="mean")
>>> expl = ablatio.explain(game, method="exact")
>>> bool(np.allclose(expl.shapley_values(), model.coef_ * (X[0] - X.mean(axis=0))))
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ablatio._optional import require
from ablatio.exceptions import ParameterError
from ablatio.games.game import Game, Progress

__all__ = ["TEXT_TASKS", "tabular_game", "text_game", "text_target"]

#: What a text model's value is: class probability, answer log-probability, or similarity.
TEXT_TASKS = ("classification", "generation", "embedding", "score")
#: transformers pipeline task → text task.
_PIPELINE_TASKS = {
    "text-classification": "classification",
    "sentiment-analysis": "classification",
    "text-generation": "generation",
    "feature-extraction": "embedding",
}
ProgressOption = Callable[[Progress], None] | bool | None


def tabular_game(
    model: Any,
    x: Any,
    background: Any = None,
    *,
    baseline: str | Any = "marginal",
    output: str = "auto",
    label: Any = None,
    feature_names: Sequence[str] | None = None,
    cache: str | Path | None = None,
    batch_size: int = 256,
    progress: ProgressOption = None,
) -> Game:
    """A Game over the features of one row ``x`` of a tabular model.

    Parameters
    ----------
    model, x, background, baseline, output, label, feature_names
        See :class:`~ablatio.targets.tabular.TabularTarget`.
    cache, batch_size, progress
        See :class:`~ablatio.games.game.Game` (``progress=True`` shows a progress bar).
    """
    from ablatio.targets.tabular import TabularTarget

    target = TabularTarget(
        model,
        x,
        background,
        baseline=baseline,
        output=output,
        label=label,
        feature_names=feature_names,
    )
    return Game(target, name="tabular", cache=cache, batch_size=batch_size, progress=progress)


def _task_of_config(config: Any) -> str:
    names = " ".join(getattr(config, "architectures", None) or [])
    if "ForSequenceClassification" in names:
        return "classification"
    if "ForCausalLM" in names or "LMHeadModel" in names:
        return "generation"
    return "embedding"


def _from_pipeline(pipe: Any, task: str | None) -> tuple[str, Any]:
    from ablatio.backends.encoders import TorchClassifier, TorchEncoder
    from ablatio.backends.local import TorchCausalLM

    if task is None:
        task = _PIPELINE_TASKS.get(str(getattr(pipe, "task", "")))
        if task is None:
            msg = (
                f"pipeline task {getattr(pipe, 'task', None)!r} is not supported; use one of "
                f"{sorted(_PIPELINE_TASKS)} or pass task= explicitly"
            )
            raise ParameterError(msg)
    if task == "classification":
        return task, TorchClassifier(pipe.model, pipe.tokenizer)
    if task == "generation":
        return task, TorchCausalLM(pipe.model, pipe.tokenizer)
    return task, TorchEncoder(pipe.model, pipe.tokenizer)


def _from_name(name: str, task: str | None) -> tuple[str, Any]:
    from ablatio import models

    shipped: dict[str, tuple[str, Callable[[], Any]]] = {
        "vader": ("score", models.vader_scorer),
        "minilm": ("embedding", models.load_minilm),
        "smollm2": ("generation", models.load_smollm2),
    }
    if name in shipped:
        kind, load = shipped[name]
        if task not in (None, kind):
            msg = f"model {name!r} is a {kind} model, not {task!r}"
            raise ParameterError(msg)
        return kind, load()
    if task is None:
        transformers = require("transformers", extra="torch")
        task = _task_of_config(transformers.AutoConfig.from_pretrained(name))
    loaders = {
        "classification": models.load_classifier,
        "generation": models.load_causal_lm,
        "embedding": models.load_encoder,
    }
    return task, loaders[task](name)


def text_target(
    text: str,
    model: Any,
    *,
    task: str | None = None,
    unit: str | Sequence[Any] = "words",
    masking: str = "delete",
    **options: Any,
) -> Any:
    """The text target for ``model`` on ``text`` (see :func:`text_game`)."""
    from ablatio.targets import CausalLMTarget, ClassifierTarget, EmbeddingTarget, ScoreTarget

    if task is not None and task not in TEXT_TASKS:
        msg = f"task == {task!r}; choose one of {TEXT_TASKS} or None (detected)"
        raise ParameterError(msg)
    if isinstance(model, str | Path):
        task, scorer = _from_name(str(model), task)
    elif hasattr(model, "model") and hasattr(model, "tokenizer") and hasattr(model, "task"):
        task, scorer = _from_pipeline(model, task)
    elif callable(model):
        task, scorer = task or "score", model
    else:
        msg = (
            f"model == {type(model).__name__}: pass a Hugging Face name or folder, a "
            "transformers pipeline, 'vader'/'minilm'/'smollm2', or a function texts -> values"
        )
        raise ParameterError(msg)
    if task == "classification" and isinstance(options.get("label"), str):
        label2id = getattr(getattr(scorer, "model", None), "config", None)
        mapping = getattr(label2id, "label2id", None) or {}
        if options["label"] not in mapping:
            msg = f"label == {options['label']!r}; the model's labels are {sorted(mapping)}"
            raise ParameterError(msg)
        options["label"] = int(mapping[options["label"]])
    classes = {
        "classification": ClassifierTarget,
        "generation": CausalLMTarget,
        "embedding": EmbeddingTarget,
        "score": ScoreTarget,
    }
    try:
        return classes[task](text, scorer, unit=unit, masking=masking, **options)
    except TypeError as exc:
        msg = f"option not understood by a {task} text target ({exc}); see {classes[task].__name__}"
        raise ParameterError(msg) from exc


def text_game(
    text: str,
    model: Any,
    *,
    task: str | None = None,
    unit: str | Sequence[Any] = "words",
    masking: str = "delete",
    cache: str | Path | None = None,
    batch_size: int = 256,
    progress: ProgressOption = None,
    **options: Any,
) -> Game:
    """A Game over the words (sentences, tokens) of ``text`` for a text model.

    Parameters
    ----------
    text : str
        The text to explain.
    model : str, Path, transformers pipeline or callable
        A Hugging Face name or local folder (the task is read from its config's
        architecture: ``*ForSequenceClassification`` → class probability, ``*ForCausalLM`` →
        log-probability of the answer, otherwise → embedding similarity), a pipeline
        (``text-classification``, ``text-generation``, ``feature-extraction``), one of the
        shipped models ``"vader"``, ``"minilm"``, ``"smollm2"``, or ``score(texts) -> values``.
    task : {"classification", "generation", "embedding", "score"}, optional
        Override the detected task.
    unit, masking
        How the text is cut and ablated (:class:`~ablatio.targets.text.TextTarget`).
    cache, batch_size, progress
        See :class:`~ablatio.games.game.Game`.
    **options
        Passed to the target: ``label``/``output`` (classification; ``label`` may be a label
        name such as ``"POSITIVE"``), ``target``/``contrast``/``reduction`` (generation),
        ``query`` (embedding).
    """
    target = text_target(text, model, task=task, unit=unit, masking=masking, **options)
    return Game(
        target,
        name=f"text-{type(target).__name__}",
        cache=cache,
        batch_size=batch_size,
        progress=progress,
    )
