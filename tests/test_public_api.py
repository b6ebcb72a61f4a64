"""The public API is a tested fact, and ``import ablatio`` stays light."""

from __future__ import annotations

import subprocess
import sys

import ablatio


def test_all_lists_exactly_the_public_names():
    public = {n for n in vars(ablatio) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(ablatio, n)).__name__ == "module"}
    assert set(ablatio.__all__) == public - modules
    assert ablatio.__all__ == sorted(ablatio.__all__, key=lambda s: (not s.isupper(), s))


def test_import_loads_no_heavy_dependency():
    code = (
        "import sys, ablatio;"
        "heavy = {'torch', 'transformers', 'ray', 'matplotlib', 'typer', 'rich', 'lightgbm',"
        " 'plotly', 'shapiq', 'pandas', 'sklearn'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
