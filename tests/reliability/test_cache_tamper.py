"""Cache rows tampered with outside ablatio: a clear error offering a rebuild, never garbage.

Since schema 2 every row carries a keyed checksum of mask + value (key from the game
fingerprint): a value changed to another finite float, swapped masks, a row copied from
another game or a changed checksum are refused (issue 14, item 5); before, they were returned.
"""

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
    ["X'00ff'", "'abc'", "'1.5'", "9e999", "-9e999", "value + 1e-9", "value * 2", "0.0"],
    ids=["blob", "text", "numeric_text", "inf", "minus_inf", "plus_1e-9", "doubled", "zero"],
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


def _first_two_masks(conn):
    return [row[0] for row in conn.execute("SELECT mask FROM ablations ORDER BY mask LIMIT 2")]


def test_swapped_masks_are_refused(tmp_path):
    path = tmp_path / "cache.sqlite"
    _filled(path)
    with sqlite3.connect(path) as conn:
        a, b = _first_two_masks(conn)
        conn.execute("UPDATE ablations SET mask = X'ff' WHERE mask = ?", [a])
        conn.execute("UPDATE ablations SET mask = ? WHERE mask = ?", [a, b])
        conn.execute("UPDATE ablations SET mask = ? WHERE mask = X'ff'", [b])
    with pytest.raises(CacheCorruptError, match="integrity check"):
        Game(value, N, name="tamper", cache=path)(MASKS)


@pytest.mark.parametrize(
    "literal", ["row_check + 1", "'abc'", "NULL"], ids=["plus_1", "text", "null"]
)
def test_changed_checksum_is_refused(tmp_path, literal):
    path = tmp_path / "cache.sqlite"
    _filled(path)
    with sqlite3.connect(path) as conn:
        (a, _) = _first_two_masks(conn)
        try:
            conn.execute(f"UPDATE ablations SET row_check = {literal} WHERE mask = ?", [a])
        except sqlite3.IntegrityError:  # NOT NULL: the edit itself is refused by SQLite
            return
    with pytest.raises(CacheCorruptError, match="rebuild"):
        Game(value, N, name="tamper", cache=path)(MASKS)


def test_row_copied_from_another_game_is_refused(tmp_path):
    ours, theirs = tmp_path / "ours.sqlite", tmp_path / "theirs.sqlite"
    _filled(ours)
    Game(lambda m: -value(m), N, name="other", version="1", cache=theirs)(MASKS)
    with sqlite3.connect(theirs) as conn:
        mask, val, check = conn.execute(
            "SELECT mask, value, row_check FROM ablations ORDER BY mask LIMIT 1"
        ).fetchone()
    with sqlite3.connect(ours) as conn:
        conn.execute(
            "UPDATE ablations SET value = ?, row_check = ? WHERE mask = ?", [val, check, mask]
        )
    with pytest.raises(CacheCorruptError, match="integrity check"):
        Game(value, N, name="tamper", cache=ours)(MASKS)


def test_schema_1_cache_without_checksums_is_refused_with_a_rebuild_hint(tmp_path):
    path = tmp_path / "old.sqlite"
    game = Game(value, N, name="tamper", cache=path)
    fingerprint = game.fingerprint
    game.close()
    path.unlink()
    with sqlite3.connect(path) as conn:  # the layout ablatio 0.1 wrote
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute(
            "CREATE TABLE ablations (fingerprint TEXT NOT NULL, mask BLOB NOT NULL, "
            "value REAL NOT NULL, PRIMARY KEY (fingerprint, mask)) WITHOUT ROWID"
        )
        meta = {"schema_version": "1", "fingerprint": fingerprint, "n_players": str(N)}
        conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        conn.execute("INSERT INTO ablations VALUES (?, X'fc', 6.0)", [fingerprint])
    with pytest.raises(CacheCorruptError, match=r"schema version '1'.*checksums.*rebuild"):
        Game(value, N, name="tamper", cache=path)


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
