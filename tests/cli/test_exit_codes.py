"""Hostile command lines: exit 2, one line on stderr, the JSON line under ``--json``."""

from __future__ import annotations

import json
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ablatio.cli.app import build_app

GAME = ["explain", "game", "--n", "4", "--terms", "3", "--order", "2", "--n-test", "20"]


def _run(args):
    return CliRunner().invoke(build_app(), [str(a) for a in args], catch_exceptions=False)


def _json_line(result) -> dict:
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


@pytest.mark.parametrize(
    "args",
    [
        [*GAME, "--seed", "-1"],
        [*GAME, "--top", "-1"],
        [*GAME, "--game-seed", "-5"],
        [*GAME, "--delay", "inf"],
        [*GAME, "--delay", "nan"],
        [*GAME, "--delay", "99999999999999999999"],
        [*GAME, "--seed", "x"],
        [*GAME, "--no-such-option"],
        [*GAME, "--method", "k-SII"],
        [*GAME, "--method", "nope"],
        ["compare", "game", "--n", "4", "--methods", ",,,", "--budget", "16"],
        ["compare", "game", "--n", "4", "--methods", "exact", "--budget", "many"],
        ["explain", "text"],  # --prompt is required
    ],
    ids=lambda a: " ".join(a[:2] + a[10:] if a[1] == "game" else a),
)
def test_usage_errors_exit_2_with_one_line_and_json(args):
    result = _run([*args, "--json"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    stderr = result.stderr.strip().splitlines()
    assert len(stderr) == 1 and stderr[0].startswith("error: "), stderr
    payload = _json_line(result)
    assert payload["status"] == "error" and payload["exit_code"] == 2


@pytest.mark.parametrize("bad", [["--seed", "-1"], ["--seed", "x"], ["--no-such-option"]])
def test_usage_errors_without_json_are_one_line_and_no_json(bad):
    result = _run([*GAME, *bad])
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "see `ablatio explain game --help`" in lines[0] or "--seed" not in bad


def test_a_group_without_a_command_still_prints_its_help():
    result = _run(["explain"])
    assert "Usage" in result.output and "Traceback" not in result.output


def test_a_foreign_sqlite_cache_exits_2(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE ablations (a TEXT, b INTEGER)")
    result = _run([*GAME, "--cache", path, "--json"])
    assert result.exit_code == 2, result.output
    assert "not an ablatio cache" in _json_line(result)["message"]


def test_methods_are_read_case_insensitively_on_the_command_line():
    result = _run([*GAME, "--method", "EXACT", "--json"])
    assert result.exit_code == 0, result.output
    assert _json_line(result)["method"] == "exact"


@pytest.mark.parametrize("with_cache", [False, True])
def test_resume_hint_only_when_a_cache_keeps_the_work(tmp_path, with_cache, capsys):
    import typer

    from ablatio.cli.console import guard

    cache = tmp_path / "c.sqlite" if with_cache else None
    with pytest.raises(typer.Exit) as info, guard(cache):
        raise KeyboardInterrupt
    assert info.value.exit_code == 130
    said = " ".join(capsys.readouterr().err.split())
    assert ("Re-run the same command to resume" in said) is with_cache


#: Values that hostile or careless users type, for every kind of option.
_VALUES = st.sampled_from(
    ["-1", "0", "1", "2", "3", "1e9", "inf", "-inf", "nan", "", " ", "x", "$\\frac", "\u202e",
     "1.5", "99999999999999999999", "exact", "spex", "EXACT", ",,,", "--json", "a=b"]
)  # fmt: skip
_OPTIONS = st.sampled_from(
    ["--kind", "--n", "--terms", "--order", "--noise", "--game-seed", "--delay", "--method",
     "--budget", "--max-order", "--seed", "--option", "--backend", "--batch-size", "--n-test",
     "--top"]
)  # fmt: skip


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(_OPTIONS, _VALUES), max_size=4), st.booleans())
def test_fuzzed_options_never_give_a_traceback(pairs, as_json):
    # small games only: --n is capped by prefixing a valid value the fuzz may override
    args = ["explain", "game", "--n", "4", "--n-test", "20", "--no-png", "--quiet"]
    for option, value in pairs:
        if option == "--n" and value not in {"-1", "0", "1", "2", "3", "", " ", "x"}:
            continue  # a huge game would be slow, not wrong
        if option in {"--budget", "--n-test", "--batch-size"} and value in {"1e9", "9" * 20}:
            continue
        args += [option, value]
    if as_json:
        args.append("--json")
    result = _run(args)
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    if as_json and "--json" in args:
        payload = json.loads(result.stdout.strip().splitlines()[-1])
        assert payload["status"] == ("ok" if result.exit_code == 0 else "error")


def test_a_missing_ray_is_the_missing_extra_exit_before_any_work(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)
    result = _run([*GAME, "--backend", "ray", "--json"])
    assert result.exit_code == 1, result.output
    payload = _json_line(result)
    assert payload["exit_code"] == 1 and "pip install 'ablatio[ray]'" in payload["message"]
