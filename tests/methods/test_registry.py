"""The method registry: spellings users bring from papers and shapiq."""

from __future__ import annotations

import numpy as np
import pytest

import ablatio
from ablatio.exceptions import ParameterError
from ablatio.methods import METHODS, get_method, method_name


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("SPEX", "spex"),
        ("ProxySPEX", "proxyspex"),
        ("Proxy-SPEX", "proxyspex"),
        ("KernelSHAP", "kernelshap"),
        ("kernel_shap", "kernelshap"),
        ("Faith-Shap", "faithshap"),
        ("Exact", "exact"),
    ],
)
def test_method_names_are_read_case_insensitively(spelling, name):
    assert method_name(spelling) == name
    assert get_method(spelling) is METHODS[name]


def test_explain_with_an_upper_case_name_gives_the_same_result():
    game = ablatio.sparse_and_game(6, 4, 2, random_state=0)
    upper = ablatio.explain(game, method="KernelSHAP", budget=40, random_state=1)
    lower = ablatio.explain(game, method="kernelshap", budget=40, random_state=1)
    assert upper.method == "kernelshap"
    np.testing.assert_array_equal(upper.interactions.coefficients, lower.interactions.coefficients)


@pytest.mark.parametrize("index", ["k-SII", "FSII", "STII", "SV"])
def test_a_shapiq_index_name_says_it_is_an_index(index):
    with pytest.raises(ParameterError, match="is an interaction index, not a method"):
        get_method(index)


def test_a_misspelt_method_gets_a_did_you_mean():
    with pytest.raises(ParameterError, match=r"did you mean 'kernelshap'"):
        get_method("kernelshp")
    with pytest.raises(ParameterError, match=r"choose one of") as info:
        get_method("zzz")
    assert "did you mean" not in str(info.value)


def test_a_float_random_state_says_what_is_accepted():
    game = ablatio.sparse_and_game(6, 4, 2, random_state=0)
    with pytest.raises(ParameterError, match="an int seed >= 0, a numpy.random.Generator or None"):
        ablatio.explain(game, method="kernelshap", budget=40, random_state=0.5)
