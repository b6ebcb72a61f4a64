from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest

from ablatio import Interactions, KernelSHAP
from ablatio.methods.base import Interval, Method
from ablatio.methods.exact import all_masks
from ablatio.testing import check_method, iter_checks, method_tags


class _Broken(Method):
    """A first-order method with configurable defects, for checking the checks."""

    name: ClassVar[str] = ""
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "budget": [None, Interval(int, 1, None)]
    }
    _check_tags: ClassVar[dict[str, Any]] = {"exact": "additive"}
    defect: ClassVar[str] = ""

    def __init__(
        self, *, budget: int | None = None, max_order: int | None = None, random_state: Any = None
    ) -> None:
        self.budget = budget
        self.max_order = max_order
        self.random_state = random_state

    def min_budget(self, n_players: int) -> int:
        return n_players + 1

    def _fit(self, game, rng):
        n = game.n_players
        masks = all_masks(n) if self.defect == "overspend" else np.eye(n + 1, n, k=-1, dtype=bool)
        values = game(masks)
        slopes = values[1:] - values[0] if self.defect != "wrong" else values[1:]
        if self.defect == "random":
            slopes = slopes + np.random.default_rng().normal(size=n)
        if self.defect == "negative_se":
            self.holdout_r2_, self.holdout_r2_se_ = 0.9, -0.01
        if self.defect == "se_without_estimate":
            self.holdout_r2_se_ = 0.01
        if self.defect == "negative_weight":
            self.model_, self.model_weights_ = "stacked", {"a": 1.5, "b": -0.5}
        return Interactions([(), *((i,) for i in range(n))], [values[0], *slopes], n_players=n)


def _variant(defect: str) -> type[_Broken]:
    return type(f"_Broken_{defect}", (_Broken,), {"defect": defect})


def test_a_correct_method_passes():
    report = check_method(_variant(""))
    assert report["check_exact_recovery"] == "passed"
    assert report["check_explain"].startswith("skipped")


@pytest.mark.parametrize(
    ("defect", "check"),
    [
        ("overspend", "check_fit_contract"),
        ("wrong", "check_exact_recovery"),
        ("random", "check_determinism"),
        ("negative_se", "check_fit_contract"),
        ("se_without_estimate", "check_fit_contract"),
        ("negative_weight", "check_fit_contract"),
    ],
)
def test_defects_are_caught(defect, check):
    with pytest.raises(AssertionError, match=check):
        dict(iter_checks(_variant(defect)))[check]()


def test_constructor_that_alters_parameters_is_caught():
    class Altering(_Broken):
        def __init__(
            self, *, budget: int | None = None, max_order: Any = None, random_state: Any = None
        ) -> None:
            self.budget = None if budget is None else budget + 0.0
            self.max_order = max_order
            self.random_state = random_state

    with pytest.raises(AssertionError, match="check_params"):
        dict(iter_checks(Altering(budget=3)))["check_params"]()


def test_tags_merge_over_defaults_and_skip_is_honoured():
    class Skipping(_Broken):
        _check_tags: ClassVar[dict[str, Any]] = {"skip": {"check_determinism": "stochastic"}}

    assert method_tags(Skipping)["n_players"] == 6
    assert check_method(Skipping)["check_determinism"] == "skipped: stochastic"
    assert method_tags(KernelSHAP)["exact"] == "additive"


def test_a_method_without_the_common_parameters_is_caught():
    class NoOrder(_Broken):
        def __init__(self, *, budget: int | None = None, random_state: Any = None) -> None:
            self.budget = budget
            self.random_state = random_state

    with pytest.raises(AssertionError, match="must take max_order=None"):
        dict(iter_checks(NoOrder()))["check_params"]()


def test_an_absolute_threshold_is_caught():
    """Issue #16: the scale property catches a method that drops |a| <= 1e-10."""

    class Cut(_Broken):
        def _fit(self, game, rng):
            return super()._fit(game, rng).prune(1e-10)

    with pytest.raises(AssertionError, match="check_scale_equivariance"):
        dict(iter_checks(Cut()))["check_scale_equivariance"]()
