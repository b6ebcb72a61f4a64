"""``ablatio audit``: the seam for audit functions returning table/verdict/markdown results."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import pandas as pd

from ablatio.cli import audit


@dataclass
class _Result:
    table: pd.DataFrame
    verdict: str

    def to_markdown(self) -> str:
        return f"# Norm audit\n\nverdict: **{self.verdict}**\n"


def norm_audit(model: str = "tiny", k: int = 10) -> _Result:
    """Fake audit: the table echoes its options."""
    return _Result(pd.DataFrame({"model": [model], "k": [k]}), "supported")


def _install(monkeypatch):
    module = types.ModuleType("fake_audit_module")
    module.norm_audit = norm_audit
    monkeypatch.setitem(sys.modules, "fake_audit_module", module)
    monkeypatch.setitem(audit.AUDITS, "norms", "fake_audit_module:norm_audit")


def test_audit_json(cli, monkeypatch, last_json):
    _install(monkeypatch)
    result = cli("audit", "norms", "--model", "smol", "--k", "5", "--json")
    assert result.exit_code == 0, result.stderr
    assert last_json(result) == {
        "status": "ok",
        "verdict": "supported",
        "table": [{"model": "smol", "k": 5}],
    }


def test_audit_markdown_and_out(cli, monkeypatch, tmp_path):
    _install(monkeypatch)
    result = cli("audit", "norms", "--out", tmp_path / "audit.md")
    assert result.exit_code == 0
    assert "supported" in result.stderr
    assert (tmp_path / "audit.md").read_text().startswith("# Norm audit")


def test_missing_audit_module_exits_2(cli, monkeypatch):
    monkeypatch.setitem(audit.AUDITS, "norms", "ablatio.no_such_module:norm_audit")
    result = cli("audit", "norms", "--anything", "1")
    assert result.exit_code == 2
    assert "ablatio.no_such_module:norm_audit" in " ".join(result.stderr.split())
