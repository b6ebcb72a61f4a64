"""Commands shown in README.md and docs/ that are marked runnable run as written.

A ``console`` block preceded by the line ``<!-- runnable -->`` is run command by command
(``$ `` lines, with ``\\`` continuations), in order, in one fresh folder where the repository's
``tests/``, ``examples/`` and ``benchmarks/`` are visible, so documented commands cannot
drift from the code.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARK = "<!-- runnable -->"
BLOCK = re.compile(re.escape(MARK) + r"\s*```console\n(.*?)```", re.S)


def runnable_blocks(page: Path) -> list[list[str]]:
    blocks = []
    for body in BLOCK.findall(page.read_text(encoding="utf-8")):
        commands: list[str] = []
        continued = False
        for line in body.splitlines():
            if continued:
                commands[-1] += " " + line.strip().rstrip("\\").strip()
            elif line.startswith("$ "):
                commands.append(line[2:].rstrip("\\").strip())
            else:
                continue
            continued = line.rstrip().endswith("\\")
        blocks.append(commands)
    return blocks


CASES = [
    pytest.param(page, i, block, id=f"{page.name}-{i}")
    for page in PAGES
    for i, block in enumerate(runnable_blocks(page))
]


def test_readme_has_runnable_commands() -> None:
    assert runnable_blocks(ROOT / "README.md"), "README.md marks no runnable block"


@pytest.mark.slow
@pytest.mark.parametrize(("page", "index", "commands"), CASES)
def test_documented_commands_run(
    page: Path, index: int, commands: list[str], tmp_path: Path
) -> None:
    for name in ("tests", "examples", "benchmarks"):
        (tmp_path / name).symlink_to(ROOT / name)
    for command in commands:
        done = subprocess.run(
            command,
            shell=True,
            cwd=tmp_path,
            env=os.environ,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, (
            f"{page.name}: `{command}` exited {done.returncode}\n{done.stderr[-2000:]}"
        )
