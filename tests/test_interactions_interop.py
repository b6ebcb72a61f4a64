"""Round trips between ablatio Interactions and shapiq InteractionValues (shapiq 1.4.1)."""

from __future__ import annotations

import numpy as np
import pytest

import ablatio
from ablatio import Interactions
from ablatio.exceptions import BasisError, ParameterError

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
    f_empty = moebius[()]
    iv = values.to_shapiq(baseline_value=f_empty)
    assert iv.index == name
    assert iv.baseline_value == pytest.approx(values[()] if index == "fbii" else f_empty)
    back = Interactions.from_shapiq(iv)
    assert back.allclose(values, atol=0.0) and back.order == values.order


def test_sii_export_needs_the_baseline(moebius):
    with pytest.raises(ParameterError, match="baseline_value"):
        moebius.index("sii", 2).to_shapiq()


def test_export_keeps_zero_terms_the_index_defines():
    """STII of order 2 is defined on every player; a zero value is still a value."""
    inter = Interactions([(), (0, 1)], [1.0, 2.0], n_players=4)
    iv = inter.index("stii", 2).to_shapiq()
    assert sorted(iv.get_n_order(1).interactions) == [(0,), (1,), (2,), (3,)]
    assert len(iv.get_n_order(2).interactions) == 6


EXACT_CASES = [
    ("SV", 1, 1e-9),
    ("BV", 1, 1e-9),
    ("SII", 2, 1e-9),
    ("BII", 3, 1e-9),
    ("k-SII", 2, 1e-9),
    ("STII", 2, 1e-9),
    ("FBII", 2, 1e-9),
    ("FSII", 2, 1e-7),  # shapiq solves FSII by a weighted regression: ~1e-9 off
    ("Moebius", 7, 1e-9),
]


@pytest.mark.parametrize(("index", "order", "atol"), EXACT_CASES)
def test_matches_shapiq_exact_computer(game, moebius, index, order, atol):
    """shapiq's own brute force, imported through from_shapiq, equals our closed forms,
    the empty set included (Grabisch–Roubens: SII(∅) = Σ a(T)/(|T|+1), BII(∅) = mean f)."""
    from shapiq.game_theory.exact import ExactComputer

    computer = ExactComputer(n_players=7, game=lambda c: game(np.asarray(c, dtype=bool)))
    exact = computer(index, order)
    theirs = Interactions.from_shapiq(exact)
    ours = moebius if index == "Moebius" else moebius.index(theirs.basis, order)
    assert theirs[()] == pytest.approx(ours[()], abs=atol)
    assert theirs.allclose(ours, atol=atol)
    # and back: our export carries the same ∅ entry and baseline as shapiq's own object
    exported = ours.to_shapiq(baseline_value=exact.baseline_value)
    assert exported[()] == pytest.approx(exact[()], abs=atol)
    assert exported.baseline_value == pytest.approx(exact.baseline_value, abs=atol)
    assert set(exported.interactions) >= {t for t, v in exact.interactions.items() if abs(v) > atol}


def test_unknown_shapiq_index_is_refused():
    iv = shapiq.InteractionValues(
        {(): 0.0, (0, 1): 1.0}, index="CHII", max_order=2, min_order=0, n_players=2
    )
    with pytest.raises(BasisError, match="CHII"):
        Interactions.from_shapiq(iv)
