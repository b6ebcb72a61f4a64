"""Regenerate the report screenshots in docs/img from real runs of the documented commands.

    python tools/report_screenshots.py [--chromium /usr/bin/chromium]

Runs the three ``ablatio explain`` commands quoted in README.md in a temporary folder, then
renders each ``report.html`` in headless Chromium to ``docs/img/report-{game,text,data}.png``.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"
RUNS = {
    "game": "ablatio explain game --kind hierarchical --n 12 --terms 14 --order 3 --seed 1 "
    "--out run",
    "text": "ablatio explain text --prompt 'The movie was not good at all, but the actors were "
    "brilliant' --model vader --method proxyspex --budget 1500 --out run",
    "data": "ablatio explain data --dataset digits --groups 24 --method proxyspex --budget 800 "
    "--max-order 2 --out run",
}
FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
).split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    for name, command in RUNS.items():
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(shlex.split(command), cwd=tmp, check=True)
            page = Path(tmp, "run", "report.html")
            shot = IMG / f"report-{name}.png"
            subprocess.run(
                [
                    args.chromium,
                    *FLAGS,
                    f"--user-data-dir={Path(tmp, 'profile')}",
                    f"--screenshot={shot}",
                    "--window-size=1000,2400",
                    page.as_uri(),
                ],
                check=True,
                capture_output=True,
            )
            print(f"{shot}  ({command})")


if __name__ == "__main__":
    main()
