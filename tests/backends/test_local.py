from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ablatio.backends.local import TorchCausalLM, model_fingerprint  # noqa: E402
from ablatio.exceptions import ParameterError  # noqa: E402

PROMPTS = ["a", "pull the lever now please", "is it", "the trolley problem, again?", "x y"]


def test_greedy_generation_matches_transformers_generate(tiny_llama, smol_tokenizer):
    lm = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=2)
    answers = lm.generate(PROMPTS, 5)
    for prompt, answer in zip(PROMPTS, answers, strict=True):
        ids = torch.tensor([lm._encode_prompt(prompt)])
        out = tiny_llama.generate(
            ids, attention_mask=torch.ones_like(ids), max_new_tokens=5, do_sample=False
        )
        assert (
            answer
            == smol_tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True).strip()
        )


@pytest.mark.parametrize("batch_size", [1, 2, 5])
def test_logprob_does_not_depend_on_batching_or_threads(tiny_llama, smol_tokenizer, batch_size):
    ref = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=1).logprob(PROMPTS, " Yes.")
    lm = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=batch_size, threads=1)
    before = torch.get_num_threads()
    np.testing.assert_allclose(lm.logprob(PROMPTS, " Yes."), ref, rtol=1e-5)
    assert torch.get_num_threads() == before


def test_chat_template_wraps_only_the_user_text(tiny_llama, smol_tokenizer):
    lm = TorchCausalLM(tiny_llama, smol_tokenizer, system="Be brief.")
    rendered = lm.render("pull the lever")
    assert "Be brief." in rendered and "pull the lever" in rendered
    assert rendered.endswith("<|im_start|>assistant\n")
    assert TorchCausalLM(tiny_llama, smol_tokenizer, chat=False).render("hi") == "hi"
    assert lm.fingerprint() != TorchCausalLM(tiny_llama, smol_tokenizer).fingerprint()


def test_fingerprint_tells_random_models_apart(tiny_llama, tiny_bert_config):
    from transformers import BertModel

    torch.manual_seed(3)
    a, b = BertModel(tiny_bert_config), BertModel(tiny_bert_config)
    assert model_fingerprint(a) != model_fingerprint(b)
    assert model_fingerprint(tiny_llama) == model_fingerprint(tiny_llama)


def test_bad_settings(tiny_llama, smol_tokenizer):
    with pytest.raises(ParameterError, match="batch_size"):
        TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=0)
    with pytest.raises(ParameterError, match="threads"):
        TorchCausalLM(tiny_llama, smol_tokenizer, threads=0)
    lm = TorchCausalLM(tiny_llama, smol_tokenizer)
    with pytest.raises(ParameterError, match="max_new_tokens"):
        lm.generate(["a"], 0)
    with pytest.raises(ParameterError, match="continuation is empty"):
        lm.logprob(["a"], "")


def test_logprob_many_single_and_multi_token(tiny_llama, smol_tokenizer):
    lm = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=2)
    for conts in (["True", "False"], [" yes sir", "No"]):
        many = lm.logprob_many(PROMPTS, conts)
        expected = np.stack([lm.logprob(PROMPTS, c) for c in conts], axis=1)
        np.testing.assert_allclose(many, expected, rtol=1e-5)


class _NewApiModel:
    """Forward signature of transformers >= 5.24 (``cache`` in and out)."""

    def forward(self, input_ids=None, attention_mask=None, cache=None, use_cache=None):
        raise NotImplementedError


class _OldApiModel:
    """Forward signature of earlier releases (``past_key_values``)."""

    def forward(self, input_ids=None, attention_mask=None, past_key_values=None, use_cache=None):
        raise NotImplementedError


class _Out:
    cache = "new-style cache"
    past_key_values = "old-style cache"


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (_NewApiModel(), {"cache": "new-style cache"}),
        (_OldApiModel(), {"past_key_values": "old-style cache"}),
    ],
)
def test_key_value_cache_is_passed_under_the_name_the_model_takes(model, expected):
    from ablatio.backends.local import _reuse_cache

    assert _reuse_cache(model, _Out()) == expected


def test_generation_raises_no_deprecation_on_this_transformers(tiny_llama, smol_tokenizer):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", DeprecationWarning)
        TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=2).generate(PROMPTS[:2], 3)


@pytest.mark.parametrize("batch_size", [1, 3])
def test_prefix_reuse_gives_the_same_values_with_fewer_tokens(
    tiny_llama, smol_tokenizer, batch_size
):
    prompts = ["the trolley problem, " + p for p in PROMPTS]  # a long common start
    fed = []
    hook = tiny_llama.get_input_embeddings().register_forward_hook(
        lambda _m, args, _o: fed.append(args[0].numel())
    )
    try:
        plain = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=batch_size, reuse_prefix=False)
        reuse = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=batch_size)
        expected = plain.logprob(prompts, " Yes.")
        n_plain, fed[:] = sum(fed), []
        np.testing.assert_allclose(reuse.logprob(prompts, " Yes."), expected, rtol=1e-5)
        assert sum(fed) < n_plain  # the shared prefix ran once
        both = reuse.logprob_many(prompts, ["Yes", "No"])
        np.testing.assert_allclose(both, plain.logprob_many(prompts, ["Yes", "No"]), rtol=1e-5)
    finally:
        hook.remove()
    assert reuse._common_prefix([[1, 2, 3], [1, 2, 4]], keep=1) == 0  # below min_prefix
    assert (
        TorchCausalLM(tiny_llama, smol_tokenizer, min_prefix=2)._common_prefix(
            [[1, 2, 3, 5], [1, 2, 4]], keep=1
        )
        == 2
    )
    with pytest.raises(ParameterError, match="min_prefix"):
        TorchCausalLM(tiny_llama, smol_tokenizer, min_prefix=0)
