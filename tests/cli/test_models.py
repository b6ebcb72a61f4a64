"""``ablatio explain data|heads``: the builders' plumbing, with stand-ins for the targets."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from ablatio.cli.models import data_target, heads_target
from ablatio.exceptions import ParameterError


class _Recorder:
    """Stand-in target that records how it was built; value = number of kept parts."""

    n_players = 4

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def __call__(self, masks):
        return masks.sum(axis=1).astype(float)

    def fingerprint(self):
        return "recorder"


@pytest.fixture
def fake_modules(monkeypatch):
    data = types.ModuleType("ablatio.targets.data")
    data.DataTarget = _Recorder
    tasks = types.ModuleType("ablatio.targets.head_tasks")
    tasks.load_mcq = lambda: [{"question": f"q{i}", "options": ["a", "b"], "answer": 0}
                              for i in range(30)]  # fmt: skip
    tasks.multiple_choice_target = _Recorder
    shipped = types.ModuleType("ablatio.targets.shipped")
    shipped.load_shipped_model = lambda name: (f"model:{name}", f"tokenizer:{name}")
    for name, module in [("data", data), ("head_tasks", tasks), ("shipped", shipped)]:
        monkeypatch.setitem(sys.modules, f"ablatio.targets.{name}", module)


def test_data_target_splits_a_bundled_dataset(fake_modules):
    spec = data_target(dataset="iris", groups=6, test_points=3, split_seed=1)
    X, y, X_test, y_test = spec.target.args
    assert X.shape == (112, 4) and X_test.shape == (3, 4) and y_test.shape == (3,)
    assert sorted(np.bincount(y).tolist()) == [37, 37, 38]  # stratified: 75 % of 50 per class
    assert spec.target.kwargs["n_groups"] == 6 and spec.target.kwargs["random_state"] == 1
    assert type(spec.target.kwargs["estimator"]).__name__ == "LogisticRegression"
    assert spec.name == "data-iris-logreg"


def test_heads_target_uses_shipped_model_and_questions(fake_modules):
    spec = heads_target(model="smollm2", questions=4, layers="0,2", ablation="mean")
    lm, tokenizer, questions = spec.target.args
    assert (lm, tokenizer) == ("model:smollm2", "tokenizer:smollm2")
    assert [q["question"] for q in questions] == ["q0", "q1", "q2", "q3"]
    assert spec.target.kwargs == {"metric": "logprob", "ablation": "mean", "layers": [0, 2]}


@pytest.mark.parametrize(
    ("builder", "options", "message"),
    [
        (data_target, {"dataset": "mnist"}, "--dataset"),
        (data_target, {"test_points": 0}, "--test-points"),
        (heads_target, {"layers": "first"}, "--layers"),
        (heads_target, {"questions": 0}, "--questions"),
    ],
)
def test_bad_options_raise(fake_modules, builder, options, message):
    with pytest.raises(ParameterError, match=message):
        builder(**options)


def test_cli_data_end_to_end(cli, fake_modules, last_json):
    result = cli("explain", "data", "--groups", "4", "--json", "--n-test", "20")
    assert result.exit_code == 0, result.stderr
    assert last_json(result)["n_queries"] == 16


def test_missing_target_module_exits_2(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "ablatio.targets.data", None)
    result = cli("explain", "data")
    assert result.exit_code == 2 and "ablatio.targets.data" in result.stderr
