"""Inline SVG charts for the HTML report: no JavaScript, no network, every label escaped."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

from ablatio.report.figures import Graph, Step

__all__ = [
    "NEGATIVE",
    "NEUTRAL",
    "POSITIVE",
    "DEPTH_COLORS",
    "bar_chart",
    "depth_chart",
    "graph_chart",
    "rgb",
    "waterfall_chart",
]

#: Fill of positive contributions (bars, nodes, edges).
POSITIVE = "#c0392b"
#: Fill of negative contributions.
NEGATIVE = "#2471a3"
#: Totals in the waterfall and hyperedge hubs.
NEUTRAL = "#566573"
#: Fills of the first-order, within-layer and across-layer shares in the depth chart.
DEPTH_COLORS = {"first_order": "#7f8c8d", "within": "#c0392b", "across": "#2471a3"}
#: Pixel geometry shared by the charts.
_WIDTH = 760
_ROW = 22
_LABEL_W = 260
_PAD = 12
#: Room right of the plot area for a value label such as "-1.234e-05" (10 characters, px).
_VALUE_ROOM = 84
#: Longest label drawn in full; longer ones are cut with an ellipsis (full text in <title>).
_MAX_LABEL = 40
#: Graph drawing: node radius = min + span * sqrt(|value| / max), edge width likewise (px).
_NODE_RADIUS = (6.0, 16.0)
_EDGE_WIDTH = (1.0, 7.0)
#: Graph drawing: canvas height and margin around the circle of nodes (px).
_GRAPH_HEIGHT = 560
_GRAPH_MARGIN = 70


def _fmt(value: float) -> str:
    return f"{value:+.4g}" if math.isfinite(value) else str(value)


def _cut(label: str) -> str:
    return label if len(label) <= _MAX_LABEL else label[: _MAX_LABEL - 1] + "…"


def _color(value: float) -> str:
    return POSITIVE if value >= 0 else NEGATIVE


def rgb(color: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` → ``(r, g, b)``."""
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'font-family="sans-serif" font-size="12">' + "".join(body) + "</svg>"
    )


def _scale(low: float, high: float) -> tuple[float, float]:
    """Map ``[low, high]`` (always containing 0) onto the plot area: returns (x0, px per unit)."""
    low, high = min(low, 0.0), max(high, 0.0)
    span = (high - low) or 1.0
    plot = _WIDTH - _LABEL_W - 2 * _PAD - _VALUE_ROOM
    per = plot / span
    return _LABEL_W + _PAD + (-low) * per, per


def bar_chart(rows: Sequence[tuple[str, float]], label: str = "bar chart") -> str:
    """Horizontal bars diverging from zero, one row per ``(label, value)``."""
    finite = [v for _, v in rows if math.isfinite(v)] or [0.0]
    x0, per = _scale(min(finite), max(finite))
    height = _ROW * len(rows) + 2 * _PAD
    body = [f'<line x1="{x0:.1f}" y1="{_PAD}" x2="{x0:.1f}" y2="{height - _PAD}" stroke="#999"/>']
    for i, (name, value) in enumerate(rows):
        y = _PAD + i * _ROW
        shown = value if math.isfinite(value) else 0.0
        x, w = (x0, shown * per) if shown >= 0 else (x0 + shown * per, -shown * per)
        body.append(
            f"<g><title>{escape(name)}: {_fmt(value)}</title>"
            f'<text x="{_LABEL_W}" y="{y + 15}" text-anchor="end">{escape(_cut(name))}</text>'
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 1.0):.1f}" height="{_ROW - 6}" '
            f'fill="{_color(value)}"/>'
            f'<text x="{x0 + max(shown, 0.0) * per + 4:.1f}" y="{y + 15}">{_fmt(value)}</text></g>'
        )
    return _svg(_WIDTH, height, body, label)


def depth_chart(depth: Mapping[str, Sequence[float]], label: str = "variance by depth") -> str:
    """Stacked horizontal bars per layer: first-order, within-layer and across-layer shares.

    ``depth`` is :func:`ablatio.evaluation.heads_analysis.variance_by_depth`'s result; bar
    lengths are shares of the total explained variance (scaled to the largest layer).
    """
    layers = list(depth["layers"])
    parts = [(key, [float(v) for v in depth[key]]) for key in DEPTH_COLORS]
    totals = [sum(values[i] for _, values in parts) for i in range(len(layers))]
    per = (_WIDTH - 120 - 2 * _PAD) / (max(totals, default=0.0) or 1.0)
    row = 14
    height = row * len(layers) + 2 * _PAD + 20
    body = []
    for i, layer in enumerate(layers):
        y, x = _PAD + i * row, 70.0
        body.append(f'<text x="64" y="{y + 11}" text-anchor="end">layer {int(layer)}</text>')
        for key, values in parts:
            w = values[i] * per
            body.append(
                f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{row - 3}" '
                f'fill="{DEPTH_COLORS[key]}"><title>layer {int(layer)} {key}: '
                f"{values[i]:.3f}</title></rect>"
            )
            x += w
        body.append(f'<text x="{x + 4:.1f}" y="{y + 11}">{totals[i]:.3f}</text>')
    legend_y = height - _PAD
    for j, key in enumerate(DEPTH_COLORS):
        body.append(
            f'<rect x="{70 + 150 * j}" y="{legend_y - 9}" width="10" height="10" '
            f'fill="{DEPTH_COLORS[key]}"/><text x="{84 + 150 * j}" y="{legend_y}">'
            f"{key.replace('_', '-')}</text>"
        )
    return _svg(_WIDTH, height, body, label)


