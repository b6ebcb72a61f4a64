"""Sparse additive games with fresh test masks (test helper)."""

from __future__ import annotations

import numpy as np


def r2(y: np.ndarray, pred: np.ndarray) -> float:
    """R² of ``pred`` for ``y``."""
    return float(1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2))


def sparse_additive(n: int, q: int, k: int, seed: int):
    """``k`` of ``n`` parts matter (a lexicon over a long text); noise of a tenth of the sd."""
    rng = np.random.default_rng(seed)
    slopes = np.zeros(n)
    slopes[rng.choice(n, k, replace=False)] = rng.normal(size=k)
    masks, test = rng.random((q, n)) < 0.5, rng.random((3000, n)) < 0.5
    noise = 0.1 * np.sqrt(k / 4) * rng.normal(size=q)
    return slopes, masks, 2.0 + masks @ slopes + noise, test, 2.0 + test @ slopes


def gated_additive(n: int, q: int, k: int, seed: int):
    """:func:`sparse_additive` with a gate: part 0 adds 8 and the other slopes count 1.5 times
    when it is present, 0.5 times when not (VADER's "but" before the words that matter).
    Returns masks, values, fresh test masks and their noiseless values."""
    rng = np.random.default_rng(seed)
    slopes = np.zeros(n)
    slopes[1 + rng.choice(n - 1, k, replace=False)] = rng.normal(size=k)
    masks, test = rng.random((q, n)) < 0.5, rng.random((3000, n)) < 0.5

    def f(m: np.ndarray) -> np.ndarray:
        return 2.0 + 8.0 * m[:, 0] + (m @ slopes) * (0.5 + m[:, 0])

    noise = 0.1 * np.sqrt(k / 4) * rng.normal(size=q)
    return masks, f(masks) + noise, test, f(test)


def repeated_words(n: int, q: int, seed: int):
    """A document of ``n`` words drawn (Zipf-like) from 120 word types, 30 of them with a
    valence: each kept copy adds its word's valence, except one copy of each valued word
    that counts negatively (a negated "good"). Returns the parts' keys, slopes, masks, values
    (noise of a tenth of the sd), fresh test masks and their noiseless values."""
    rng = np.random.default_rng(seed)
    types = 120
    frequency = 1.0 / np.arange(1, types + 1)
    words = rng.choice(types, size=n, p=frequency / frequency.sum())
    valence = np.zeros(types)
    valence[rng.choice(types, 30, replace=False)] = rng.normal(size=30)
    slopes = valence[words]
    for word in np.flatnonzero(valence):
        copies = np.flatnonzero(words == word)
        if copies.size > 1:
            slopes[rng.choice(copies)] *= -1.0
    masks, test = rng.random((q, n)) < 0.5, rng.random((3000, n)) < 0.5
    sd = float(np.sqrt(np.sum(slopes**2) / 4))
    values = 1.0 + masks @ slopes + 0.1 * sd * rng.normal(size=q)
    keys = [f"w{w}" for w in words]
    return keys, slopes, masks, values, test, 1.0 + test @ slopes


def local_phrases(n: int, q: int, k: int, seed: int, reach: int = 3):
    """A sentence-like game: ``k`` valued words (slopes ~ N(0, 1)), each with a modifier one to
    ``reach`` positions before it that flips its sign when both are kept (a negation: "not
    good"); the modifier alone does nothing. Noise of a tenth of the sd. Returns masks, values,
    fresh test masks and their noiseless values."""
    rng = np.random.default_rng(seed)
    words = 3 + rng.choice(n - 3, k, replace=False)
    modifiers = words - rng.integers(1, reach + 1, size=k)
    slopes = rng.normal(size=k)

    def f(m: np.ndarray) -> np.ndarray:
        return 1.0 + (m[:, words] * (1.0 - 2.0 * m[:, modifiers])) @ slopes

    masks, test = rng.random((q, n)) < 0.5, rng.random((3000, n)) < 0.5
    noise = 0.1 * np.sqrt(np.sum(slopes**2) / 4) * rng.normal(size=q)
    return masks, f(masks) + noise, test, f(test)
