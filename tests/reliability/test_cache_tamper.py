"""Cache rows tampered with outside ablatio: a clear error offering a rebuild, never garbage."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from ablatio import Game
from ablatio.exceptions import CacheCorruptError

N = 6
MASKS = np.random.default_rng(0).random((20, N)) < 0.5


def value(masks):
    return masks @ np.arange(1.0, N + 1) + 0.25


def _filled(path):
    Game(value, N, name="tamper", cache=path)(MASKS)


@pytest.mark.parametrize(
    "literal",
    ["X'00ff'", "'abc'", "'1.5'", "9e999", "-9e999"],
    ids=["blob", "text", "numeric_text", "inf", "minus_inf"],
)
def test_tampered_value_is_refused(tmp_path, literal):
    path = tmp_path / "cache.sqlite"
    _filled(path)
    with sqlite3.connect(path) as conn:
        conn.execute(
            f"UPDATE ablations SET value = {literal} WHERE mask = "
            "(SELECT mask FROM ablations ORDER BY mask LIMIT 1)"
        )
    game = Game(value, N, name="tamper", cache=path)
    if literal == "'1.5'":  # REAL affinity stores numeric text as the float 1.5: a legal value
        assert game(MASKS).dtype == np.float64
        return
    with pytest.raises(CacheCorruptError, match="rebuild"):
        game(MASKS)


@pytest.mark.parametrize("new_length", [0, 1, 5])
def test_mask_blob_of_wrong_length_is_never_returned(tmp_path, new_length):
    path = tmp_path / "cache.sqlite"
    _filled(path)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE ablations SET mask = zeroblob(?), value = 1e6 WHERE mask = "
            "(SELECT mask FROM ablations ORDER BY mask LIMIT 1)",
            [new_length],
        )
    values = Game(value, N, name="tamper", cache=path)(MASKS)
    np.testing.assert_array_equal(values, value(MASKS))


@pytest.mark.parametrize(
    "schema",
    [
        "CREATE TABLE ablations (a TEXT, b INTEGER)",
        "CREATE TABLE ablations (fingerprint TEXT, mask BLOB, value REAL)",
        "CREATE TABLE meta (key TEXT, value TEXT)",
        "CREATE TABLE meta (key TEXT, value TEXT); CREATE TABLE ablations (x REAL)",
    ],
    ids=["other_columns", "no_meta", "no_ablations", "meta_and_other_ablations"],
)
def test_a_foreign_sqlite_database_is_refused_untouched(tmp_path, schema):
    path = tmp_path / "foreign.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(schema)
    before = path.read_bytes()
    with pytest.raises(CacheCorruptError, match="not an ablatio cache"):
        Game(value, N, name="tamper", cache=path)
    assert path.read_bytes() == before


def test_other_tables_may_share_the_file(tmp_path):
    path = tmp_path / "shared.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, response TEXT)")
    _filled(path)
    game = Game(value, N, name="tamper", cache=path)
    np.testing.assert_array_equal(game(MASKS), value(MASKS))
    assert game.n_cached == len({m.tobytes() for m in MASKS})
