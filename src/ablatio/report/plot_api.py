"""``expl.plot``: matplotlib figures of one explanation, for notebooks and papers.

Every method draws on a new :class:`matplotlib.figure.Figure` (no pyplot state, so nothing is
shown twice) and returns it — a notebook displays a returned Figure — or, given ``ax=``, draws
into that Axes and returns its Figure. Labels longer than :data:`MAX_LABEL` characters are cut
with an ellipsis and the axis limits leave room for the value labels, so nothing is clipped.

* :meth:`ExplanationPlots.bar`: Shapley values (or pairwise interactions, or raw Möbius terms);
* :meth:`ExplanationPlots.waterfall`: from ``f(∅)`` to ``f(all)`` through the Shapley values;
* :meth:`ExplanationPlots.network`: parts (area ∝ |Shapley value|) joined by pairwise terms;
* :meth:`ExplanationPlots.text`: the text with each part shaded by its Shapley value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ablatio._optional import require
from ablatio.exceptions import ParameterError
from ablatio.interactions import Interactions
from ablatio.report.figures import MAX_GRAPH_NODES, top_terms
from ablatio.report.summary import (
    INDEX_NAMES,
    pair_interactions,
    shapley_series,
    summarize,
    top_pairs,
)
from ablatio.report.svg import NEGATIVE, NEUTRAL, POSITIVE

__all__ = ["MAX_LABEL", "NODE_LABEL", "TEXT_WIDTH", "ExplanationPlots", "cut_label"]

#: Longest label drawn in full.
MAX_LABEL = 40
#: Longest node label in the network plot (it must fit beside the circle).
NODE_LABEL = 22
#: Width of the text figure in inches (lines wrap inside it).
TEXT_WIDTH = 8.0
#: Fraction of the value range added on each side of bars for their value labels.
_LABEL_ROOM = 0.28
_KINDS = ("shapley", "pairs", "moebius")


def cut_label(label: str) -> str:
    """``label``, or its first :data:`MAX_LABEL` - 1 characters and an ellipsis."""
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _color(value: float) -> str:
    return POSITIVE if value >= 0 else NEGATIVE


def _canvas(ax: Any, width: float, height: float) -> tuple[Any, Any]:
    """``(figure, axes)``: a new constrained-layout Figure, or the given Axes' figure."""
    require("matplotlib", extra="plots")
    if ax is not None:
        return ax.figure, ax
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _room(ax: Any, low: float, high: float) -> None:
    """x-limits spanning ``[low, high]`` and 0, plus room for value labels on both sides."""
    low, high = min(low, 0.0), max(high, 0.0)
    pad = _LABEL_ROOM * ((high - low) or 1.0)
    ax.set_xlim(low - pad, high + pad)


def _value_label(ax: Any, x: float, y: float, value: float) -> None:
    side = "left" if value >= 0 else "right"
    ax.annotate(
        f"{value:+.4g}",
        (x, y),
        xytext=(3 if value >= 0 else -3, 0),
        textcoords="offset points",
        ha=side,
        va="center",
        fontsize=8,
    )


