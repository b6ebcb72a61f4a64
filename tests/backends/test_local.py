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


LONG = ["a", "pull the lever now please, then wait and see", "is it", "x y z w", "the trolley"]


def test_packed_scoring_equals_the_plain_model_and_leaves_it_unchanged(tiny_llama, smol_tokenizer):
    from ablatio.backends._packed import PackedLinear, can_pack

    if not can_pack(tiny_llama):
        pytest.skip("this torch build has no oneDNN packed linear kernel")
    before = {k: v.clone() for k, v in tiny_llama.state_dict().items()}
    plain = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=1, packed=False)
    packed = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=2)
    expected = plain.logprob(LONG, " Yes.")
    np.testing.assert_allclose(packed.logprob(LONG, " Yes."), expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(
        packed.logprob_many(LONG, ["Yes", "No"]),
        plain.logprob_many(LONG, ["Yes", "No"]),
        rtol=0,
        atol=1e-5,
    )
    scorer = packed._scoring_model()
    assert any(isinstance(m, PackedLinear) for m in scorer.modules())
    assert not any(isinstance(m, PackedLinear) for m in tiny_llama.modules())
    after = tiny_llama.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert packed.fingerprint() == plain.fingerprint()  # same values, same cache key


def test_scoring_copies_attend_through_sdpa_and_leave_the_model_eager(
    tiny_llama, smol_tokenizer, monkeypatch
):
    """Loaded eager (for audits), scored with fused attention: same values, model untouched."""
    calls = []
    fused = torch.nn.functional.scaled_dot_product_attention

    def spy(*args, **kwargs):
        calls.append(args[0].shape)
        return fused(*args, **kwargs)

    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", spy)
    plain = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=2, packed=False)
    expected = plain.logprob(LONG, " Yes.")
    assert not calls  # the model as loaded: eager
    for lm in (
        TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=2),
        TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=2, dtype="bfloat16"),
    ):
        values = lm.logprob(LONG, " Yes.")
        assert len(calls) >= tiny_llama.config.num_hidden_layers
        calls.clear()
        atol = 1e-5 if lm.dtype == "float32" else 0.5
        np.testing.assert_allclose(values, expected, rtol=0, atol=atol)
        assert lm._scoring_model().config._attn_implementation == "sdpa"
    assert tiny_llama.config._attn_implementation == "eager"
    np.testing.assert_array_equal(plain.logprob(LONG, " Yes."), expected)
    assert not calls


def test_weights_changed_in_place_are_scored_and_keyed_anew(tiny_llama, smol_tokenizer):
    """An optimiser step after the first call: the packed copy must not score old weights."""
    import copy

    model = copy.deepcopy(tiny_llama)
    lm = TorchCausalLM(model, smol_tokenizer, batch_size=2)
    before, key = lm.logprob(LONG, " Yes."), lm.fingerprint()
    with torch.no_grad():
        for layer in model.model.layers:
            layer.mlp.down_proj.weight.mul_(3.0)
    expected = TorchCausalLM(model, smol_tokenizer, packed=False).logprob(LONG, " Yes.")
    assert np.max(np.abs(expected - before)) > 1e-3  # the change matters
    np.testing.assert_allclose(lm.logprob(LONG, " Yes."), expected, rtol=0, atol=1e-5)
    assert lm.fingerprint() != key


def test_hooks_on_the_users_model_also_run_when_packed(tiny_llama, smol_tokenizer):
    """A head ablated by a pre-hook on o_proj (as HeadTarget does) changes packed values too."""
    packed = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=2)
    plain = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=2, packed=False)
    clean = packed.logprob(LONG, " Yes.")  # builds the packed copy before the hook exists

    def zero_head(_module, args):
        x = args[0].clone()
        x[..., :8] = 0.0
        return (x,)

    handle = tiny_llama.model.layers[0].self_attn.o_proj.register_forward_pre_hook(zero_head)
    try:
        hooked = packed.logprob(LONG, " Yes.")
        np.testing.assert_allclose(hooked, plain.logprob(LONG, " Yes."), rtol=0, atol=1e-5)
    finally:
        handle.remove()
    assert np.max(np.abs(hooked - clean)) > 1e-3
    np.testing.assert_allclose(packed.logprob(LONG, " Yes."), clean, rtol=0, atol=1e-6)


