"""Inline SVG charts: value labels stay inside the drawing, whatever the numbers."""

from __future__ import annotations

import re

import pytest

from ablatio.report.figures import Step
from ablatio.report.svg import bar_chart, waterfall_chart

#: A generous width of one 12 px sans-serif character (digits are ~6.7 px, signs ~7 px).
CHAR_PX = 7.2


def _overflow(svg: str) -> list[str]:
    width = float(re.search(r'<svg[^>]* width="(\d+)"', svg).group(1))
    out = []
    for x, anchor, text in re.findall(
        r'<text x="([\d.]+)" y="[\d.]+"( text-anchor="end")?>([^<]*)<', svg
    ):
        right = float(x) if anchor else float(x) + CHAR_PX * len(text)
        if right > width or float(x) - (CHAR_PX * len(text) if anchor else 0) < 0:
            out.append(text)
    return out


@pytest.mark.parametrize("big", [1.2345e5, -1.2345e5, 1.2345e-5, 0.8619])
def test_bar_chart_value_labels_fit(big):
    rows = [("explanation (held-out R²)", big), ("control: shuffled", -big / 3), ("x", 0.0)]
    assert _overflow(bar_chart(rows)) == []


def test_waterfall_value_labels_fit():
    steps = [Step("f(0)", 0.0, -1.2345e-5, total=True), Step("a × b", -1.2345e-5, 123456.0),
             Step("f(1)", 0.0, 123456.0, total=True)]  # fmt: skip
    assert _overflow(waterfall_chart(steps)) == []
