"""Wall time of one Exact explanation of a slow (sleep-bound) model on each backend.

Run: ``PYTHONPATH=src python benchmarks/backends.py [--n 10] [--delay 0.05] [--batch 32]``.
Prints a markdown table; every backend must return the serial explanation exactly. Ray
writes ``~/.ray`` (its auth token); remove it afterwards if you do not use Ray otherwise.
"""

from __future__ import annotations

import argparse
import time

import ablatio
from ablatio.backends.base import SerialBackend, ThreadBackend
from ablatio.backends.process import ProcessBackend
from ablatio.cli.targets import SlowTarget


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    target = SlowTarget(
        ablatio.sparse_and_game(args.n, n_terms=10, max_order=3, random_state=0), args.delay
    )
    backends = {
        "serial": SerialBackend,
        "threads (4)": lambda: ThreadBackend(4),
        "processes (2)": lambda: ProcessBackend(2),
    }
    try:
        import ray

        from ablatio.backends.ray import RayBackend

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        backends["ray (2 CPUs)"] = lambda: RayBackend(max_in_flight=4)
    except ImportError:
        ray = None
    reference = None
    batches = 2**args.n // args.batch
    print(f"Exact, n={args.n}: {batches} batches, each sleeping {args.delay} s\n")
    print("| backend | cold s | warm s |")
    print("|---|---|---|")
    for name, make in backends.items():
        backend = make()
        walls = []
        for _ in range(2):  # cold: includes starting workers; warm: workers already up
            start = time.perf_counter()
            game = ablatio.Game(target, batch_size=args.batch, backend=backend)
            result = ablatio.explain(game, method="exact").interactions
            walls.append(time.perf_counter() - start)
            reference = reference or result
            if result != reference:
                msg = f"{name} gave a different explanation"
                raise SystemExit(msg)
        backend.close()
        print(f"| {name} | {walls[0]:.2f} | {walls[1]:.2f} |")
    if ray is not None:
        ray.shutdown()


if __name__ == "__main__":
    main()
