"""A self-contained HTML report of one run: opens offline, runs no script, escapes all text.

The page holds, top to bottom: the held-out faithfulness (R²) next to the controls, the
text with highlighted segments (text targets), the top interactions as a table and a bar
chart, a waterfall from ``f(0)`` to ``f(1)``, the interaction graph, and the run's settings.
Charts are inline SVG (:mod:`ablatio.report.svg`); a Content-Security-Policy forbids scripts
and every network fetch, so the file is safe to open even if a prompt contains HTML.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from ablatio.exceptions import ParameterError
from ablatio.interactions import BASES, Interactions
from ablatio.report._bidi import show_bidi
from ablatio.report.figures import attributions, interaction_graph, top_terms, waterfall
from ablatio.report.summary import INDEX_NAMES, summarize
from ablatio.report.svg import (
    NEGATIVE,
    POSITIVE,
    bar_chart,
    depth_chart,
    graph_chart,
    rgb,
    waterfall_chart,
)

__all__ = ["MAX_HIGHLIGHT_ALPHA", "render_html", "write_html"]

#: Opacity of the most important text segment's highlight (others scale with |attribution|).
MAX_HIGHLIGHT_ALPHA = 0.6

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_CSS = """
body{font-family:sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:2px 10px;text-align:left;
border-bottom:1px solid #eee;font-size:.9em}td.num{text-align:right;font-family:monospace}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;
padding:.5em 1em}.card b{display:block;font-size:1.4em}.text{line-height:2;
white-space:pre-wrap;border:1px solid #ddd;padding:.7em;border-radius:6px}
.seg{border-radius:3px;padding:1px 2px}.grp{border:2px solid;border-radius:5px;padding:1px 2px}
.warn{color:#a04000}.ok{color:#1a7f37}.muted{color:#777}
"""


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.4f}" if math.isfinite(value) else escape(str(value))


def _verdict(verdict: str | None, reasons: Sequence[str]) -> str:
    if verdict is None:
        return ""
    css = "ok" if verdict == "supported" else "warn"
    items = "".join(f"<li>{escape(r)}</li>" for r in reasons)
    return f"<p class='{css}'><b>Verdict: {escape(verdict)}</b></p><ul>{items}</ul>"


def _faithfulness(
    faithfulness: float | None,
    controls: Mapping[str, float],
    verdict: str | None = None,
    reasons: Sequence[str] = (),
) -> str:
    if faithfulness is None and not controls:
        return ""
    rows = [] if faithfulness is None else [("explanation (held-out R²)", faithfulness)]
    rows += [(f"control: {name}", float(score)) for name, score in controls.items()]
    table = "".join(
        f"<tr><td>{escape(name)}</td><td class='num'>{_num(score)}</td></tr>"
        for name, score in rows
    )
    beaten = [
        name
        for name, score in controls.items()
        if faithfulness is not None and float(score) >= faithfulness
    ]
    note = (
        f"<p class='warn'>Controls scoring at least as high as the explanation: "
        f"{escape(', '.join(beaten))}. The explanation is not supported by these numbers.</p>"
        if beaten
        else ""
    )
    if not controls:
        note += (
            "<p class='muted'>No controls were run; R² alone does not show that the explanation "
            "is specific to this model and input.</p>"
        )
    return (
        "<h2>Faithfulness and controls</h2><table><tr><th>score</th><th>R²</th></tr>"
        f"{table}</table>{note}{_verdict(verdict, reasons)}"
        "<div class='chart' id='chart-faithfulness'>"
        f"{bar_chart(rows, 'faithfulness and controls')}</div>"
    )


def _segments(
    inter: Interactions,
    segments: Sequence[str] | None,
    groups: Sequence[Sequence[int]] | None = None,
) -> str:
    if segments is None:
        return ""
    if len(segments) != inter.n_players:
        msg = (
            f"segments has {len(segments)} texts but the interactions have "
            f"{inter.n_players} parts: pass one text per part"
        )
        raise ParameterError(msg)
    attr = attributions(inter)
    top = float(abs(attr).max(initial=0.0)) or 1.0
    glue = "" if any(s[:1].isspace() or s[-1:].isspace() for s in segments) else " "
    spans = []
    for i, text in enumerate(segments):
        alpha = min(abs(attr[i]) / top, 1.0) * MAX_HIGHLIGHT_ALPHA
        red, green, blue = rgb(POSITIVE if attr[i] >= 0 else NEGATIVE)
        title = f"{inter.feature_names[i]}: {attr[i]:+.4g}"
        spans.append(
            f"<span class='seg' title='{escape(title)}' "
            f"style='background:rgba({red},{green},{blue},{alpha:.3f})'>{escape(text)}</span>"
        )
    if groups is not None and not all(
        isinstance(i, int) and 0 <= i < len(segments) for g in groups for i in g
    ):
        msg = f"groups must hold part indices in [0, {len(segments)}): one list per segment"
        raise ParameterError(msg)
    if groups is None:
        body = glue.join(spans)
        note = ""
    else:
        body = glue.join(_group_span(g, spans, attr, glue) for g in groups)
        note = (
            " Each outer box is a coarse segment, framed by the sum of its parts' Shapley "
            "values; parts inside refined segments have their own shades."
        )
    return (
        "<h2>Text</h2><p class='muted'>Each segment is shaded by its Shapley value "
        f"(red raises, blue lowers the output).{note}</p><div class='text' id='text'>"
        f"{body}</div>"
    )


def _group_span(group: Sequence[int], spans: list[str], attr: Any, glue: str) -> str:
    """A coarse segment: a frame whose colour and weight show its total attribution."""
    total = float(sum(attr[i] for i in group))
    scale = float(abs(attr).sum()) or 1.0
    alpha = min(abs(total) / scale * 4, 1.0) * MAX_HIGHLIGHT_ALPHA + 0.1
    red, green, blue = rgb(POSITIVE if total >= 0 else NEGATIVE)
    inner = glue.join(spans[i] for i in group)
    return (
        f"<span class='grp' title='segment: {total:+.4g}' "
        f"style='border-color:rgba({red},{green},{blue},{alpha:.3f})'>{inner}</span>"
    )


def _top(inter: Interactions, top_k: int) -> str:
    rows = top_terms(inter, top_k)
    if not rows:
        return "<h2>Top interactions</h2><p>No non-constant terms.</p>"
    table = "".join(
        f"<tr><td>{escape(r.label)}</td><td class='num'>{r.order}</td>"
        f"<td class='num'>{r.value:+.6g}</td></tr>"
        for r in rows
    )
    chart = bar_chart([(r.label, r.value) for r in rows], "top interactions")
    return (
        f"<h2>Top interactions (raw {escape(inter.basis)} terms)</h2>"
        f"<div class='chart' id='chart-top'>{chart}</div>"
        f"<table><tr><th>term</th><th>order</th><th>coefficient</th></tr>{table}</table>"
    )


def _readable(inter: Interactions, top_k: int) -> str:
    """Named Shapley values, the strongest pairwise interactions and the variance by order."""
    if inter.basis not in BASES:
        return ""
    summary = summarize(inter, k=top_k)
    phi = summary.shapley
    ranked = phi.reindex(phi.abs().sort_values(ascending=False).index).head(top_k)
    chart = bar_chart([(str(k), float(v)) for k, v in ranked.items()], "Shapley values")
    html = (
        "<h2>Shapley values</h2><p class='muted'>One value per part; they sum to "
        f"f(all) − f(∅) = {_num(float(phi.sum()))}.</p>"
        f"<div class='chart' id='chart-shapley'>{chart}</div>"
    )
    if len(summary.pairs):
        rows = "".join(
            f"<tr><td>{escape(str(label))}</td><td class='num'>{value:+.4g}</td></tr>"
            for label, value in summary.pairs.items()
        )
        html += (
            f"<h2>Strongest pairwise interactions ({escape(INDEX_NAMES[summary.index])})</h2>"
            f"<table id='pairs'><tr><th>pair</th><th>value</th></tr>{rows}</table>"
        )
    if summary.variance is not None and len(summary.variance):
        shares = ", ".join(
            f"order {o}: {100 * v:.1f} %" for o, v in summary.variance.items() if v >= 5e-4
        )
        html += (
            "<p id='variance'>Variance over random ablations by interaction order "
            f"(Fourier): {escape(shares)}.</p>"
        )
    return html


def _as_interactions(value: Any) -> Interactions:
    """The Interactions of an Explanation (or the Interactions themselves)."""
    inner = getattr(value, "interactions", value)
    if not isinstance(inner, Interactions):
        msg = f"pass an Explanation or Interactions, got {type(value).__name__}"
        raise ParameterError(msg)
    return inner


def _depth(depth: Mapping[str, Any] | None) -> str:
    if depth is None:
        return ""
    return (
        "<h2>Explained variance by depth</h2><p class='muted'>Per layer: share of the explained "
        "variance (Fourier energy) in first-order terms, interactions within the layer and "
        "interactions across layers (split among the layers involved).</p>"
        f"<div class='chart' id='chart-depth'>{depth_chart(depth)}</div>"
    )


def _settings(settings: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{escape(str(k))}</td><td>{escape(json.dumps(v, default=str))}</td></tr>"
        for k, v in settings.items()
    )
    return f"<h2>Settings</h2><table>{rows}</table>"


def render_html(
    interactions: Interactions | Any,
    *,
    title: str = "ablatio report",
    settings: Mapping[str, Any] | None = None,
    faithfulness: float | None = None,
    controls: Mapping[str, float] | None = None,
    segments: Sequence[str] | None = None,
    groups: Sequence[Sequence[int]] | None = None,
    top_k: int = 20,
    verdict: str | None = None,
    verdict_reasons: Sequence[str] = (),
    depth: Mapping[str, Any] | None = None,
) -> str:
    """The report page as one HTML string (no external resources, no script).

    Parameters
    ----------
    interactions : Interactions or Explanation
        The explanation (Möbius/Fourier basis, or index values).
    title : str, default="ablatio report"
        Page heading.
    settings : mapping, optional
        Run settings shown verbatim (method, budget, seed, target options, counts, ...).
    faithfulness : float, optional
        Held-out R² of the explanation.
    controls : mapping of str to float, optional
        R² (or the same score) of each control, shown next to ``faithfulness``.
    segments : sequence of str, optional
        One text per part (text targets): shown with each segment shaded by its attribution.
    groups : sequence of sequence of int, optional
        Coarse segments (the parts of each, e.g. the words of each sentence): drawn as framed
        boxes around their parts (nested highlighting of hierarchical explanations).
    top_k : int, default=20
        Number of terms in the table, bar chart and graph.
    verdict, verdict_reasons : str and sequence of str, optional
        The reality check's verdict (:func:`ablatio.reality_check`) and its justification.
    depth : mapping, optional
        Attention-head targets: the result of
        :func:`~ablatio.evaluation.heads_analysis.variance_by_depth`, drawn as stacked bars.
    """
    if not isinstance(top_k, int) or top_k < 1:
        msg = f"top_k == {top_k!r}, must be a positive int"
        raise ParameterError(msg)
    interactions = _as_interactions(interactions)
    settings = dict(settings or {})
    steps = waterfall(interactions, min(top_k, 10))
    flow = (
        ""
        if steps is None
        else "<h2>From all parts ablated to the full input</h2><div class='chart' "
        f"id='chart-waterfall'>{waterfall_chart(steps)}</div>"
    )
    graph = interaction_graph(interactions, top_k)
    shown = {k: settings.get(k) for k in ("method", "budget", "n_queries", "seed")}
    if faithfulness is not None:
        shown["held-out R²"] = _num(faithfulness)
    cards = "".join(
        f"<div class='card'>{escape(str(k))}<b>{escape(str(v))}</b></div>"
        for k, v in shown.items()
        if v is not None
    )
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1><div class='cards'>{cards}</div>"
        + _faithfulness(faithfulness, dict(controls or {}), verdict, verdict_reasons)
        + _segments(interactions, segments, groups)
        + _readable(interactions, top_k)
        + _top(interactions, top_k)
        + flow
        + "<h2>Interaction graph</h2><p class='muted'>Nodes: features (area ∝ |Shapley value|)."
        " Lines: pairwise terms; dashed spokes to a grey hub: higher-order terms. Red "
        "positive, blue negative.</p>"
        f"<div class='chart' id='chart-graph'>{graph_chart(graph)}</div>"
        + _depth(depth)
        + _settings(settings)
        + "</body></html>"
    )
    return show_bidi(page)  # user text may carry U+202E etc.: shown, never obeyed


def write_html(path: str | Path, interactions: Interactions | Any, **kwargs: Any) -> Path:
    """Write :func:`render_html` of an Explanation or Interactions to ``path`` (UTF-8)."""
    path = Path(path)
    path.write_text(render_html(interactions, **kwargs), encoding="utf-8")
    return path
