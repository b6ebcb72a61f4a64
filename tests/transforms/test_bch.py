"""BCH codes: field arithmetic, code sizes, hard and Chase decoding round trips."""

from __future__ import annotations

import numpy as np
import pytest

from ablatio.exceptions import ParameterError
from ablatio.transforms.bch import BCHCode, GaloisField, _polymod, bch_code


def _syndrome_bits(code: BCHCode, k: np.ndarray) -> np.ndarray:
    if k.size == 0:
        return np.zeros(code.n_parity, dtype=bool)
    return np.bitwise_xor.reduce(code.delays[:, k], axis=1)


@pytest.mark.parametrize("m", [3, 5, 8, 13])
def test_field_inverse_and_multiplication_are_consistent(m):
    field = GaloisField(m)
    elements = np.arange(1, 2**m)
    assert sorted(field.exp[: field.order].tolist()) == elements.tolist()  # α is primitive
    for a in elements[:: max(1, elements.size // 50)]:
        assert field.mul(int(a), field.inv(int(a))) == 1


@pytest.mark.parametrize(
    ("n", "t", "p"),
    [(8, 5, 20), (16, 4, 24), (20, 3, 18), (256, 3, 27), (256, 5, 45), (1000, 3, 33)]
    + [(4096, 5, 65)],
)
def test_parity_length_matches_cyclotomic_count(n, t, p):
    assert BCHCode(n, t).n_parity == p


def test_delay_columns_are_parities_of_shifted_messages():
    code = BCHCode(40, 3)
    g, p = code.generator, code.n_parity
    for i in (0, 7, 39):
        expected = _polymod(1 << (p + i), g)
        assert sum(int(bit) << j for j, bit in enumerate(code.delays[:, i])) == expected
    # a systematic codeword (message bit i plus its parity) has zero syndromes
    bits = code.delays[:, 5]
    word = (1 << (p + 5)) | sum(int(bit) << j for j, bit in enumerate(bits))
    assert _polymod(word, g) == 0


@pytest.mark.parametrize(("n", "t"), [(8, 5), (20, 3), (128, 5), (256, 3), (1000, 4), (4096, 3)])
def test_hard_decode_round_trips_random_patterns_up_to_t(n, t):
    rng = np.random.default_rng(n + t)
    code = bch_code(n, t)
    for _ in range(40):
        weight = int(rng.integers(0, t + 1))
        n_k = int(rng.integers(0, weight + 1))
        k = rng.choice(n, size=n_k, replace=False)
        flips = rng.choice(code.n_parity, size=weight - n_k, replace=False)
        bits = _syndrome_bits(code, k).copy()
        bits[flips] ^= True
        found = code.decode(bits)
        assert found is not None
        assert sorted(found.positions.tolist()) == sorted(k.tolist())
        assert sorted(found.flips.tolist()) == sorted(flips.tolist())
        assert found.n_errors == weight


def test_hard_decode_reports_failure_instead_of_guessing_beyond_capability():
    rng = np.random.default_rng(3)
    code = bch_code(64, 2)
    failures = 0
    for _ in range(30):
        bits = rng.random(code.n_parity) < 0.5  # random words are mostly undecodable
        found = code.decode(bits)
        if found is None:
            failures += 1
        else:  # any answer must be a genuine solution of weight <= t
            recon = _syndrome_bits(code, found.positions).copy()
            recon[found.flips] ^= True
            assert np.array_equal(recon, bits) and found.n_errors <= 2
    assert failures > 0


def test_soft_decode_corrects_weak_errors_beyond_hard_capability():
    rng = np.random.default_rng(0)
    code = bch_code(100, 3)
    k = np.array([4, 50, 77])  # |k| = t: no room for a sign error in hard decoding
    signs = 1.0 - 2.0 * _syndrome_bits(code, k)
    observed = signs * rng.uniform(0.8, 1.2, code.n_parity)
    weak = [2, 11]
    observed[weak] = -0.05 * signs[weak]  # two unreliable, wrong signs
    soft = code.decode_soft(observed, depth=3, n_tests=6)
    assert soft is not None and sorted(soft.positions.tolist()) == k.tolist()
    hard = code.decode(observed < 0)
    assert hard is None or sorted(hard.positions.tolist()) != k.tolist()


def test_invalid_capability_raises():
    with pytest.raises(ParameterError, match="t == 0"):
        BCHCode(10, 0)
