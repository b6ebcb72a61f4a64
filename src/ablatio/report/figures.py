"""What the report shows, computed once from an :class:`~ablatio.interactions.Interactions`.

Renderers (inline SVG in :mod:`ablatio.report.svg`, matplotlib in :mod:`ablatio.report.plots`)
only draw these plain records, so the HTML report and the PNGs for papers always agree.

* :func:`top_terms`: the ``k`` largest non-constant terms, largest ``|coefficient|`` first.
* :func:`waterfall`: from the value with every part ablated, ``f(0) = a(∅)``, to the value of
  the full input, ``f(1) = Σ_T a(T)``, one step per top Möbius term plus one for the rest.
* :func:`interaction_graph`: features as nodes (sized by their Shapley value), pairwise terms
  as edges and higher-order terms as hyperedges (a hub joined to each member).
* :func:`attributions`: one number per part for highlighting text segments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ablatio.interactions import BASES, Interactions

__all__ = [
    "GRAPH_RADIUS",
    "MAX_GRAPH_NODES",
    "Edge",
    "Graph",
    "Node",
    "Step",
    "TermRow",
    "attributions",
    "interaction_graph",
    "top_terms",
    "waterfall",
]

#: Largest number of feature nodes drawn in the interaction graph (most important first).
MAX_GRAPH_NODES = 30
#: Radius of the circle of graph nodes, centred in the unit square.
GRAPH_RADIUS = 0.4


@dataclass(frozen=True)
class TermRow:
    """One interaction term: its players, readable label, order and coefficient."""

    term: tuple[int, ...]
    label: str
    order: int
    value: float


@dataclass(frozen=True)
class Step:
    """One bar of the waterfall: ``start`` → ``end``; ``total`` marks the end-point bars."""

    label: str
    start: float
    end: float
    total: bool = False


@dataclass(frozen=True)
class Node:
    """A feature in the interaction graph, placed at ``(x, y)`` in the unit square."""

    player: int
    label: str
    value: float
    x: float
    y: float


@dataclass(frozen=True)
class Edge:
    """A term among graph nodes: two members = an edge, three or more = a hyperedge."""

    members: tuple[int, ...]
    value: float
    hub: tuple[float, float]


@dataclass(frozen=True)
class Graph:
    """Nodes on a circle and the edges/hyperedges between them."""

    nodes: list[Node]
    edges: list[Edge]


def _label(inter: Interactions, term: tuple[int, ...]) -> str:
    return " × ".join(inter.feature_names[i] for i in term) if term else "∅"


def top_terms(inter: Interactions, k: int = 20) -> list[TermRow]:
    """The ``k`` largest non-constant terms of ``inter``, largest ``|coefficient|`` first."""
    shown = inter.top(k)
    rank = np.argsort(-np.abs(shown.coefficients), kind="stable")
    terms = shown.terms
    return [
        TermRow(terms[i], _label(inter, terms[i]), len(terms[i]), float(shown.coefficients[i]))
        for i in rank
    ]


def attributions(inter: Interactions) -> np.ndarray:
    """One value per part ``(n_players,)``: Shapley values, or the first-order index values."""
    if inter.basis in BASES:
        return inter.shapley_values()
    out = np.zeros(inter.n_players)
    for term, value in inter.as_dict().items():
        if len(term) == 1:
            out[term[0]] = value
    return out


def waterfall(inter: Interactions, k: int = 10) -> list[Step] | None:
    """Steps from ``f(0)`` to ``f(1)`` through the ``k`` largest Möbius terms (None for indices).

    At the full input every Möbius term is active, so
    :math:`f(\\mathbf 1) = a(\\emptyset) + \\sum_{T \\neq \\emptyset} a(T)`; the top ``k`` terms
    each get a step and all others share one "other terms" step.
    """
    if inter.basis not in BASES:
        return None
    moebius = inter.to_moebius()
    base = moebius[()]
    rows = top_terms(moebius, k)
    steps = [Step("all parts ablated  f(0)", 0.0, base, total=True)]
    level = base
    for row in rows:
        steps.append(Step(row.label, level, level + row.value))
        level += row.value
    full = base + float(np.sum(moebius.coefficients[moebius.orders > 0]))
    scale = float(np.abs(moebius.coefficients).sum())  # relative: any scale of the game
    if not np.isclose(level, full, rtol=0.0, atol=1e-12 * scale):
        steps.append(Step("other terms", level, full))
    steps.append(Step("full input  f(1)", 0.0, full, total=True))
    return steps


def interaction_graph(inter: Interactions, k: int = 20) -> Graph:
    """Nodes for the features of the top ``k`` terms (at most :data:`MAX_GRAPH_NODES`).

    Nodes sit on a circle in player order; each term of order >= 2 among them is an edge or a
    hyperedge whose hub is the centroid of its members.
    """
    rows = top_terms(inter, k)
    attr = attributions(inter)
    involved = sorted({p for row in rows for p in row.term})
    if len(involved) > MAX_GRAPH_NODES:
        by_weight = sorted(involved, key=lambda p: -abs(attr[p]))
        involved = sorted(by_weight[:MAX_GRAPH_NODES])
    angles = 2 * np.pi * np.arange(len(involved)) / max(len(involved), 1) - np.pi / 2
    position = {
        p: (0.5 + GRAPH_RADIUS * float(np.cos(a)), 0.5 + GRAPH_RADIUS * float(np.sin(a)))
        for p, a in zip(involved, angles, strict=True)
    }
    nodes = [Node(p, inter.feature_names[p], float(attr[p]), *position[p]) for p in involved]
    edges = []
    for row in rows:
        if row.order < 2 or any(p not in position for p in row.term):
            continue
        xs, ys = zip(*(position[p] for p in row.term), strict=True)
        edges.append(Edge(row.term, row.value, (float(np.mean(xs)), float(np.mean(ys)))))
    return Graph(nodes, edges)
