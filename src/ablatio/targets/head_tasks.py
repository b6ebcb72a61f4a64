"""Ready-made tasks for :class:`~ablatio.targets.heads.HeadTarget`.

* :func:`multiple_choice_target` — a decoder scores each option of a multiple-choice question
  by its mean token log-probability after the question; value = mean log-probability (softmax
  over the options) or log-odds of the correct option, or accuracy. By default each question
  prompt runs once and its options continue from the prompt's key/value cache.
* :func:`question_values` — the same value per question (for intervals over questions).
* :func:`similarity_target` — an encoder embeds sentence pairs (mean pooling); value = mean
  cosine similarity of the pairs.
* :func:`load_mcq` — the 100 general-knowledge questions shipped in ``ablatio/data/mcq.jsonl``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ablatio._optional import require
from ablatio.exceptions import ParameterError
from ablatio.targets.heads import HeadTarget

__all__ = [
    "CHOICE_METRICS",
    "load_mcq",
    "multiple_choice_target",
    "question_values",
    "similarity_target",
]

#: Values of a multiple-choice target.
CHOICE_METRICS = ("logprob", "logodds", "accuracy")
#: Prompt template of a multiple-choice question (the option follows after a space).
TEMPLATE = "Question: {question}\nAnswer:"


def load_mcq(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Questions ``{"question": str, "options": [str, ...], "answer": int}`` from JSON lines.

    Default: the file shipped with ablatio (100 questions, 3 options each).
    """
    if path is None:
        text = resources.files("ablatio.data").joinpath("mcq.jsonl").read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _token_logprob(outputs: Any, batch: Mapping[str, Any]) -> Any:
    """Mean log-probability of the option tokens of every row, ``(rows,)``."""
    logits = outputs.logits
    picked = logits.gather(-1, batch["target_ids"][..., None])[..., 0].double()
    picked = picked - logits.logsumexp(dim=-1).double()
    weight = batch["target_weight"].double()
    return (picked * weight).sum(dim=1) / weight.sum(dim=1)


def _shared_option_logprob(outputs: Any, batch: Mapping[str, Any]) -> Any:
    """Mean log-probability of the option tokens, ``(questions, options)`` per mask.

    ``outputs = (prompt_logits, option_logits)`` from :class:`_SharedPromptForward`: the
    prompt's last position predicts every option's first token, option position ``j``
    predicts its token ``j + 1``.
    """
    torch = require("torch", extra="torch")
    first, rest = outputs
    ids, weight = batch["option_ids"], batch["option_attention"].double()
    n_options = ids.shape[0] // first.shape[0]
    last = first[:, -1, :].repeat_interleave(n_options, dim=0)
    head = last.gather(-1, ids[:, :1]).double() - last.logsumexp(dim=-1, keepdim=True).double()
    picked = [head]
    if rest is not None:
        tail = rest.gather(-1, ids[:, 1:, None])[..., 0].double()
        picked.append(tail - rest.logsumexp(dim=-1).double())
    logp = torch.cat(picked, dim=1)
    per_option = (logp * weight).sum(dim=1) / weight.sum(dim=1)
    return per_option.reshape(first.shape[0], n_options)


