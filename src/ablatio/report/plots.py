"""Static figures for papers (matplotlib, ``pip install 'ablatio[plots]'``).

Each function draws on a new :class:`matplotlib.figure.Figure` (no pyplot, no global state)
from the same records as the HTML report (:mod:`ablatio.report.figures`);
:func:`save_figures` writes them all as PNG.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ablatio._optional import require
from ablatio.interactions import Interactions
from ablatio.report.figures import interaction_graph, top_terms, waterfall
from ablatio.report.plot_api import cut_label as _cut
from ablatio.report.svg import DEPTH_COLORS, NEGATIVE, NEUTRAL, POSITIVE

__all__ = [
    "FIGURE_DPI",
    "plot_depth",
    "plot_interaction_graph",
    "plot_top",
    "plot_waterfall",
    "save_figures",
]

#: Resolution of the saved PNGs.
FIGURE_DPI = 150


def _figure(width: float, height: float) -> Any:
    require("matplotlib", extra="plots")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _plain(fig: Any) -> Any:
    """Every text of ``fig`` drawn verbatim: user labels are never parsed as mathtext.

    A prompt word like ``isn't$\\frac`` would otherwise be read as a formula (and fail).
    """
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        text.set_parse_math(False)
    return fig


def _color(value: float) -> str:
    return POSITIVE if value >= 0 else NEGATIVE


def plot_top(inter: Interactions, k: int = 20) -> Any:
    """Horizontal bar chart of the ``k`` largest terms (largest at the top)."""
    rows = top_terms(inter, k)
    fig = _figure(7.0, 0.9 + 0.3 * max(len(rows), 1))
    ax = fig.add_subplot()
    ax.barh(range(len(rows)), [r.value for r in rows], color=[_color(r.value) for r in rows])
    ax.set_yticks(range(len(rows)), [_cut(r.label) for r in rows], parse_math=False)
    ax.invert_yaxis()
    ax.axvline(0.0, color="#999", linewidth=0.8)
    ax.set_xlabel(f"coefficient ({inter.basis})")
    ax.set_title("Top interactions")
    return _plain(fig)


def plot_depth(depth: Mapping[str, Any], title: str = "Explained variance by depth") -> Any:
    """Stacked bars per layer of :func:`~ablatio.evaluation.heads_analysis.variance_by_depth`."""
    layers = list(depth["layers"])
    fig = _figure(7.0, 3.6)
    ax = fig.add_subplot()
    bottom = [0.0] * len(layers)
    for key, color in DEPTH_COLORS.items():
        values = [float(v) for v in depth[key]]
        ax.bar(layers, values, bottom=bottom, color=color, label=key.replace("_", "-"))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xlabel("layer")
    ax.set_ylabel("share of explained variance")
    ax.set_title(title)
    ax.legend(frameon=False)
    return fig


def plot_waterfall(inter: Interactions, k: int = 10) -> Any | None:
    """Waterfall from ``f(0)`` to ``f(1)`` through the top Möbius terms (None for indices)."""
    steps = waterfall(inter, k)
    if steps is None:
        return None
    fig = _figure(7.0, 0.9 + 0.3 * len(steps))
    ax = fig.add_subplot()
    for i, step in enumerate(steps):
        color = NEUTRAL if step.total else _color(step.end - step.start)
        ax.barh(i, step.end - step.start, left=step.start, color=color)
    ax.set_yticks(range(len(steps)), [_cut(s.label) for s in steps], parse_math=False)
    ax.invert_yaxis()
    ax.axvline(0.0, color="#999", linewidth=0.8)
    ax.set_xlabel("value")
    ax.set_title("From all parts ablated to the full input")
    return _plain(fig)


def plot_interaction_graph(inter: Interactions, k: int = 20) -> Any:
    """Features on a circle, pairwise edges and higher-order hyperedges (dashed, via a hub)."""
    graph = interaction_graph(inter, k)
    fig = _figure(6.0, 6.0)
    ax = fig.add_subplot()
    where = {n.player: (n.x, 1.0 - n.y) for n in graph.nodes}
    top_edge = max((abs(e.value) for e in graph.edges), default=1.0) or 1.0
    top_node = max((abs(n.value) for n in graph.nodes), default=1.0) or 1.0
    for edge in graph.edges:
        width = 1.0 + 5.0 * abs(edge.value) / top_edge
        if len(edge.members) == 2:
            (xa, ya), (xb, yb) = (where[p] for p in edge.members)
            ax.plot([xa, xb], [ya, yb], color=_color(edge.value), linewidth=width, alpha=0.7)
            continue
        hx, hy = edge.hub[0], 1.0 - edge.hub[1]
        for p in edge.members:
            ax.plot(
                [hx, where[p][0]],
                [hy, where[p][1]],
                color=_color(edge.value),
                linewidth=width,
                alpha=0.5,
                linestyle="--",
            )
        ax.scatter([hx], [hy], s=20, color=NEUTRAL, zorder=3)
    for node in graph.nodes:
        x, y = where[node.player]
        ax.scatter(
            [x],
            [y],
            s=60 + 600 * abs(node.value) / top_node,
            color=_color(node.value),
            edgecolors="white",
            zorder=4,
        )
        ax.annotate(
            _cut(node.label),
            (x, y),
            textcoords="offset points",
            xytext=(8, 8),
            fontsize=8,
            parse_math=False,
        )
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.05, 1.05)
    ax.set_axis_off()
    ax.set_title("Interaction graph")
    return _plain(fig)


def save_figures(inter: Interactions, out_dir: str | Path, k: int = 20) -> list[Path]:
    """Write ``top_interactions.png``, ``waterfall.png`` and ``interaction_graph.png``."""
    out = Path(out_dir)
    figures = {
        "top_interactions.png": plot_top(inter, k),
        "waterfall.png": plot_waterfall(inter, min(k, 10)),
        "interaction_graph.png": plot_interaction_graph(inter, k),
    }
    from ablatio.report.run import atomic_write

    written = []
    for name, fig in figures.items():
        if fig is None:
            continue
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=FIGURE_DPI)
        atomic_write(out / name, png.getvalue())  # never through a symlink
        written.append(out / name)
    return written
