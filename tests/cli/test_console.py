"""The progress bar's counts and the exit-code mapping."""

from __future__ import annotations

import json

import pytest
import typer

from ablatio.cli.console import (
    EXIT_EVALUATION,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    AblationBar,
    emit_json,
    guard,
)
from ablatio.exceptions import BudgetTooSmallError, EvaluationError, NonFiniteValueError
from ablatio.games.game import Game
from ablatio.games.synthetic import sparse_and_game
from ablatio.methods.exact import all_masks


def _task(bar: AblationBar):
    return bar._bar.tasks[-1]


def test_bar_counts_ablations_done_out_of_the_budget():
    bar = AblationBar(enabled=False)
    game = Game(sparse_and_game(6, n_terms=3, max_order=2, random_state=0), batch_size=10)
    seen = []
    game.progress = lambda p: (bar(p), seen.append(_task(bar).completed))
    with bar:
        bar.phase("fit", 64, game.n_queries)
        game(all_masks(6))
        assert seen == [10, 20, 30, 40, 50, 60, 64]  # one update per committed batch
        bar.finish(game.n_queries)
        assert (_task(bar).completed, _task(bar).total) == (64, 64)
        bar.phase("held-out", 20, game.n_queries)
        game(all_masks(6)[:20])  # all served from memory: no callback ...
        bar.finish()
        assert _task(bar).completed == 20  # ... the phase still ends complete


def test_bar_grows_when_a_method_uses_more_than_expected():
    bar = AblationBar(enabled=False)
    with bar:
        bar.phase("fit", 10, 0)
        bar.finish(25)
        assert (_task(bar).completed, _task(bar).total) == (25, 25)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (NonFiniteValueError("NaN"), EXIT_EVALUATION),
        (EvaluationError("endpoint down"), EXIT_EVALUATION),
        (BudgetTooSmallError("budget too small", minimum=3), EXIT_USAGE),
        (KeyboardInterrupt(), EXIT_INTERRUPTED),
    ],
)
def test_guard_maps_errors_to_exit_codes(error, code):
    with pytest.raises(typer.Exit) as info, guard("c.sqlite"):
        raise error
    assert info.value.exit_code == code


def test_json_output_is_strict(capsys):
    emit_json({"r2": float("-inf"), "nested": [float("nan"), 1.5]})
    assert json.loads(capsys.readouterr().out) == {"r2": "-inf", "nested": ["nan", 1.5]}


def test_a_method_stopping_early_ends_its_bar_complete():
    bar = AblationBar(enabled=False)
    with bar:
        bar.phase("fit", 600, 0)
        bar.finish(248)
        assert (_task(bar).completed, _task(bar).total) == (248, 248)
        assert _task(bar).finished


def test_rate_counts_only_evaluated_ablations(tmp_path):
    import time

    from ablatio.cli.console import _EtaColumn, _RateColumn

    planted = sparse_and_game(6, n_terms=3, max_order=2, random_state=0)

    def slow(masks):
        time.sleep(0.05)
        return planted(masks)

    cache = tmp_path / "c.sqlite"
    Game(slow, n=6, name="slow", version="1", cache=cache, batch_size=64)(all_masks(6)[:60])
    bar = AblationBar(enabled=False)
    game = Game(slow, n=6, name="slow", version="1", cache=cache, batch_size=64, progress=bar)
    with bar:
        bar.phase("fit", 64, game.n_queries, game.n_cached)
        assert "-:--:--" in _EtaColumn().render(_task(bar)).plain
        game(all_masks(6))  # 60 read from the cache, 4 evaluated in one 0.05 s batch
        bar.finish(game.n_queries)
        task = _task(bar)
        assert task.completed == 64 and task.fields["evaluated"] == 4
        rate = float(_RateColumn().render(task).plain.strip().removesuffix("/s"))
        assert rate <= 4 / 0.05  # the cache hits do not count as model speed
        assert rate == pytest.approx(4 / task.finished_time, rel=0.01)
