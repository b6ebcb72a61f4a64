"""SQLite store of raw endpoint responses, keyed by a hash of the request.

It lives in its own ``responses`` table, so it can share one file with the
:class:`~ablatio.games.cache.AblationCache` of the same run (pass the same path to both).
Each response is committed as soon as it arrives (WAL journal, ``synchronous=FULL``): a run
that fails or is killed half-way keeps every response it received. Request hashes never
include credentials (they travel in headers, which are not part of the key).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from ablatio.exceptions import CacheCorruptError, CacheError

__all__ = ["ResponseCache", "request_key"]

#: Seconds a writer waits for another process's lock before failing.
_BUSY_TIMEOUT_S = 30.0


def request_key(url: str, body: dict[str, Any], reading: dict[str, Any] | None = None) -> str:
    """sha256 of the endpoint URL, the canonical JSON request body and how it is read.

    ``reading`` names what is taken from the response when the cache stores that value rather
    than the raw response: e.g. the continuation scored and where it starts in the prompt.
    Everything that determines the stored value is in the key.
    """
    parts: dict[str, Any] = {"url": url, "body": body}
    if reading is not None:
        parts["reading"] = reading
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


class ResponseCache:
    """Request hash -> response JSON, one committed transaction per response.

    Parameters
    ----------
    path : str or Path
        SQLite file (created if absent; may be the run's ablation cache file).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS responses"
                " (key TEXT PRIMARY KEY, response TEXT NOT NULL)"
            )
        except sqlite3.OperationalError as exc:
            msg = f"cannot open or write the response cache {self.path} ({exc}): check the path"
            raise CacheError(msg) from exc
        except sqlite3.DatabaseError as exc:
            msg = f"response cache {self.path} is not a valid SQLite file ({exc}): use a new path"
            raise CacheCorruptError(msg) from exc

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored response, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT response FROM responses WHERE key = ?", [key]
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: str, response: dict[str, Any]) -> None:
        """Store one response (replacing a row of the same key that failed validation)."""
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?)",
                [key, json.dumps(response, allow_nan=False)],
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()
