"""Lazy imports of optional dependencies with an install hint naming the pip extra."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, *, extra: str) -> ModuleType:
    """Import ``module`` or raise an ImportError telling which extra installs it.

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``"torch"``.
    extra : str
        The ablatio extra that provides it, e.g. ``"torch"`` for ``pip install 'ablatio[torch]'``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        msg = (
            f"{module!r} is needed for this feature but is not installed: "
            f"pip install 'ablatio[{extra}]'"
        )
        raise ImportError(msg) from exc
