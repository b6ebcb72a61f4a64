from __future__ import annotations

import numpy as np
import pytest

import ablatio
from ablatio.evaluation.counterfactual import counterfactual_check
from ablatio.exceptions import ParameterError
from ablatio.targets.lm import CausalLMTarget
from ablatio.targets.text import ScoreTarget


def _synergy(texts):
    """3 if both 'pull' and 'lever' survive, plus 1 for 'trolley'."""
    out = []
    for t in texts:
        words = t.split()
        out.append(3.0 * ("pull" in words and "lever" in words) + ("trolley" in words))
    return out


def test_removing_the_top_interaction_matches_the_exact_prediction():
    target = ScoreTarget("pull the trolley lever", _synergy)
    expl = ablatio.explain(target, method="exact")
    check = counterfactual_check(expl, target, min_order=2)
    assert check.term == (0, 3)
    assert check.parts == ("pull", "lever")
    assert check.edited_prompt == "the trolley"
    assert check.original_value == 4.0
    assert check.predicted_value == pytest.approx(check.actual_value) == pytest.approx(1.0)
    assert check.answer_changed is None
    assert "pull" in str(check) and check.to_dict()["edit"] == "remove"


def test_replacement_with_synonyms_is_evaluated_on_the_real_target():
    target = ScoreTarget("pull the trolley lever", _synergy)
    expl = ablatio.explain(target, method="exact")
    check = counterfactual_check(expl, target, replacements={0: "yank", 2: "tram"})
    assert check.term == (0, 2)
    assert check.edited_prompt == "yank the tram lever"
    assert check.actual_value == 0.0
    assert check.predicted_value == pytest.approx(0.0)
    assert check.edit == "replace"


def test_language_model_answers_are_reported(tiny_lm):
    target = CausalLMTarget("pull the lever", tiny_lm, max_new_tokens=3)
    expl = ablatio.explain(target, method="exact")
    check = counterfactual_check(expl, target, term=(1,))
    assert check.original_answer == target.target
    assert check.new_answer == tiny_lm.generate(["pull lever"], 3)[0]
    assert check.actual_value == pytest.approx(target(np.array([[1, 0, 1]], dtype=bool))[0])


def test_bad_arguments():
    target = ScoreTarget("pull the lever", _synergy)
    expl = ablatio.explain(target, method="exact")
    with pytest.raises(ParameterError, match="order >= 4"):
        counterfactual_check(expl, target, min_order=4)
    with pytest.raises(ParameterError, match="part indices"):
        counterfactual_check(expl, target, term=(7,))
    with pytest.raises(ParameterError, match="text target"):
        counterfactual_check(expl, lambda m: m.sum(1))
    other = ScoreTarget("pull the trolley lever", _synergy)
    with pytest.raises(ParameterError, match="n=3 parts"):
        counterfactual_check(expl, other)


def test_select_the_term_whose_removal_moves_the_value_most():
    def fn(texts):
        return [
            2.0 * ("a" in t.split()) - 3.0 * ("b" in t.split() and "c" in t.split()) for t in texts
        ]

    target = ScoreTarget("a b c", fn)
    expl = ablatio.explain(target, method="exact")
    assert counterfactual_check(expl, target, select="increase", min_order=2).term == (1, 2)
    down = counterfactual_check(expl, target, select="decrease")
    assert down.term == (0,) and down.actual_value == -3.0
    with pytest.raises(ParameterError, match="select"):
        counterfactual_check(expl, target, select="best")