def _scored_with_input_shapes(lm, model):
    """``lm.logprob(LONG, " Yes.")`` and the (rows, tokens) shape of every forward pass."""
    widths = []
    hook = model.get_input_embeddings().register_forward_hook(
        lambda _m, args, _o: widths.append(tuple(args[0].shape))
    )
    try:
        values = lm.logprob(LONG, " Yes.")
    finally:
        hook.remove()
    return values, widths


def test_batches_are_formed_by_length(tiny_llama, smol_tokenizer):
    lm = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=2, reuse_prefix=False)
    lengths = [len(lm._encode_prompt(p)) + 2 for p in LONG]  # + the two-token " Yes."
    values, widths = _scored_with_input_shapes(lm, tiny_llama)
    ordered = sorted(lengths)
    assert widths == [(2, ordered[1]), (2, ordered[3]), (1, ordered[4])]
    single = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=1).logprob(LONG, " Yes.")
    np.testing.assert_allclose(values, single, rtol=0, atol=1e-5)  # back in input order


def test_long_prompts_go_in_smaller_batches(tiny_llama, smol_tokenizer):
    """At most ``max_batch_tokens`` tokens (rows × the longest) per pass, same values."""
    lm = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=4, reuse_prefix=False)
    lengths = sorted(len(lm._encode_prompt(p)) + 2 for p in LONG)  # + the two-token " Yes."
    lm.max_batch_tokens = 2 * lengths[3]  # two of the longer rows, one or two of the rest
    values, widths = _scored_with_input_shapes(lm, tiny_llama)
    assert all(rows * width <= lm.max_batch_tokens or rows == 1 for rows, width in widths)
    assert sum(rows for rows, _ in widths) == len(LONG) and len(widths) > 2  # not 4 + 1
    unlimited = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=4, max_batch_tokens=None)
    np.testing.assert_allclose(values, unlimited.logprob(LONG, " Yes."), rtol=0, atol=1e-5)
    with pytest.raises(ParameterError, match="max_batch_tokens"):
        TorchCausalLM(tiny_llama, smol_tokenizer, max_batch_tokens=0)


def test_bfloat16_scoring_is_close_but_keyed_apart(tiny_llama, smol_tokenizer):
    fp32 = TorchCausalLM(tiny_llama, smol_tokenizer)
    bf16 = TorchCausalLM(tiny_llama, smol_tokenizer, dtype="bfloat16")
    cast = TorchCausalLM(tiny_llama, smol_tokenizer, dtype="bfloat16", packed=False)
    exact = fp32.logprob(LONG, " Yes.")
    np.testing.assert_allclose(bf16.logprob(LONG, " Yes."), exact, atol=0.5)
    np.testing.assert_allclose(cast.logprob(LONG, " Yes."), exact, atol=0.5)
    assert next(tiny_llama.parameters()).dtype == torch.float32  # the user's model is untouched
    if bf16._scoring_model.packs_bfloat16():  # bfloat16 linear layers: a third variant
        assert len({fp32.fingerprint(), bf16.fingerprint(), cast.fingerprint()}) == 3
    else:  # oneDNN without bfloat16: both run the same cast, so they share one key
        assert bf16.fingerprint() == cast.fingerprint() != fp32.fingerprint()
        np.testing.assert_array_equal(bf16.logprob(LONG, " Yes."), cast.logprob(LONG, " Yes."))
    assert bf16.generate(PROMPTS[:2], 3) is not None
    with pytest.raises(ParameterError, match="dtype"):
        TorchCausalLM(tiny_llama, smol_tokenizer, dtype="float16")
    switched = TorchCausalLM(tiny_llama, smol_tokenizer)
    switched.fingerprint()
    switched.dtype = "bfloat16"  # after the key was computed: key and values switch together
    assert switched.fingerprint() == bf16.fingerprint()
    np.testing.assert_array_equal(switched.logprob(LONG, " Yes."), bf16.logprob(LONG, " Yes."))
    switched.packed = False
    assert switched.fingerprint() == cast.fingerprint()
    with pytest.raises(ParameterError, match="dtype"):
        switched.dtype = "float16"