class ExplanationPlots:
    """Plots of one explanation's interactions (``expl.plot``); see the module docstring."""

    def __init__(self, interactions: Interactions) -> None:
        self.interactions = interactions

    def bar(
        self, k: int = 10, *, kind: str = "shapley", index: str = "stii", ax: Any = None
    ) -> Any:
        """Horizontal bars of the ``k`` largest values, largest at the top.

        ``kind``: ``"shapley"`` (one bar per part), ``"pairs"`` (order-2 values of ``index``)
        or ``"moebius"`` (raw terms of the explanation's own basis).
        """
        if kind not in _KINDS:
            msg = f"kind == {kind!r}; choose one of {_KINDS}"
            raise ParameterError(msg)
        if kind == "shapley":
            series = shapley_series(self.interactions)
            series = series.reindex(series.abs().sort_values(ascending=False).index).head(k)
            labels, values = list(series.index), series.to_numpy()
            xlabel = "Shapley value"
        elif kind == "pairs":
            series = pair_interactions(self.interactions, index, k)
            labels, values = list(series.index), series.to_numpy()
            xlabel = f"{INDEX_NAMES[index]} interaction (order 2)"
        else:
            rows = top_terms(self.interactions, k)
            labels, values = [r.label for r in rows], np.array([r.value for r in rows])
            xlabel = f"coefficient ({self.interactions.basis})"
        fig, ax = _canvas(ax, 7.0, 1.0 + 0.32 * max(len(values), 1))
        positions = np.arange(len(values))
        ax.barh(positions, values, color=[_color(v) for v in values])
        ax.set_yticks(positions, [cut_label(str(label)) for label in labels], parse_math=False)
        ax.invert_yaxis()
        ax.axvline(0.0, color="#999", linewidth=0.8)
        for y, value in zip(positions, values, strict=True):
            _value_label(ax, float(value), float(y), float(value))
        _room(ax, float(np.min(values, initial=0.0)), float(np.max(values, initial=0.0)))
        ax.set_xlabel(xlabel)
        return fig

    def waterfall(self, k: int = 10, *, ax: Any = None) -> Any:
        """From ``f(∅)`` (every part ablated) to ``f(all)`` through the ``k`` largest Shapley
        values (the others share one step); exact, since the Shapley values sum to the gap."""
        summary = summarize(self.interactions, k=max(k, 1))
        if summary.base_value is None or summary.full_value is None:
            msg = "a waterfall needs a Möbius or Fourier explanation, not index values"
            raise ParameterError(msg)
        phi = summary.shapley
        ranked = phi.reindex(phi.abs().sort_values(ascending=False).index)
        steps: list[tuple[str, float, float, bool]] = [
            ("f(∅)  every part ablated", 0.0, summary.base_value, True)
        ]
        level = summary.base_value
        for name, value in ranked.head(k).items():
            steps.append((cut_label(str(name)), level, level + float(value), False))
            level += float(value)
        if len(ranked) > k:
            rest = float(ranked.iloc[k:].sum())
            steps.append((f"{len(ranked) - k} other parts", level, level + rest, False))
        steps.append(("f(all)  full input", 0.0, summary.full_value, True))
        fig, ax = _canvas(ax, 7.0, 1.0 + 0.32 * len(steps))
        for i, (_, start, end, total) in enumerate(steps):
            color = NEUTRAL if total else _color(end - start)
            ax.barh(i, end - start, left=start, color=color)
            delta = end if total else end - start
            _value_label(ax, max(start, end) if delta >= 0 else min(start, end), i, delta)
        ends = [v for _, s, e, _ in steps for v in (s, e)]
        _room(ax, min(ends), max(ends))
        ax.set_yticks(range(len(steps)), [s[0] for s in steps], parse_math=False)
        ax.invert_yaxis()
        ax.axvline(0.0, color="#999", linewidth=0.8)
        ax.set_xlabel("value")
        return fig

    def network(self, k: int = 10, *, index: str = "stii", ax: Any = None) -> Any:
        """Parts on a circle (area ∝ |Shapley value|, red raises, blue lowers) joined by the
        ``k`` strongest pairwise interactions of ``index`` (width ∝ |value|)."""
        phi = shapley_series(self.interactions).to_numpy()
        terms, values = top_pairs(self.interactions, index, k)
        strongest = {int(p) for p in np.argsort(-np.abs(phi), kind="stable")[:k] if phi[p] != 0}
        involved = sorted(strongest | {p for t in terms for p in t})[:MAX_GRAPH_NODES]
        fig, ax = _canvas(ax, 7.5, 5.5)
        angles = np.pi / 2 - 2 * np.pi * np.arange(len(involved)) / max(len(involved), 1)
        where = {
            p: (float(np.cos(a)), float(np.sin(a))) for p, a in zip(involved, angles, strict=True)
        }
        top_edge = float(np.abs(values).max(initial=0.0)) or 1.0
        for (a, b), value in zip(terms, values, strict=True):
            if a in where and b in where:
                (xa, ya), (xb, yb) = where[a], where[b]
                width = 0.5 + 6.0 * abs(value) / top_edge
                ax.plot([xa, xb], [ya, yb], color=_color(value), linewidth=width, alpha=0.6)
        top_node = float(np.abs(phi).max(initial=0.0)) or 1.0
        for player, (x, y) in where.items():
            value, name = float(phi[player]), self.interactions.feature_names[player]
            ax.scatter([x], [y], s=40 + 900 * abs(value) / top_node, color=_color(value),
                       edgecolors="white", zorder=3)  # fmt: skip
            short = name if len(name) <= NODE_LABEL else name[: NODE_LABEL - 1] + "…"
            ax.annotate(short, (x, y), xytext=(1.15 * x, 1.15 * y), fontsize=8, parse_math=False,
                        ha="left" if x > 0.05 else "right" if x < -0.05 else "center",
                        va="center")  # fmt: skip
        ax.set_xlim(-1.85, 1.85)  # the circle has radius 1; labels fit in the margin
        ax.set_ylim(-1.3, 1.3)
        ax.set_axis_off()
        ax.set_title(f"Shapley values and {INDEX_NAMES[index]} pairs", fontsize=10)
        return fig

    def text(self, texts: Sequence[str] | None = None) -> Any:
        """The parts as running text, each shaded by its Shapley value (red raises).

        ``texts``: one string per part (default: the part names without their ``"i:"``
        prefix, as text targets name them).
        """
        phi = shapley_series(self.interactions).to_numpy()
        names = list(self.interactions.feature_names)
        if texts is None:
            texts = [n.split(":", 1)[1] if n.split(":", 1)[0].isdigit() else n for n in names]
        if len(texts) != len(names):
            msg = f"texts has {len(texts)} strings but the explanation has {len(names)} parts"
            raise ParameterError(msg)
        fig, ax = _canvas(None, TEXT_WIDTH, 1.0)
        renderer = fig.canvas.get_renderer()
        dpi = fig.dpi
        width_px = TEXT_WIDTH * dpi * 0.94
        line_px, gap_px = 0.32 * dpi, 0.06 * dpi
        top = float(np.abs(phi).max()) or 1.0
        placed, x, line = [], 0.0, 0
        for part, value in zip(texts, phi, strict=True):
            probe = fig.text(0, 0, part, fontsize=11, parse_math=False)
            w = probe.get_window_extent(renderer).width
            probe.remove()
            if x > 0 and x + w > width_px:
                x, line = 0.0, line + 1
            placed.append((part, value, x, line))
            x += w + gap_px
        height = (line + 1) * line_px / dpi + 0.9
        fig.set_size_inches(TEXT_WIDTH, height)
        ax.set_axis_off()
        ax.set_title("Shapley value per part: red raises, blue lowers the output", fontsize=10)
        for part, value, px, ln in placed:
            alpha = 0.1 + 0.6 * abs(value) / top
            fig.text(
                0.03 + px / (TEXT_WIDTH * dpi),
                1.0 - (0.55 * dpi + (ln + 0.5) * line_px) / (height * dpi),
                part,
                fontsize=11,
                va="center",
                parse_math=False,
                bbox={"facecolor": _color(value), "alpha": alpha, "edgecolor": "none",
                      "pad": 1.5},
            )  # fmt: skip
        return fig
