"""Overhead of the per-row integrity check of the ablation cache on a 100,000-row cache.

Run from the repository root::

    PYTHONPATH=src python benchmarks/cache_integrity.py [--rows 100000] [--n 64] [--repeats 5]

Writes ``benchmarks/results/cache_integrity.{json,md}``. Three variants:

* ``schema 1``: the statements of ablatio 0.1 (rows ``(fingerprint, mask, value)``, no
  checksum, finite-float check on reads): what users had;
* ``schema 2 unchecked``: schema 2's layout (``(mask, value, row_check)``; the file is bound to
  one fingerprint, so rows no longer repeat it) with a constant instead of the checksum and no
  verification: isolates the cost of computing and verifying checksums;
* ``schema 2``: :class:`~ablatio.games.cache.AblationCache`, a keyed checksum per row verified
  on every read.

Writes go in batches of 256 (Game's default, one committed transaction each) and of 4096;
reads look up every key, in calls of 256 and in one call. Wall and CPU times are the best of
the repeats (on a shared machine other processes only add time), variants interleaved in
rotating order.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ablatio.games.cache import _LOOKUP_CHUNK, AblationCache, pack_masks, row_checks

RESULTS = Path(__file__).parent / "results"


class Baseline:
    """Cache statements without checksums: schema 1's layout, or schema 2's (``lean``)."""

    def __init__(self, path: Path, fingerprint: str, *, lean: bool) -> None:
        self.fingerprint = fingerprint
        self.lean = lean
        self._conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(
            "CREATE TABLE ablations (mask BLOB PRIMARY KEY NOT NULL, value REAL NOT NULL, "
            "row_check INTEGER NOT NULL) WITHOUT ROWID"
            if lean
            else "CREATE TABLE ablations (fingerprint TEXT NOT NULL, mask BLOB NOT NULL, "
            "value REAL NOT NULL, PRIMARY KEY (fingerprint, mask)) WITHOUT ROWID"
        )

    def put_many(self, keys: list[bytes], values: np.ndarray) -> None:
        if self.lean:
            rows = [(k, float(v), 0) for k, v in zip(keys, values, strict=True)]
            sql = "INSERT OR IGNORE INTO ablations VALUES (?, ?, ?)"
        else:
            rows = [(self.fingerprint, k, float(v)) for k, v in zip(keys, values, strict=True)]
            sql = "INSERT OR IGNORE INTO ablations VALUES (?, ?, ?)"
        self._conn.execute("BEGIN IMMEDIATE")
        self._conn.executemany(sql, rows)
        self._conn.execute("COMMIT")

    def get_many(self, keys: list[bytes]) -> dict[bytes, float]:
        found: dict[bytes, float] = {}
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            if self.lean:
                sql = f"SELECT mask, value FROM ablations WHERE mask IN ({marks})"
                params = chunk
            else:
                sql = (
                    f"SELECT mask, value FROM ablations WHERE fingerprint = ? AND mask IN ({marks})"
                )
                params = [self.fingerprint, *chunk]
            rows = self._conn.execute(sql, params).fetchall()
            for _, value in rows:
                if not isinstance(value, float) or not math.isfinite(value):
                    raise RuntimeError
            found.update(rows)
        return found

    def close(self) -> None:
        self._conn.close()


def _timed(work: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def _write(cache: AblationCache | Baseline, keys: list[bytes], values: np.ndarray, size: int):
    def work() -> None:
        for start in range(0, len(keys), size):
            cache.put_many(keys[start : start + size], values[start : start + size])

    return work


def _read(cache: AblationCache | Baseline, keys: list[bytes], size: int):
    def work() -> None:
        for start in range(0, len(keys), size):
            got = cache.get_many(keys[start : start + size])
            assert len(got) == min(size, len(keys) - start)

    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=64, help="players per mask")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    keys = pack_masks(rng.random((args.rows, args.n)) < 0.5)
    keys = list(dict.fromkeys(keys))  # distinct masks
    values = rng.normal(size=len(keys))
    fingerprint = "f" * 32
    ops = [
        "write, batches of 256",
        "write, batches of 4096",
        "read, calls of 256",
        "read, one call",
    ]
    variants = ["schema 1", "schema 2 unchecked", "schema 2"]
    times: dict[str, dict[str, list[tuple[float, float]]]] = {
        op: {v: [] for v in variants} for op in ops
    }

    def fresh(variant: str, path: Path) -> AblationCache | Baseline:
        if variant == "schema 2":
            return AblationCache(path, fingerprint=fingerprint, n_players=args.n)
        return Baseline(path, fingerprint, lean=variant == "schema 2 unchecked")

    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            shift = repeat % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                small = fresh(variant, Path(tmp) / "small.sqlite")
                times[ops[0]][variant].append(_timed(_write(small, keys, values, 256)))
                small.close()
                cache = fresh(variant, Path(tmp) / "large.sqlite")
                times[ops[1]][variant].append(_timed(_write(cache, keys, values, 4096)))
                times[ops[2]][variant].append(_timed(_read(cache, keys, 256)))
                times[ops[3]][variant].append(_timed(_read(cache, keys, len(keys))))
                cache.close()
                for path in Path(tmp).glob("*.sqlite*"):
                    path.unlink()
    rows = []
    for op in ops:
        wall = {v: min(t[0] for t in times[op][v]) for v in variants}
        cpu = {v: min(t[1] for t in times[op][v]) for v in variants}
        rows.append(
            {
                "operation": op,
                **{f"{v} wall s": round(wall[v], 4) for v in variants},
                **{f"{v} cpu s": round(cpu[v], 4) for v in variants},
                "wall vs schema 1 %": round(100 * (wall["schema 2"] / wall["schema 1"] - 1), 1),
                "cpu vs schema 1 %": round(100 * (cpu["schema 2"] / cpu["schema 1"] - 1), 1),
                "checksum wall %": round(
                    100 * (wall["schema 2"] / wall["schema 2 unchecked"] - 1), 1
                ),
                "checksum cpu %": round(100 * (cpu["schema 2"] / cpu["schema 2 unchecked"] - 1), 1),
            }
        )
    compute = min(
        _timed(lambda: row_checks(fingerprint, keys, values))[1] for _ in range(args.repeats)
    )
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    result = {
        "rows": len(keys),
        "n_players": args.n,
        "repeats": args.repeats,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "row_checks_cpu_us_per_row": round(1e6 * compute / len(keys), 4),
        "results": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cache_integrity.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"# Cache integrity check: overhead on a {len(keys):,}-row cache (n = {args.n})",
        "",
        f"Best of {args.repeats} interleaved repeats; {result['machine']} (shared, loaded "
        "machine: wall times are noisy, CPU times steadier). Overheads are relative times: "
        "schema 2 against schema 1 (what a user sees), and schema 2 against its own layout "
        "without checksums (the cost of the integrity check alone).",
        "",
        "| operation | wall s: schema 1 / 2 unchecked / 2 | CPU s: schema 1 / 2 unchecked / 2 "
        "| schema 2 vs 1: wall, CPU | checksum alone: wall, CPU |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        walls = " / ".join(f"{r[f'{v} wall s']:.3f}" for v in variants)
        cpus = " / ".join(f"{r[f'{v} cpu s']:.3f}" for v in variants)
        lines.append(
            f"| {r['operation']} | {walls} | {cpus} | {r['wall vs schema 1 %']:+.1f} %, "
            f"{r['cpu vs schema 1 %']:+.1f} % | {r['checksum wall %']:+.1f} %, "
            f"{r['checksum cpu %']:+.1f} % |"
        )
    lines += [
        "",
        f"Computing the checksums of all {len(keys):,} rows in one call (`row_checks`, best of "
        f"{args.repeats}): {result['row_checks_cpu_us_per_row']:.3f} µs CPU per row.",
    ]
    (RESULTS / "cache_integrity.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
