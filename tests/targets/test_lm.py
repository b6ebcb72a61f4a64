from __future__ import annotations

import itertools

import numpy as np
import pytest

import ablatio
from ablatio.exceptions import ParameterError
from ablatio.targets.lm import CausalLMTarget, GenerationTarget

PROMPT = "Should you pull the lever? Answer yes or no."


def _brute_logprob(lm, prompt, continuation):
    """Unbatched, unpadded teacher forcing over the full vocabulary."""
    import torch

    head = lm._encode_prompt(prompt)
    cont = lm.encode_continuation(continuation)
    with torch.inference_mode():
        logp = torch.log_softmax(lm.model(torch.tensor([head + cont])).logits[0], -1)
    return sum(float(logp[len(head) + j - 1, t]) for j, t in enumerate(cont))


def test_logprob_matches_unbatched_teacher_forcing(tiny_lm):
    target = CausalLMTarget(PROMPT, tiny_lm, target=" Yes, pull it.")
    masks = np.array(list(itertools.product([0, 1], repeat=target.n_players)), dtype=bool)
    masks = masks[[0, 5, 77, 200, 300, len(masks) - 1]]
    values = target(masks)
    expected = [_brute_logprob(tiny_lm, t, " Yes, pull it.") for t in target.texts(masks)]
    np.testing.assert_allclose(values, expected, rtol=1e-4)


def test_default_target_is_greedy_answer(tiny_lm):
    target = CausalLMTarget(PROMPT, tiny_lm, max_new_tokens=4)
    assert target.target == tiny_lm.generate([PROMPT], 4)[0]
    assert np.isfinite(target(np.ones((1, target.n_players), dtype=bool))[0])


def test_mean_reduction_divides_by_tokens(tiny_lm):
    total = CausalLMTarget(PROMPT, tiny_lm, target=" no way")
    mean = CausalLMTarget(PROMPT, tiny_lm, target=" no way", reduction="mean")
    mask = np.ones((1, total.n_players), dtype=bool)
    n_tokens = len(tiny_lm.encode_continuation(" no way"))
    assert mean(mask)[0] == pytest.approx(total(mask)[0] / n_tokens)


def test_exact_explanation_reproduces_the_model(tiny_lm):
    target = CausalLMTarget("pull the lever", tiny_lm, target=" yes")
    expl = ablatio.explain(target, method="exact")
    masks = np.array(list(itertools.product([0, 1], repeat=3)), dtype=bool)
    np.testing.assert_allclose(expl.predict(masks), target(masks), atol=1e-9)


def test_generation_target_scores_answers(tiny_lm):
    answer = tiny_lm.generate([PROMPT], 3)[0]

    def matches(a):  # a closure over a string has an identity; a lambda would not
        return float(a == answer)

    target = GenerationTarget(PROMPT, tiny_lm, matches, max_new_tokens=3)
    assert target(np.ones((1, target.n_players), dtype=bool))[0] == 1.0
    assert target.fingerprint() != CausalLMTarget(PROMPT, tiny_lm, target="x").fingerprint()


def test_bad_inputs(tiny_lm):
    with pytest.raises(ParameterError, match="nothing to explain"):
        CausalLMTarget("", tiny_lm, target="yes")
    with pytest.raises(ParameterError, match="non-empty continuation"):
        CausalLMTarget(PROMPT, tiny_lm, target="")
    target = CausalLMTarget(PROMPT, tiny_lm, target="lone surrogate \ud800")
    with pytest.raises(ParameterError, match="cannot encode the target"):
        target(np.ones((1, target.n_players), dtype=bool))
    long = CausalLMTarget(" ".join(["word"] * 120), tiny_lm, target=" yes")
    with pytest.raises(ParameterError, match="longer than the model's context of 96"):
        long(np.ones((1, long.n_players), dtype=bool))
    with pytest.raises(ParameterError, match="logprob"):
        CausalLMTarget(PROMPT, object(), target="yes")
    with pytest.raises(ParameterError, match="reduction"):
        CausalLMTarget(PROMPT, tiny_lm, target="yes", reduction="max")


def test_unknown_token_continuation_with_wordpiece(tiny_bert_config, bert_tokenizer):
    import torch
    from transformers import BertConfig, BertLMHeadModel

    from ablatio.backends.local import TorchCausalLM

    torch.manual_seed(0)
    config = BertConfig(**{**tiny_bert_config.to_dict(), "is_decoder": True})
    lm = TorchCausalLM(BertLMHeadModel(config), bert_tokenizer)
    with pytest.raises(ParameterError, match="cannot encode"):
        lm.logprob(["hello"], " \u2603\u2603")


def test_contrast_gives_log_odds(tiny_lm):
    plain = CausalLMTarget(PROMPT, tiny_lm, target=" True")
    other = CausalLMTarget(PROMPT, tiny_lm, target=" False")
    odds = CausalLMTarget(PROMPT, tiny_lm, target=" True", contrast=" False")
    masks = np.array([[1] * 9, [0, 1] * 4 + [1]], dtype=bool)
    np.testing.assert_allclose(odds(masks), plain(masks) - other(masks), rtol=1e-10)
    assert odds.fingerprint() != plain.fingerprint()
    with pytest.raises(ParameterError, match="contrast"):
        CausalLMTarget(PROMPT, tiny_lm, target=" True", contrast="")
