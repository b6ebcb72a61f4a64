from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablatio.audit.norm_align import align, concept_words, wordnet_category
from ablatio.exceptions import CoverageWarning, ParameterError


def test_concept_words():
    assert concept_words("bat_(animal)") == ["bat"]
    assert concept_words("fire_hydrant") == ["fire", "hydrant"]
    assert concept_words("Apple") == ["apple"]


def test_wordnet_categories_offline():
    assert wordnet_category("accordion") == "noun.artifact"
    assert wordnet_category("ant") == "noun.animal"
    assert wordnet_category("bat_(animal)") in {"noun.animal", "noun.artifact"}
    assert wordnet_category("zzqx") == "unknown"


def test_align_multiword_mean_homonyms_and_coverage():
    emb = pd.DataFrame(np.eye(3), index=["fire", "hydrant", "bat"])
    norms = pd.DataFrame(
        np.ones((4, 2)), index=["fire_hydrant", "bat_(animal)", "bat_(baseball)", "unicorn"]
    )
    with pytest.warns(CoverageWarning, match="1 of 4"):
        data = align(emb, norms, min_concepts=1)
    assert data.concepts == ["fire_hydrant", "bat_(animal)", "bat_(baseball)"]
    np.testing.assert_allclose(data.X[0], [0.5, 0.5, 0])
    np.testing.assert_allclose(data.X[1], data.X[2])
    assert data.coverage == pytest.approx(0.75) and data.dropped == ["unicorn"]
    with pytest.raises(ParameterError, match="DataFrames"):
        align(np.eye(3), norms)
