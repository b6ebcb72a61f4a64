"""``ablatio explain text``: the builder's plumbing, with stand-ins for the model loaders."""

from __future__ import annotations

import json
import sys
import types

import pytest

import ablatio.targets
from ablatio import Interactions
from ablatio.cli.text import text_target
from ablatio.exceptions import ParameterError


class _Segments:
    def __init__(self, text):
        self.text = text
        starts = [i for i, c in enumerate(text) if c != " " and (i == 0 or text[i - 1] == " ")]
        self.spans = tuple((a, text.find(" ", a) % (len(text) + 1)) for a in starts)


class _ScoreTarget:
    """Stand-in for ablatio.targets.ScoreTarget: value = number of kept words."""

    def __init__(self, text, score, *, unit, masking):
        self.segments = _Segments(text)
        self.n_players = len(self.segments.spans)
        self.options = (score, unit, masking)

    def __call__(self, masks):
        return masks.sum(axis=1).astype(float)

    def fingerprint(self):
        return f"score:{self.segments.text}"


@pytest.fixture
def fake_text(monkeypatch):
    monkeypatch.setattr(ablatio.targets, "ScoreTarget", _ScoreTarget, raising=False)
    models = types.ModuleType("ablatio.models")
    models.vader_scorer = lambda: "vader"
    monkeypatch.setitem(sys.modules, "ablatio.models", models)


def test_vader_builds_a_score_target(fake_text):
    spec = text_target(prompt="not a bad film", unit="words", masking="delete")
    assert spec.target.options == ("vader", "words", "delete")
    assert spec.name == "text-vader" and spec.settings["prompt"] == "not a bad film"
    assert "".join(spec.segments) == "not a bad film"


def test_cli_text_run_highlights_the_prompt(cli, fake_text, tmp_path):
    result = cli("explain", "text", "--prompt", "<b>bold</b> claim here", "--out", tmp_path,
                 "--quiet", "--no-png", "--n-test", "20")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    run = json.loads((tmp_path / "run.json").read_text())
    assert "".join(run["segments"]) == "<b>bold</b> claim here"
    html = (tmp_path / "report.html").read_text()
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold" not in html
    found = Interactions.load(tmp_path / "interactions.json").prune(1e-9).as_dict()
    assert found == pytest.approx({(0,): 1.0, (1,): 1.0, (2,): 1.0})  # each kept word adds 1


def test_unknown_model_is_a_usage_error():
    with pytest.raises(ParameterError, match="--model"):
        text_target(prompt="x", model="gpt-9")


def test_missing_models_module_exits_2(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "ablatio.models", None)
    result = cli("explain", "text", "--prompt", "hello world")
    assert result.exit_code == 2 and "ablatio.models" in result.stderr


def test_levels_explain_coarse_to_fine_with_nested_highlighting(cli, tmp_path):
    pytest.importorskip("vaderSentiment")
    prompt = "The plot was dull. The acting was not good at all! Credits rolled."
    result = cli("explain", "text", "--prompt", prompt, "--model", "vader", "--levels",
                 "sentences,words", "--method", "proxyspex", "--budget", "400", "--out", tmp_path,
                 "--quiet", "--no-png", "--n-test", "20")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["method"] == "hierarchical" and len(run["segments"]) == 13
    assert run["groups"] == [[0, 1, 2, 3], [4, 5, 6, 7, 8, 9, 10], [11, 12]]
    html = (tmp_path / "report.html").read_text()
    assert html.count("class='grp'") == 3 and html.count("class='seg'") == 13
    found = Interactions.load(tmp_path / "interactions.json")
    assert found.n_players == 13


def test_dtype_reaches_the_language_model_loader(monkeypatch):
    loaded = []

    class _LMTarget:
        def __init__(self, prompt, lm, *, target, unit, masking):
            self.segments, self.lm = _Segments(prompt), lm

    monkeypatch.setattr(ablatio.targets, "CausalLMTarget", _LMTarget, raising=False)
    models = types.ModuleType("ablatio.models")
    models.load_smollm2 = lambda **options: loaded.append(("smollm2", options)) or "lm"
    models.load_causal_lm = lambda name, **options: loaded.append((name, options)) or "lm"
    monkeypatch.setitem(sys.modules, "ablatio.models", models)
    spec = text_target(prompt="a b", model="smollm2", dtype="bfloat16")
    text_target(prompt="a b", model="hf:some/model")
    assert loaded == [("smollm2", {"dtype": "bfloat16"}), ("some/model", {})]
    assert spec.settings["dtype"] == "bfloat16"
    with pytest.raises(ParameterError, match="--dtype"):
        text_target(prompt="a b", model="smollm2", dtype="float16")
    with pytest.raises(ParameterError, match="--dtype bfloat16 applies to language models"):
        text_target(prompt="a b", model="vader", dtype="bfloat16")


def test_bad_levels_are_a_usage_error():
    with pytest.raises(ParameterError, match="--levels"):
        text_target(prompt="x y", levels="words")
