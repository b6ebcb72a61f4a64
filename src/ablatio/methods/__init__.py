"""Explanation methods, one per module, and the registry ``ablatio.explain`` dispatches on."""

from __future__ import annotations

from ablatio.methods.banzhaf import Banzhaf
from ablatio.methods.base import Method, clone
from ablatio.methods.exact import Exact
from ablatio.methods.faithbanzhaf import FaithBanzhaf
from ablatio.methods.faithshap import FaithShap
from ablatio.methods.hierarchical import Hierarchical
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
    "Hierarchical",
    "KernelSHAP",
    "Method",
    "MobiusRecovery",
    "PermutationShapley",
    "ProxySPEX",
    "clone",
    "get_method",
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


def get_method(name: str) -> type[Method]:
    """The method class registered under ``name``."""
    try:
        return METHODS[name]
    except KeyError:
        from ablatio.exceptions import ParameterError

        msg = f"method == {name!r}; choose one of {sorted(METHODS)}"
        raise ParameterError(msg) from None
