"""Fault injection on the ablation cache: repeated SIGKILLs, concurrent writers, full disks."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from ablatio import Exact, Game
from ablatio.exceptions import CacheError, ParameterError
from ablatio.games import cache as cache_module

SRC = str(Path(__file__).parents[2] / "src")

WORKER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from ablatio import Game

    cache, log, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    weights = 2.0 ** np.arange(12)

    def fn(masks):
        time.sleep(0.005)
        with open(log, "a") as fh:
            fh.write("".join(f"{int(c)}\\n" for c in masks @ weights))
            fh.flush()
        return np.sin(masks @ weights)

    masks = np.random.default_rng(seed).random((400, 12)) < 0.5
    with Game(fn, n=12, cache=cache, name="w", batch_size=8) as game:
        values = game(masks)
        print(game.n_evaluated, game.n_cached, values.tobytes().hex())
    """
)


def _run(script, *args):
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(
        [sys.executable, str(script), *map(str, args)], env=env, stdout=subprocess.PIPE, text=True
    )


def _stored_rows(path: Path) -> int:
    """Rows in the cache; 0 if the run was killed before it created the file or table."""
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        found = conn.execute("SELECT name FROM sqlite_master WHERE name = 'ablations'").fetchone()
        if found is None:
            return 0
        return conn.execute("SELECT COUNT(*) FROM ablations").fetchone()[0]


@pytest.mark.slow
def test_twenty_random_sigkills_lose_no_finished_ablation(tmp_path):
    """Kill a run 20 times at random moments; the cache only ever grows and values are exact."""
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    cache = tmp_path / "c.sqlite"
    rng = np.random.default_rng(0)
    stored_before = 0
    trials = 20
    for trial in range(trials):
        log = tmp_path / f"log{trial}"
        proc = _run(script, cache, log, 1)
        time.sleep(float(rng.uniform(0.3, 0.9)))  # includes interpreter start-up
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        stored = _stored_rows(cache)
        assert stored >= stored_before  # nothing committed is ever lost
        stored_before = stored
    final = _run(script, cache, tmp_path / "final", 1)
    out = final.communicate(timeout=120)[0].split()
    n_evaluated, n_cached = int(out[0]), int(out[1])
    assert n_cached == stored_before
    total = len(np.unique(np.random.default_rng(1).random((400, 12)) < 0.5, axis=0))
    assert n_evaluated + n_cached == total
    weights = 2.0 ** np.arange(12)
    masks = np.random.default_rng(1).random((400, 12)) < 0.5
    assert bytes.fromhex(out[2]) == np.sin(masks @ weights).tobytes()


def test_two_processes_writing_one_cache(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    cache = tmp_path / "shared.sqlite"
    procs = [_run(script, cache, tmp_path / f"log{i}", 1 + i) for i in range(2)]
    outs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    expected = set()
    for seed in (1, 2):
        masks = np.random.default_rng(seed).random((400, 12)) < 0.5
        expected |= {bytes(np.packbits(m)) for m in masks}
    with sqlite3.connect(cache) as conn:
        rows = conn.execute("SELECT mask, value FROM ablations").fetchall()
    assert len(rows) == len({k for k, _ in rows}) == len(expected)  # no loss, no duplicates
    weights = 2.0 ** np.arange(12)
    for key, value in rows:
        mask = np.unpackbits(np.frombuffer(key, dtype=np.uint8))[:12].astype(bool)
        assert value == np.sin(mask @ weights)
    assert all(len(o) == 3 for o in outs)


def test_disk_full_before_the_run_is_refused(tmp_path, monkeypatch):
    class Usage:
        free = 1024

    monkeypatch.setattr(cache_module.shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(CacheError, match="MiB free"):
        Game(lambda m: m.sum(1), n=3, cache=tmp_path / "c.sqlite", name="sum", version="1")


def test_disk_full_during_the_run_keeps_finished_batches(tmp_path):
    path = tmp_path / "c.sqlite"
    calls = []

    def fn(masks):
        calls.append(len(masks))
        return masks.sum(axis=1).astype(float)

    # fn captures the growing list `calls`: its identity is stated with version=
    game = Game(fn, n=64, cache=path, batch_size=50, version="1")
    game.cache._conn.execute("PRAGMA max_page_count = 12")  # a tiny "disk"
    masks = np.random.default_rng(0).random((3000, 64)) < 0.5
    with pytest.raises(CacheError, match="committed before this one is kept"):
        game(masks)
    kept = len(game.cache)
    game.close()
    assert 0 < kept < 3000
    resumed = Game(fn, n=64, cache=path, batch_size=50, version="1")
    resumed(masks[:kept])
    assert resumed.n_evaluated == 0  # finished batches are re-used, none recomputed


def test_huge_n_gives_a_memory_error_not_an_oom(tmp_path):
    game = Game(lambda m: m.sum(1).astype(float), n=100_000)
    with pytest.raises(ParameterError, match="max_players"):
        Exact().fit(game)
    from ablatio.methods.base import Method

    class Greedy(Method):
        def __init__(self, *, budget=None, max_order=None, random_state=None):
            self.budget, self.max_order, self.random_state = budget, max_order, random_state

        def _fit(self, game, rng):  # pragma: no cover - never reached
            raise AssertionError

    with pytest.raises(ParameterError, match="GiB"):
        Greedy(budget=50_000).fit(game)  # 5e9 mask bytes: refused before any work
    assert game.n_evaluated == 0
