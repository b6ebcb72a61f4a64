"""Count the reliability cases the test suite runs (for docs/reliability.md).

Run from the repository root::

    PYTHONPATH=src python benchmarks/reliability_counts.py

It collects (does not run) the reliability tests and prints the number of test cases per file,
plus the hostile inputs and faults each parametrised table holds.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

FILES = [
    "tests/reliability/test_faults.py",
    "tests/reliability/test_cache_tamper.py",
    "tests/reliability/test_cache_identity.py",
    "tests/reliability/test_value_validation.py",
    "tests/reliability/test_hostile_files.py",
    "tests/reliability/test_hostile_inputs.py",
    "tests/reliability/test_seeds.py",
    "tests/reliability/test_properties.py",
    "tests/backends/test_http.py",
    "tests/backends/test_http_privacy.py",
    "tests/reliability/test_report_tamper.py",
    "tests/cli/test_exit_codes.py",
    "tests/cli/test_outputs.py",
    "tests/report/test_hostile_text.py",
    "tests/backends/test_http_hostile.py",
    "tests/backends/test_http_cache_key.py",
    "tests/backends/test_llama_cpp_server.py",
    "tests/games/test_game_timeout.py",
]


def main() -> None:
    """Print test cases per file, then the sizes of the hostile-input tables."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *FILES],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counts = Counter(line.split("::")[0] for line in out.splitlines() if "::" in line)
    for name in FILES:
        print(f"{counts[name]:5d}  {name}")
    print(f"{sum(counts.values()):5d}  total test cases")
    sys.path.insert(0, "tests/reliability")
    import test_hostile_inputs as inputs  # noqa: PLC0415

    print(f"{len(inputs.BAD_OUTPUTS):5d}  rejected value-function outputs")
    import test_value_validation as holes  # noqa: PLC0415

    print(f"{len(holes.HOLES):5d}  value-validation holes (masked, object, bool, time, complex)")
    n_masks = len(inputs.BAD_MASKS) * len(inputs.ENTRY_POINTS)
    print(f"{n_masks:5d}  hostile masks x entry points")
    import test_report_tamper as tamper  # noqa: PLC0415

    print(f"{len(tamper.REFUSED):5d}  tampered run directories refused (exit 2)")
    print(f"{len(tamper.HARMLESS):5d}  harmless run-directory edits rendered")


if __name__ == "__main__":
    main()
