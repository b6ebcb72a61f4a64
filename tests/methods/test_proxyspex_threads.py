"""ProxySPEX limits math-library threads only while its own proxy and refits compute."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import ablatio
from ablatio.exceptions import ParameterError
from ablatio.methods import proxyspex


def _threads() -> list[int]:
    return sorted(info["num_threads"] for info in threadpool_info())


def test_thread_limit_covers_the_proxy_only(monkeypatch):
    import sklearn.ensemble  # noqa: F401 - load the OpenMP runtime the limit applies to

    seen_in_proxy: list[list[int]] = []
    original = proxyspex.fit_proxy_fourier

    def spy(*args, **kwargs):
        seen_in_proxy.append(_threads())
        return original(*args, **kwargs)

    monkeypatch.setattr(proxyspex, "fit_proxy_fourier", spy)
    planted = ablatio.sparse_and_game(8, n_terms=6, max_order=2, random_state=0)
    seen_in_game: list[list[int]] = []

    def value(masks):
        seen_in_game.append(_threads())
        return planted(masks)

    with threadpool_limits(limits=2):
        before = _threads()
        assert set(before) == {2}
        ablatio.explain(ablatio.Game(value, n=8), method="proxyspex", budget=120, random_state=0)
        after = _threads()
    assert after == before
    assert seen_in_game and all(t == before for t in seen_in_game)
    assert seen_in_proxy and all(set(t) == {1} for t in seen_in_proxy)


def test_the_stacked_answer_and_its_estimate_do_not_depend_on_the_blas_thread_count():
    game = ablatio.hierarchical_game(64, n_terms=20, max_order=3, noise_sd=0.5, random_state=0)
    runs = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads):
            expl = ablatio.explain(game, method="proxyspex", budget=1000, random_state=0)
        runs.append(expl)
    assert runs[0].model == runs[1].model == "stacked"
    np.testing.assert_array_equal(
        runs[0].interactions.coefficients, runs[1].interactions.coefficients
    )
    assert runs[0].holdout_r2 == runs[1].holdout_r2
    assert runs[0].model_weights == runs[1].model_weights


def _fit_threads(monkeypatch, **options) -> tuple[ablatio.Explanation, set[str]]:
    """ProxySPEX on a noisy game (its folds fit the best-of alternatives too) and the names of
    the threads its proxy ran in."""
    import threading

    names: set[str] = set()
    original = proxyspex.fit_proxy_fourier

    def spy(*args, **kwargs):
        names.add(threading.current_thread().name)
        return original(*args, **kwargs)

    game = ablatio.hierarchical_game(40, n_terms=20, max_order=3, noise_sd=0.5, random_state=1)
    with monkeypatch.context() as patch:
        patch.setattr(proxyspex, "fit_proxy_fourier", spy)
        expl = ablatio.explain(
            game, method="proxyspex", budget=600, random_state=0, options=options
        )
    return expl, names


def test_the_answer_does_not_depend_on_how_many_folds_run_at_once(monkeypatch):
    serial, serial_threads = _fit_threads(monkeypatch, n_jobs=1)
    threaded, threaded_threads = _fit_threads(monkeypatch, n_jobs=3)
    assert serial_threads == {"MainThread"}
    assert len(threaded_threads - {"MainThread"}) == 3  # the folds ran in three workers
    assert serial.model == threaded.model == "stacked"
    np.testing.assert_array_equal(
        serial.interactions.coefficients, threaded.interactions.coefficients
    )
    assert serial.holdout_r2 == threaded.holdout_r2
    assert serial.model_weights == threaded.model_weights


def test_folds_run_one_at_a_time_when_each_may_take_several_math_threads(monkeypatch):
    _, names = _fit_threads(monkeypatch, n_jobs=3, n_threads=2)
    assert names == {"MainThread"}


def test_n_jobs_minus_one_means_every_cpu_and_nonsense_is_refused(monkeypatch):
    monkeypatch.setattr(proxyspex, "available_cpus", lambda: 3)  # fewer than folds + 1 = 6
    _, names = _fit_threads(monkeypatch, n_jobs=-1)
    assert len(names - {"MainThread"}) == 3
    game = ablatio.sparse_and_game(8, n_terms=3, max_order=2, random_state=0)
    for bad in (0, -2, 1.5, "all"):
        with pytest.raises(ParameterError, match="n_jobs"):
            proxyspex.ProxySPEX(n_jobs=bad, budget=100).fit(game)


def test_by_default_small_fits_stay_in_one_thread_and_large_ones_use_every_cpu(monkeypatch):
    monkeypatch.setattr(proxyspex, "available_cpus", lambda: 2)
    _, small = _fit_threads(monkeypatch)  # 600 ablations x 40 parts, below the threshold
    assert small == {"MainThread"}
    monkeypatch.setattr(proxyspex, "_THREADED_CELLS", 600 * 40)
    _, large = _fit_threads(monkeypatch)
    assert len(large - {"MainThread"}) == 2