def test_without_bfloat16_kernels_both_variants_run_one_cast_under_one_key(
    tiny_llama, smol_tokenizer, monkeypatch
):
    from ablatio.backends import _packed

    fp32_only = _packed.can_pack

    def can_pack(model, dtype=torch.float32):  # oneDNN without bfloat16 (some CI machines)
        return dtype == torch.float32 and fp32_only(model)

    monkeypatch.setattr(_packed, "can_pack", can_pack)
    fp32 = TorchCausalLM(tiny_llama, smol_tokenizer)
    bf16 = TorchCausalLM(tiny_llama, smol_tokenizer, dtype="bfloat16")
    cast = TorchCausalLM(tiny_llama, smol_tokenizer, dtype="bfloat16", packed=False)
    assert not bf16._scoring_model.packs_bfloat16()
    assert bf16.fingerprint() == cast.fingerprint() != fp32.fingerprint()
    values = bf16.logprob(LONG, " Yes.")
    np.testing.assert_array_equal(values, cast.logprob(LONG, " Yes."))
    np.testing.assert_allclose(values, fp32.logprob(LONG, " Yes."), atol=0.5)
    assert not np.array_equal(values, fp32.logprob(LONG, " Yes."))


@pytest.mark.skipif(
    not torch.ops.mkldnn._is_mkldnn_bf16_supported(), reason="oneDNN without bfloat16"
)
def test_bfloat16_linear_layers_keep_the_rest_in_fp32(tiny_llama, smol_tokenizer):
    from ablatio.backends._packed import PackedLinear

    bf16 = TorchCausalLM(tiny_llama, smol_tokenizer, dtype="bfloat16")
    scorer = bf16._scoring_model()
    linears = [m for m in scorer.modules() if isinstance(m, PackedLinear)]
    assert linears and all(m.dtype == torch.bfloat16 for m in linears)
    assert all(p.dtype == torch.float32 for p in scorer.parameters())  # norms, embeddings
    layer = linears[0]
    x = torch.randn(3, layer.in_features, generator=torch.Generator().manual_seed(0))
    rounded = x.bfloat16().float() @ layer.weight.detach().bfloat16().float().T
    with torch.inference_mode():
        y = layer(x)
    assert layer.bias is None and y.dtype == torch.float32
    assert torch.equal(y, y.bfloat16().float())  # bfloat16 products, returned as fp32
    torch.testing.assert_close(y, rounded, rtol=2**-7, atol=1e-6)
    exact = TorchCausalLM(tiny_llama, smol_tokenizer).logprob(LONG, " Yes.")
    cast = TorchCausalLM(tiny_llama, smol_tokenizer, dtype="bfloat16", packed=False)
    mixed_error = np.abs(bf16.logprob(LONG, " Yes.") - exact).max()
    assert mixed_error < np.abs(cast.logprob(LONG, " Yes.") - exact).max()


@pytest.mark.slow
def test_packed_smollm2_equals_the_plain_model_within_1e_4():
    from ablatio.models import load_smollm2

    lm = load_smollm2(batch_size=2, threads=1)
    plain = load_smollm2(batch_size=1, threads=1, packed=False)
    prompts = [
        "A runaway trolley is heading towards five people. Should you pull the lever?",
        "Should you pull the lever?",
        "A runaway trolley. Pull the lever?",
    ]
    np.testing.assert_allclose(
        lm.logprob_many(prompts, ["Yes", "No"]),
        plain.logprob_many(prompts, ["Yes", "No"]),
        rtol=0,
        atol=1e-4,
    )