def waterfall_chart(steps: Sequence[Step], label: str = "waterfall") -> str:
    """Floating bars from ``start`` to ``end``; totals are drawn from zero in grey."""
    ends = [v for s in steps for v in (s.start, s.end)]
    x0, per = _scale(min(ends), max(ends))
    height = _ROW * len(steps) + 2 * _PAD
    body = [f'<line x1="{x0:.1f}" y1="{_PAD}" x2="{x0:.1f}" y2="{height - _PAD}" stroke="#999"/>']
    for i, step in enumerate(steps):
        y = _PAD + i * _ROW
        left = x0 + min(step.start, step.end) * per
        width = max(abs(step.end - step.start) * per, 1.0)
        fill = NEUTRAL if step.total else _color(step.end - step.start)
        delta = step.end if step.total else step.end - step.start
        body.append(
            f"<g><title>{escape(step.label)}: {_fmt(delta)}</title>"
            f'<text x="{_LABEL_W}" y="{y + 15}" text-anchor="end">{escape(_cut(step.label))}'
            f'</text><rect x="{left:.1f}" y="{y + 3}" width="{width:.1f}" height="{_ROW - 6}" '
            f'fill="{fill}"/><text x="{left + width + 4:.1f}" y="{y + 15}">{_fmt(delta)}</text>'
            "</g>"
        )
    return _svg(_WIDTH, height, body, label)


def graph_chart(graph: Graph, label: str = "interaction graph") -> str:
    """Nodes on a circle (area ∝ |value|), edges and hyperedges (width ∝ |coefficient|)."""
    scale = _GRAPH_HEIGHT - 2 * _GRAPH_MARGIN
    left = (_WIDTH - scale) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return left + x * scale, _GRAPH_MARGIN + y * scale

    where = {node.player: at(node.x, node.y) for node in graph.nodes}
    top_edge = max((abs(e.value) for e in graph.edges), default=1.0) or 1.0
    top_node = max((abs(n.value) for n in graph.nodes), default=1.0) or 1.0
    body = []
    for edge in graph.edges:
        width = _EDGE_WIDTH[0] + _EDGE_WIDTH[1] * abs(edge.value) / top_edge
        color = _color(edge.value)
        title = f"<title>{_fmt(edge.value)}</title>"
        if len(edge.members) == 2:
            (xa, ya), (xb, yb) = (where[p] for p in edge.members)
            body.append(
                f'<g>{title}<line x1="{xa:.1f}" y1="{ya:.1f}" x2="{xb:.1f}" y2="{yb:.1f}" '
                f'stroke="{color}" stroke-width="{width:.1f}" stroke-opacity="0.7"/></g>'
            )
            continue
        hx, hy = at(*edge.hub)
        spokes = "".join(
            f'<line x1="{hx:.1f}" y1="{hy:.1f}" x2="{where[p][0]:.1f}" y2="{where[p][1]:.1f}" '
            f'stroke="{color}" stroke-width="{width:.1f}" stroke-opacity="0.5" '
            'stroke-dasharray="6 3"/>'
            for p in edge.members
        )
        body.append(
            f'<g>{title}{spokes}<circle cx="{hx:.1f}" cy="{hy:.1f}" r="5" fill="{NEUTRAL}"/></g>'
        )
    for node in graph.nodes:
        x, y = where[node.player]
        radius = _NODE_RADIUS[0] + _NODE_RADIUS[1] * math.sqrt(abs(node.value) / top_node)
        anchor = "start" if x >= _WIDTH / 2 else "end"
        dx = radius + 4 if x >= _WIDTH / 2 else -radius - 4
        body.append(
            f"<g><title>{escape(node.label)}: {_fmt(node.value)}</title>"
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{_color(node.value)}" '
            f'stroke="#fff"/><text x="{x + dx:.1f}" y="{y + 4:.1f}" text-anchor="{anchor}">'
            f"{escape(_cut(node.label))}</text></g>"
        )
    return _svg(_WIDTH, _GRAPH_HEIGHT, body, label)
