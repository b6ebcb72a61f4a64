"""The Interactions result type: construction, predict, top, repr, JSON, immutability."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ablatio import Interactions
from ablatio.exceptions import BasisError, ParameterError


def test_duplicates_are_summed_and_order_is_canonical():
    f = Interactions([(2, 1), (0,), (1, 2), ()], [1.0, 2.0, 0.5, 3.0], n_players=3)
    assert f.terms == [(), (0,), (1, 2)]
    np.testing.assert_array_equal(f.coefficients, [3.0, 2.0, 1.5])
    assert f[(2, 1)] == 1.5 and f[(0, 1)] == 0.0


def test_support_matrix_form_is_accepted_and_returned():
    support = np.array([[1, 0, 1], [0, 1, 0]], dtype=np.uint8)
    f = Interactions(support, [2.0, -1.0], n_players=3)
    assert f.terms == [(1,), (0, 2)]
    assert f.support.dtype == np.uint8
    np.testing.assert_array_equal(f.support, [[0, 1, 0], [1, 0, 1]])


def test_predict_moebius_and_fourier():
    m = np.array([[1, 1, 0], [0, 1, 1], [1, 1, 1]], dtype=bool)
    moeb = Interactions([(), (0, 1)], [1.0, 2.0], n_players=3)
    np.testing.assert_allclose(moeb.predict(m), [3.0, 1.0, 3.0])
    four = Interactions([(0,), (1, 2)], [1.0, 2.0], n_players=3, basis="fourier")
    np.testing.assert_allclose(four.predict(m), [-1 - 2, 1 + 2, -1 + 2])


def test_predict_rejects_bad_masks_and_index_basis():
    f = Interactions([(0,)], [1.0], n_players=3)
    with pytest.raises(ValueError, match="shape"):
        f.predict(np.ones((2, 4), dtype=bool))
    with pytest.raises(ValueError, match="dtype"):
        f.predict(np.full((2, 3), 0.5))
    with pytest.raises(BasisError, match="predict needs"):
        f.index("sv").predict(np.ones((1, 3), dtype=bool))


def test_invalid_construction():
    with pytest.raises(ParameterError, match="names player 5"):
        Interactions([(5,)], [1.0], n_players=3)
    with pytest.raises(ParameterError, match="coefficients"):
        Interactions([(0,), (1,)], [1.0], n_players=3)
    with pytest.raises(ParameterError, match="NaN"):
        Interactions([(0,)], [np.nan], n_players=3)
    with pytest.raises(ParameterError, match="unique"):
        Interactions([(0,)], [1.0], n_players=2, feature_names=["a", "a"])
    with pytest.raises(ParameterError, match="n == 0"):
        Interactions([], [], n_players=0)


def test_adding_different_bases_is_an_error():
    a = Interactions([(0,)], [1.0], n_players=2)
    with pytest.raises(BasisError, match="convert"):
        _ = a + a.to_fourier()
    assert (a + a)[(0,)] == 2.0


def test_top_and_dataframe_rank_by_magnitude():
    f = Interactions(
        [(), (0,), (1,), (0, 1)], [10.0, -3.0, 1.0, 2.0], n_players=2, feature_names=["cat", "dog"]
    )
    top = f.top(2)
    assert set(top.terms) == {(0,), (0, 1)}
    frame = f.to_dataframe()
    assert frame["features"].tolist() == ["∅", "cat", "cat × dog", "dog"]
    assert "cat × dog" in repr(f)


def test_immutable():
    f = Interactions([(0,)], [1.0], n_players=2)
    with pytest.raises(ValueError, match="read-only"):
        f.coefficients[0] = 3.0


def test_json_round_trip(tmp_path):
    f = Interactions([(), (0, 2)], [0.1, -2.5], n_players=3, feature_names=["a", "b", "c"])
    path = tmp_path / "expl.json"
    f.save(path)
    g = Interactions.load(path)
    assert g == f and g.feature_names == ("a", "b", "c")
    doc = json.loads(path.read_text())
    doc["schema_version"] = 99
    path.write_text(json.dumps(doc))
    with pytest.raises(ParameterError, match="upgrade"):
        Interactions.load(path)
    path.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ParameterError, match="not an ablatio"):
        Interactions.load(path)


def test_integer_rows_are_player_indices_or_refused():
    """Issue #16: an int array of width n was read as a support matrix; [[0, 1]] became (1,)."""
    with pytest.raises(ParameterError, match="support matrix as dtype bool"):
        Interactions(np.array([[0, 1]]), [1.0], n_players=2)
    f = Interactions(np.array([[0, 2]]), [1.0], n_players=3)  # width 2 != n: indices
    assert f.terms == [(0, 2)]
    g = Interactions(np.array([[False, True]]), [1.0], n_players=2)  # bool: support
    assert g.terms == [(1,)]


@pytest.mark.parametrize("term", [(-1,), (0, -2), (1, 1)])
def test_negative_or_repeated_players_are_refused(term):
    """Issue #16: a negative index silently became the constant term."""
    with pytest.raises(ParameterError, match="distinct player indices"):
        Interactions([term], [1.0], n_players=3)


def test_tiny_fourier_coefficients_keep_their_meaning():
    """Issue #16: an absolute 1e-12 cut in to_moebius zeroed this game's Shapley values."""
    f = Interactions([(), (0,), (0, 1)], [1e-13, 2e-13, 3e-13], n_players=2, basis="fourier")
    np.testing.assert_allclose(f.shapley_values(), [-4e-13, 0.0], atol=1e-27)
    scaled = f.scale(1e13)
    np.testing.assert_allclose(f.to_moebius().coefficients * 1e13, scaled.to_moebius().coefficients)
