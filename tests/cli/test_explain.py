"""``ablatio explain``: end to end on synthetic games with known answers."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

import ablatio
from ablatio import Interactions
from ablatio.cli import targets
from ablatio.cli.targets import TargetSpec
from ablatio.exceptions import AblatioError

GAME = "explain game --kind hierarchical --n 7 --terms 6 --order 3 --game-seed 5".split()


def test_explain_game_recovers_the_planted_terms(cli, tmp_path, last_json):
    out = tmp_path / "run"
    result = cli(*GAME, "--out", out, "--json", "--no-png", "--n-test", "200", "--seed", "3")
    assert result.exit_code == 0, result.stderr
    payload = last_json(result)
    truth = ablatio.hierarchical_game(7, n_terms=6, max_order=3, random_state=5)
    assert payload["n_queries"] == 2**7
    assert payload["n_evaluated"] == 2**7 and payload["n_cached"] == 0
    assert payload["faithfulness"] == pytest.approx(1.0)
    found = {tuple(t["term"]): t["coefficient"] for t in payload["top"]}
    planted = truth.true_interactions.as_dict()
    assert set(found) <= set(planted)
    assert all(found[t] == pytest.approx(planted[t]) for t in found)
    saved = Interactions.load(out / "interactions.json")
    assert saved.allclose(truth.true_interactions, atol=1e-9)
    run = json.loads((out / "run.json").read_text())
    assert run["seed"] == 3 and run["method"] == "exact"
    assert run["target"] == {
        "kind": "hierarchical",
        "n": 7,
        "terms": 6,
        "order": 3,
        "noise": 0.0,
        "game_seed": 5,
    }
    assert (out / "report.html").is_file()
    assert payload["verdict"] == run["verdict"] == "supported"
    assert set(payload["controls"]) == {"refit", "additive", "shuffled", "random"}
    assert "Verdict: supported" in (out / "report.html").read_text()


def test_a_wrong_explanation_gets_a_negative_verdict(cli, tmp_path, last_json):
    # LIME with a tiny budget on a game made of parities cannot explain it
    result = cli(
        *"explain game --kind parity --n 10 --terms 6 --order 3 --game-seed 2".split(),
        "--method",
        "lime",
        "--budget",
        "40",
        "--json",
        "--n-test",
        "200",
    )
    assert result.exit_code == 0, result.stderr
    payload = last_json(result)
    assert payload["faithfulness"] < 0.5
    assert payload["verdict"] in ("not_supported", "weak")


def test_png_figures_are_written(cli, tmp_path):
    result = cli(*GAME, "--out", tmp_path, "--quiet", "--n-test", "50")
    assert result.exit_code == 0, result.stderr
    run = json.loads((tmp_path / "run.json").read_text())
    assert set(run["figures"]) == {"top_interactions.png", "waterfall.png", "interaction_graph.png"}
    for name in run["figures"]:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_quiet_prints_nothing_and_summary_goes_to_stderr(cli):
    quiet = cli(*GAME, "--quiet", "--n-test", "50")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    loud = cli(*GAME, "--n-test", "50")
    assert loud.exit_code == 0 and loud.stdout == ""
    assert "held-out R²" in loud.stderr and "128 ablations" in loud.stderr


def test_cache_is_resumed(cli, tmp_path, last_json):
    cache = tmp_path / "run.sqlite"
    first = last_json(cli(*GAME, "--cache", cache, "--json", "--n-test", "50"))
    second = last_json(cli(*GAME, "--cache", cache, "--json", "--n-test", "50"))
    assert first["n_evaluated"] == 128 and first["n_cached"] == 0
    assert second["n_evaluated"] == 0 and second["n_cached"] == 128
    assert second["top"] == first["top"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--kind", "cubic"), "--kind == 'cubic'"),
        (("--budget", "10"), "budget=10 < 128"),
        (("--method", "magic"), "method == 'magic'"),
        (("--option", "nonsense"), "KEY=VALUE"),
        (("--option", "colour=3"), "no option 'colour'"),
        (("--backend", "carrier-pigeon"), "backend == 'carrier-pigeon'"),
    ],
)
def test_usage_errors_exit_2(cli, args, message):
    result = cli(*GAME, "--quiet", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())


def test_option_type_error_exits_2(cli):
    assert cli("explain", "game", "--n", "many").exit_code == 2


class _FailsAfter:
    """Fails on any batch with a mask keeping part 5 (Exact asks for those last)."""

    n_players = 6
    player_names = tuple(f"p{i}" for i in range(6))

    def __call__(self, masks):
        if masks[:, 5].any():
            raise RuntimeError("GPU fell off the bus")
        return masks.sum(axis=1).astype(float)

    def fingerprint(self):
        return "fails-after"


def test_evaluation_failure_exits_3_and_keeps_finished_ablations(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(targets.TARGETS, "flaky", lambda: TargetSpec(_FailsAfter(), "flaky"))
    cache = tmp_path / "flaky.sqlite"
    result = cli("explain", "flaky", "--cache", cache, "--batch-size", "8", "--quiet")
    assert result.exit_code == 3
    text = " ".join(result.stderr.split())
    assert "GPU fell off the bus" in text and "kept in" in text
    with sqlite3.connect(cache) as conn:
        kept = conn.execute("SELECT COUNT(*) FROM ablations").fetchone()[0]
    assert kept == 32  # Exact's enumeration order: the 32 masks without part 5 come first


def test_nan_output_exits_3(cli, monkeypatch):
    def build():
        def fn(masks):
            return np.where(masks[:, 0], np.nan, 1.0)

        fn.n_players = 3
        return fn

    monkeypatch.setitem(targets.TARGETS, "nan", build)
    result = cli("explain", "nan", "--quiet")
    assert result.exit_code == 3
    assert "NaN" in result.stderr or "nan" in result.stderr


def test_text_target_segments_reach_the_report(cli, tmp_path, monkeypatch):
    words = ["<script>document.title='x'</script>", "was", "great"]

    def text_builder(prompt: str = " ".join(words)) -> TargetSpec:
        game = ablatio.sparse_and_game(3, n_terms=3, max_order=2, random_state=0)
        return TargetSpec(game, "text-demo", {"prompt": prompt}, segments=prompt.split(" "))

    monkeypatch.setitem(targets.TARGETS, "text", text_builder)
    result = cli("explain", "text", "--out", tmp_path, "--quiet", "--no-png", "--n-test", "20")
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "report.html").read_text()
    assert "&lt;script&gt;document.title=&#x27;x&#x27;&lt;/script&gt;" in html
    assert "<script>" not in html
    assert json.loads((tmp_path / "run.json").read_text())["segments"] == words


def test_builder_error_is_a_usage_error(cli, monkeypatch):
    def broken(size: int = 3) -> TargetSpec:
        raise AblatioError(f"size == {size} is too small")

    monkeypatch.setitem(targets.TARGETS, "broken", broken)
    result = cli("explain", "broken", "--size", "1")
    assert result.exit_code == 2 and "size == 1 is too small" in result.stderr


def test_json_errors_are_json_too(cli, last_json):
    result = cli(*GAME, "--budget", "10", "--json")
    assert result.exit_code == 2
    payload = last_json(result)
    assert payload["status"] == "error" and payload["exit_code"] == 2
    assert payload["error"] == "BudgetTooSmallError" and "budget=10" in payload["message"]
    bad_kind = last_json(cli("explain", "game", "--kind", "cubic", "--json"))
    assert bad_kind["exit_code"] == 2 and "cubic" in bad_kind["message"]


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_parallel_backends_give_the_serial_answer(cli, backend, last_json):
    args = (*GAME, "--json", "--n-test", "50", "--batch-size", "16")
    serial = last_json(cli(*args))
    parallel = last_json(cli(*args, "--backend", backend))
    assert parallel["top"] == serial["top"]
    assert parallel["faithfulness"] == serial["faithfulness"]


def test_part_keys_of_the_target_can_be_turned_off(cli, tmp_path, monkeypatch):
    from ablatio.cli import explain as cli_explain

    class Keyed:
        n_players, part_keys = 3, ("good", "day", "good")

        def __call__(self, masks):
            return masks @ np.array([1.0, 0.5, 1.0])

    seen = []
    real = cli_explain.explain

    def spy(game, **kwargs):
        seen.append(game.part_keys)
        return real(game, **kwargs)

    monkeypatch.setattr(cli_explain, "explain", spy)
    monkeypatch.setitem(targets.TARGETS, "keyed", lambda: TargetSpec(Keyed(), "keyed", {}))
    args = ("explain", "keyed", "--quiet", "--no-png", "--n-test", "20")
    assert cli(*args, "--out", tmp_path / "on").exit_code == 0
    result = cli(*args, "--no-part-keys", "--out", tmp_path / "off")
    assert result.exit_code == 0, result.stderr
    assert seen == [("good", "day", "good"), None]
    assert json.loads((tmp_path / "off" / "run.json").read_text())["target"]["part_keys"] is False
    assert "part_keys" not in json.loads((tmp_path / "on" / "run.json").read_text())["target"]
