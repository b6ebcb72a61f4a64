"""RayBackend on a local Ray runtime: identical results to the in-process backend."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import ablatio
from ablatio import Game
from ablatio.backends.base import get_backend
from ablatio.exceptions import EvaluationError, ParameterError

ray = pytest.importorskip("ray")
from ablatio.backends.ray import RayBackend  # noqa: E402

_RAY_DIR = Path.home() / ".ray"


@pytest.fixture(scope="module")
def local_ray():
    """A 2-CPU local runtime for the module; removes ~/.ray if Ray created it."""
    existed = _RAY_DIR.exists()
    with pytest.MonkeyPatch.context() as env:
        # a local cluster needs no token: a shared ~/.ray/auth_token can vanish under another run
        env.setenv("RAY_AUTH_MODE", "disabled")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        yield
        ray.shutdown()
    if not existed:
        shutil.rmtree(_RAY_DIR, ignore_errors=True)


def test_get_backend_builds_ray_backend():
    assert isinstance(get_backend("ray"), RayBackend)


def test_invalid_settings_raise():
    with pytest.raises(ParameterError, match="max_in_flight"):
        RayBackend(max_in_flight=0)


def test_exact_explanation_identical_to_serial(local_ray, tmp_path):
    game = ablatio.sparse_and_game(9, n_terms=8, max_order=3, noise_sd=0.1, random_state=4)
    # same batches as the Ray run: the synthetic game's float sums depend on the batch (1 ulp)
    serial = ablatio.explain(Game(game, batch_size=37), method="exact").interactions
    backend = RayBackend(max_in_flight=3)
    with Game(game, batch_size=37, backend=backend, cache=tmp_path / "ray.sqlite") as g:
        distributed = ablatio.explain(g, method="exact").interactions
        assert g.n_evaluated == 2**9
    assert distributed == serial  # bit-identical coefficients and terms
    # every batch streamed back into the cache: a second game reads all of them
    with Game(game, cache=tmp_path / "ray.sqlite") as again:
        assert ablatio.explain(again, method="exact").interactions == serial
        assert again.n_evaluated == 0 and again.n_cached == 2**9


def test_results_stay_in_batch_order(local_ray):
    masks = np.eye(6, dtype=bool).repeat(5, axis=0)[:, :6]
    batches = [masks[i : i + 4] for i in range(0, len(masks), 4)]
    out = list(RayBackend(max_in_flight=2).map(lambda m: m.argmax(axis=1) * 1.0, batches))
    assert [list(o) for o in out] == [list(b.argmax(axis=1) * 1.0) for b in batches]


def test_worker_failure_keeps_finished_batches(local_ray, tmp_path):
    def fails_on_player_2(masks):  # a closure: Ray pickles it by value for the workers
        if masks[:, 2].any():
            raise RuntimeError("model crashed")
        return masks.sum(axis=1).astype(float)

    from ablatio.methods.exact import all_masks

    masks = all_masks(4)
    masks = masks[np.argsort(masks[:, 2], kind="stable")]  # the 8 masks without player 2 first
    game = Game(
        fails_on_player_2,
        n=4,
        batch_size=1,
        cache=tmp_path / "c.sqlite",
        backend=RayBackend(max_in_flight=1),
    )
    with pytest.raises(EvaluationError, match="model crashed"):
        game(masks)
    assert game.n_evaluated == 8
    game.close()
    with Game(fails_on_player_2, n=4, cache=tmp_path / "c.sqlite") as again:
        assert list(again(masks[:8])) == list(masks[:8].sum(axis=1).astype(float))
        assert again.n_cached == 8 and again.n_evaluated == 0


def test_cli_backend_ray_reuses_the_running_runtime(local_ray):
    import json

    from typer.testing import CliRunner

    from ablatio.cli.app import build_app

    args = "explain game --kind parity --n 8 --terms 6 --batch-size 32 --n-test 50 --json"
    runner = CliRunner()
    serial = runner.invoke(build_app(), args.split())
    distributed = runner.invoke(build_app(), [*args.split(), "--backend", "ray"])
    assert distributed.exit_code == 0, distributed.stderr
    assert json.loads(distributed.stdout) == json.loads(serial.stdout) | {
        "fit_time": json.loads(distributed.stdout)["fit_time"]
    }
    assert ray.is_initialized()  # a runtime the backend found is left running


def test_timeout_kills_a_hung_task_and_keeps_finished_batches(local_ray, tmp_path):
    from ablatio.games.cache import AblationCache

    def _hang_when_all_ablated(masks):  # local: Ray pickles it by value
        """Sum of kept parts; never returns for the all-ablated mask (a hung model)."""
        import time

        if not masks.any(axis=1).all():
            time.sleep(3600)
        return masks.sum(axis=1).astype(float)

    path = tmp_path / "hang.sqlite"
    backend = RayBackend(max_in_flight=2)
    with Game(
        _hang_when_all_ablated, n=3, batch_size=1, cache=path, backend=backend, timeout=5
    ) as g:
        assert g([[1, 1, 1]]).tolist() == [3.0]  # workers warm
        with pytest.raises(EvaluationError, match=r"batch 2 of 3 .*timeout=5.0s.*Ray worker"):
            g([[0, 1, 1], [0, 0, 0], [1, 1, 0]])
        assert g([[0, 0, 1]]).tolist() == [1.0]
        fingerprint = g.fingerprint
    with AblationCache(path, fingerprint=fingerprint, n_players=3) as cache:
        assert len(cache) == 3
