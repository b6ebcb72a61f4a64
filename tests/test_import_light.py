"""``import ablatio`` and ``ablatio --help`` stay light: heavy dependencies load where used.

Checked structurally in a fresh interpreter (timings are in benchmarks/import_time.py).
"""

import json
import subprocess
import sys

import pytest

HEAVY = ("scipy", "sklearn", "pandas", "matplotlib", "torch", "transformers", "plotly", "ray")


def loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    modules = json.loads(out.strip().splitlines()[-1])
    return [m for m in modules if m.split(".")[0] in HEAVY or m == "rich.markdown"]


def test_import_ablatio_loads_no_heavy_dependency() -> None:
    assert loaded_after("import ablatio") == []


def test_cli_help_loads_no_heavy_dependency() -> None:
    pytest.importorskip("typer")
    code = (
        "import sys\nfrom ablatio.cli import main\nsys.argv = ['ablatio', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    # typer's own help formatter imports rich.markdown; ablatio adds nothing heavy
    assert [m for m in loaded_after(code) if m != "rich.markdown"] == []
