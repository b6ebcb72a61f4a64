"""``ablatio explain``'s default table: named Shapley values and pairs; raw terms on request."""

from __future__ import annotations

import pytest

REVIEW = "The movie was not good at all, but the actors were brilliant"


@pytest.fixture
def vader_args():
    pytest.importorskip("vaderSentiment")
    return ["explain", "text", "--prompt", REVIEW, "--model", "vader", "--n-test", "100"]


def test_default_view_shows_shapley_values_and_pairs(cli, vader_args, last_json):
    result = cli(*vader_args)
    assert result.exit_code == 0, result.stderr
    err = result.stderr
    assert "Shapley values" in err and "11:brilliant" in err
    assert "pairs (Shapley–Taylor)" in err and "sum = f(all) − f(∅)" in err
    assert "3:not × 11:brilliant" in err
    assert "variance by order (Fourier): 1: 61.5 %" in err
    assert err.index("Shapley values") < err.index("pairs (Shapley–Taylor)")
    payload = last_json(cli(*vader_args, "--json"))
    assert max(payload["shapley"], key=lambda k: abs(payload["shapley"][k])) == "11:brilliant"


def test_moebius_view_and_bad_view(cli, vader_args):
    raw = cli(*vader_args, "--view", "moebius")
    assert raw.exit_code == 0 and "top 10 interactions (moebius)" in raw.stderr
    assert "Shapley values" not in raw.stderr
    bad = cli(*vader_args, "--view", "pretty")
    assert bad.exit_code == 2 and "--view == 'pretty'" in bad.stderr
