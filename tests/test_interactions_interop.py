"""Round trips between ablatio Interactions and shapiq InteractionValues (shapiq 1.4.1)."""

from __future__ import annotations

import numpy as np
import pytest

import ablatio
from ablatio import Interactions
from ablatio.exceptions import BasisError

shapiq = pytest.importorskip("shapiq")


@pytest.fixture(scope="module")
def game():
    return ablatio.sparse_and_game(7, n_terms=6, max_order=3, random_state=3)


@pytest.fixture(scope="module")
def moebius(game):
    return ablatio.explain(game, method="exact").interactions


def test_moebius_round_trip_is_exact(moebius):
    iv = moebius.to_shapiq(estimation_budget=128)
    assert iv.index == "Moebius"
    assert iv.n_players == moebius.n_players
    assert iv.estimation_budget == 128
    back = Interactions.from_shapiq(iv, feature_names=moebius.feature_names)
    assert back == moebius


def test_fourier_exports_as_moebius(moebius):
    iv = moebius.to_fourier().to_shapiq()
    assert iv.index == "Moebius"
    assert Interactions.from_shapiq(iv).allclose(moebius, atol=1e-10)


@pytest.mark.parametrize(
    ("index", "order", "name"),
    [
        ("sv", 1, "SV"),
        ("bv", 1, "BV"),
        ("sii", 2, "SII"),
        ("bii", 2, "BII"),
        ("stii", 2, "STII"),
        ("fsii", 2, "FSII"),
        ("fbii", 3, "FBII"),
        ("ksii", 2, "k-SII"),
    ],
)
def test_index_round_trip(moebius, index, order, name):
    values = moebius.index(index, order)
    iv = values.to_shapiq()
    assert iv.index == name
    back = Interactions.from_shapiq(iv)
    assert back == values


@pytest.mark.parametrize(("index", "order"), [("SV", 1), ("k-SII", 2), ("STII", 2), ("Moebius", 7)])
def test_matches_shapiq_exact_computer(game, moebius, index, order):
    """shapiq's own brute force, imported through from_shapiq, equals our closed forms."""
    from shapiq.game_theory.exact import ExactComputer

    computer = ExactComputer(n_players=7, game=lambda c: game(np.asarray(c, dtype=bool)))
    theirs = Interactions.from_shapiq(computer(index, order))
    ours = moebius if index == "Moebius" else moebius.index(theirs.basis, order)
    assert theirs.allclose(ours, atol=1e-9)


def test_unknown_shapiq_index_is_refused():
    iv = shapiq.InteractionValues(
        {(): 0.0, (0, 1): 1.0}, index="CHII", max_order=2, min_order=0, n_players=2
    )
    with pytest.raises(BasisError, match="CHII"):
        Interactions.from_shapiq(iv)
