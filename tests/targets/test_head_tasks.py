"""Tests of the multiple-choice and similarity head tasks against direct computation."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from ablatio.exceptions import ParameterError  # noqa: E402
from ablatio.targets.head_tasks import (  # noqa: E402
    load_mcq,
    multiple_choice_target,
    question_values,
    similarity_target,
)

VOCAB = 50


class CharTokenizer:
    """One token per character (ids 1..VOCAB-1); 0 pads."""

    pad_token_id = 0

    def __call__(self, text, add_special_tokens=True, padding=False, return_tensors=None):
        if isinstance(text, str):
            return {"input_ids": [1 + ord(c) % (VOCAB - 1) for c in text]}
        rows = [self(t)["input_ids"] for t in text]
        width = max(map(len, rows))
        ids = torch.tensor([r + [0] * (width - len(r)) for r in rows])
        return {"input_ids": ids, "attention_mask": (ids != 0).long()}


@pytest.fixture(scope="module")
def llama():
    torch.manual_seed(2)
    config = transformers.LlamaConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        intermediate_size=64, vocab_size=VOCAB,
    )  # fmt: skip
    return transformers.LlamaForCausalLM(config).eval()


QUESTIONS = [
    {"question": "2+2?", "options": ["4", "five"], "answer": 0},
    {"question": "Sky color, please?", "options": ["blue sky", "red"], "answer": 1},
]


def _option_score(model, prompt, option):
    tok = CharTokenizer()
    p, o = tok(prompt)["input_ids"], tok(" " + option)["input_ids"]
    ids = torch.tensor([p + o])
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=ids).logits[0].double(), dim=-1)
    return np.mean([logp[len(p) - 1 + j, t].item() for j, t in enumerate(o)])


def test_multiple_choice_value_matches_unpadded_scoring(llama):
    target = multiple_choice_target(llama, CharTokenizer(), QUESTIONS)
    expected, correct = [], []
    for q in QUESTIONS:
        prompt = f"Question: {q['question']}\nAnswer:"
        s = np.array([_option_score(llama, prompt, o) for o in q["options"]])
        expected.append(s[q["answer"]] - np.log(np.exp(s).sum()))
        correct.append(np.argmax(s) == q["answer"])
    full = np.ones((1, target.n_players), dtype=bool)
    assert target(full)[0] == pytest.approx(np.mean(expected), abs=1e-5)
    accuracy = multiple_choice_target(llama, CharTokenizer(), QUESTIONS, metric="accuracy")
    assert accuracy(full)[0] == np.mean(correct)
    assert target(~full)[0] != pytest.approx(target(full)[0], abs=1e-6)


def test_multiple_choice_rejects_ragged_options(llama):
    ragged = [*QUESTIONS, {"question": "x", "options": ["a", "b", "c"], "answer": 0}]
    with pytest.raises(ParameterError, match="options"):
        multiple_choice_target(llama, CharTokenizer(), ragged)
    with pytest.raises(ParameterError, match="metric == 'f1'"):
        multiple_choice_target(llama, CharTokenizer(), QUESTIONS, metric="f1")


def test_similarity_is_mean_pair_cosine():
    torch.manual_seed(3)
    config = transformers.BertConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        vocab_size=VOCAB, max_position_embeddings=64,
    )  # fmt: skip
    model = transformers.BertModel(config, add_pooling_layer=False).eval()
    pairs = [("a cat", "one cat sat"), ("rain today", "wet weather")]
    target = similarity_target(model, CharTokenizer(), pairs)
    tok = CharTokenizer()

    def embed(text):
        with torch.no_grad():
            return model(input_ids=torch.tensor([tok(text)["input_ids"]])).last_hidden_state[0]

    cos = [torch.cosine_similarity(embed(a).mean(0), embed(b).mean(0), dim=0) for a, b in pairs]
    full = np.ones((1, 8), dtype=bool)
    assert target(full)[0] == pytest.approx(float(np.mean(cos)), abs=1e-5)
    contrast = similarity_target(model, CharTokenizer(), pairs, contrastive=True)
    (a0, b0), (a1, b1) = pairs
    wrong = [torch.cosine_similarity(embed(a).mean(0), embed(b).mean(0), dim=0)
             for a, b in [(a0, b1), (a1, b0)]]  # fmt: skip
    expected = float(np.mean(cos) - np.mean(wrong))
    assert contrast(full)[0] == pytest.approx(expected, abs=1e-5)


def test_shipped_questions_are_well_formed():
    questions = load_mcq()
    assert len(questions) == 100
    assert len({q["question"] for q in questions}) == 100
    assert all(len(q["options"]) == 3 and q["answer"] in (0, 1, 2) for q in questions)


class OneTokenOptions(CharTokenizer):
    """Options (texts starting with a space) are one token each; prompts one per character."""

    def __call__(self, text, add_special_tokens=True, **kwargs):
        if isinstance(text, str) and text.startswith(" "):
            return {"input_ids": [1 + len(text) % (VOCAB - 1)]}
        return super().__call__(text, add_special_tokens, **kwargs)


@pytest.mark.parametrize("tokenizer", [CharTokenizer(), OneTokenOptions()])
@pytest.mark.parametrize("ablation", ["zero", "mean"])
@pytest.mark.parametrize("metric", ["logprob", "logodds", "accuracy"])
def test_shared_prompt_equals_one_sequence_per_option(llama, tokenizer, ablation, metric):
    common = {"metric": metric, "ablation": ablation, "masks_per_forward": 3}
    shared = multiple_choice_target(llama, tokenizer, QUESTIONS * 2, **common)
    plain = multiple_choice_target(llama, tokenizer, QUESTIONS * 2, share_prompt=False, **common)
    assert shared.forward is not None and plain.forward is None
    masks = np.random.default_rng(3).random((7, shared.n_players)) < 0.5
    masks[0] = True
    np.testing.assert_allclose(shared(masks), plain(masks), atol=1e-6)
    if metric != "accuracy":
        assert len(np.unique(shared(masks).round(6))) > 3  # the masks change the value
    assert shared.fingerprint() != plain.fingerprint()


def test_logodds_and_question_values(llama):
    tok = CharTokenizer()
    logprob = multiple_choice_target(llama, tok, QUESTIONS)
    logodds = multiple_choice_target(llama, tok, QUESTIONS, metric="logodds")
    masks = np.random.default_rng(4).random((5, logprob.n_players)) < 0.5
    per_q = question_values(logprob, masks)
    assert per_q.shape == (5, len(QUESTIONS))
    np.testing.assert_allclose(per_q.mean(axis=1), logprob(masks), atol=1e-12)
    # two options: log-odds = log p - log(1 - p)
    p = np.exp(per_q)
    np.testing.assert_allclose(question_values(logodds, masks), np.log(p / (1 - p)), atol=1e-9)
    scores = logprob.row_scores(masks)
    again = question_values(logprob, masks, "logodds", scores=scores)
    np.testing.assert_allclose(again, question_values(logodds, masks), atol=1e-12)
    accuracy = multiple_choice_target(llama, tok, QUESTIONS, metric="accuracy")
    np.testing.assert_array_equal(
        question_values(logprob, masks, "accuracy").mean(1), accuracy(masks)
    )
    with pytest.raises(ParameterError, match="metric == 'f1'"):
        question_values(logprob, masks, "f1")
    with pytest.raises(ParameterError, match="multiple_choice_target"):
        question_values(similarity_target_for_error(), masks)


def similarity_target_for_error():
    torch.manual_seed(0)
    config = transformers.BertConfig(
        hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
        vocab_size=VOCAB,
    )  # fmt: skip
    bert = transformers.BertModel(config, add_pooling_layer=False).eval()
    return similarity_target(bert, CharTokenizer(), [("ab", "ba"), ("cd", "dc")])
