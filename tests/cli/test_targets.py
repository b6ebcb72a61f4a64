"""Target builders and their registry."""

from __future__ import annotations

import numpy as np
import pytest

import ablatio
from ablatio.cli import targets
from ablatio.cli.targets import (
    SlowTarget,
    TargetSpec,
    TargetUnavailableError,
    as_spec,
    resolve_target,
    segment_texts,
    synthetic_game,
)
from ablatio.exceptions import ParameterError
from ablatio.methods.exact import all_masks


@pytest.mark.parametrize(
    ("kind", "maker"),
    [
        ("and", ablatio.sparse_and_game),
        ("parity", ablatio.sparse_parity_game),
        ("hierarchical", ablatio.hierarchical_game),
    ],
)
def test_synthetic_game_is_the_library_game(kind, maker):
    spec = synthetic_game(kind=kind, n=6, terms=4, order=2, noise=0.1, game_seed=9)
    same = maker(6, 4, 2, noise_sd=0.1, random_state=9)
    masks = all_masks(6)
    assert np.array_equal(spec.target(masks), same(masks))
    assert spec.target.fingerprint() == same.fingerprint()
    assert spec.name == f"synthetic-{kind}" and spec.settings["kind"] == kind


def test_delay_keeps_values_and_fingerprint():
    fast = synthetic_game(n=5, terms=3, order=2)
    slow = synthetic_game(n=5, terms=3, order=2, delay=0.001)
    assert isinstance(slow.target, SlowTarget)
    assert slow.target.fingerprint() == fast.target.fingerprint()
    masks = all_masks(5)
    assert np.array_equal(slow.target(masks), fast.target(masks))


@pytest.mark.parametrize(("option", "value"), [("kind", "cubic"), ("delay", -1.0)])
def test_bad_game_options_raise(option, value):
    with pytest.raises(ParameterError, match=option):
        synthetic_game(**{option: value})


def test_resolve_unknown_and_missing():
    with pytest.raises(TargetUnavailableError, match="unknown"):
        resolve_target("nope")
    assert resolve_target("game") is synthetic_game


def test_register_target_by_module_path(monkeypatch):
    monkeypatch.setattr(targets, "TARGETS", dict(targets.TARGETS))
    targets.register_target("synth", "ablatio.cli.targets:synthetic_game")
    assert resolve_target("synth") is synthetic_game


def test_as_spec_wraps_bare_targets():
    game = ablatio.sparse_and_game(4, n_terms=2, max_order=2, random_state=0)
    spec = as_spec("bare", game, {"x": 1})
    assert isinstance(spec, TargetSpec) and spec.target is game and spec.settings == {"x": 1}
    with pytest.raises(ParameterError, match="not a target"):
        as_spec("bad", 42, {})


class _Spans:
    """Like ablatio.targets.segment.Segments: the text and the parts' character spans."""

    text = "  Great film, awful ending."
    spans = ((2, 7), (8, 12), (14, 19), (20, 26))


class _Text:
    n_players = 4
    segments = _Spans()

    def __call__(self, masks):
        return masks.sum(axis=1).astype(float)


def test_segment_texts_from_spans_cover_the_whole_text():
    pieces = segment_texts(_Text())
    assert "".join(pieces) == _Spans.text and len(pieces) == 4
    assert [p.strip(" ,.") for p in pieces] == ["Great", "film", "awful", "ending"]
    assert as_spec("text", _Text(), {}).segments == pieces


def test_segment_texts_from_strings_and_none():
    game = ablatio.sparse_and_game(3, n_terms=2, max_order=2, random_state=0)
    assert segment_texts(game) is None
    game.segments = ("a", "b", "c")
    assert segment_texts(game) == ["a", "b", "c"]
