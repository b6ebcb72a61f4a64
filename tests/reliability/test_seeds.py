"""Same seed → byte-identical explanation across processes, for every randomised method."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ablatio.methods import METHODS

RANDOMISED = sorted(set(METHODS) - {"exact"})
N_PLAYERS = 10
SCRIPT = """
import hashlib, sys
import ablatio
from ablatio.methods import METHODS
game = ablatio.sparse_and_game({n}, 6, 3, noise_sd=0.01, random_state=3)
first_order = {{"banzhaf", "kernelshap", "lime", "permutation"}}
for name in sys.argv[1:]:
    order = 1 if name in first_order else 2
    expl = ablatio.explain(game, method=name, budget=800, max_order=order, random_state=7)
    coef = expl.interactions.to_dataframe().to_csv(float_format="%.17g")
    print(name, hashlib.sha256(coef.encode()).hexdigest())
"""


def _run(hash_seed: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    env["PYTHONPATH"] = str(Path(__file__).parents[2] / "src")
    code = SCRIPT.format(n=N_PLAYERS)
    out = subprocess.run(
        [sys.executable, "-c", code, *RANDOMISED],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    ).stdout
    return dict(line.split() for line in out.splitlines())


def test_same_seed_identical_across_processes():
    first, second = _run("1"), _run("2")
    assert sorted(first) == RANDOMISED
    assert first == second
    assert len(set(first.values())) > 1  # the digests really depend on the method
    assert hashlib.sha256(b"").hexdigest() not in first.values()


@pytest.mark.filterwarnings("ignore::ablatio.exceptions.RecoveryWarning")  # mobius, by design
def test_same_seed_identical_across_blas_thread_counts():
    import numpy as np
    from threadpoolctl import threadpool_limits

    import ablatio

    game = ablatio.sparse_and_game(N_PLAYERS, 6, 3, noise_sd=0.01, random_state=3)
    first_order = {"banzhaf", "kernelshap", "lime", "permutation"}
    for name in RANDOMISED:
        order = 1 if name in first_order else 2
        runs = []
        for threads in (1, 2, 4):
            with threadpool_limits(limits=threads):
                expl = ablatio.explain(
                    game, method=name, budget=800, max_order=order, random_state=7
                )
            runs.append(expl.interactions.coefficients)
        for other in runs[1:]:
            np.testing.assert_array_equal(runs[0], other, err_msg=name)


@pytest.mark.parametrize("name", ["faithshap", "faithbanzhaf"])
def test_large_regressions_identical_across_blas_thread_counts(name):
    import numpy as np
    from threadpoolctl import threadpool_limits

    import ablatio

    game = ablatio.sparse_and_game(16, 10, 3, noise_sd=0.01, random_state=3)
    runs = []
    for threads in (1, 4):
        with threadpool_limits(limits=threads):
            expl = ablatio.explain(game, method=name, budget=6000, max_order=3, random_state=7)
        runs.append(expl.interactions.coefficients)
    np.testing.assert_array_equal(runs[0], runs[1])
