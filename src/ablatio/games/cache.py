"""Durable SQLite store of evaluated ablations: packed mask → value, per game fingerprint.

Every batch is written in one transaction (WAL journal, ``synchronous=FULL``), so a process
killed with SIGKILL keeps every batch it finished; re-opening the file re-uses them. A file is
bound to one game: opening it for another fingerprint or another ``n`` is refused.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ablatio.exceptions import CacheCorruptError, CacheError, CacheMismatchError

__all__ = ["CACHE_SCHEMA_VERSION", "AblationCache", "pack_masks"]

CACHE_SCHEMA_VERSION = 1
#: Tables of a cache file and their columns, in order.
_TABLES = {"meta": ["key", "value"], "ablations": ["fingerprint", "mask", "value"]}
#: Seconds a writer waits for another process's lock before failing.
_BUSY_TIMEOUT_S = 30.0
#: SQLite limits the number of host parameters per statement; look up keys in chunks.
_LOOKUP_CHUNK = 500
#: Free disk space (bytes) required next to the cache file before a run starts.
MIN_FREE_BYTES = 16 * 2**20


def pack_masks(masks: np.ndarray) -> list[bytes]:
    """One compact key per mask row: the row's bits packed into bytes."""
    packed = np.packbits(masks, axis=1)
    return [row.tobytes() for row in packed]


