"""Input checks shared by every component: masks, values, budgets, random states."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

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

    Raises :class:`~ablatio.exceptions.ValueFunctionError` for a wrong length, shape or dtype
    and :class:`~ablatio.exceptions.NonFiniteValueError` (naming the masks) for NaN/inf.
    """
    k = masks.shape[0]
    if not isinstance(values, np.ndarray):
        kind = type(values).__name__
        try:
            values = np.asarray(values)
        except Exception as exc:  # pragma: no cover - exotic objects
            msg = f"value function returned a {kind} that is not array-like"
            raise ValueFunctionError(msg) from exc
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.shape != (k,):
        msg = (
            f"value function must return one value per mask, shape ({k},); got shape {values.shape}"
        )
        raise ValueFunctionError(msg)
    if values.dtype == np.bool_ or not (
        np.issubdtype(values.dtype, np.floating) or np.issubdtype(values.dtype, np.integer)
    ):
        msg = f"value function must return real numbers, got dtype {values.dtype}"
        raise ValueFunctionError(msg)
    values = values.astype(np.float64, copy=False)
    if not np.isfinite(values.sum()):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            quoted = "; ".join(
                f"mask {np.flatnonzero(~masks[i]).tolist()[:10]} ablated -> {values[i]}"
                for i in bad[:_MAX_QUOTED]
            )
            msg = (
                f"value function returned NaN or infinity for {bad.size} of {k} masks "
                f"(rows {bad[:_MAX_QUOTED].tolist()}): {quoted}. Make the model output finite "
                "for every ablation (e.g. clip log-probabilities)."
            )
            raise NonFiniteValueError(msg)
    return values
