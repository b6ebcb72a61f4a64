"""Language-model targets: the log-probability of an answer, or a score of generated text.

A language model is anything with the two methods of :class:`LanguageModel`; ablatio ships a
local torch one (:class:`ablatio.backends.local.TorchCausalLM`) and an OpenAI-compatible HTTP
one (:class:`ablatio.backends.http.OpenAIEndpoint`). Prompts passed to them are *user texts*:
the model wrapper applies its chat template or prompt format itself, so only the user's words
are ever ablated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ablatio._identity import callable_id
from ablatio.exceptions import ParameterError
from ablatio.targets.text import TextTarget

__all__ = ["CausalLMTarget", "GenerationTarget", "LanguageModel"]

#: Tokens generated for the default target continuation (the model's own answer).
DEFAULT_MAX_NEW_TOKENS = 16


@runtime_checkable
class LanguageModel(Protocol):
    """What the language-model targets need from a model.

    ``logprob(prompts, continuation)`` returns ``float64 (n_prompts,)``: the teacher-forced
    log-probability :math:`\\sum_t \\log p(y_t \\mid x, y_{<t})` of the continuation ``y`` after
    each prompt ``x``. ``generate(prompts, max_new_tokens)`` returns the greedy continuation of
    each prompt. ``fingerprint()`` identifies the model and its prompt format.
    """

    def logprob(self, prompts: Sequence[str], continuation: str) -> np.ndarray:
        """Log-probability of ``continuation`` after each prompt."""
        ...

    def generate(self, prompts: Sequence[str], max_new_tokens: int) -> list[str]:
        """Greedy continuation of each prompt."""
        ...

    def fingerprint(self) -> str:
        """Model identity and prompt format."""
        ...


def _check_lm(lm: Any) -> None:
    if not isinstance(lm, LanguageModel):
        msg = (
            f"lm == {type(lm).__name__}: pass a language model with logprob(), generate() and "
            "fingerprint(), e.g. ablatio.models.load_smollm2() or OpenAIEndpoint(...)"
        )
        raise ParameterError(msg)


class CausalLMTarget(TextTarget):
    """Value = log-probability of a target continuation after the ablated prompt.

    .. math::

        v(m) = \\sum_{t=1}^{T} \\log p_\\theta(y_t \\mid x(m), y_{<t})
           \\; [\\, - \\log p_\\theta(z \\mid x(m)) \\,],

    teacher-forced and batched, where ``y`` is the target continuation (by default the model's
    own greedy answer to the full prompt), ``x(m)`` the ablated prompt and ``z`` an optional
    contrasting continuation: with ``contrast`` the value is a log-odds, e.g.
    ``log p(" True") - log p(" False")``, whose sign says which answer the model prefers.

    Parameters
    ----------
    prompt : str
        The user prompt to explain.
    lm : LanguageModel
        The model.
    target : str, optional
        The continuation whose log-probability is explained (default: the greedy answer on the
        full prompt, ``max_new_tokens`` long).
    max_new_tokens : int, default=16
        Length of the default target.
    reduction : {"sum", "mean"}, default="sum"
        Sum of the token log-probabilities, or their mean (per-token).
    contrast : str, optional
        Subtract the log-probability of this alternative continuation.
    **segmenting
        ``unit``, ``masking``, ``baseline``, ``tokenizer`` as in
        :class:`~ablatio.targets.text.TextTarget`.

    Attributes
    ----------
    target : str
        The continuation actually scored.
    max_new_tokens : int
        Answer length used for the default target (and by the counterfactual check).
    """

    def __init__(
        self,
        prompt: str,
        lm: LanguageModel,
        *,
        target: str | None = None,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        reduction: str = "sum",
        contrast: str | None = None,
        **segmenting: Any,
    ) -> None:
        _check_lm(lm)
        if contrast is not None and (not isinstance(contrast, str) or not contrast):
            msg = f"contrast == {contrast!r}: pass a non-empty alternative continuation or None"
            raise ParameterError(msg)
        if reduction not in ("sum", "mean"):
            msg = f"reduction == {reduction!r}; choose 'sum' or 'mean'"
            raise ParameterError(msg)
        super().__init__(prompt, **segmenting)
        self.lm = lm
        self.reduction = reduction
        self.max_new_tokens = max_new_tokens
        self.contrast = contrast
        if target is None:
            target = lm.generate([prompt], max_new_tokens)[0]
            if not target:
                msg = (
                    "the model's greedy answer to the full prompt is empty (it ended at once): "
                    "pass target=... explicitly"
                )
                raise ParameterError(msg)
        if not isinstance(target, str) or not target:
            msg = f"target == {target!r}: pass a non-empty continuation string"
            raise ParameterError(msg)
        self.target = target

    def _score(self, texts: list[str]) -> np.ndarray:
        many = getattr(self.lm, "logprob_many", None)
        if self.contrast is not None and many is not None and self.reduction == "sum":
            both = np.asarray(many(texts, [self.target, self.contrast]), dtype=np.float64)
            return both[:, 0] - both[:, 1]
        values = self._logprob(texts, self.target)
        if self.contrast is not None:
            values = values - self._logprob(texts, self.contrast)
        return values

    def _logprob(self, texts: list[str], continuation: str) -> np.ndarray:
        values = np.asarray(self.lm.logprob(texts, continuation), dtype=np.float64)
        if self.reduction == "mean":
            values = values / self._token_count(continuation)
        return values

    def _token_count(self, continuation: str) -> int:
        count = getattr(self.lm, "count_tokens", None)
        if count is None:
            msg = "reduction='mean' needs a model with count_tokens(); use 'sum'"
            raise ParameterError(msg)
        return int(count(continuation))

    def _describe(self) -> dict[str, Any]:
        return {
            "model": callable_id(self.lm, self._role("lm")),
            "target": self.target,
            "contrast": self.contrast,
            "reduction": self.reduction,
        }


class GenerationTarget(TextTarget):
    """Value = ``score(generated text)``: for endpoints without log-probabilities.

    Each ablated prompt is answered greedily and the answer scored by ``score``, e.g.
    ``lambda answer: float("true" in answer.lower())``.

    Parameters
    ----------
    prompt : str
        The user prompt to explain.
    lm : LanguageModel
        The model (only ``generate`` is used).
    score : callable
        ``score(answer: str) -> float``.
    max_new_tokens : int, default=16
        Length of the generated answers.
    **segmenting
        As in :class:`~ablatio.targets.text.TextTarget`.
    """

    def __init__(
        self,
        prompt: str,
        lm: LanguageModel,
        score: Callable[[str], float],
        *,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        **segmenting: Any,
    ) -> None:
        _check_lm(lm)
        if not callable(score):
            msg = "score must be a callable answer -> float"
            raise ParameterError(msg)
        super().__init__(prompt, **segmenting)
        self.lm = lm
        self.score = score
        self.max_new_tokens = max_new_tokens

    def _score(self, texts: list[str]) -> np.ndarray:
        answers = self.lm.generate(texts, self.max_new_tokens)
        return np.array([float(self.score(a)) for a in answers], dtype=np.float64)

    def _describe(self) -> dict[str, Any]:
        return {
            "model": callable_id(self.lm, self._role("lm")),
            "score": callable_id(self.score, self._role("score")),
            "max_new_tokens": self.max_new_tokens,
        }
