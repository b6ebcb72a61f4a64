"""Tabular target: baselines, outputs, identity — checked against brute force and shap."""

from __future__ import annotations

import pickle

import brute
import numpy as np
import pytest

import ablatio
from ablatio.exceptions import ParameterError
from ablatio.methods.exact import all_masks
from ablatio.targets.tabular import TabularTarget

sklearn = pytest.importorskip("sklearn")
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    y = X[:, 0] * X[:, 1] + np.sin(X[:, 2]) + 0.5 * X[:, 3]
    return X, y


@pytest.fixture(scope="module")
def gbr(data):
    X, y = data
    return GradientBoostingRegressor(n_estimators=30, max_depth=3, random_state=0).fit(X, y)


def _replaced_values(predict, x, base_rows):
    """v(S) for every mask by direct replacement (independent of TabularTarget)."""
    masks = all_masks(len(x))
    out = []
    for m in masks:
        rows = np.where(m[None, :], x[None, :], base_rows)
        out.append(predict(rows).mean())
    return np.array(out)


@pytest.mark.parametrize("baseline", ["marginal", "mean", "median"])
def test_values_are_the_baseline_replacement(data, gbr, baseline):
    X, _ = data
    background = X[:15]
    target = TabularTarget(gbr, X[100], background, baseline=baseline)
    if baseline == "marginal":
        base = background
    else:
        base = (np.mean if baseline == "mean" else np.median)(background, axis=0)[None, :]
    expected = _replaced_values(gbr.predict, X[100], base)
    assert np.allclose(target(all_masks(5)), expected, rtol=0, atol=1e-12)


def test_exact_shapley_equals_brute_force_definition(data, gbr):
    X, _ = data
    background = X[:10]
    game = ablatio.tabular_game(gbr, X[101], background)
    phi = ablatio.explain(game, method="exact").shapley_values()
    values = _replaced_values(gbr.predict, X[101], background)
    assert np.allclose(phi.to_numpy(), brute.shapley(values, 5), atol=1e-12)
    # efficiency: the values sum to f(x) - E_background f
    gap = gbr.predict(X[101:102])[0] - gbr.predict(background).mean()
    assert phi.sum() == pytest.approx(gap, abs=1e-10)


@pytest.mark.parametrize("baseline", ["marginal", "mean"])
def test_exact_shapley_matches_shap(data, gbr, baseline):
    """shap's ExactExplainer with an independent masker over the same background rows."""
    shap = pytest.importorskip("shap")
    X, _ = data
    background = X[:20]
    rows = background if baseline == "marginal" else background.mean(axis=0, keepdims=True)
    masker = shap.maskers.Independent(rows, max_samples=len(rows))
    theirs = shap.ExactExplainer(gbr.predict, masker)(X[100:103]).values
    for j, x in enumerate(X[100:103]):
        game = ablatio.tabular_game(gbr, x, background, baseline=baseline)
        ours = ablatio.explain(game, method="exact").shapley_values().to_numpy()
        assert np.allclose(ours, theirs[j], atol=1e-10)


def test_classifier_probability_matches_shap(data):
    shap = pytest.importorskip("shap")
    X, y = data
    clf = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(X, y > 0)
    background = X[:12]
    game = ablatio.tabular_game(clf, X[110], background, label=True)
    assert game.fn.label is True and game.fn.output == "auto"
    ours = ablatio.explain(game, method="exact").shapley_values().to_numpy()
    masker = shap.maskers.Independent(background, max_samples=len(background))
    theirs = shap.ExactExplainer(lambda Z: clf.predict_proba(Z)[:, 1], masker)(X[110:111])
    assert np.allclose(ours, theirs.values[0], atol=1e-10)


def test_default_label_is_the_predicted_class_and_log_odds(data):
    X, y = data
    clf = LogisticRegression().fit(X, y > 0)
    x = X[5]
    predicted = clf.predict(x[None, :])[0]
    target = TabularTarget(clf, x, baseline=np.zeros(5), output="log_odds")
    assert target.label == predicted
    full = target(np.ones((1, 5), dtype=bool))[0]
    column = list(clf.classes_).index(predicted)
    p = clf.predict_proba(x[None, :])[0, column]
    assert full == pytest.approx(np.log(p) - np.log1p(-p))
    # a logistic model is linear in log-odds: Shapley values are coef * (x - 0), signed by class
    game = ablatio.Game(target)
    phi = ablatio.explain(game, method="exact").shapley_values().to_numpy()
    sign = 1.0 if predicted else -1.0
    assert np.allclose(phi, sign * clf.coef_[0] * x, atol=1e-9)


