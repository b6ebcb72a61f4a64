"""The HTML report in a real headless Chromium: charts render, injected markup never runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import ablatio
from ablatio.exceptions import ParameterError
from ablatio.report.html import render_html, write_html
from ablatio.report.svg import NEGATIVE, NEUTRAL, POSITIVE, rgb

#: CI sets this so that a missing browser fails the test instead of skipping it.
REQUIRE_BROWSER = os.environ.get("ABLATIO_REQUIRE_BROWSER") == "1"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ATTACK = "<script>document.title='pwned'</script>"
IMG_ATTACK = "<img src=x onerror=\"document.title='pwned'\">"


def _browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    if CHROMIUM is None:
        if REQUIRE_BROWSER:
            pytest.fail("chromium is required (ABLATIO_REQUIRE_BROWSER=1) but not installed")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.fixture(scope="module")
def explanation():
    game = ablatio.hierarchical_game(8, n_terms=12, max_order=3, random_state=0)
    return ablatio.explain(game, method="exact").interactions


def _report(tmp_path: Path, interactions) -> Path:
    names = [ATTACK, IMG_ATTACK, *[f"w{i}" for i in range(2, interactions.n_players)]]
    return write_html(
        tmp_path / "report.html",
        interactions.with_feature_names(names),
        title="demo report",
        settings={"method": "exact", "seed": 0, "prompt": ATTACK},
        faithfulness=0.97,
        controls={"shuffled": 0.12, IMG_ATTACK: -0.2},
        segments=[ATTACK, IMG_ATTACK, "the", "movie", "was", "not", "bad", "!"],
    )


def _pixels(png: Path, color: str) -> int:
    from matplotlib.image import imread

    pixels = np.round(imread(png)[..., :3] * 255).astype(int)
    return int(np.all(pixels == np.array(rgb(color)), axis=-1).sum())


def test_charts_render_in_chromium(tmp_path, explanation):
    page = _report(tmp_path, explanation)
    shot = tmp_path / "shot.png"
    _browser(tmp_path, f"--screenshot={shot}", "--window-size=1000,3200", page.as_uri())
    # solid fills appear only in the charts: bars, waterfall totals, graph nodes and hubs
    assert _pixels(shot, POSITIVE) > 2000
    assert _pixels(shot, NEGATIVE) > 2000
    assert _pixels(shot, NEUTRAL) > 1000
    # and an empty page of the same size has none of them (the check can fail)
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body><h1>no charts</h1></body></html>")
    empty = tmp_path / "empty.png"
    _browser(tmp_path, f"--screenshot={empty}", "--window-size=1000,3200", blank.as_uri())
    assert _pixels(empty, POSITIVE) == _pixels(empty, NEGATIVE) == 0


def test_injected_markup_does_not_run(tmp_path, explanation):
    page = _report(tmp_path, explanation)
    dom = _browser(tmp_path, "--dump-dom", page.as_uri()).stdout
    assert re.search(r"<title>demo report</title>", dom)
    assert "pwned</title>" not in dom
    assert "<script" not in dom.lower() and "<img" not in dom.lower()
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom  # shown as text


def test_report_is_self_contained(explanation):
    html = render_html(explanation, segments=None)
    assert "<script" not in html and "src=" not in html and "href=" not in html
    assert set(re.findall(r"https?://[^\"' ]+", html)) == {"http://www.w3.org/2000/svg"}
    assert "default-src 'none'" in html  # CSP: no script, no fetch even if edited


def test_all_user_text_is_escaped(explanation):
    html = render_html(
        explanation.with_feature_names([ATTACK] + [f"f{i}" for i in range(1, 8)]),
        title=ATTACK,
        settings={ATTACK: ATTACK},
        controls={ATTACK: 0.1},
        faithfulness=0.5,
        segments=[ATTACK] * 8,
    )
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") >= 6


def test_controls_beating_the_explanation_are_flagged(explanation):
    html = render_html(explanation, faithfulness=0.4, controls={"shuffled": 0.6})
    assert "not supported" in html and "shuffled" in html
    assert "No controls were run" in render_html(explanation, faithfulness=0.9)


def test_segments_must_match_the_parts(explanation):
    with pytest.raises(ParameterError, match="one text per part"):
        render_html(explanation, segments=["only", "two"])


def test_index_values_render_without_waterfall(explanation):
    html = render_html(explanation.index("stii", 2))
    assert "chart-top" in html and "chart-graph" in html and "chart-waterfall" not in html


def test_depth_section_draws_one_bar_per_layer_and_share():
    inter = ablatio.Interactions([(), (0,), (0, 1)], [1.0, 0.5, 0.25], n_players=2)
    depth = {
        "layers": [0, 7],
        "first_order": [0.6, 0.0],
        "within": [0.3, 0.0],
        "across": [0.05, 0.05],
    }
    page = render_html(inter, depth=depth)
    section = page[page.index("Explained variance by depth") :]
    assert section.count("<rect") == 2 * 3 + 3  # 2 layers x 3 shares, plus the legend
    assert "layer 7 within: 0.000" in section and "layer 0 first_order: 0.600" in section
    assert "Explained variance by depth" not in render_html(inter)
