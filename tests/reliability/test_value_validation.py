"""Value-validation holes (issue 14, item 4): never a silent result from a malformed value.

Before the fix a masked array passed the finiteness check (its sum skips masked entries):
``exact`` returned an explanation, KernelSHAP a raw ``ValueError``, and the cache stored NaN
for some rows; a timedelta array was taken as integers; a Python ``True`` in a list of floats
became 1.0.
"""

from __future__ import annotations

import datetime
import decimal

import numpy as np
import pytest

import ablatio
from ablatio import Game
from ablatio.exceptions import NonFiniteValueError, ValueFunctionError
from ablatio.methods.exact import all_masks

N = 4
MASKS = all_masks(N)


def masked_on_pairs(masks):
    """Masks entries where exactly two parts are kept."""
    return np.ma.masked_array(masks.sum(1).astype(float), mask=masks.sum(1) == 2)


HOLES = {
    "masked_entries": (masked_on_pairs, NonFiniteValueError, "masked"),
    "masked_column": (
        lambda m: np.ma.masked_array(m.sum(1, keepdims=True) * 1.0, mask=m[:, :1] == 0),
        NonFiniteValueError,
        "masked",
    ),
    "object_floats": (
        lambda m: np.array([1.5] * len(m), dtype=object),
        ValueFunctionError,
        "Python objects",
    ),
    "decimals": (
        lambda m: [decimal.Decimal("1.5")] * len(m),
        ValueFunctionError,
        "Python objects",
    ),
    "bool_array": (lambda m: m[:, 0].copy(), ValueFunctionError, "booleans"),
    "python_bool_among_floats": (
        lambda m: [True] + [0.5] * (len(m) - 1),
        ValueFunctionError,
        r"booleans among its values \(rows \[0\]\)",
    ),
    "numpy_bool_among_floats": (
        lambda m: [[np.True_]] + [[0.5]] * (len(m) - 1),
        ValueFunctionError,
        "booleans among",
    ),
    "timedelta64": (
        lambda m: m.sum(1).astype("timedelta64[s]"),
        ValueFunctionError,
        "timedeltas",
    ),
    "datetime_timedelta": (
        lambda m: [datetime.timedelta(seconds=1)] * len(m),
        ValueFunctionError,
        "timedelta|Python objects",
    ),
    "datetime64": (
        lambda m: np.full(len(m), np.datetime64("2026-01-01")),
        ValueFunctionError,
        "datetimes",
    ),
    "complex": (lambda m: m.sum(1) + 0j, ValueFunctionError, "complex"),
    "complex_scalars": (lambda m: [1 + 0j] * len(m), ValueFunctionError, "complex"),
}


@pytest.mark.parametrize("case", sorted(HOLES))
def test_game_refuses_with_a_clear_error(case):
    fn, error, pattern = HOLES[case]
    with pytest.raises(error, match=pattern) as info:
        Game(fn, N)(MASKS)
    assert "mask [" in str(info.value)  # names the offending masks by their ablated parts


@pytest.mark.parametrize(
    ("method", "options"),
    [("exact", {}), ("spex", {"budget": 400, "max_order": 2}), ("kernelshap", {"budget": 16})],
)
def test_methods_raise_on_masked_entries(method, options):
    with pytest.raises(NonFiniteValueError, match="masked entries"):
        ablatio.explain(masked_on_pairs, N, method=method, random_state=0, **options)


@pytest.mark.parametrize("case", ["masked_entries", "timedelta64", "python_bool_among_floats"])
def test_the_cache_stores_nothing_from_a_refused_batch(tmp_path, case):
    fn, error, _ = HOLES[case]
    path = tmp_path / "c.sqlite"
    with Game(fn, N, cache=path, name=case, version="1") as game:
        with pytest.raises(error):
            game(MASKS)
        assert len(game.cache) == 0
    with Game(fn, N, cache=path, name=case, version="1") as game:
        with pytest.raises(error):  # re-running fails again: nothing invalid was stored
            game(MASKS)


def test_masked_array_without_masked_entries_is_its_data():
    values = Game(lambda m: np.ma.masked_array(m.sum(1) * 1.5, mask=False), N)(MASKS)
    assert type(values) is np.ndarray
    np.testing.assert_array_equal(values, MASKS.sum(1) * 1.5)