class AblationCache:
    """SQLite-backed mapping from packed masks to float64 values for one game.

    Parameters
    ----------
    path : str or Path
        The cache file (created if absent; its directory must exist and be writable).
    fingerprint : str
        Identifies the game (name, n, version); the file refuses other fingerprints.
    n_players : int
        Number of parts of the game.
    meta : dict, optional
        Extra JSON-serialisable description stored on creation (for humans and reports).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        fingerprint: str,
        n_players: int,
        meta: dict[str, object] | None = None,
    ) -> None:
        self.path = Path(path)
        self.fingerprint = fingerprint
        self.n_players = n_players
        self._check_location()
        try:
            self._conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
            self._check_tables()
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._init_schema(meta or {})
        except sqlite3.OperationalError as exc:
            msg = (
                f"cannot open or write the cache file {self.path} ({exc}): check that the "
                "location is writable and has free space before starting the run"
            )
            raise CacheError(msg) from exc
        except sqlite3.DatabaseError as exc:
            msg = (
                f"cache file {self.path} is not a valid ablatio cache ({exc}). Delete it or "
                "pass a new path to rebuild it; no values were read from it."
            )
            raise CacheCorruptError(msg) from exc

    def _check_location(self) -> None:
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.is_dir():
            msg = f"cache directory {parent} does not exist: create it or choose another path"
            raise CacheError(msg)
        if self.path.exists():
            if not os.access(self.path, os.R_OK | os.W_OK):
                msg = f"cache file {self.path} is not readable and writable"
                raise CacheError(msg)
        elif not os.access(parent, os.W_OK):
            msg = (
                f"cache directory {parent} is not writable: no ablation could be saved. "
                "Choose a writable path before starting the run."
            )
            raise CacheError(msg)
        free = shutil.disk_usage(parent).free
        if free < MIN_FREE_BYTES:
            msg = (
                f"only {free // 2**20} MiB free in {parent}; the ablation cache needs at least "
                f"{MIN_FREE_BYTES // 2**20} MiB. Free some space or choose another path before "
                "starting the run."
            )
            raise CacheError(msg)

    def _init_schema(self, meta: dict[str, object]) -> None:
        conn = self._conn
        ok = conn.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            msg = f"cache file {self.path} failed SQLite's integrity check: {ok}"
            raise sqlite3.DatabaseError(msg)
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS ablations ("
                " fingerprint TEXT NOT NULL, mask BLOB NOT NULL, value REAL NOT NULL,"
                " PRIMARY KEY (fingerprint, mask)) WITHOUT ROWID"
            )
            stored = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            if not stored:
                rows = {
                    "schema_version": str(CACHE_SCHEMA_VERSION),
                    "fingerprint": self.fingerprint,
                    "n_players": str(self.n_players),
                    "description": json.dumps(meta, sort_keys=True, default=str),
                }
                conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(rows.items()))
                conn.execute("COMMIT")
                return
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._check_meta(stored)

    def _check_tables(self) -> None:
        """Refuse, before writing anything, a database whose ``meta``/``ablations`` are not ours.

        Other tables may share the file (the HTTP backend's response cache does), but a
        ``meta`` or ``ablations`` table with other columns, or one of the two without the
        other, belongs to something else.
        """
        names = [
            name
            for (name,) in self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            ).fetchall()
        ]
        ours = {
            name: [row[1] for row in self._conn.execute(f"PRAGMA table_info('{name}')")]
            for name in names
            if name in _TABLES
        }
        if any(_TABLES[name] != columns for name, columns in ours.items()) or len(ours) == 1:
            shown = "; ".join(f"{k}({', '.join(v)})" for k, v in sorted(ours.items()))
            msg = (
                f"cache file {self.path} is an SQLite database but not an ablatio cache "
                f"(tables: {shown:.200}). Nothing was read or written: pass a new path for "
                "the cache."
            )
            raise CacheCorruptError(msg)

    def _check_meta(self, stored: dict[str, str]) -> None:
        if stored.get("schema_version") != str(CACHE_SCHEMA_VERSION):
            msg = (
                f"cache file {self.path} has schema version {stored.get('schema_version')!r}, "
                f"this ablatio writes {CACHE_SCHEMA_VERSION}: use a new cache path"
            )
            raise CacheCorruptError(msg)
        if stored.get("n_players") != str(self.n_players):
            msg = (
                f"cache file {self.path} was written for a game with n={stored.get('n_players')}"
                f", not n={self.n_players}: use another cache path for this game"
            )
            raise CacheMismatchError(msg)
        if stored.get("fingerprint") != self.fingerprint:
            msg = (
                f"cache file {self.path} belongs to another game (fingerprint "
                f"{stored.get('fingerprint')}, this game is {self.fingerprint}; "
                f"stored description: {stored.get('description')}). Use another cache path, "
                "or the same name/version as the run that wrote it."
            )
            raise CacheMismatchError(msg)

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, float]:
        """Values of the keys that are stored (missing keys are absent from the result)."""
        found: dict[bytes, float] = {}
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = list(keys[start : start + _LOOKUP_CHUNK])
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT mask, value FROM ablations WHERE fingerprint = ? AND mask IN ({marks})",
                [self.fingerprint, *chunk],
            ).fetchall()
            self._check_values(rows)
            found.update(rows)
        return found

    def _check_values(self, rows: list[tuple[bytes, object]]) -> None:
        """Refuse stored values that are not finite floats (a tampered or damaged row)."""
        for mask, value in rows:
            if not isinstance(value, float) or not math.isfinite(value):
                msg = (
                    f"cache file {self.path} holds {type(value).__name__} {value!r:.40} for a "
                    f"stored ablation (mask blob {len(mask)} bytes) where a finite float belongs:"
                    " the file was modified outside ablatio. Delete it or pass a new path to "
                    "rebuild it; no value was read from it."
                )
                raise CacheCorruptError(msg)

    def put_many(self, keys: Iterable[bytes], values: Iterable[float]) -> None:
        """Store a batch in one committed transaction (existing keys are left unchanged)."""
        rows = [(self.fingerprint, k, float(v)) for k, v in zip(keys, values, strict=True)]
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR IGNORE INTO ablations VALUES (?, ?, ?)", rows)
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            msg = (
                f"could not write {len(rows)} evaluated ablations to {self.path} ({exc}). "
                "Every batch committed before this one is kept; fix the cause (disk full, "
                "file locked by another process, read-only file) and re-run to resume."
            )
            raise CacheError(msg) from exc
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def __len__(self) -> int:
        return int(
            self._conn.execute(
                "SELECT COUNT(*) FROM ablations WHERE fingerprint = ?", [self.fingerprint]
            ).fetchone()[0]
        )

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        self._conn.close()

    def __enter__(self) -> AblationCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
