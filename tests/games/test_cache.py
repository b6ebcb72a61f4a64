"""Durable SQLite cache: reuse, mismatch refusal, corruption, and a real SIGKILL mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from ablatio import Game
from ablatio.exceptions import CacheCorruptError, CacheError, CacheMismatchError
from ablatio.games.cache import AblationCache, pack_masks, row_checks


def square(masks):
    return masks.sum(axis=1).astype(float) ** 2 + 0.123456789


def test_values_survive_reopening_byte_identical(tmp_path):
    path = tmp_path / "run.sqlite"
    masks = np.random.default_rng(0).random((50, 9)) < 0.5
    with Game(square, n=9, cache=path, name="sq") as first:
        fresh = first(masks)
    with Game(square, n=9, cache=path, name="sq") as second:
        again = second(masks)
        assert second.n_evaluated == 0 and second.n_cached == len(np.unique(masks, axis=0))
    assert fresh.tobytes() == again.tobytes()


def test_other_game_is_refused(tmp_path):
    path = tmp_path / "run.sqlite"
    Game(square, n=4, cache=path, name="sq").close()
    with pytest.raises(CacheMismatchError, match="n=4, not n=5"):
        Game(square, n=5, cache=path, name="sq")
    with pytest.raises(CacheMismatchError, match="another game"):
        Game(square, n=4, cache=path, name="sq", version="2")


def test_corrupt_and_truncated_files_are_refused(tmp_path):
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CacheCorruptError, match="not a valid ablatio cache"):
        Game(square, n=4, cache=garbage)
    good = tmp_path / "good.sqlite"
    with Game(square, n=6, cache=good, name="sq") as game:
        game(np.random.default_rng(1).random((40, 6)) < 0.5)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.sqlite"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(CacheCorruptError):
        game = Game(square, n=6, cache=truncated, name="sq")
        game(np.random.default_rng(1).random((40, 6)) < 0.5)


def test_unwritable_location_fails_before_work(tmp_path):
    with pytest.raises(CacheError, match="does not exist"):
        Game(square, n=3, cache=tmp_path / "missing" / "run.sqlite")
    with pytest.raises(CacheError):
        Game(square, n=3, cache="/proc/ablatio-cache.sqlite")


def test_put_many_ignores_existing_keys(tmp_path):
    cache = AblationCache(tmp_path / "c.sqlite", fingerprint="f", n_players=3)
    keys = pack_masks(np.eye(3, dtype=bool))
    cache.put_many(keys, [1.0, 2.0, 3.0])
    cache.put_many(keys[:1], [99.0])
    assert cache.get_many(keys) == dict(zip(keys, [1.0, 2.0, 3.0], strict=True))
    assert len(cache) == 3
    cache.close()


RUN = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from ablatio import Game

    cache, log, progress = sys.argv[1:4]
    weights = 2.0 ** np.arange(10)

    def slow(masks):
        time.sleep(0.03)
        with open(log, "a") as fh:
            fh.write("".join(f"{int(c)}\\n" for c in masks @ weights))
        return masks @ weights

    def report(p):
        with open(progress, "a") as fh:
            fh.write(f"{p.done}\\n")

    masks = np.random.default_rng(7).random((600, 10)) < 0.5
    with Game(slow, n=10, cache=cache, name="slow", batch_size=10, progress=report) as game:
        game(masks)
        print(game.n_evaluated, game.n_cached)
    """
)


def test_sigkill_mid_run_loses_no_finished_batch(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(RUN)
    cache, log1, log2, prog = (tmp_path / n for n in ("c.sqlite", "l1", "l2", "p1"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    proc = subprocess.Popen([sys.executable, str(script), cache, log1, prog], env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        if prog.exists() and len(prog.read_text().split()) >= 5:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    finished = prog.read_text().split()
    committed = int(finished[-1])  # masks committed when the last progress line was written
    out = subprocess.run(
        [sys.executable, str(script), cache, log2, tmp_path / "p2"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    n_evaluated, n_cached = map(int, out.stdout.split())
    total = len(np.unique(np.random.default_rng(7).random((600, 10)) < 0.5, axis=0))
    assert n_cached >= committed
    assert n_evaluated + n_cached == total
    # masks are logged in evaluation order before their batch is committed: the first
    # `committed` lines of the first log are batches that had finished before the kill
    finished_masks = set(log1.read_text().split()[:committed])
    resumed = set(log2.read_text().split())
    assert committed >= 50
    assert finished_masks.isdisjoint(resumed)


@pytest.mark.parametrize("n", [5, 64, 70])
def test_row_checks_change_with_every_single_bit(n):
    """The checksum is a chain of bijections: any one flipped bit of mask or value changes it."""
    rng = np.random.default_rng(n)
    masks = rng.random((3, n)) < 0.5
    keys, values = pack_masks(masks), rng.normal(size=3)
    base = row_checks("f" * 32, keys, values)
    for row in range(3):
        for bit in range(n):
            flipped = masks[row].copy()
            flipped[bit] = ~flipped[bit]
            check = row_checks("f" * 32, pack_masks(flipped[None]), values[row : row + 1])
            assert check[0] != base[row]
        bits = values[row : row + 1].view(np.uint64)
        for bit in range(64):
            changed = (bits ^ np.uint64(1 << bit)).view(np.float64)
            check = row_checks("f" * 32, keys[row : row + 1], changed)
            assert check[0] != base[row]


def test_row_checks_are_keyed_by_the_fingerprint_and_stable():
    keys, values = pack_masks(np.eye(4, dtype=bool)), np.arange(4.0)
    a = row_checks("a" * 32, keys, values)
    assert (a != row_checks("b" * 32, keys, values)).all()
    np.testing.assert_array_equal(a, row_checks("a" * 32, list(keys), values.tolist()))
    zero = row_checks("a" * 32, keys[:1], np.array([0.0]))
    assert zero == row_checks("a" * 32, keys[:1], np.array([-0.0]))  # SQLite may drop the sign
    # checksums written by one process must verify in every other one (no per-process salt)
    code = (
        "import numpy as np; from ablatio.games.cache import row_checks; "
        "print(int(row_checks('a' * 32, [bytes([128])], np.array([1.5]))[0]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert int(out.stdout) == int(row_checks("a" * 32, [bytes([128])], np.array([1.5]))[0])
