"""Start-up cost of ablatio next to ``import numpy``, for one or more source trees.

Each command runs in a fresh interpreter ``--repeats`` times; the table reports the median
wall time and its ratio to ``import numpy`` measured in the same run (ratios, not absolute
times, are what compare across machines). Writes ``benchmarks/results/import_time.json``
and ``.md``.

    python benchmarks/import_time.py [--repeats 15] [--tree before=/path/to/old/src ...]

``--tree label=path`` adds a source tree (its ``src`` folder) measured with ``PYTHONPATH``;
the default is this checkout's ``src`` labelled ``current``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "results"
HERE = Path(__file__).resolve().parents[1] / "src"
CLI = "from ablatio.cli import main; import sys; sys.argv = ['ablatio', '--help']; main()"


def median_seconds(code: str, src: Path | None, repeats: int) -> float:
    """Median wall time of ``python -c code`` over ``repeats`` fresh interpreters."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL=SRC")
    args = parser.parse_args()
    trees = [t.split("=", 1) for t in args.tree] or [["current", str(HERE)]]
    numpy_s = median_seconds("import numpy", None, args.repeats)
    rows = []
    for label, src in trees:
        for what, code in (("import ablatio", "import ablatio"), ("ablatio --help", CLI)):
            seconds = median_seconds(code, Path(src), args.repeats)
            rows.append(
                {"tree": label, "command": what, "seconds": seconds, "vs_numpy": seconds / numpy_s}
            )
    result = {
        "python": platform.python_version(),
        "machine": f"{os.cpu_count()} cores",
        "repeats": args.repeats,
        "import_numpy_s": numpy_s,
        "rows": rows,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "import_time.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"Median of {args.repeats} fresh interpreters; `import numpy` = {numpy_s:.3f} s "
        "in the same run.",
        "",
        "| tree | command | seconds | × import numpy |",
        "|---|---|---:|---:|",
        *(
            f"| {r['tree']} | `{r['command']}` | {r['seconds']:.3f} | {r['vs_numpy']:.1f} |"
            for r in rows
        ),
    ]
    (OUT / "import_time.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
