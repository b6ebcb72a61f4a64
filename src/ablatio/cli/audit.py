"""``ablatio audit <name>``: the seam for post-mortem audits with controls.

:data:`AUDITS` maps a sub-command to ``"module:function"``. The function's keyword
parameters (simple types with defaults) become the command's options; it returns a result
with ``.table`` (a DataFrame or records), ``.verdict`` and ``.to_markdown()``. The CLI prints
the markdown (or, with ``--json``, the table and verdict) and can save the markdown with
``--out``. A registered audit whose module is absent exits with status 2 and says so.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markdown import Markdown

from ablatio.cli.console import emit_json, stderr

__all__ = ["AUDITS", "render_audit"]

#: sub-command → ``"module:function"`` returning an audit result.
AUDITS: dict[str, str] = {
    "norms": "ablatio.audit:norm_audit",
    "tokens": "ablatio.audit:token_identity_audit",
}


def _jsonable(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        try:
            return value.to_dict(orient="records")
        except TypeError:
            return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, str | int | float | bool | list | dict) or value is None:
        return value
    return str(value)


def render_audit(
    result: Any,
    *,
    out: Annotated[Path | None, typer.Option(help="Also write the markdown to this file.")] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the table and verdict as JSON on stdout.")
    ] = False,
) -> None:
    """Show an audit result (markdown on stderr/terminal, or JSON on stdout)."""
    markdown = result.to_markdown()
    if out is not None:
        out.write_text(markdown, encoding="utf-8")
    if json_output:
        emit_json(
            {
                "status": "ok",
                "verdict": _jsonable(result.verdict),
                "table": _jsonable(result.table),
            }
        )
    else:
        stderr.print(Markdown(markdown))