@pytest.mark.slow
def test_bfloat16_smollm2_stays_close_to_fp32_and_its_linear_variant_beats_the_cast():
    from ablatio.models import load_smollm2

    prompts = [
        "A runaway trolley is heading towards five people. Should you pull the lever?",
        "Should you pull the lever?",
        "A runaway trolley. Pull the lever?",
    ]
    exact = load_smollm2(threads=1).logprob_many(prompts, ["Yes", "No"])
    linear = load_smollm2(threads=1, dtype="bfloat16")
    cast = load_smollm2(threads=1, dtype="bfloat16", packed=False)
    linear_error = np.abs(linear.logprob_many(prompts, ["Yes", "No"]) - exact)
    if linear._scoring_model.packs_bfloat16():
        assert linear_error.max() < 0.1
        # on average: one of six values can go either way (a CPU with native bfloat16
        # instructions: the linear variant 0.083 vs the cast 0.077 at worst, 0.030 vs 0.049
        # on average)
        cast_error = np.abs(cast.logprob_many(prompts, ["Yes", "No"]) - exact)
        assert linear_error.mean() < cast_error.mean()
    else:  # oneDNN without bfloat16 falls back to the whole-model cast (docs: ≤ 0.18 nats)
        assert linear.fingerprint() == cast.fingerprint()
        assert linear_error.max() < 0.25


def test_logprob_many_reads_answers_differing_in_the_last_token_from_one_pass(
    tiny_llama, smol_tokenizer
):
    lm = TorchCausalLM(tiny_llama, smol_tokenizer, batch_size=5, reuse_prefix=False)
    conts = ["The answer is Yes", "The answer is No", "The answer is Maybe"]
    ids = [lm.encode_continuation(c) for c in conts]
    assert len({len(i) for i in ids}) == 1 and len({tuple(i[:-1]) for i in ids}) == 1
    passes = []
    hook = tiny_llama.get_input_embeddings().register_forward_hook(
        lambda _m, args, _o: passes.append(args[0].shape[0])
    )
    try:
        many = lm.logprob_many(PROMPTS, conts)
    finally:
        hook.remove()
    assert passes == [len(PROMPTS)]  # one forward pass for all three continuations
    expected = np.stack([lm.logprob(PROMPTS, c) for c in conts], axis=1)
    np.testing.assert_allclose(many, expected, rtol=0, atol=1e-5)


def test_a_change_anywhere_in_a_tensor_changes_the_fingerprint(tiny_llama):
    """A pruned head far from each tensor's first values (which the hash used to sample)."""
    import copy

    model = copy.deepcopy(tiny_llama)
    before = model_fingerprint(model)
    assert model_fingerprint(model) == before  # memoised, unchanged
    with torch.no_grad():
        model.model.layers[-1].self_attn.o_proj.weight[:, -8:] = 0.0
    assert model_fingerprint(model) != before


def test_a_game_forgets_or_refuses_values_of_weights_changed_in_place(
    tiny_llama, smol_tokenizer, tmp_path
):
    import copy

    from ablatio import Game
    from ablatio.exceptions import GameIdentityError
    from ablatio.targets.lm import CausalLMTarget

    model = copy.deepcopy(tiny_llama)
    lm = TorchCausalLM(model, smol_tokenizer, batch_size=2)
    target = CausalLMTarget("the cat sat on the mat", lm, target=" Yes.")
    game, cached = Game(target), Game(target, cache=tmp_path / "c.sqlite")
    mask = np.ones((1, target.n_players), dtype=bool)
    before = game(mask)
    cached(mask)
    with torch.no_grad():
        model.model.layers[0].mlp.down_proj.weight.mul_(3.0)
    fresh = Game(target)(mask)
    assert abs(fresh[0] - before[0]) > 1e-4  # the change matters
    np.testing.assert_allclose(game(mask), fresh, rtol=0, atol=1e-6)  # not the memo's value
    with pytest.raises(GameIdentityError, match="changed since this Game opened its cache"):
        cached(mask)
