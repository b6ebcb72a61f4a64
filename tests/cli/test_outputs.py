"""Output paths are checked before the first ablation; files are written safely."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ablatio.cli import audit, targets
from ablatio.cli.targets import TargetSpec
from ablatio.games.synthetic import sparse_and_game


class _Counting:
    """A synthetic game that counts the masks it was asked to evaluate."""

    def __init__(self):
        self.game = sparse_and_game(4, n_terms=3, max_order=2, random_state=0)
        self.n_players = 4
        self.calls = 0

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        self.calls += len(masks)
        return self.game(masks)

    def fingerprint(self) -> str:
        return "counting"


@pytest.fixture
def counting(monkeypatch):
    target = _Counting()
    monkeypatch.setattr(targets, "TARGETS", dict(targets.TARGETS))
    targets.register_target("counting", lambda: TargetSpec(target, name="counting"))
    return target


def _bad_outs(tmp_path):
    (tmp_path / "file").write_text("x")
    return {
        "existing_file": tmp_path / "file",
        "below_a_file": tmp_path / "file" / "run",
    }


@pytest.mark.parametrize("command", ["explain", "compare"])
@pytest.mark.parametrize("kind", ["existing_file", "below_a_file"])
def test_a_bad_out_is_refused_before_any_ablation(cli, counting, tmp_path, command, kind):
    out = _bad_outs(tmp_path)[kind]
    extra = ["--budget", "16"] if command == "compare" else []
    result = cli(command, "counting", "--out", out, "--json", "--n-test", "20", *extra)
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout.splitlines()[-1])["exit_code"] == 2
    assert counting.calls == 0


def test_a_directory_where_run_json_belongs_is_refused_before_work(cli, counting, tmp_path):
    (tmp_path / "run" / "run.json").mkdir(parents=True)
    result = cli("explain", "counting", "--out", tmp_path / "run", "--quiet")
    assert result.exit_code == 2 and "run.json" in result.stderr
    assert counting.calls == 0


def test_audit_out_that_is_a_directory_is_refused_before_the_audit(cli, monkeypatch, tmp_path):
    ran = []

    def fake(k: int = 1):
        ran.append(k)
        raise AssertionError("the audit must not run")

    monkeypatch.setitem(audit.AUDITS, "fake", fake)
    result = cli("audit", "fake", "--out", tmp_path)
    assert result.exit_code == 2 and "is a directory" in result.stderr
    assert ran == []


def test_json_files_are_written_before_the_figures(cli, counting, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from ablatio.report import plots

    def broken(*args, **kwargs):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(plots, "save_figures", broken)
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="figure failed"):
        cli("explain", "counting", "--out", out, "--quiet", "--n-test", "20")
    assert json.loads((out / "run.json").read_text())["method"] == "exact"
    assert json.loads((out / "interactions.json").read_text())["n_players"] == 4


def test_symlinks_in_the_run_directory_are_replaced_not_followed(cli, counting, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    victims = {}
    for name in ("run.json", "interactions.json", "report.html", "waterfall.png"):
        victim = tmp_path / f"victim-{name}"
        victim.write_text("precious")
        (out / name).symlink_to(victim)
        victims[name] = victim
    result = cli("explain", "counting", "--out", out, "--quiet", "--n-test", "20")
    assert result.exit_code == 0, result.output
    for name, victim in victims.items():
        assert victim.read_text() == "precious"
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 0
    assert not list(out.glob(".*.tmp"))  # no temporary file left behind


def test_compare_out_writes_compare_json(cli, counting, tmp_path):
    result = cli("compare", "counting", "--methods", "exact", "--budget", "16", "--out",
                 tmp_path / "cmp", "--quiet", "--n-test", "20")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "cmp" / "compare.json").read_text())["methods"]
    assert [r["method"] for r in rows] == ["exact"]


class _Named(_Counting):
    """The counting game with hostile part names."""

    player_names = ("[/]", "[bold]x", "a\u202eb", "$\\frac")


def test_part_names_are_printed_verbatim_never_as_markup(cli, monkeypatch, tmp_path):
    target = _Named()
    monkeypatch.setattr(targets, "TARGETS", dict(targets.TARGETS))
    targets.register_target("named", lambda: TargetSpec(target, name="named"))
    result = cli("explain", "named", "--n-test", "20", "--top", "20", "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    shown = result.stderr
    assert "[/]" in shown and "[bold]x" in shown and "a[U+202E]b" in shown
    assert "\u202e" not in shown
