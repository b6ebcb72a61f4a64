"""``ablatio explain|compare text``: a prompt and a model named on the command line.

Builds the text targets of :mod:`ablatio.targets` with the offline models of
:mod:`ablatio.models`; both are imported only when the command runs, and their absence is a
usage error (exit status 2) that says what is missing.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer

from ablatio.cli.targets import TargetSpec, TargetUnavailableError, segment_texts
from ablatio.exceptions import ParameterError

__all__ = ["MODELS", "text_target"]

#: ``--model`` choices besides ``hf:<name or folder>`` (any causal LM).
MODELS = ("vader", "smollm2", "minilm")
#: ``--dtype`` choices (language models only; as ``TorchCausalLM``'s ``dtype``).
DTYPES = ("float32", "bfloat16")


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        msg = f"`ablatio explain text` needs {name}, which this installation does not provide"
        raise TargetUnavailableError(msg) from exc


def text_target(
    prompt: Annotated[str, typer.Option(help="The text (prompt) to explain.")],
    model: Annotated[
        str,
        typer.Option(
            help="vader (sentiment score), smollm2 (log-prob of the answer), minilm (embedding "
            "similarity) or hf:<name or folder> (a causal LM)"
        ),
    ] = "vader",
    unit: Annotated[str, typer.Option(help="Parts: words | sentences | tokens.")] = "words",
    masking: Annotated[str, typer.Option(help="Ablation: delete | token | baseline.")] = "delete",
    answer: Annotated[
        str | None, typer.Option(help="LMs: the continuation scored (default: greedy answer).")
    ] = None,
    query: Annotated[
        str | None, typer.Option(help="minilm: compare with this text (default: the prompt).")
    ] = None,
    levels: Annotated[
        str | None,
        typer.Option(
            help="Coarse,fine parts, e.g. sentences,words: explain the coarse segments, then "
            "refine inside the influential ones (replaces --unit)."
        ),
    ] = None,
    dtype: Annotated[
        str,
        typer.Option(
            help="LMs: float32 (exact) or bfloat16 (linear layers in bfloat16: ~1.5x faster "
            "on AVX-512 BF16 CPUs, values within ~0.05 nats, cached apart)."
        ),
    ] = "float32",
) -> TargetSpec:
    """Explain a model's output on a prompt, part by part (words, sentences or tokens)."""
    if model not in MODELS and not model.startswith("hf:"):
        msg = f"--model == {model!r}; choose one of {MODELS} or hf:<name or folder>"
        raise ParameterError(msg)
    if dtype not in DTYPES:
        msg = f"--dtype == {dtype!r}; choose one of {DTYPES}"
        raise ParameterError(msg)
    if dtype != "float32" and model != "smollm2" and not model.startswith("hf:"):
        msg = f"--dtype {dtype} applies to language models (smollm2, hf:...), not {model!r}"
        raise ParameterError(msg)
    split: str | tuple[str, ...] = unit
    if levels is not None:
        split = tuple(u.strip() for u in levels.split(","))
        if len(split) != 2 or not all(u in ("words", "sentences", "tokens") for u in split):
            msg = f"--levels == {levels!r}; give coarse,fine units, e.g. sentences,words"
            raise ParameterError(msg)
    targets = _module("ablatio.targets")
    models = _module("ablatio.models")
    segmenting = {"unit": split, "masking": masking}
    if model == "vader":
        target = targets.ScoreTarget(prompt, models.vader_scorer(), **segmenting)
    elif model == "minilm":
        target = targets.EmbeddingTarget(prompt, models.load_minilm(), query=query, **segmenting)
    else:
        options = {} if dtype == "float32" else {"dtype": dtype}
        lm = (
            models.load_smollm2(**options)
            if model == "smollm2"
            else models.load_causal_lm(model[3:], **options)
        )
        target = targets.CausalLMTarget(prompt, lm, target=answer, **segmenting)
    settings = {"prompt": prompt, "model": model, "unit": unit, "masking": masking,
                "answer": answer, "query": query, "levels": levels, "dtype": dtype}  # fmt: skip
    groups = getattr(target, "groups", None)
    return TargetSpec(target, name=f"text-{model}", settings=settings,
                      segments=segment_texts(target),
                      groups=None if groups is None else [list(g) for g in groups])  # fmt: skip