def test_dataframe_names_flow_to_the_shapley_series(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=["age", "income", "debt", "score", "tenure"])
    model = LinearRegression().fit(frame, y)  # fitted with names: arrays would warn
    game = ablatio.tabular_game(model, frame.iloc[3], frame.iloc[:30], baseline="mean")
    phi = ablatio.explain(game, method="exact").shapley_values()
    assert list(phi.index) == list(frame.columns)
    expected = model.coef_ * (frame.iloc[3] - frame.iloc[:30].mean())
    assert np.allclose(phi.to_numpy(), expected.to_numpy(), atol=1e-10)


def test_torch_module_with_marginal_baseline():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    net = net.double()
    rng = np.random.default_rng(1)
    background, x = rng.normal(size=(6, 4)), rng.normal(size=4)

    def predict(rows):
        with torch.no_grad():
            return net(torch.as_tensor(rows)).numpy()[:, 0]

    target = TabularTarget(net, x, background)
    assert np.allclose(target(all_masks(4)), _replaced_values(predict, x, background), atol=1e-12)


def test_plain_function_and_reference_row():
    target = TabularTarget(lambda R: R[:, 0] * R[:, 1], [2.0, 3.0], baseline=[0.0, 1.0])
    masks = np.array([[1, 1], [1, 0], [0, 1], [0, 0]], dtype=bool)
    assert target(masks).tolist() == [6.0, 2.0, 0.0, 0.0]


def test_max_rows_chunks_give_the_same_values(data, gbr):
    X, _ = data
    masks = all_masks(5)
    big = TabularTarget(gbr, X[0], X[:9])(masks)
    small = TabularTarget(gbr, X[0], X[:9], max_rows=10)(masks)
    assert np.array_equal(big, small)


def test_fingerprint_follows_model_parameters_input_and_settings(data, gbr):
    X, y = data
    base = TabularTarget(gbr, X[0], X[:10]).fingerprint()
    assert TabularTarget(pickle.loads(pickle.dumps(gbr)), X[0], X[:10]).fingerprint() == base
    other_fit = GradientBoostingRegressor(n_estimators=30, max_depth=3, random_state=1).fit(X, y)
    changed = [
        TabularTarget(other_fit, X[0], X[:10]),
        TabularTarget(gbr, X[1], X[:10]),
        TabularTarget(gbr, X[0], X[:11]),
        TabularTarget(gbr, X[0], X[:10], baseline="mean"),
    ]
    prints = {t.fingerprint() for t in changed}
    assert base not in prints and len(prints) == len(changed)


def test_torch_fingerprint_sees_every_parameter():
    torch = pytest.importorskip("torch")
    net = torch.nn.Linear(50, 1)
    before = TabularTarget(net, np.zeros(50), baseline=np.ones(50)).fingerprint()
    with torch.no_grad():
        net.weight[0, -1] += 1.0  # the last weight: a fingerprint of a prefix would miss it
    after = TabularTarget(net, np.zeros(50), baseline=np.ones(50)).fingerprint()
    assert before != after


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"baseline": "mean"}, "needs background"),
        ({"baseline": "average", "background": np.zeros((2, 3))}, "choose one of"),
        ({"baseline": [0.0, 0.0, 0.0], "background": np.zeros((2, 3))}, "not both"),
        ({"baseline": [0.0, 0.0]}, "baseline rows have 2"),
        ({"baseline": [0.0] * 3, "output": "proba"}, "predict_proba"),
        ({"baseline": [0.0] * 3, "output": "odds"}, "choose one of"),
        ({"baseline": [0.0] * 3, "label": 1}, "one column"),
    ],
)
def test_clear_errors(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        TabularTarget(lambda R: R.sum(axis=1), np.ones(3), **kwargs)


def test_unknown_class_label_is_rejected(data):
    X, y = data
    clf = LogisticRegression().fit(X, y > 0)
    with pytest.raises(ParameterError, match="not one of the model's classes"):
        TabularTarget(clf, X[0], X[:5], label="yes")


def test_torch_classifier_probability_of_the_predicted_class():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    net = torch.nn.Linear(3, 4).double()
    x, ref = np.array([0.5, -1.0, 2.0]), np.zeros(3)
    target = TabularTarget(net, x, baseline=ref, output="proba")
    with torch.no_grad():
        logits = net(torch.as_tensor(np.stack([x, ref]))).numpy()
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert target.label == int(np.argmax(logits[0]))
    values = target(np.array([[True] * 3, [False] * 3]))
    assert np.allclose(values, probs[:, target.label], atol=1e-12)
