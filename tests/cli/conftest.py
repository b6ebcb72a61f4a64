"""Run the ``ablatio`` app in-process with typer's CliRunner."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from ablatio.cli.app import build_app


@pytest.fixture
def cli() -> Callable[..., object]:
    """``cli("explain", "game", ...)`` → click Result (build the app at call time)."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(build_app(), [str(a) for a in args], catch_exceptions=False)

    return invoke


def _last_json(result) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def last_json() -> Callable[..., dict]:
    """``last_json(result)``: the JSON document a ``--json`` run printed on stdout."""
    return _last_json
