"""Hostile value-function outputs and masks through every public entry point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ablatio
from ablatio import Game
from ablatio.exceptions import MaskError, NonFiniteValueError, ValueFunctionError
from ablatio.methods import METHODS

N = 4
MASKS = np.array([[1, 1, 1, 1], [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 0, 0]], dtype=bool)

BAD_OUTPUTS = {
    "ragged_list": lambda m: [[1.0, 2.0]] + [[1.0]] * (len(m) - 1),
    "zero_d_array": lambda m: np.array(1.0),
    "string": lambda m: "hello",
    "numeric_strings": lambda m: ["1.5"] * len(m),
    "none": lambda m: None,
    "list_of_none": lambda m: [None] * len(m),
    "complex": lambda m: np.ones(len(m)) * (1 + 1j),
    "complex_zero_imag": lambda m: np.ones(len(m), dtype=complex),
    "float16_inf": lambda m: np.full(len(m), np.inf, dtype=np.float16),
    "too_short": lambda m: np.ones(len(m) - 1),
    "too_long": lambda m: np.ones(len(m) + 1),
    "nan": lambda m: np.full(len(m), np.nan),
    "objects": lambda m: np.array([object()] * len(m)),
    "bools": lambda m: np.ones(len(m), dtype=bool),
    "dict": lambda m: {"a": 1},
    "two_columns": lambda m: np.ones((len(m), 2)),
    "int_beyond_float": lambda m: [10**400] * len(m),
    "bytes": lambda m: b"abc",
    "generator": lambda m: (1.0 for _ in m),
}


@pytest.mark.parametrize("case", sorted(BAD_OUTPUTS))
def test_bad_value_function_output(case):
    game = Game(BAD_OUTPUTS[case], N)
    with pytest.raises(ValueFunctionError):
        game(MASKS)


@pytest.mark.parametrize(
    "output",
    [
        lambda m: [[1.0]] * len(m),
        lambda m: pd.Series(np.ones(len(m)), index=[f"r{i}" for i in range(len(m))]),
        lambda m: np.ones(len(m), dtype=np.float16),
        lambda m: list(range(len(m))),
    ],
    ids=["column_list", "series", "float16", "ints"],
)
def test_accepted_outputs_are_exact(output):
    values = Game(output, N)(MASKS)
    assert values.dtype == np.float64
    assert values.shape == (len(MASKS),)
    np.testing.assert_array_equal(values, np.asarray(output(MASKS), dtype=float).ravel())


def test_nonfinite_names_the_mask():
    with pytest.raises(NonFiniteValueError, match="NaN or infinity"):
        Game(lambda m: np.where(m[:, 0], 1.0, np.inf), N)(MASKS)


BAD_MASKS = {
    "float_ones": np.ones((2, N)),
    "float_half": np.full((2, N), 0.5),
    "int_two": np.full((2, N), 2),
    "negative": -np.ones((2, N), dtype=int),
    "too_wide": np.ones((2, N + 1), dtype=bool),
    "three_d": np.ones((1, 2, N), dtype=bool),
    "strings": np.array([["1"] * N]),
    "none": None,
    "nan": np.full((2, N), np.nan),
    "ragged": [[True], [True] * N],
    "objects": np.array([[object()] * N]),
    "complex": np.ones((2, N), dtype=complex),
    "scalar": True,
    "zero_width": np.ones((2, 0), dtype=bool),
}


def _entry_points():
    oracle = ablatio.sparse_and_game(N, 3, 2, random_state=0)
    explanation = ablatio.explain(oracle, method="exact")
    method = METHODS["faithshap"](budget=16, max_order=2, random_state=0).fit(Game(oracle))
    return {
        "Game.__call__": Game(oracle),
        "Interactions.predict": explanation.interactions.predict,
        "Explanation.predict": explanation.predict,
        "Method.predict": method.predict,
    }


ENTRY_POINTS = _entry_points()


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize("case", sorted(BAD_MASKS))
def test_bad_masks(entry, case):
    with pytest.raises(MaskError):
        ENTRY_POINTS[entry](BAD_MASKS[case])


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_equivalent_mask_spellings_agree(entry):
    target = ENTRY_POINTS[entry]
    reference = target(MASKS)
    for spelling in (
        MASKS.astype(int),
        MASKS.astype(np.uint8),
        MASKS.tolist(),
        pd.DataFrame(MASKS),
    ):
        np.testing.assert_array_equal(target(spelling), reference)
