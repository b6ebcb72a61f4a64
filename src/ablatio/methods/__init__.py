"""Explanation methods, one per module, and the registry ``ablatio.explain`` dispatches on."""

from __future__ import annotations

from ablatio.methods.banzhaf import Banzhaf
from ablatio.methods.base import Method, clone
from ablatio.methods.exact import Exact
from ablatio.methods.faithbanzhaf import FaithBanzhaf
from ablatio.methods.faithshap import FaithShap
from ablatio.methods.kernelshap import KernelSHAP
from ablatio.methods.lime import LIME
from ablatio.methods.moebius_gt import MobiusRecovery
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
    "KernelSHAP",
    "Method",
    "MobiusRecovery",
    "PermutationShapley",
    "ProxySPEX",
    "clone",
    "get_method",
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
    MobiusRecovery.name: MobiusRecovery,
    ProxySPEX.name: ProxySPEX,
    SPEX.name: SPEX,
}


#: Other spellings of registered methods (after lower-casing and dropping ``-``, ``_``, spaces).
_ALIASES = {
    "moebius": "mobius",
    "möbius": "mobius",
    "mobiusrecovery": "mobius",
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
    (``"KernelSHAP"``, ``"Moebius"``, ``"Proxy-SPEX"``). An unknown name raises a
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
