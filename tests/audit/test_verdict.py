from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablatio.audit.verdict import compare_to_controls, corrected_paired_t
from ablatio.exceptions import ParameterError


def _scores(means, rng, sd=0.02, n=10):
    rows = []
    for control, mean in means.items():
        for fold in range(n):
            rows.append((0, fold, control, "m", mean + sd * rng.normal()))
    return pd.DataFrame(rows, columns=["seed", "fold", "control", "metric", "score"])


REASONS = {"shuffle": "sparsity", "taxonomy": "taxonomy", "rand": "chance"}


def _decide(means, seed=0):
    scores = _scores(means, np.random.default_rng(seed))
    return compare_to_controls(
        scores, metric="m", controls=["shuffle", "rand", "taxonomy"], reasons=REASONS,
        test_train_ratio=1 / 9,
    )  # fmt: skip


def test_supported_when_system_clears_all_controls():
    verdict = _decide({"sys": 0.8, "shuffle": 0.1, "rand": 0.0, "taxonomy": 0.2})
    assert verdict.status == "supported" and verdict.supported
    assert verdict.tests["significant"].all()
    assert "corrected repeated k-fold t-test" in verdict.text


def test_not_supported_names_the_explanation():
    verdict = _decide({"sys": 0.5, "shuffle": 0.1, "rand": 0.0, "taxonomy": 0.5})
    assert verdict.status == "not_supported"
    assert verdict.explained_by == ("taxonomy",)


def test_partly_explained_by_a_large_share():
    verdict = _decide({"sys": 0.5, "shuffle": 0.35, "rand": 0.0, "taxonomy": 0.1})
    assert verdict.status == "partly_explained"
    assert verdict.explained_by == ("sparsity",)
    share = verdict.tests.set_index("control").loc["shuffle", "share"]
    assert share == pytest.approx(0.7, abs=0.05)


def test_corrected_t_is_more_conservative_than_plain_t():
    diffs = np.random.default_rng(1).normal(0.05, 0.1, size=30)
    t_corr, _ = corrected_paired_t(diffs, 1 / 9)
    t_plain = diffs.mean() / (diffs.std(ddof=1) / np.sqrt(30))
    assert 0 < t_corr < t_plain
    assert corrected_paired_t(np.full(5, 0.1), 0.1) == (np.inf, 0.0)


def test_errors():
    scores = _scores({"sys": 0.5}, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="lack controls"):
        compare_to_controls(scores, metric="m", controls=["shuffle"], reasons={},
                            test_train_ratio=0.1)  # fmt: skip
    with pytest.raises(ParameterError, match="alpha"):
        compare_to_controls(scores, metric="m", controls=[], reasons={}, test_train_ratio=0.1,
                            alpha=2)  # fmt: skip
