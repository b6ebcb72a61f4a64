"""Explanation methods, one per module, and the registry ``ablatio.explain`` dispatches on."""

from __future__ import annotations

from ablatio.methods.base import Method, clone
from ablatio.methods.exact import Exact
from ablatio.methods.moebius_gt import MobiusRecovery
from ablatio.methods.proxyspex import ProxySPEX
from ablatio.methods.spex import SPEX

__all__ = [
    "METHODS",
    "SPEX",
    "Exact",
    "Method",
    "MobiusRecovery",
    "ProxySPEX",
    "clone",
    "get_method",
]

#: Registry: name used by ``explain(method=...)`` → class.
METHODS: dict[str, type[Method]] = {
    Exact.name: Exact,
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
