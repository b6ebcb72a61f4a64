"""Run directories: write, read back, re-render."""

from __future__ import annotations

import json

import pytest

import ablatio
from ablatio.exceptions import DataFormatError, ParameterError
from ablatio.report.run import RunRecord, read_run, render_run, write_run


@pytest.fixture
def run_dir(tmp_path):
    game = ablatio.sparse_parity_game(5, n_terms=4, max_order=2, random_state=0)
    expl = ablatio.explain(game, method="exact")
    record = RunRecord(
        title="t",
        target={"kind": "parity"},
        method="exact",
        seed=3,
        n_queries=32,
        faithfulness=1.0,
        controls={"shuffled": 0.1},
    )
    write_run(tmp_path / "run", expl.interactions, record, png=False)
    return tmp_path / "run", expl.interactions


def test_round_trip(run_dir):
    out, inter = run_dir
    back, record = read_run(out)
    assert back == inter
    assert record.seed == 3 and record.controls == {"shuffled": 0.1}
    assert record.settings()["target.kind"] == "parity"


def test_render_run_adds_figures(run_dir):
    out, _ = run_dir
    record = render_run(out, png=True)
    assert record.figures and all((out / f).is_file() for f in record.figures)
    assert json.loads((out / "run.json").read_text())["figures"] == record.figures


def test_newer_schema_is_refused(run_dir):
    out, _ = run_dir
    data = json.loads((out / "run.json").read_text())
    data["schema_version"] = 99
    (out / "run.json").write_text(json.dumps(data))
    with pytest.raises(DataFormatError, match="upgrade ablatio"):
        read_run(out)


def test_out_must_be_a_directory(tmp_path, run_dir):
    _, inter = run_dir
    (tmp_path / "file").write_text("x")
    with pytest.raises(ParameterError, match="not a directory"):
        write_run(tmp_path / "file", inter, RunRecord("t", {}, "exact"))


def test_the_returned_model_round_trips_and_an_older_run_without_it_still_reads(run_dir):
    out, inter = run_dir
    record = RunRecord(
        "t", {}, "proxyspex", model="stacked", model_weights={"decoded": 0.25, "first": 0.75}
    )
    write_run(out, inter, record, png=False)
    _, back = read_run(out)
    assert (back.model, back.model_weights) == ("stacked", {"decoded": 0.25, "first": 0.75})
    assert back.settings()["model"] == "stacked = 0.75 first + 0.25 decoded"
    data = json.loads((out / "run.json").read_text())
    del data["model"], data["model_weights"]  # a run.json written before they existed
    (out / "run.json").write_text(json.dumps(data))
    _, older = read_run(out)
    assert older.model == "" and older.settings()["model"] is None
