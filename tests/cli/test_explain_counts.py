"""One number for one thing: the held-out R², the counts of ablations, the check's size."""

from __future__ import annotations

import json

import pytest

import ablatio
from ablatio.cli.explain import default_n_test

GAME = "explain game --kind hierarchical --n 12 --terms 8 --order 3 --game-seed 4".split()


@pytest.mark.parametrize(
    ("budget", "n_test"), [(None, 1000), (10, 20), (41, 20), (400, 200), (5000, 1000)]
)
def test_default_held_out_size_follows_the_budget(budget, n_test):
    assert default_n_test(budget) == n_test


def test_counts_add_up_and_the_r2_is_the_one_the_verdict_uses(cli, tmp_path, last_json):
    out = tmp_path / "run"
    cache = tmp_path / "c.sqlite"
    args = [*GAME, "--method", "kernelshap", "--budget", "300", "--json", "--no-png"]
    result = cli(*args, "--out", out, "--cache", cache)
    assert result.exit_code == 0, result.stderr
    payload = last_json(result)
    assert payload["n_test"] == 150  # min(1000, 300 // 2)
    assert payload["faithfulness_masks"] == 75  # the evaluation half; 75 calibrate controls
    assert payload["n_queries"] + payload["n_held_out"] == (
        payload["n_evaluated"] + payload["n_cached"]
    )
    assert payload["n_queries"] == 300 and payload["n_cached"] == 0
    # the held-out R² is the number the verdict compares with the controls
    truth = ablatio.hierarchical_game(12, n_terms=8, max_order=3, random_state=4)
    expl = ablatio.explain(truth, method="kernelshap", budget=300, random_state=0)
    check = ablatio.reality_check(expl, truth, n_test=150, random_state=0)
    assert payload["faithfulness"] == check.scores["explanation"]
    assert payload["controls"] == {k: v for k, v in check.scores.items() if k != "explanation"}
    run = json.loads((out / "run.json").read_text())
    assert (run["n_held_out"], run["faithfulness_masks"]) == (
        payload["n_held_out"],
        75,
    )
    again = last_json(cli(*args, "--cache", cache))  # everything now comes from the cache
    assert again["n_evaluated"] == 0
    assert again["n_cached"] == payload["n_queries"] + payload["n_held_out"]


def test_summary_labels_each_number(cli):
    result = cli(*GAME, "--method", "kernelshap", "--budget", "300", "--no-png")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stderr.split())
    assert "on 75 held-out masks (another 75 calibrate the controls)" in text
    assert "controls (R² on the same 75 masks)" in text
    fit, held = 300, None
    for part in text.split("ablations: ")[1:]:
        numbers = part.split()
        held = int(numbers[3])
        assert int(numbers[0]) == fit and int(numbers[6]) == fit + held
    assert held is not None and held > 0


def test_the_returned_model_and_its_weights_are_reported(cli, tmp_path, last_json):
    """ProxySPEX's best-of stage stacks its candidates on this noisy game: the summary, the
    JSON and run.json say which surrogate came back and how the candidates are weighed."""
    game = "explain game --kind hierarchical --n 64 --terms 20 --order 3 --noise 0.5".split()
    args = [*game, "--method", "proxyspex", "--budget", "1000", "--no-png"]
    payload = last_json(cli(*args, "--json", "--out", tmp_path / "run"))
    truth = ablatio.hierarchical_game(64, n_terms=20, max_order=3, noise_sd=0.5, random_state=0)
    expl = ablatio.explain(truth, method="proxyspex", budget=1000, random_state=0)
    assert expl.model == "stacked" and len(expl.model_weights) >= 2
    assert payload["model"] == expl.model and payload["model_weights"] == expl.model_weights
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["model_weights"] == expl.model_weights
    text = " ".join(cli(*args).stderr.split())
    heaviest = max(expl.model_weights, key=expl.model_weights.get)
    assert f"model: stacked = {expl.model_weights[heaviest]:.2f} {heaviest} + " in text
    plain = " ".join(cli(*GAME, "--method", "kernelshap", "--budget", "300").stderr.split())
    assert "model:" not in plain  # one surrogate, the method's own: nothing to add
