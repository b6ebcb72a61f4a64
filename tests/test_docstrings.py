"""Every example in ablatio's docstrings runs and prints what it claims.

The modules are found by scanning the package's source for ``>>>``, so no example can be
left out by a hand-kept list.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import ablatio

PACKAGE = Path(ablatio.__file__).parent


def modules_with_examples() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ">>>" in path.read_text(encoding="utf-8"):
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            names.append(".".join(p for p in parts if p != "__init__"))
    return names


def test_examples_are_found() -> None:
    names = modules_with_examples()
    assert "ablatio.methods.spex" in names
    assert "ablatio.targets.text" in names


@pytest.mark.parametrize("name", modules_with_examples())
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_no_example_is_skipped() -> None:
    skipped = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if "doctest: +SKIP" in p.read_text(encoding="utf-8")
    ]
    assert skipped == []
