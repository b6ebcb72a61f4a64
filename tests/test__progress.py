"""``progress=True`` in Python: a tqdm bar counting distinct ablations; off by default."""

from __future__ import annotations

import re

import pytest

import ablatio
from ablatio._progress import ProgressBar, resolve_progress

pytest.importorskip("tqdm")


def _last_count(err: str) -> tuple[int, int | None]:
    """``(done, total)`` of the last bar update written to stderr."""
    found = re.findall(r"(\d+)(?:/(\d+))?(?: ablations)? ?\[", err.replace("\r", "\n"))
    done, total = found[-1]
    return int(done), (int(total) if total else None)


def test_explain_progress_counts_the_fit_out_of_the_budget(capsys):
    game = ablatio.Game(ablatio.sparse_and_game(16, n_terms=6, max_order=2, random_state=0))
    expl = ablatio.explain(
        game, method="spex", budget=600, max_order=2, random_state=0, progress=True
    )
    err = capsys.readouterr().err
    assert "spex" in err
    assert _last_count(err) == (expl.n_queries, 600)
    assert game.progress is None  # the bar was only attached for the fit


def test_game_progress_true_shows_a_bar_until_closed(capsys):
    with ablatio.Game(lambda m: m.sum(axis=1).astype(float), 5, progress=True) as game:
        assert isinstance(game.progress, ProgressBar)
        ablatio.explain(game, method="exact")
        assert game.progress.n == 32
    err = capsys.readouterr().err
    assert _last_count(err) == (32, None)


def test_progress_is_off_by_default(capsys):
    game = ablatio.sparse_and_game(8, n_terms=3, max_order=2, random_state=0)
    ablatio.explain(game, method="exact")
    ablatio.explain(lambda m: m.sum(axis=1).astype(float), 4, method="exact")
    assert capsys.readouterr().err == ""


def test_resolve_progress_keeps_callbacks():
    seen = []
    assert resolve_progress(seen.append) == seen.append
    assert resolve_progress(False) is None and resolve_progress(None) is None
    ablatio.explain(lambda m: m.sum(axis=1).astype(float), 3, method="exact", progress=seen.append)
    assert seen[-1].done == seen[-1].total == 8
