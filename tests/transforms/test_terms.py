"""Padded-index term utilities."""

from __future__ import annotations

import numpy as np

from ablatio.transforms.terms import (
    aggregate,
    dense_to_terms,
    expand_subsets,
    terms_to_dense,
    terms_to_tuples,
    tuples_to_terms,
)


def test_dense_and_tuple_round_trips():
    terms = [(), (3,), (0, 2), (1, 2, 4)]
    idx = tuples_to_terms(terms)
    assert terms_to_tuples(idx) == terms
    dense = terms_to_dense(idx, 5)
    assert dense.dtype == np.uint8
    assert terms_to_tuples(dense_to_terms(dense)) == terms


def test_expand_subsets_lists_every_subset_once():
    idx = tuples_to_terms([(1, 3, 5), ()])
    parent, sub = expand_subsets(idx)
    got = sorted(terms_to_tuples(sub))
    assert got == sorted([(), (1,), (3,), (5,), (1, 3), (1, 5), (3, 5), (1, 3, 5), ()])
    assert sorted(parent.tolist()) == [0] * 8 + [1]
    _, pairs = expand_subsets(idx, min_size=2, max_size=2)
    assert sorted(terms_to_tuples(pairs)) == [(1, 3), (1, 5), (3, 5)]


def test_aggregate_sums_duplicates_and_orders_canonically():
    idx = tuples_to_terms([(2, 3), (0,), (2, 3), (1,)])
    uniq, sums = aggregate(idx, np.array([1.0, 2.0, 3.0, 0.0]))
    assert terms_to_tuples(uniq) == [(0,), (2, 3)]
    np.testing.assert_array_equal(sums, [2.0, 4.0])
