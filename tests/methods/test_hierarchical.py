from __future__ import annotations

import pytest

import ablatio
from ablatio import Game, Interactions
from ablatio.exceptions import ParameterError
from ablatio.methods.hierarchical import Hierarchical, _in_sequence

#: 40 segments of 25 parts: a 1000-part "document".
GROUPS = [list(range(s * 25, (s + 1) * 25)) for s in range(40)]
PLANTED = Interactions([(), (5, 6), (130,), (5, 131)], [0.5, 2.0, 1.5, -1.0], n_players=1000)


@pytest.mark.slow
def test_refines_the_influential_segments_and_recovers_word_terms():
    """Two of 40 segments matter; the coarse stage finds them, the fine stage resolves their
    words, and the result over the 1000 parts is the planted function."""
    game = Game(PLANTED.predict, n=1000)
    est = Hierarchical(method="proxyspex", groups=GROUPS, budget=1000, random_state=0)
    est.fit(game)
    assert sorted(est.refined_) == [0, 5]
    assert len(est.players_) == 50 + 38
    assert est.n_queries_ <= 1000
    assert est.interactions_.allclose(PLANTED, atol=1e-6)
    assert ablatio.faithfulness(est, game, random_state=1) > 0.999


def test_unrefined_segments_enter_as_the_and_of_their_parts():
    groups = [[0, 1], [2, 3], [4, 5]]
    game = Game(lambda m: 3.0 * m[:, 0] + m[:, 2:4].all(axis=1), n=6)
    est = Hierarchical(method="exact", groups=groups, budget=200, coverage=0.5).fit(game)
    assert est.refined_ == [0]
    assert est.interactions_[(0,)] == pytest.approx(3.0)
    assert est.interactions_[(2, 3)] == pytest.approx(1.0)


def test_groups_come_from_a_two_level_text_target():
    from ablatio.targets.text import ScoreTarget

    def score(texts):
        return [2.0 * ("great" in t) - 1.5 * ("not" in t and "bad" in t) for t in texts]

    target = ScoreTarget("It was not bad. The cast was great. Long credits rolled on.", score,
                         unit=("sentences", "words"))  # fmt: skip
    est = Hierarchical(method="exact", budget=600, random_state=0).fit(target)
    assert est.interactions_.n_players == target.n_players
    top = est.interactions_.top(2)
    assert set(top.terms) == {(7,), (2, 3)}  # "great", and "not" x "bad"


def test_every_stage_knows_which_of_its_players_are_the_same_words():
    from ablatio.targets.text import ScoreTarget

    target = ScoreTarget("Good day. Good day. Bad day!", lambda texts: [len(t) for t in texts],
                         unit=("sentences", "words"))  # fmt: skip
    assert target.part_keys == ("good", "day", "good", "day", "bad", "day")
    est = Hierarchical(method="exact", budget=600, random_state=0)
    stages, orders = [], []
    make_inner = est._inner

    def inner(budget, n_players, rng):
        method = make_inner(budget, n_players, rng)
        fit = method.fit

        def recording_fit(game):
            stages.append(game.part_keys)
            orders.append(game.ordered)
            return fit(game)

        method.fit = recording_fit
        return method

    est._inner = inner
    est.fit(target)
    assert stages[0] == ("good day", "good day", "bad day")
    assert len(stages) == 2 and stages[1][:2] == ("good", "day")
    # the sentences are in reading order; the fine stage is ordered only if its players are
    assert orders == [True, _in_sequence([list(p) for p in est.players_])]


def test_a_stage_is_in_sequence_when_its_players_are_consecutive_runs():
    assert _in_sequence([[0, 1], [2], [3, 4, 5]])
    assert not _in_sequence([[2], [0, 1]])  # refined words first
    assert not _in_sequence([[0, 2], [1]])


def test_bad_groups_raise():
    game = Game(lambda m: m.sum(axis=1) * 1.0, n=4)
    with pytest.raises(ParameterError, match="groups"):
        Hierarchical(method="exact", budget=50).fit(game)
    with pytest.raises(ParameterError, match="exactly one segment"):
        Hierarchical(method="exact", groups=[[0, 1], [1, 2, 3]], budget=50).fit(game)