class _SharedPromptForward:
    """Run each question prompt once, then its options from the prompt's key/value cache.

    Pass 1: the left-padded prompts ``(rows, P)`` with ``use_cache``; pass 2 (only if some
    option has more than one token): every option but its last token ``(rows * O, L - 1)``,
    right-padded, after the prompt's cache repeated once per option.
    """

    def fingerprint(self) -> str:
        """Stateless: the values depend only on the model and batch (fingerprinted elsewhere)."""
        return "shared-prompt-forward/1"

    def __call__(self, model: Any, batch: Mapping[str, Any]) -> Any:
        torch = require("torch", extra="torch")
        from ablatio.backends.local import _reuse_cache

        attention = batch["attention_mask"]
        first = model(
            input_ids=batch["input_ids"],
            attention_mask=attention,
            position_ids=batch["position_ids"],
            use_cache=True,
            logits_to_keep=1,
        )
        ids = batch["option_ids"][:, :-1]
        if ids.shape[1] == 0:
            return first.logits, None
        n_options = len(ids) // len(attention)
        cache = _reuse_cache(model, first)
        next(iter(cache.values())).batch_repeat_interleave(n_options)
        mask = torch.cat(
            [attention.repeat_interleave(n_options, dim=0), batch["option_attention"][:, :-1]],
            dim=1,
        )
        rest = model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=batch["option_positions"][:, :-1],
            **cache,
        )
        return first.logits, rest.logits


class _ChoiceReduce:
    """Per question: log-softmax of the option scores; mean over questions of the metric."""

    def __init__(self, answers: np.ndarray, n_options: int, metric: str) -> None:
        self.answers, self.n_options, self.metric = answers, n_options, metric

    def fingerprint(self) -> str:
        """The answers, number of options and metric (they determine the value)."""
        return _digest([np.asarray(self.answers).tolist(), self.n_options, self.metric])

    def per_question(self, scores: Any) -> Any:
        """``(n_masks, n_questions)`` values of option scores ``(n_masks, rows, ...)``."""
        torch = require("torch", extra="torch")
        scores = torch.as_tensor(scores)
        per_option = scores.reshape(scores.shape[0], len(self.answers), self.n_options)
        answers = torch.as_tensor(self.answers)[None, :, None].expand(scores.shape[0], -1, 1)
        if self.metric == "accuracy":
            return (per_option.argmax(dim=-1) == answers[..., 0]).double()
        logp = torch.log_softmax(per_option, dim=-1)
        right = logp.gather(-1, answers)[..., 0]
        if self.metric == "logprob":
            return right
        wrong = logp.scatter(-1, answers, float("-inf")).logsumexp(dim=-1)
        return right - wrong

    def __call__(self, scores: Any) -> Any:
        return self.per_question(scores).mean(dim=1)


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


