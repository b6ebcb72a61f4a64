"""Tests of attention-head ablation on tiny randomly initialised BERT and Llama models."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import ablatio  # noqa: E402
from ablatio.exceptions import ParameterError  # noqa: E402
from ablatio.targets.heads import HeadTarget, find_heads  # noqa: E402

N_HEADS = 4


@pytest.fixture(scope="module")
def bert() -> tuple:
    torch.manual_seed(0)
    config = transformers.BertConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=N_HEADS,
        intermediate_size=64, vocab_size=40, max_position_embeddings=32,
    )  # fmt: skip
    model = transformers.BertModel(config, add_pooling_layer=False).eval()
    ids = torch.randint(1, 40, (3, 7))
    mask = torch.ones_like(ids)
    mask[2, 5:] = 0
    return model, {"input_ids": ids, "attention_mask": mask}


@pytest.fixture(scope="module")
def llama() -> tuple:
    torch.manual_seed(1)
    config = transformers.LlamaConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=N_HEADS, num_key_value_heads=2,
        intermediate_size=64, vocab_size=40,
    )  # fmt: skip
    model = transformers.LlamaForCausalLM(config).eval()
    return model, {"input_ids": torch.randint(1, 40, (3, 6))}


def _last_hidden(outputs, batch):
    return outputs.last_hidden_state[:, 0, :4].sum(dim=-1).double()


def _last_logit(outputs, batch):
    return outputs.logits[:, -1, 3].double()


def _cases(bert, llama):
    return [(bert, _last_hidden), (llama, _last_logit)]


@pytest.mark.parametrize("which", [0, 1])
def test_all_kept_reproduces_the_unhooked_model_exactly(bert, llama, which):
    (model, inputs), score = _cases(bert, llama)[which]
    with torch.no_grad():
        plain = score(model(**inputs), inputs).mean().item()
    target = HeadTarget(model, inputs, score=score, masks_per_forward=1, packed=False)
    assert target.n_players == 2 * N_HEADS
    assert target(np.ones((1, target.n_players), dtype=bool))[0] == plain


@pytest.mark.parametrize("which", [0, 1])
def test_zero_ablation_matches_zeroed_projection_input(bert, llama, which):
    (model, inputs), score = _cases(bert, llama)[which]
    layer = find_heads(model)[1]
    head_dim = layer.head_dim

    def zero_head_2(_, args):
        x = args[0].clone()
        x[..., 2 * head_dim : 3 * head_dim] = 0
        return (x,)

    handle = layer.module.register_forward_pre_hook(zero_head_2)
    with torch.no_grad():
        expected = score(model(**inputs), inputs).mean().item()
    handle.remove()
    target = HeadTarget(model, inputs, score=score)
    mask = np.ones((1, 2 * N_HEADS), dtype=bool)
    mask[0, N_HEADS + 2] = False
    value = target(mask)[0]
    assert value == pytest.approx(expected, abs=1e-6)
    assert abs(value - target(np.ones_like(mask))[0]) > 1e-6  # the ablation changes the output


@pytest.mark.parametrize("ablation", ["zero", "mean"])
def test_batched_masks_equal_one_mask_per_forward(llama, ablation):
    model, inputs = llama
    masks = np.random.default_rng(0).random((11, 2 * N_HEADS)) < 0.5
    one = HeadTarget(model, inputs, score=_last_logit, ablation=ablation, masks_per_forward=1)
    many = HeadTarget(model, inputs, score=_last_logit, ablation=ablation, masks_per_forward=4)
    np.testing.assert_allclose(many(masks), one(masks), atol=1e-5)
    assert len(np.unique(one(masks).round(6))) > 5


@pytest.mark.parametrize("ablation", ["zero", "mean"])
@pytest.mark.parametrize("which", [0, 1])
def test_packed_copy_runs_the_ablation_hooks_and_matches_the_model(bert, llama, which, ablation):
    from ablatio.backends._packed import PackedLinear, can_pack

    (model, inputs), score = _cases(bert, llama)[which]
    masks = np.random.default_rng(3).random((9, 2 * N_HEADS)) < 0.5
    masks[0] = True
    packed = HeadTarget(model, inputs, score=score, ablation=ablation)
    plain = HeadTarget(model, inputs, score=score, ablation=ablation, packed=False)
    values = packed(masks)
    np.testing.assert_allclose(values, plain(masks), rtol=0, atol=1e-5)
    assert np.abs(values[1:] - values[0]).min() > 1e-6  # every ablation changed the output
    assert plain._scoring_model() is model
    if can_pack(model):
        assert any(isinstance(m, PackedLinear) for m in packed._scoring_model().modules())
    assert not any(isinstance(m, PackedLinear) for m in model.modules())
    assert packed.fingerprint() == plain.fingerprint()


def test_mean_ablation_with_reference_equal_to_constant_input_is_identity(bert):
    model, inputs = bert
    single = {k: v[:1, :5] for k, v in inputs.items()}
    # a one-token reference: the mean is exactly that token's head outputs
    ref = {k: v[:1, :1] for k, v in single.items()}
    zero = HeadTarget(model, ref, score=_last_hidden)
    mean = HeadTarget(model, ref, score=_last_hidden, ablation="mean", reference=ref)
    off = np.zeros((1, 2 * N_HEADS), dtype=bool)
    assert mean(off)[0] == pytest.approx(mean(~off)[0], abs=1e-6)
    assert zero(off)[0] != pytest.approx(zero(~off)[0], abs=1e-6)


def test_layers_select_parts_and_explain_runs(llama):
    model, inputs = llama
    target = HeadTarget(model, inputs, score=_last_logit, layers=[1])
    assert target.player_names == tuple(f"L1.H{h}" for h in range(N_HEADS))
    expl = ablatio.explain(target, method="exact")
    full = target(np.ones((1, N_HEADS), dtype=bool))
    np.testing.assert_allclose(expl.predict(np.ones((1, N_HEADS), dtype=bool)), full)


def test_model_without_attention_modules_names_what_was_looked_for():
    model = torch.nn.Sequential(torch.nn.Linear(3, 3))
    with pytest.raises(ParameterError, match=r"attention\.output\.dense.*self_attn\.o_proj"):
        HeadTarget(model, {"input": torch.zeros(1, 3)}, score=lambda o, b: o.sum(dim=1))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"ablation": "noise"}, "ablation == 'noise'"), ({"layers": [5]}, "layers == \\[5\\]")],
)
def test_bad_parameters(llama, kwargs, match):
    model, inputs = llama
    with pytest.raises(ParameterError, match=match):
        HeadTarget(model, inputs, score=_last_logit, **kwargs)


def test_fingerprint_is_stable_and_sensitive(llama):
    model, inputs = llama
    a = HeadTarget(model, inputs, score=_last_logit).fingerprint()
    assert a == HeadTarget(model, inputs, score=_last_logit).fingerprint()
    assert a != HeadTarget(model, inputs, score=_last_logit, ablation="mean").fingerprint()


def test_custom_forward_with_mean_ablation_needs_a_reference(llama):
    model, inputs = llama
    plain = HeadTarget(model, inputs, score=_last_logit, ablation="mean")
    staged = HeadTarget(
        model,
        inputs,
        score=_last_logit,
        ablation="mean",
        reference=inputs,
        forward=lambda m, batch: m(**batch),
    )
    masks = np.random.default_rng(1).random((4, 2 * N_HEADS)) < 0.5
    np.testing.assert_allclose(staged(masks), plain(masks), atol=1e-12)
    assert staged.row_scores(masks).shape == (4, 3)
    with pytest.raises(ParameterError, match="reference="):
        HeadTarget(model, inputs, score=_last_logit, ablation="mean", forward=lambda m, b: m(**b))
