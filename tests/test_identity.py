"""The one identity helper: what it accepts, what it refuses, and that it is process-stable."""

from __future__ import annotations

import functools
import os
import subprocess
import sys

import numpy as np
import pytest

from ablatio._identity import callable_id, digest, identity_stated
from ablatio.exceptions import GameIdentityError


def total(masks, scale=1.0):
    return masks.sum(axis=1) * scale


def other_total(masks, scale=1.0):
    return masks.sum(axis=1) * scale


class Scorer:
    def __init__(self, weight):
        self.weight = weight

    def fingerprint(self):
        return f"scorer:{self.weight}"

    def __call__(self, masks):
        return masks.sum(axis=1) * self.weight


class Opaque:
    def __call__(self, masks):
        return masks.sum(axis=1)


def test_def_functions_differ_by_name_and_code():
    assert callable_id(total) != callable_id(other_total)
    assert callable_id(total) == callable_id(total)


def test_partials_differ_by_arguments_and_match_when_equal():
    assert callable_id(functools.partial(total, scale=2.0)) == callable_id(
        functools.partial(total, scale=2.0)
    )
    assert callable_id(functools.partial(total, scale=2.0)) != callable_id(
        functools.partial(total, scale=3.0)
    )
    a, b = np.arange(3.0), np.arange(3.0)
    b[0] = -1.0
    assert callable_id(functools.partial(total, scale=a)) != callable_id(
        functools.partial(total, scale=b)
    )


def test_objects_are_identified_by_their_fingerprint_and_bound_methods_by_their_self():
    assert callable_id(Scorer(1.0)) != callable_id(Scorer(2.0))
    assert callable_id(Scorer(1.0).__call__) != callable_id(Scorer(2.0).__call__)
    assert callable_id(np.sum) != callable_id(np.mean)
    assert callable_id(np.exp).startswith("builtin:")


@pytest.mark.parametrize(
    ("fn", "reason"),
    [
        (lambda m: m, "a lambda"),
        (Opaque(), "Opaque without a fingerprint"),
        (Opaque().__call__, "method of a Opaque"),
        (functools.partial(total, scale=object()), "object that cannot be described"),
    ],
    ids=["lambda", "object", "bound_method", "partial_with_object"],
)
def test_unidentifiable_callables_are_refused_with_the_fix(fn, reason):
    with pytest.raises(GameIdentityError, match=reason) as info:
        callable_id(fn, "my role")
    assert "my role" in str(info.value)
    assert "name= and version=" in str(info.value)
    with identity_stated():
        assert callable_id(fn) == "stated-by-name-and-version"


def test_self_referencing_closure_is_refused_not_a_crash():
    def outer():
        def rec(masks):
            return rec if masks is None else masks.sum(axis=1)

        return rec

    with pytest.raises(GameIdentityError, match="refers to itself"):
        callable_id(outer())


def test_identity_is_the_same_in_another_process():
    """Set literals, dict defaults and closures hash alike under another PYTHONHASHSEED."""
    source = (
        "def value(masks, names={'b': 2, 'a': 1}):\n"
        "    return masks.sum(axis=1) if 'x' in {'x', 'y', 'z'} else masks.sum(axis=1)\n"
    )
    code = (
        "import sys; from ablatio._identity import callable_id; ns = {'__name__': 'nb'}; "
        f"exec({source!r}, ns); print(callable_id(ns['value']))"
    )
    outs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        outs.add(run.stdout.strip())
    namespace: dict[str, object] = {"__name__": "nb"}
    exec(source, namespace)
    assert outs == {callable_id(namespace["value"])}


def test_digest_is_order_independent_for_keys():
    assert digest({"a": 1, "b": [1, 2]}) == digest({"b": [1, 2], "a": 1})
    assert len(digest({"a": 1})) == 32
