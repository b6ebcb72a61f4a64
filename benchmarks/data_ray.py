"""DataTarget on a local Ray cluster: a 256-group retraining game, bit-identical to serial.

Digits, 256 stratified k-means groups (about 5-6 training images each), LogisticRegression
retrained per mask, value = mean margin on 10 test images of an 8. The same masks are
evaluated serially in this process and on a 2-CPU local Ray runtime (``RayBackend``, chunks of
``--chunk`` masks per task); the script checks the values are equal bit for bit and reports
the wall-clock speed-up (after warm-up, so Ray's start-up is excluded and reported apart).

    PYTHONPATH=src python benchmarks/data_ray.py [--masks 128] [--groups 256]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masks", type=int, default=128)
    parser.add_argument("--groups", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=8)
    parser.add_argument("--out", default=str(HERE / "results" / "data_ray"))
    args = parser.parse_args()
    import ray
    from data_digits import build_target

    from ablatio.backends.ray import RayBackend

    serial = build_target(digit=8, n_groups=args.groups, n_test=10, n_jobs=1, seed=0)
    masks = np.random.default_rng(0).random((args.masks, serial.n_players)) < 0.5
    start = time.perf_counter()
    expected = serial(masks)
    serial_s = time.perf_counter() - start

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # local cluster: no shared token file
    ray_dir_existed = (Path.home() / ".ray").exists()
    start = time.perf_counter()
    ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
    backend = RayBackend(max_in_flight=4 * args.workers)
    distributed = build_target(digit=8, n_groups=args.groups, n_test=10, n_jobs=1, seed=0)
    distributed.backend, distributed.chunk_size = backend, args.chunk
    distributed(masks[: args.workers * args.chunk])  # warm-up: start workers, import sklearn
    startup_s = time.perf_counter() - start
    try:
        start = time.perf_counter()
        got = distributed(masks)
        ray_s = time.perf_counter() - start
    finally:
        ray.shutdown()
        if not ray_dir_existed:
            shutil.rmtree(Path.home() / ".ray", ignore_errors=True)
    record = {
        "groups": serial.n_players,
        "masks": args.masks,
        "workers": args.workers,
        "chunk": args.chunk,
        "bit_identical": bool(np.array_equal(got, expected)),
        "serial_s": serial_s,
        "ray_s": ray_s,
        "ray_startup_s": startup_s,
        "speedup": serial_s / ray_s,
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }
    Path(args.out + ".json").write_text(json.dumps(record, indent=1))
    table = (
        "| groups | masks | serial s | Ray (2 workers) s | speed-up | bit-identical | "
        "Ray start-up s | load average |\n|---|---|---|---|---|---|---|---|\n"
        f"| {record['groups']} | {args.masks} | {serial_s:.1f} | {ray_s:.1f} | "
        f"{record['speedup']:.2f}x | {record['bit_identical']} | {startup_s:.1f} | "
        f"{record['load_average']} |\n"
    )
    Path(args.out + ".md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
