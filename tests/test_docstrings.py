"""The examples in the public docstrings run and print what they claim."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "ablatio.interactions",
    "ablatio.games.game",
    "ablatio.games.synthetic",
    "ablatio.methods.exact",
    "ablatio.explain",
    "ablatio.methods.banzhaf",
    "ablatio.methods.faithbanzhaf",
    "ablatio.methods.faithshap",
    "ablatio.methods.kernelshap",
    "ablatio.methods.lime",
    "ablatio.methods.permutation",
    "ablatio.methods.proxyspex",
    "ablatio.evaluation.compare",
    "ablatio.testing",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
