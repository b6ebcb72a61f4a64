from __future__ import annotations

import numpy as np
import pytest

from ablatio.exceptions import ParameterError
from ablatio.targets.segment import Masker, segment


def test_words_keep_punctuation_and_names_are_unique():
    seg = segment("The cat. The cat!", "words")
    assert seg.parts == ("The", "cat.", "The", "cat!")
    assert len(set(seg.names)) == 4


def test_keys_fold_case_and_surrounding_punctuation():
    parts = segment('Good! good, "GOOD"... not-good ... !', "words")
    assert parts.keys == ("good", "good", "good", "not-good", "...", "!")


def test_sentences():
    seg = segment('One here. Two "quoted!" Three? four', "sentences")
    assert seg.parts == ("One here.", 'Two "quoted!"', "Three?", "four")


def test_user_spans_and_strings():
    text = "pull the lever now"
    assert segment(text, ["pull", "lever"]).spans == ((0, 4), (9, 14))
    assert segment(text, [(0, 4), (5, 8)]).parts == ("pull", "the")
    with pytest.raises(ParameterError, match="not found"):
        segment(text, ["lever", "pull"])
    with pytest.raises(ParameterError, match="non-overlapping"):
        segment(text, [(0, 6), (5, 8)])


def test_token_units_cover_the_text(smol_tokenizer):
    text = "Is the trolley problem hard?"
    seg = segment(text, "tokens", tokenizer=smol_tokenizer)
    ids = smol_tokenizer(text, add_special_tokens=False)["input_ids"]
    assert seg.n_parts == len(ids)
    assert "".join(text[a:b] for a, b in seg.spans).replace(" ", "") == text.replace(" ", "")
    with pytest.raises(ParameterError, match="fast"):
        segment(text, "tokens")


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_text_is_refused(text):
    with pytest.raises(ParameterError, match="nothing to explain"):
        segment(text)


def test_delete_masking_removes_part_and_its_gap():
    masker = Masker(segment("  a bb, ccc  ", "words"))
    masks = np.array([[1, 1, 1], [0, 1, 1], [1, 0, 1], [1, 1, 0], [0, 0, 0]], dtype=bool)
    assert masker.texts(masks) == ["  a bb, ccc  ", "  bb, ccc  ", "  a ccc  ", "  a bb,  ", "  "]


def test_token_and_baseline_masking(bert_tokenizer):
    seg = segment("good not bad", "words")
    token = Masker(seg, "token", tokenizer=bert_tokenizer)
    assert token.texts(np.array([[1, 0, 1]], dtype=bool)) == ["good [MASK] bad"]
    base = Masker(seg, "baseline", baseline=["fine", "", "awful"])
    assert base.texts(np.array([[0, 1, 0]], dtype=bool)) == ["fine not awful"]
    with pytest.raises(ParameterError, match="one per part"):
        Masker(seg, "baseline", baseline=["x"])
    with pytest.raises(ParameterError, match="baseline="):
        Masker(seg, "baseline")
    with pytest.raises(ParameterError, match="masking"):
        Masker(seg, "zero")
    with pytest.raises(ParameterError, match="mask, unk or pad"):
        Masker(seg, "token", tokenizer=object())


def test_delete_keeps_text_between_sparse_user_spans():
    seg = segment("A runaway trolley is heading to five people.", ["trolley", "five people"])
    masker = Masker(seg)
    masks = np.array([[0, 1], [1, 0], [0, 0]], dtype=bool)
    assert masker.texts(masks) == [
        "A runaway is heading to five people.",
        "A runaway trolley is heading to.",
        "A runaway is heading to.",
    ]


def test_levels_group_words_by_sentence():
    from ablatio.targets.segment import segment_levels

    text = "Not good. The actors were brilliant! Fine"
    coarse, fine, groups = segment_levels(text, ("sentences", "words"))
    assert coarse.parts == ("Not good.", "The actors were brilliant!", "Fine")
    assert fine.parts == ("Not", "good.", "The", "actors", "were", "brilliant!", "Fine")
    assert groups == ((0, 1), (2, 3, 4, 5), (6,))
    for bad in (("words",), ("sentences", "lines"), "sentences,words"):
        with pytest.raises(ParameterError, match="levels"):
            segment_levels(text, bad)
