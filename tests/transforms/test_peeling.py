"""Peeling recovers every term of a sparse Fourier function from exact buckets."""

from __future__ import annotations

import numpy as np
import pytest

from ablatio.designs.aliasing import draw_aliasing_design
from ablatio.games.synthetic import sparse_parity_game
from ablatio.transforms.bch import bch_code
from ablatio.transforms.fourier import fwht
from ablatio.transforms.peeling import PeelingSettings, peel


@pytest.mark.parametrize("decoder", ["soft", "hard"])
def test_peeling_recovers_sparse_parities_exactly(decoder):
    n, b, t = 60, 5, 3
    game = sparse_parity_game(n, n_terms=15, max_order=3, random_state=4)
    code = bch_code(n, t)
    design = draw_aliasing_design(code.delays, 3, b, np.random.default_rng(2))
    values = np.stack([game(design.masks(c, b).reshape(-1, n)).reshape(-1, 2**b) for c in range(3)])
    settings = PeelingSettings(
        max_order=3,
        decoder=decoder,
        chase_depth=t,
        singleton_cutoff=0.9,
        zeroton_tol=1e-12,
        max_iter=100,
        stall_iter=15,
    )
    found = peel(fwht(values) / 2**b, design, code, b, settings)
    truth = game.true_interactions.as_dict()
    assert set(found) == set(truth)
    for term, value in truth.items():
        assert found[term] == pytest.approx(value, abs=1e-9)
