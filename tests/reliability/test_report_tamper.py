"""``ablatio report DIR`` on run directories tampered with: exit 2 and one line, never a traceback.

Each case edits ``run.json`` or ``interactions.json`` of a real run the way a careless edit, a
truncated copy or an attacker would; ``ablatio report`` must answer with exit status 2 and a
one-line ``error:`` message naming the file (or, for harmless edits, render the report).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ablatio.cli.app import build_app

Edit = Callable[[dict[str, Any]], Any]


def _set(key: str, value: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        doc[key] = value
        return doc

    return edit


def _drop(key: str) -> Edit:
    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        del doc[key]
        return doc

    return edit


#: (file, edit) → the document written instead; bytes are written as they are.
REFUSED: dict[str, tuple[str, Any]] = {
    "run_not_json": ("run.json", b"{not json"),
    "run_empty": ("run.json", b""),
    "run_binary": ("run.json", b"\xff\xfe\x00garbage\x80"),
    "run_array": ("run.json", lambda d: [d]),
    "run_null": ("run.json", lambda d: None),
    "run_no_schema": ("run.json", _drop("schema")),
    "run_version_text": ("run.json", _set("schema_version", "1")),
    "run_version_newer": ("run.json", _set("schema_version", 99)),
    "run_no_title": ("run.json", _drop("title")),
    "run_title_number": ("run.json", _set("title", 5)),
    "run_target_list": ("run.json", _set("target", [1, 2])),
    "run_params_text": ("run.json", _set("params", "x")),
    "run_counts_text": ("run.json", _set("n_queries", "many")),
    "run_fit_time_text": ("run.json", _set("fit_time", "fast")),
    "run_faithfulness_text": ("run.json", _set("faithfulness", "0.9")),
    "run_controls_list": ("run.json", _set("controls", [0.1])),
    "run_controls_text": ("run.json", _set("controls", {"shuffled": "high"})),
    "run_model_number": ("run.json", _set("model", 3)),
    "run_model_weights_text": ("run.json", _set("model_weights", {"decoded": "most"})),
    "run_reasons_number": ("run.json", _set("verdict_reasons", 3)),
    "run_segments_number": ("run.json", _set("segments", 7)),
    "run_segments_too_few": ("run.json", _set("segments", ["a"])),
    "run_segments_numbers": ("run.json", _set("segments", list(range(5)))),
    "run_deep_nesting": ("run.json", b'{"schema": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    "inter_not_json": ("interactions.json", b"[1, 2"),
    "inter_no_terms": ("interactions.json", _drop("terms")),
    "inter_term_out_of_range": ("interactions.json", _set("terms", [[0], [99], [1, 2], [3]])),
    "inter_term_text": ("interactions.json", _set("terms", [["a"], [1], [1, 2], [3]])),
    "inter_coefficients_short": ("interactions.json", _set("coefficients", [1.0])),
    "inter_coefficient_text": ("interactions.json", _set("coefficients", ["x", 1, 2, 3])),
    "inter_n_players_negative": ("interactions.json", _set("n_players", -3)),
    "inter_n_players_huge": ("interactions.json", _set("n_players", 10**12)),
    "inter_basis_unknown": ("interactions.json", _set("basis", "zeta")),
    "inter_names_too_few": ("interactions.json", _set("feature_names", ["a"])),
}
#: Edits that change nothing the report relies on: the report is rendered.
HARMLESS: dict[str, tuple[str, Any]] = {
    "run_extra_key": ("run.json", _set("comment", "edited by hand")),
    "run_title_markup": ("run.json", _set("title", "$\\frac{a}{b}$ <b>x</b>")),
    "inter_names_numbers": ("interactions.json", _set("feature_names", [1, 2, 3, 4, 5])),
    "run_unknown_verdict": ("run.json", _set("verdict", "trust me")),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("template") / "run"
    result = CliRunner().invoke(
        build_app(),
        "explain game --kind and --n 5 --terms 4 --order 2 --n-test 40 --no-png --quiet "
        f"--out {out}".split(),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    return out


def _tamper(template: Path, tmp_path: Path, name: str, edit: Any) -> Path:
    out = tmp_path / "run"
    out.mkdir()
    for file in ("run.json", "interactions.json"):
        (out / file).write_bytes((template / file).read_bytes())
    target = out / name
    if isinstance(edit, bytes):
        target.write_bytes(edit)
    else:
        doc = edit(json.loads(target.read_text("utf-8")))
        target.write_text(json.dumps(doc), "utf-8")
    return out


def _report(out: Path, *extra: str):
    return CliRunner().invoke(
        build_app(), ["report", str(out), "--no-png", *extra], catch_exceptions=False
    )


def test_there_are_29_refused_tamperings():
    assert len(REFUSED) >= 29


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_tampered_run_directory_exits_2_with_one_line(template, tmp_path, case):
    name, edit = REFUSED[case]
    out = _tamper(template, tmp_path, name, edit)
    result = _report(out)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and name in lines[0], lines
    assert "Traceback" not in result.output
    assert not (out / "report.html").exists()


@pytest.mark.parametrize("case", sorted(HARMLESS))
def test_harmless_edits_render(template, tmp_path, case):
    name, edit = HARMLESS[case]
    out = _tamper(template, tmp_path, name, edit)
    result = _report(out)
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
