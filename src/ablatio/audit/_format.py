"""Plain markdown tables (no ``tabulate`` dependency)."""

from __future__ import annotations

import pandas as pd

__all__ = ["markdown_table"]


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """Render ``frame`` (index as the first column) as a GitHub markdown table."""
    head = [str(frame.index.name or "")] + [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for idx, row in frame.iterrows():
        lines.append("| " + " | ".join([_cell(idx)] + [_cell(v) for v in row]) + " |")
    return "\n".join(lines)
