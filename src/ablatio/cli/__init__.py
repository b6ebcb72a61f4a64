"""The ``ablatio`` command (``pip install 'ablatio[cli]'``): explain, compare, audit, report.

typer and rich are imported only when the command runs; without them :func:`main` prints
the install hint and exits with status 1.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

_HINT = "the ablatio command needs typer and rich: pip install 'ablatio[cli]'"


def main() -> None:
    """Entry point of the ``ablatio`` console script."""
    try:
        import rich  # noqa: F401
        import typer  # noqa: F401
    except ImportError:
        sys.stderr.write(_HINT + "\n")
        raise SystemExit(1) from None
    from ablatio.cli.app import build_app

    build_app()(prog_name="ablatio")
