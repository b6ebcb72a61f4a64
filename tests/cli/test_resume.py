"""Kill ``ablatio explain`` with SIGKILL mid-run, re-run it: no finished ablation is redone."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import ablatio
from ablatio import Interactions

#: Seconds to wait for the first run to commit enough batches before giving up.
_STARTUP_TIMEOUT_S = 60.0
N = 10
ARGS = (
    f"explain game --kind and --n {N} --terms 10 --order 3 --game-seed 11 --batch-size 16 "
    "--n-test 100"
).split()


def _ablatio(*args: object, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(Path(ablatio.__file__).parents[1]))
    return subprocess.Popen(
        [sys.executable, "-m", "ablatio", *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _rows(cache: Path) -> int:
    try:
        with sqlite3.connect(cache, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM ablations").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_sigkill_then_rerun_evaluates_no_finished_ablation_again(tmp_path):
    cache = tmp_path / "run.sqlite"
    slow = _ablatio(*ARGS, "--cache", cache, "--delay", "0.05", "--quiet")
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while _rows(cache) < 10 * 16:
        assert slow.poll() is None, slow.communicate()
        assert time.monotonic() < deadline, "the first run never got going"
        time.sleep(0.05)
    slow.send_signal(signal.SIGKILL)
    slow.communicate()
    assert slow.returncode == -signal.SIGKILL
    finished = _rows(cache)
    assert 0 < finished < 2**N, "kill the run in the middle, not before or after"

    resumed = _ablatio(*ARGS, "--cache", cache, "--json", "--out", tmp_path / "out", "--no-png")
    stdout, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    payload = json.loads(stdout.strip().splitlines()[-1])
    assert payload["n_queries"] == 2**N
    assert payload["n_cached"] == finished  # every finished ablation is re-used ...
    assert payload["n_evaluated"] == 2**N - finished  # ... and none is evaluated again
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert (run["n_cached"], run["n_evaluated"]) == (finished, 2**N - finished)
    assert _rows(cache) == 2**N

    truth = ablatio.sparse_and_game(N, n_terms=10, max_order=3, random_state=11)
    result = Interactions.load(tmp_path / "out" / "interactions.json")
    assert result.allclose(truth.true_interactions, atol=1e-9)


def test_ctrl_c_exits_130_and_keeps_the_cache(tmp_path):
    cache = tmp_path / "run.sqlite"
    # 0.25 s per batch: the whole run takes > 16 s, so a loaded machine that schedules this
    # test late still interrupts it mid-run (at 0.05 s it once finished first: exit 0)
    # A shell without job control starts background jobs with SIGINT ignored, and a child
    # inherits that (Python then installs no KeyboardInterrupt handler): restore the default,
    # as a terminal would, or the run ignores the interrupt and exits 0.
    slow = _ablatio(
        *ARGS,
        "--cache",
        cache,
        "--delay",
        "0.25",
        "--quiet",
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while _rows(cache) < 2 * 16:
        assert slow.poll() is None, slow.communicate()
        assert time.monotonic() < deadline, "the first run never got going"
        time.sleep(0.05)
    slow.send_signal(signal.SIGINT)
    _, stderr = slow.communicate(timeout=60)
    assert slow.returncode == 130
    assert "Re-run the same command to resume" in stderr
    finished = _rows(cache)
    assert finished >= 2 * 16 and finished % 16 == 0  # whole batches only
