"""Explanation methods, one per module, the registry, and the one builder every caller uses."""

from __future__ import annotations

from typing import Any

from ablatio.exceptions import ParameterError
from ablatio.methods.banzhaf import Banzhaf
from ablatio.methods.base import COMMON_PARAMS, Method, clone
from ablatio.methods.exact import Exact
from ablatio.methods.faithbanzhaf import FaithBanzhaf
from ablatio.methods.faithshap import FaithShap
from ablatio.methods.hierarchical import Hierarchical
from ablatio.methods.kernelshap import KernelSHAP
from ablatio.methods.lime import LIME
from ablatio.methods.permutation import PermutationShapley
from ablatio.methods.proxyspex import ProxySPEX
from ablatio.methods.spex import SPEX

__all__ = [
    "LIME",
    "METHODS",
    "SPEX",
    "Banzhaf",
    "Exact",
    "FaithBanzhaf",
    "FaithShap",
    "Hierarchical",
    "KernelSHAP",
    "Method",
    "PermutationShapley",
    "ProxySPEX",
    "clone",
    "get_method",
    "make_method",
    "method_name",
]

#: Registry: name used by ``explain(method=...)`` → class.
METHODS: dict[str, type[Method]] = {
    Exact.name: Exact,
    LIME.name: LIME,
    KernelSHAP.name: KernelSHAP,
    Banzhaf.name: Banzhaf,
    PermutationShapley.name: PermutationShapley,
    FaithShap.name: FaithShap,
    FaithBanzhaf.name: FaithBanzhaf,
    ProxySPEX.name: ProxySPEX,
    SPEX.name: SPEX,
}


#: Other spellings of registered methods (after lower-casing and dropping ``-``, ``_``, spaces).
_ALIASES = {
    "permutationshapley": "permutation",
    "permutationsamplingsv": "permutation",
    "banzhafvalues": "banzhaf",
}
#: shapiq's index names: what they are in ablatio (a result's index, not a method).
_INDICES = {
    "sv": "expl.interactions.shapley_values()",
    "bv": "expl.interactions.banzhaf_values()",
    **{
        k: f"expl.interactions.index({k!r}, order=2)"
        for k in ("sii", "bii", "stii", "fsii", "fbii", "ksii")
    },
}


def method_name(name: str) -> str:
    """The registered name of ``name``, read case-insensitively (``"SPEX"`` → ``"spex"``).

    ``-``, ``_`` and spaces are ignored and a few other spellings are accepted
    (``"KernelSHAP"``, ``"Proxy-SPEX"``). An unknown name raises a
    ParameterError with the closest registered names; an interaction index spelled the shapiq
    way (``"k-SII"``, ``"FSII"``) raises one that says how to get that index instead.
    """
    from ablatio.exceptions import ParameterError

    if not isinstance(name, str):
        msg = f"method == {name!r}: pass a method name (a str) or a Method instance"
        raise ParameterError(msg)
    key = "".join(name.lower().split()).replace("-", "").replace("_", "")
    key = _ALIASES.get(key, key)
    if key in METHODS:
        return key
    if key in _INDICES:
        msg = (
            f"method == {name!r} is an interaction index, not a method: explain with a method "
            f"(e.g. 'exact' or 'spex'), then take {_INDICES[key]} from the result"
        )
        raise ParameterError(msg)
    import difflib

    close = difflib.get_close_matches(key, sorted(METHODS), n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    msg = f"method == {name!r} is unknown; {hint}choose one of {sorted(METHODS)}"
    raise ParameterError(msg)


def get_method(name: str) -> type[Method]:
    """The method class registered under ``name`` (spelling as in :func:`method_name`)."""
    return METHODS[method_name(name)]


def make_method(
    method: str | Method,
    *,
    budget: int | None = None,
    max_order: int | None = None,
    random_state: Any = None,
    options: dict[str, Any] | None = None,
) -> Method:
    """A new unfitted method from a registry name (or a configured Method) and options.

    The single place where methods are built (``explain``, ``compare``, the CLI and the
    ProxySPEX fallback all call it). The common parameters (:data:`~ablatio.methods.base.
    COMMON_PARAMS`) are passed only when not None, so None keeps the method's default.
    ``options`` are other constructor parameters; unknown names raise ParameterError.

    A Method instance is cloned; ``options`` are refused (configure the instance), and a
    common parameter may be given only where the instance leaves it None or has the same value.

    Examples
    --------
    >>> make_method("spex", budget=2000, options={"decoder": "hard"}).get_params()["decoder"]
    'hard'
    """
    common = {"budget": budget, "max_order": max_order, "random_state": random_state}
    given = {k: v for k, v in common.items() if v is not None}
    if isinstance(method, Method):
        if options:
            msg = "options are only used with a method name; configure the instance instead"
            raise ParameterError(msg)
        estimator = clone(method)
        own = estimator.get_params()
        for key, value in given.items():
            if own[key] is not None and own[key] is not value and own[key] != value:
                msg = (
                    f"{key}={value!r} conflicts with the method's own {key}={own[key]!r}: "
                    "set it in one place"
                )
                raise ParameterError(msg)
        return estimator.set_params(**given)
    cls = get_method(method)
    options = dict(options or {})
    clash = sorted(set(options) & set(COMMON_PARAMS))
    if clash:
        msg = f"pass {clash} as arguments, not as options"
        raise ParameterError(msg)
    valid = set(cls._param_names())
    unknown = sorted(set(options) - valid)
    if unknown:
        msg = f"method {method!r} has no option {unknown[0]!r}; valid: {sorted(valid)}"
        raise ParameterError(msg)
    return cls(**given, **options)
