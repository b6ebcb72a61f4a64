"""Möbius aliasing design and the COMP group-testing decoder."""

from __future__ import annotations

import itertools

import numpy as np

from ablatio.designs.group_testing import (
    aliased_masks,
    bucket_of,
    comp_decode,
    hash_groups,
    random_pools,
)
from ablatio.games.synthetic import sparse_and_game
from ablatio.transforms.moebius import moebius_transform


def test_hash_groups_balanced_and_deterministic():
    g1 = hash_groups(10, 3, np.random.default_rng(0))
    g2 = hash_groups(10, 3, np.random.default_rng(0))
    assert np.array_equal(g1, g2)
    assert sorted(np.bincount(g1, minlength=3).tolist()) == [3, 3, 4]


def test_aliasing_identity_matches_definition():
    """The b-bit Möbius transform of u(ℓ) = f(m(ℓ, d)) equals Σ_{h(k)=j, k∩d=∅} a(k)."""
    rng = np.random.default_rng(1)
    n, bits = 9, 3
    game = sparse_and_game(n, 6, 3, random_state=2)
    groups = hash_groups(n, bits, rng)
    pools = random_pools(n, 4, 0.3, rng)
    masks = aliased_masks(groups, bits, pools)
    assert masks.shape == (5, 2**bits, n)
    truth = game.true_interactions.as_dict()
    delays = np.concatenate([np.zeros((1, n), dtype=bool), pools])
    for r, d in enumerate(delays):
        buckets = moebius_transform(game(masks[r]))
        expected = np.zeros(2**bits)
        for term, a in truth.items():
            if not d[list(term)].any():
                expected[bucket_of(groups, term)] += a
        np.testing.assert_allclose(buckets, expected, atol=1e-12)


def test_comp_decodes_every_small_term():
    """With singleton pools among the tests, every outsider is cleared: COMP is exact."""
    rng = np.random.default_rng(4)
    n = 12
    pools = np.concatenate([random_pools(n, 10, 0.25, rng), np.eye(n, dtype=bool)])
    candidates = np.arange(n)
    terms = itertools.chain.from_iterable(itertools.combinations(range(n), r) for r in (1, 2, 3))
    for term in terms:
        positive = pools[:, list(term)].any(axis=1)
        assert comp_decode(positive, pools, candidates) == term


def test_comp_rejects_inconsistent_outcomes():
    pools = np.array([[1, 0, 0], [0, 1, 0]], dtype=bool)
    # players in no negative pool are declared members (player 2 is in no pool at all)
    assert comp_decode(np.array([True, True]), pools, np.arange(3)) == (0, 1, 2)
    assert comp_decode(np.array([True, False]), pools, np.arange(3)) == (0, 2)
    assert comp_decode(np.array([False, False]), pools[:, :2], np.arange(2)) == ()
    only_two = np.array([[1, 1]], dtype=bool)
    assert comp_decode(np.array([True]), only_two, np.array([0])) == (0,)
    assert comp_decode(np.array([True]), only_two[:, :0], np.array([], dtype=np.int64)) is None
