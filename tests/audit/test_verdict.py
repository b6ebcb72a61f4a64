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
    scores = _scores(means, np.random.default_rng(seed), sd=0.01)
    return compare_to_controls(
        scores, metric="m", controls=["shuffle", "rand", "taxonomy"], reasons=REASONS,
        test_train_ratio=1 / 9,
    )  # fmt: skip


def test_supported_when_system_clears_all_controls():
    verdict = _decide({"sys": 0.8, "shuffle": 0.1, "rand": 0.0, "taxonomy": 0.15})
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


def test_no_tested_control_is_never_supported():
    scores = _scores({"sys": 0.9, "upper": 1.0}, np.random.default_rng(0))
    verdict = compare_to_controls(scores, metric="m", controls=[], reasons={},
                                  test_train_ratio=1 / 9)  # fmt: skip
    assert verdict.status == "untested" and not verdict.supported
    assert "no control" in verdict.text


#: The paper's table (Sys, Upper, Shuffle, Shuf-Upper, Rand), the calibration set.
PAPER = {
    "mcrae": (0.25, 0.27, 0.10, 0.13, 0.01),
    "buchanan": (0.18, 0.22, 0.06, 0.11, 0.01),
    "binder": (0.74, 0.90, 0.30, 0.59, 0.01),
}


@pytest.mark.parametrize("norm_set", sorted(PAPER))
def test_the_papers_own_numbers_are_flagged(norm_set):
    sys_, upper, shuffle, shuf_upper, rand = PAPER[norm_set]
    means = {"sys": sys_, "upper": upper, "shuffle": shuffle, "shuf_upper": shuf_upper,
             "rand": rand}  # fmt: skip
    scores = _scores(means, np.random.default_rng(1), sd=0.01)
    verdict = compare_to_controls(scores, metric="m", controls=["shuffle", "rand"],
                                  reasons=REASONS, test_train_ratio=1 / 9)  # fmt: skip
    # the controls are cleared significantly, yet Shuffle keeps 29-40 % of the score above
    # chance and Sys sits at 81-92 % of its ceiling: never "supported"
    assert verdict.tests["significant"].all()
    assert verdict.status == "partly_explained"
    assert any("ceiling" in e for e in verdict.explained_by)
    ratios = verdict.ratios.set_index("ratio")
    expected = {
        "sys/upper": (sys_ - rand) / (upper - rand),
        "shuffle/sys": (shuffle - rand) / (sys_ - rand),
        "shuf_upper/upper": (shuf_upper - rand) / (upper - rand),
    }
    for name, value in expected.items():
        low, estimate, high = ratios.loc[name, ["low", "estimate", "high"]]
        assert estimate == pytest.approx(value, abs=0.05)
        assert low < estimate < high


def test_ceiling_bound_when_controls_are_cleared_at_a_low_ceiling():
    means = {"sys": 0.30, "upper": 0.32, "shuffle": 0.05, "shuf_upper": 0.1, "rand": 0.01,
             "taxonomy": 0.05}  # fmt: skip
    verdict = _decide(means)
    assert verdict.status == "ceiling_bound"
    # a ceiling at the metric's maximum is success, not a bound
    verdict = _decide({**means, "sys": 0.97, "upper": 1.0, "shuf_upper": 0.9})
    assert verdict.status == "supported"


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
