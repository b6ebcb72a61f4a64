"""Counterfactual check: edit the prompt as the explanation suggests and ask the model again.

An explanation claims that the parts ``S`` of its top interaction matter together. The check
removes (or replaces) exactly those parts, runs the real model on the edited prompt and puts
its actual value — and, for language models, its actual new greedy answer — next to the value
the explanation predicts for that ablation, :math:`\\hat f(\\mathbf 1 - \\mathbf 1_S)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ablatio.evaluation.faithfulness import _interactions
from ablatio.exceptions import ParameterError
from ablatio.targets.segment import Masker
from ablatio.targets.text import TextTarget

__all__ = ["CounterfactualCheck", "counterfactual_check"]


@dataclass(frozen=True)
class CounterfactualCheck:
    """The model's real behaviour after an edit, next to the explanation's prediction.

    Attributes
    ----------
    term : tuple of int
        The parts edited (the interaction checked).
    parts : tuple of str
        Their text.
    edit : str
        ``"remove"`` (the target's own masking) or ``"replace"`` (``replacements`` given).
    original_prompt, edited_prompt : str
        The texts before and after the edit.
    original_value : float
        The target's value on the full prompt.
    predicted_value : float
        The explanation's prediction with the parts ablated.
    actual_value : float
        The target's real value on the edited prompt.
    original_answer, new_answer : str or None
        Greedy answers of the language model before and after (None for other targets).
    """

    term: tuple[int, ...]
    parts: tuple[str, ...]
    edit: str
    original_prompt: str
    edited_prompt: str
    original_value: float
    predicted_value: float
    actual_value: float
    original_answer: str | None
    new_answer: str | None

    @property
    def answer_changed(self) -> bool | None:
        """Whether the greedy answer changed (None without a language model)."""
        if self.original_answer is None or self.new_answer is None:
            return None
        return self.original_answer != self.new_answer

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-able)."""
        return {**asdict(self), "answer_changed": self.answer_changed}

    def __str__(self) -> str:
        lines = [
            f"counterfactual check: {self.edit} parts {list(self.parts)}",
            f"  edited prompt : {self.edited_prompt!r}",
            f"  value         : full {self.original_value:.4g} -> predicted "
            f"{self.predicted_value:.4g}, actual {self.actual_value:.4g}",
        ]
        if self.original_answer is not None:
            lines.append(f"  answer        : {self.original_answer!r} -> {self.new_answer!r}")
        return "\n".join(lines)


#: How the default term is chosen.
SELECTIONS = ("coefficient", "increase", "decrease")


def _top_term(explanation: Any, min_order: int, select: str) -> tuple[int, ...]:
    inter = _interactions(explanation).prune()
    terms = [tuple(t) for t in inter.terms if len(t) >= min_order]
    if not terms:
        msg = f"the explanation has no term of order >= {min_order}: lower min_order"
        raise ParameterError(msg)
    if select == "coefficient":
        coef = {
            tuple(t): abs(float(c)) for t, c in zip(inter.terms, inter.coefficients, strict=True)
        }
        return max(terms, key=lambda t: coef[t])
    masks = np.ones((len(terms), inter.n_players), dtype=bool)
    for row, term in enumerate(terms):
        masks[row, list(term)] = False
    predicted = inter.predict(masks)
    return terms[int(np.argmax(predicted) if select == "increase" else np.argmin(predicted))]


def counterfactual_check(
    explanation: Any,
    target: TextTarget,
    *,
    term: tuple[int, ...] | None = None,
    min_order: int = 1,
    select: str = "coefficient",
    replacements: Mapping[int, str] | None = None,
    max_new_tokens: int | None = None,
) -> CounterfactualCheck:
    """Edit the prompt's most important interaction away and re-run the model.

    Parameters
    ----------
    explanation : Explanation, Method or Interactions
        A fitted explanation of ``target``.
    target : TextTarget
        The text target it explains (e.g. a :class:`~ablatio.targets.lm.CausalLMTarget`).
    term : tuple of int, optional
        The parts to edit (default: the term with the largest ``|coefficient|`` among those of
        order ``>= min_order``).
    min_order : int, default=1
        Smallest order considered for the default term (2 = a real interaction).
    select : {"coefficient", "increase", "decrease"}, default="coefficient"
        Default term: the largest ``|coefficient|``, or the term whose removal the
        explanation predicts to raise (lower) the value most, e.g. to flip an answer.
    replacements : mapping of int to str, optional
        Replace these parts by the given texts (e.g. synonyms) instead of ablating the
        term; the edited parts are then exactly these keys, and ``predicted_value`` is the
        explanation's value with them ablated.
    max_new_tokens : int, optional
        Length of the compared greedy answers (default: the target's, or its target length).

    Returns
    -------
    CounterfactualCheck
    """
    if not isinstance(target, TextTarget):
        msg = "target must be a text target (ablatio.targets.text.TextTarget) to edit its prompt"
        raise ParameterError(msg)
    inter = _interactions(explanation)
    if inter.n_players != target.n_players:
        msg = f"the explanation has n={inter.n_players} parts, the target n={target.n_players}"
        raise ParameterError(msg)
    if select not in SELECTIONS:
        msg = f"select == {select!r}; choose one of {SELECTIONS}"
        raise ParameterError(msg)
    if replacements:
        term = tuple(sorted(int(i) for i in replacements))
    elif term is None:
        term = _top_term(inter, min_order, select)
    else:
        term = tuple(int(i) for i in term)
    if not term or not all(0 <= i < target.n_players for i in term):
        msg = f"term == {term!r}: give part indices in [0, {target.n_players})"
        raise ParameterError(msg)
    mask = np.ones((1, target.n_players), dtype=bool)
    mask[0, list(term)] = False
    if replacements:
        segments = target.segments
        swapped = [replacements.get(i, part) for i, part in enumerate(segments.parts)]
        edited = Masker(segments, "baseline", baseline=swapped).texts(mask)[0]
        actual = float(target._score([edited])[0])
    else:
        edited = target.texts(mask)[0]
        actual = float(target(mask)[0])
    original = float(target(np.ones((1, target.n_players), dtype=bool))[0])
    before = after = None
    lm = getattr(target, "lm", None)
    if lm is not None:
        tokens = max_new_tokens or getattr(target, "max_new_tokens", None) or _length(target)
        before, after = lm.generate([target.text, edited], tokens)
    return CounterfactualCheck(
        term=term,
        parts=tuple(target.segments.parts[i] for i in term),
        edit="replace" if replacements else "remove",
        original_prompt=target.text,
        edited_prompt=edited,
        original_value=original,
        predicted_value=float(inter.predict(mask)[0]),
        actual_value=actual,
        original_answer=before,
        new_answer=after,
    )


def _length(target: Any) -> int:
    """Answer length: enough tokens for the target continuation (16 if unknown)."""
    count = getattr(getattr(target, "lm", None), "count_tokens", None)
    answer = getattr(target, "target", None)
    if count is not None and answer:
        return max(1, int(count(answer)))
    return 16