def multiple_choice_target(
    model: Any,
    tokenizer: Any,
    questions: Sequence[dict[str, Any]],
    *,
    metric: str = "logprob",
    share_prompt: bool = True,
    **kwargs: Any,
) -> HeadTarget:
    """Head target scoring a causal LM on multiple-choice questions.

    Parameters
    ----------
    model : transformers causal LM
        E.g. ``LlamaForCausalLM``.
    tokenizer : transformers tokenizer
        The model's tokenizer.
    questions : sequence of dict
        ``{"question", "options", "answer"}``; every question needs the same number of options.
    metric : {"logprob", "logodds", "accuracy"}, default="logprob"
        Mean over questions of :math:`\\log p_a` with :math:`p = \\mathrm{softmax}_o(s_o)`
        and ``a`` the answer, where :math:`s_o` is the mean token log-probability of option
        ``o`` after ``"Question: ...\\nAnswer:"``; or of the log-odds
        :math:`\\log p_a - \\log(1 - p_a)`; or the share of questions whose best option is
        correct.
    share_prompt : bool, default=True
        Run each question's prompt once and its options from the prompt's key/value cache
        (needs a model that takes ``use_cache``; same values as one sequence per option up to
        float rounding). ``False``: one left-padded sequence per option.
    **kwargs
        Passed to :class:`~ablatio.targets.heads.HeadTarget` (``ablation``, ``layers``, ...).
    """
    torch = require("torch", extra="torch")
    if metric not in CHOICE_METRICS:
        msg = f"metric == {metric!r}; choose one of {CHOICE_METRICS}"
        raise ParameterError(msg)
    n_options = {len(q["options"]) for q in questions}
    if len(n_options) != 1 or not questions:
        msg = f"questions have {sorted(n_options)} options: give a non-empty set, equal counts"
        raise ParameterError(msg)
    sequences, spans, prompts, options = [], [], [], []
    for q in questions:
        prompt = tokenizer(TEMPLATE.format(question=q["question"]))["input_ids"]
        prompts.append(list(prompt))
        for option in q["options"]:
            answer = tokenizer(" " + option, add_special_tokens=False)["input_ids"]
            options.append(list(answer))
            sequences.append(prompt + answer)
            spans.append((len(prompt), len(prompt) + len(answer)))
    # left padding puts every option at the end, so only the last `keep` positions need logits
    width = max(map(len, sequences))
    keep = max(stop - start for start, stop in spans) + 1
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ids = torch.full((len(sequences), width), pad, dtype=torch.long)
    attention = torch.zeros((len(sequences), width), dtype=torch.long)
    target_ids = torch.zeros((len(sequences), keep), dtype=torch.long)
    target_weight = torch.zeros((len(sequences), keep), dtype=torch.long)
    for row, (seq, (start, stop)) in enumerate(zip(sequences, spans, strict=True)):
        ids[row, width - len(seq) :] = torch.tensor(seq)
        attention[row, width - len(seq) :] = 1
        n_option = stop - start  # position keep-1-j predicts the option's last-j token
        target_ids[row, keep - 1 - n_option : keep - 1] = torch.tensor(seq[start:stop])
        target_weight[row, keep - 1 - n_option : keep - 1] = 1
    positions = (attention.cumsum(dim=1) - 1).clamp(min=0)
    answers = np.array([q["answer"] for q in questions])
    kwargs.setdefault("name", f"mcq:{_digest(list(questions))}:{metric}")
    reduce = _ChoiceReduce(answers, n_options.pop(), metric)
    full = {"input_ids": ids, "attention_mask": attention, "position_ids": positions}
    if share_prompt:
        kwargs.setdefault("reference", {**full, "logits_to_keep": 1})
        return HeadTarget(
            model,
            _shared_inputs(prompts, options, pad, torch),
            score=_shared_option_logprob,
            reduce=reduce,
            forward=_SharedPromptForward(),
            **kwargs,
        )
    return HeadTarget(
        model,
        {**full, "logits_to_keep": keep},
        score=_token_logprob,
        reduce=reduce,
        extras={"target_ids": target_ids, "target_weight": target_weight},
        **kwargs,
    )


