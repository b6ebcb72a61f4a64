"""Input checks shared by every component: masks, values, budgets, random states."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from ablatio.exceptions import (
    MaskError,
    NonFiniteValueError,
    ParameterError,
    ValueFunctionError,
)

__all__ = [
    "RandomState",
    "check_feature_names",
    "check_masks",
    "check_n_players",
    "check_flag",
    "check_part_keys",
    "check_random_state",
    "check_values",
]

RandomState = int | np.random.Generator | np.random.SeedSequence | None

#: Largest number of offending rows quoted in an error message.
_MAX_QUOTED = 5


def check_random_state(random_state: RandomState) -> np.random.Generator:
    """Turn ``random_state`` into a :class:`numpy.random.Generator`.

    ``None`` gives a fresh generator seeded from the OS (never NumPy's global state), an int or
    :class:`~numpy.random.SeedSequence` seeds a new generator, and a Generator is used as is.
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(random_state)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            msg = f"random_state == {random_state}, must be a non-negative int"
            raise ParameterError(msg)
        return np.random.default_rng(int(random_state))
    msg = f"random_state == {random_state!r}: pass an int seed, a numpy.random.Generator or None"
    raise ParameterError(msg)


def check_n_players(n: Any) -> int:
    """Check that ``n`` is a positive int and return it."""
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        msg = f"n == {n!r}, must be a positive int (the number of parts to ablate)"
        raise ParameterError(msg)
    if n < 1:
        msg = f"n == {n}, must be >= 1: there is nothing to explain with no parts"
        raise ParameterError(msg)
    return int(n)


def check_feature_names(names: Sequence[str] | None, n: int) -> tuple[str, ...]:
    """Return feature names as a tuple, defaulting to ``x0 .. x{n-1}``; reject duplicates."""
    if names is None:
        return tuple(f"x{i}" for i in range(n))
    names = tuple(str(name) for name in names)
    if len(names) != n:
        msg = f"feature_names has {len(names)} entries but n == {n}: give one name per part"
        raise ParameterError(msg)
    seen: dict[str, int] = {}
    dups = []
    for i, name in enumerate(names):
        if name in seen:
            dups.append(f"{name!r} (positions {seen[name]} and {i})")
        seen.setdefault(name, i)
    if dups:
        msg = "feature_names must be unique; duplicated: " + ", ".join(dups[:_MAX_QUOTED])
        raise ParameterError(msg)
    return names


def check_flag(value: object, name: str) -> bool:
    """Return ``value`` if it is a bool (numpy's too), else raise a :class:`ParameterError`."""
    if not isinstance(value, bool | np.bool_):
        msg = f"{name} must be True or False, got {value!r}"
        raise ParameterError(msg)
    return bool(value)


def check_part_keys(keys: Sequence[str] | Literal[False] | None, n: int) -> tuple[str, ...] | None:
    """Return ``keys`` (one string per part, repeats allowed) as a tuple, or None for none
    (``None`` or ``False``)."""
    if keys is None or keys is False:
        return None
    msg = "part_keys must be a sequence of strings, one per part (e.g. each part's word)"
    try:
        keys = keys if isinstance(keys, str) else tuple(keys)  # read once: maybe a generator
    except TypeError:  # not iterable (True, a number)
        raise ParameterError(msg + f", or False for none; got {keys!r}") from None
    if isinstance(keys, str) or not all(isinstance(key, str) for key in keys):
        raise ParameterError(msg)
    if len(keys) != n:
        msg = f"part_keys has {len(keys)} entries but n == {n}: give one key per part"
        raise ParameterError(msg)
    return keys


def check_masks(masks: Any, n: int) -> np.ndarray:
    """Check a mask array and return it as ``bool (n_masks, n)``.

    Accepted: a bool array, or an integer array holding only 0 and 1. A single mask of shape
    ``(n,)`` is promoted to ``(1, n)``. Floats, other values, wrong widths raise
    :class:`~ablatio.exceptions.MaskError`.
    """
    try:
        arr = np.asarray(masks)
    except ValueError:  # ragged nested lists
        msg = f"masks must be a rectangular (n_masks, {n}) array; got rows of different lengths"
        raise MaskError(msg) from None
    if arr.ndim == 1 and arr.shape[0] == n:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != n:
        msg = f"masks must have shape (n_masks, {n}) (one column per part); got {arr.shape}"
        raise MaskError(msg)
    if arr.dtype == np.bool_:
        return arr
    if np.issubdtype(arr.dtype, np.integer):
        bad = np.flatnonzero(((arr != 0) & (arr != 1)).any(axis=1))
        if bad.size:
            msg = (
                f"integer masks must contain only 0 and 1; rows {bad[:_MAX_QUOTED].tolist()} "
                "hold other values"
            )
            raise MaskError(msg)
        return arr.astype(bool)
    msg = (
        f"masks must be bool (True = part kept) or 0/1 integers, got dtype {arr.dtype}: "
        "convert with masks.astype(bool) if the values are 0/1"
    )
    raise MaskError(msg)


def check_values(values: Any, masks: np.ndarray) -> np.ndarray:
    """Check what a value function returned for ``masks``; return ``float64 (n_masks,)``.

    Accepted: one real number per mask (float or integer dtype, a list, a Series, a column
    ``(n_masks, 1)``); a :class:`numpy.ma.MaskedArray` without masked entries is taken as its
    data. Raises :class:`~ablatio.exceptions.ValueFunctionError` for a wrong length, shape or
    dtype (bool, complex, timedelta/datetime, objects, strings, a Python bool inside a list)
    and :class:`~ablatio.exceptions.NonFiniteValueError`, naming the masks, for NaN, inf or a
    masked entry.
    """
    k = masks.shape[0]
    hidden = None
    if np.ma.isMaskedArray(values):
        hidden = np.ma.getmaskarray(values)
        values = np.ma.getdata(values)
    elif isinstance(values, list | tuple):
        _check_no_python_bools(values, masks)
    if not isinstance(values, np.ndarray):
        kind = type(values).__name__
        try:
            values = np.asarray(values)
        except Exception as exc:  # pragma: no cover - exotic objects
            msg = f"value function returned a {kind} that is not array-like"
            raise ValueFunctionError(msg) from exc
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
        hidden = None if hidden is None else hidden[:, 0]
    if values.shape != (k,):
        msg = (
            f"value function must return one value per mask, shape ({k},); got shape {values.shape}"
        )
        raise ValueFunctionError(msg)
    if hidden is not None and hidden.any():
        bad = np.flatnonzero(hidden)
        msg = (
            f"value function returned a masked array with {bad.size} masked entries of {k} "
            f"(rows {bad[:_MAX_QUOTED].tolist()}): {_quote(masks, bad)}. A masked entry has no "
            "value: return a number for every ablation (.filled(x) only if x is the true value)."
        )
        raise NonFiniteValueError(msg)
    if values.dtype.kind not in "fiu":
        msg = (
            f"value function must return real numbers, got dtype {values.dtype} "
            f"({_DTYPE_HINTS.get(values.dtype.kind, 'not a real number')}) for the batch of {k} "
            f"masks starting with {_quote(masks, np.arange(min(k, 1)))}: return a float array"
        )
        raise ValueFunctionError(msg)
    values = values.astype(np.float64, copy=False)
    if not np.isfinite(values.sum()):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            msg = (
                f"value function returned NaN or infinity for {bad.size} of {k} masks "
                f"(rows {bad[:_MAX_QUOTED].tolist()}): {_quote(masks, bad, values)}. Make the "
                "model output finite for every ablation (e.g. clip log-probabilities)."
            )
            raise NonFiniteValueError(msg)
    return values


#: Why a dtype kind is not a value (``numpy.dtype.kind``).
_DTYPE_HINTS = {
    "b": "booleans are not values; convert with .astype(float) if 0/1 is meant",
    "c": "complex numbers; return the real part or the modulus explicitly",
    "m": "timedeltas; convert to a number of seconds explicitly",
    "M": "datetimes",
    "O": "Python objects",
    "U": "strings",
    "S": "bytes",
    "V": "raw records",
}


def _quote(masks: np.ndarray, rows: np.ndarray, values: np.ndarray | None = None) -> str:
    """Name the first offending masks by the parts they ablate (and their values)."""
    quoted = []
    for i in rows[:_MAX_QUOTED]:
        text = f"mask {np.flatnonzero(~masks[i]).tolist()[:10]} ablated"
        quoted.append(text if values is None else f"{text} -> {values[i]}")
    return "; ".join(quoted)


def _check_no_python_bools(values: list[Any] | tuple[Any, ...], masks: np.ndarray) -> None:
    """A bool inside a list of numbers would silently become 0.0/1.0: refuse it."""
    flat = [v[0] if isinstance(v, list | tuple) and len(v) == 1 else v for v in values]
    bad = np.array(
        [i for i, v in enumerate(flat) if isinstance(v, bool | np.bool_)], dtype=np.int64
    )
    if bad.size and len(flat) == masks.shape[0]:
        msg = (
            f"value function returned booleans among its values (rows {bad[:_MAX_QUOTED].tolist()}"
            f"): {_quote(masks, bad)}. Booleans are not values; return numbers (e.g. float(x))."
        )
        raise ValueFunctionError(msg)
