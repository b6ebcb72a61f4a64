"""The app itself: ``report``, ``methods``, unavailable targets and the missing-extra hint."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import ablatio.cli
from ablatio.cli import targets
from ablatio.cli.app import combine
from ablatio.exceptions import ParameterError


def test_report_rebuilds_html_and_pngs(cli, tmp_path):
    out = tmp_path / "run"
    assert cli("explain", "game", "--n", "5", "--out", out, "--quiet", "--no-png").exit_code == 0
    (out / "report.html").unlink()
    result = cli("report", out)
    assert result.exit_code == 0, result.stderr
    assert (out / "report.html").is_file() and (out / "waterfall.png").is_file()


def test_report_on_a_non_run_directory_exits_2(cli, tmp_path):
    result = cli("report", tmp_path)
    assert result.exit_code == 2 and "not an ablatio run directory" in result.stderr


def test_methods_lists_the_registry(cli):
    from ablatio.methods import METHODS

    result = cli("methods")
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == sorted(METHODS)


def test_target_without_module_exits_2(cli, monkeypatch):
    monkeypatch.setitem(targets.TARGETS, "text", "ablatio.targets.no_such_text:cli_target")
    result = cli("explain", "text", "--prompt", "hello")
    assert result.exit_code == 2
    assert "ablatio.targets.no_such_text" in " ".join(result.stderr.split())
    assert cli("compare", "text").exit_code == 2


def test_target_module_without_builder_exits_2(cli, monkeypatch):
    monkeypatch.setitem(targets.TARGETS, "data", "ablatio.targets.base:cli_target")
    result = cli("explain", "data")
    assert result.exit_code == 2 and "register_target" in result.stderr


def test_register_target_adds_a_command(cli, monkeypatch):
    monkeypatch.setattr(targets, "TARGETS", dict(targets.TARGETS))
    targets.register_target("tiny", lambda: targets.synthetic_game(n=3, terms=2, order=2))
    result = cli("explain", "tiny", "--quiet", "--n-test", "10")
    assert result.exit_code == 0, result.stderr


def test_combine_refuses_clashing_options():
    def builder(seed: int = 0):
        return seed

    def action(spec, *, seed: int = 0):
        return spec

    with pytest.raises(ParameterError, match="seed"):
        combine(builder, action, name="clash")


def test_main_without_typer_prints_the_hint(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "typer", None)
    with pytest.raises(SystemExit) as exit_info:
        ablatio.cli.main()
    assert exit_info.value.code == 1
    assert "pip install 'ablatio[cli]'" in capsys.readouterr().err


def test_import_ablatio_cli_is_light():
    code = (
        "import sys, ablatio.cli; "
        "print(any(m in sys.modules for m in ('typer', 'rich', 'matplotlib', 'ray')))"
    )
    src = Path(ablatio.cli.__file__).parents[2]
    env = dict(os.environ, PYTHONPATH=str(src))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "False"