def _shared_inputs(
    prompts: list[list[int]], options: list[list[int]], pad: int, torch: Any
) -> dict[str, Any]:
    """Left-padded prompts ``(Q, P)`` and right-padded options ``(Q * O, L)`` with positions."""
    width = max(map(len, prompts))
    ids = torch.full((len(prompts), width), pad, dtype=torch.long)
    attention = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        ids[row, width - len(prompt) :] = torch.tensor(prompt)
        attention[row, width - len(prompt) :] = 1
    per_question = len(options) // len(prompts)
    length = max(map(len, options))
    option_ids = torch.full((len(options), length), pad, dtype=torch.long)
    option_attention = torch.zeros((len(options), length), dtype=torch.long)
    option_positions = torch.zeros((len(options), length), dtype=torch.long)
    for row, option in enumerate(options):
        start = len(prompts[row // per_question])
        option_ids[row, : len(option)] = torch.tensor(option)
        option_attention[row, : len(option)] = 1
        option_positions[row] = torch.arange(start, start + length)
    return {
        "input_ids": ids,
        "attention_mask": attention,
        "position_ids": (attention.cumsum(dim=1) - 1).clamp(min=0),
        "option_ids": option_ids,
        "option_attention": option_attention,
        "option_positions": option_positions,
    }


def question_values(
    target: HeadTarget,
    masks: np.ndarray,
    metric: str | None = None,
    *,
    scores: np.ndarray | None = None,
) -> np.ndarray:
    """Per-question values ``float64 (n_masks, n_questions)`` of a multiple-choice target.

    Their mean over questions is ``target(masks)``; use them for intervals over questions.
    ``metric`` overrides the target's (one of :data:`CHOICE_METRICS`); ``scores`` reuses
    ``target.row_scores(masks)`` computed before (no forward pass then).
    """
    reduce = target.reduce
    if not isinstance(reduce, _ChoiceReduce):
        msg = "question_values needs a target built by multiple_choice_target"
        raise ParameterError(msg)
    if metric is not None:
        if metric not in CHOICE_METRICS:
            msg = f"metric == {metric!r}; choose one of {CHOICE_METRICS}"
            raise ParameterError(msg)
        reduce = _ChoiceReduce(reduce.answers, reduce.n_options, metric)
    torch = require("torch", extra="torch")
    raw = target.row_scores(masks) if scores is None else np.asarray(scores)
    with torch.no_grad():
        per_question = reduce.per_question(torch.from_numpy(raw))
    return np.asarray(per_question.double().numpy())


def _pooled(outputs: Any, batch: Mapping[str, Any]) -> Any:
    """Mean-pooled last hidden state over non-padding tokens, ``(rows, hidden)``."""
    hidden = outputs.last_hidden_state.double()
    weight = batch["attention_mask"].double()[..., None]
    return (hidden * weight).sum(dim=1) / weight.sum(dim=1)


class _PairCosine:
    """Mean cosine similarity of rows ``i`` and ``i + P`` of ``(n_masks, 2P, hidden)``.

    With ``contrastive``, minus the mean similarity of mismatched pairs ``(i, (i+1) mod P)``.
    """

    def __init__(self, contrastive: bool) -> None:
        self.contrastive = contrastive

    def fingerprint(self) -> str:
        """Whether mismatched pairs are subtracted."""
        return f"pair-cosine:{self.contrastive}"

    def __call__(self, embeddings: Any) -> Any:
        torch = require("torch", extra="torch")
        half = embeddings.shape[1] // 2
        left, right = embeddings[:, :half], embeddings[:, half:]
        cosine = torch.nn.functional.cosine_similarity
        value = cosine(left, right, dim=-1).mean(dim=1)
        if self.contrastive:
            value = value - cosine(left, right.roll(1, dims=1), dim=-1).mean(dim=1)
        return value


def similarity_target(
    model: Any,
    tokenizer: Any,
    pairs: Sequence[tuple[str, str]],
    *,
    contrastive: bool = False,
    **kwargs: Any,
) -> HeadTarget:
    """Head target: mean cosine similarity of mean-pooled encoder embeddings of sentence pairs.

    Parameters
    ----------
    model : transformers encoder
        E.g. ``BertModel`` (all-MiniLM-L6-v2).
    tokenizer : transformers tokenizer
        The model's tokenizer.
    pairs : sequence of (str, str)
        Sentence pairs that should be similar (paraphrases); the value falls as heads the
        paraphrase detection needs are ablated.
    contrastive : bool, default=False
        Subtract the mean similarity of mismatched pairs (sentence ``i`` with partner
        ``i - 1``), so that collapsing all embeddings together does not raise the value.
    **kwargs
        Passed to :class:`~ablatio.targets.heads.HeadTarget`.
    """
    if not pairs:
        msg = "pairs is empty: give at least one (sentence, sentence) pair"
        raise ParameterError(msg)
    texts = [a for a, _ in pairs] + [b for _, b in pairs]
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    if contrastive and len(pairs) < 2:
        msg = "contrastive=True needs at least two pairs (mismatched pairs are the contrast)"
        raise ParameterError(msg)
    kwargs.setdefault("name", f"similarity:{_digest([list(p) for p in pairs])}:{contrastive}")
    reduce = _PairCosine(contrastive)
    return HeadTarget(model, dict(batch), score=_pooled, reduce=reduce, **kwargs)
