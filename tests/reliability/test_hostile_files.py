"""Hostile norm and embedding files: every one raises a clear :class:`DataFormatError`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ablatio.audit import load_embeddings, load_norms
from ablatio.exceptions import AblatioError, DataFormatError, DuplicateNormWarning

DATA = Path(__file__).parents[1] / "data" / "norms"
MCRAE = (DATA / "mcrae" / "CONCS_FEATS_concstats_brm.sample.txt").read_text(encoding="utf-8")
HEADER, FIRST, *REST = MCRAE.splitlines()
CELLS = FIRST.split("\t")
PROD = HEADER.split("\t").index("Prod_Freq")


def _row(value: str) -> str:
    cells = list(CELLS)
    cells[PROD] = value
    return "\t".join(cells)


NORM_CASES = {
    "wrong_columns": "a\tb\tc\n1\t2\t3\n",
    "empty": "",
    "header_only_garbage": "\x00\x01\x02",
    "nan_string": "\n".join([HEADER, _row("NaN?"), *REST]),
    "inf": "\n".join([HEADER, _row("inf"), *REST]),
    "huge": "\n".join([HEADER, _row("1e999"), *REST]),
    "text_value": "\n".join([HEADER, _row("many"), *REST]),
}


@pytest.mark.parametrize("case", sorted(NORM_CASES))
def test_hostile_mcrae_text(tmp_path, case):
    path = tmp_path / "norms.txt"
    path.write_text(NORM_CASES[case], encoding="utf-8")
    with pytest.raises(DataFormatError, match="norms.txt"):
        load_norms(path, "mcrae")


def test_repeated_mcrae_pair_is_merged_with_a_warning_or_refused(tmp_path):
    path = tmp_path / "norms.txt"
    path.write_text("\n".join([HEADER, FIRST, _row("3"), *REST]), encoding="utf-8")
    with pytest.warns(DuplicateNormWarning, match="accordion — a_musical_instrument: \\[28, 3\\]"):
        norms = load_norms(path, "mcrae")
    assert norms.loc["accordion", "a_musical_instrument"] == 28
    with pytest.raises(DataFormatError, match="norms.txt"):
        load_norms(path, "mcrae", duplicates="error")


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_wrong_encoding(tmp_path, encoding):
    path = tmp_path / "norms.txt"
    path.write_text(MCRAE.replace("accordion", "accordéon"), encoding=encoding)
    with pytest.raises(DataFormatError, match="UTF-8"):
        load_norms(path, "mcrae")


def test_binary_garbage(tmp_path):
    path = tmp_path / "norms.csv"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    for kind in ("mcrae", "buchanan", "binder", "lancaster"):
        with pytest.raises(DataFormatError):
            load_norms(path, kind)


def test_damaged_xlsx(tmp_path):
    path = tmp_path / "norms.xlsx"
    path.write_bytes((DATA / "mcrae" / "CONCS_FEATS_concstats_brm.sample.xlsx").read_bytes()[:500])
    with pytest.raises(AblatioError):
        load_norms(path, "mcrae")


def test_binder_inf_and_buchanan_text(tmp_path):
    binder = (DATA / "binder" / "WordSet1_Ratings.sample.csv").read_text(encoding="utf-8")
    header, first, *rest = binder.splitlines()
    column = header.split(",").index("Vision")
    cells = first.split(",")
    cells[column] = "1e308e"
    path = tmp_path / "binder.csv"
    path.write_text("\n".join([header, ",".join(cells), *rest]), encoding="utf-8")
    with pytest.raises(DataFormatError, match="Vision"):
        load_norms(path, "binder")


def _vectors(lines: list[str], tmp_path: Path) -> Path:
    path = tmp_path / "vectors.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


EMBEDDING_CASES = {
    "empty": [],
    "ragged": ["cat 1 2 3", "dog 1 2"],
    "text": ["cat 1 two 3"],
    "nan": ["cat 1 nan 3", "dog 1 2 3"],
    "inf": ["cat 1 inf 3"],
    "huge": ["cat 1 1e308 3"],
    "duplicate": ["cat 1 2 3", "cat 4 5 6"],
}


@pytest.mark.parametrize("case", sorted(EMBEDDING_CASES))
def test_hostile_embeddings_text(tmp_path, case):
    with pytest.raises(DataFormatError, match="vectors.txt"):
        load_embeddings(_vectors(EMBEDDING_CASES[case], tmp_path))


def test_embeddings_wrong_encoding(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("café 1 2 3\n", encoding="utf-16")
    with pytest.raises(DataFormatError, match="UTF-8"):
        load_embeddings(path)


@pytest.mark.parametrize(
    "matrix",
    [np.array([["a", "b"]]), np.array([[np.nan, 1.0]]), np.array([[1 + 2j, 0]])],
    ids=["strings", "nan", "complex"],
)
def test_hostile_npy(tmp_path, matrix):
    path = tmp_path / "m.npy"
    np.save(path, matrix)
    (tmp_path / "m.vocab").write_text("cat\n", encoding="utf-8")
    with pytest.raises(DataFormatError):
        load_embeddings(path)


def test_pickled_npy_is_not_loaded(tmp_path):
    path = tmp_path / "m.npy"
    np.save(path, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "m.vocab").write_text("cat\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="pickle"):
        load_embeddings(path)
