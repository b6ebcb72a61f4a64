"""Every relative link in README.md and docs/ points to a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# markdown links and images ``[text](target)`` / ``![alt](target)``, and html src/href
LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|(?:src|href)=\"([^\"]+)\"")


def relative_links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    targets = [a or b for a, b in LINK.findall(text)]
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:|^#|^mailto:", t)]


# repository paths named in code spans: `python examples/x.py`, `benchmarks/results/y.md`
REPO_PATH = re.compile(r"(?<![\w/.-])((?:examples|benchmarks|docs|tests|tools|src)/[\w./-]*\.\w+)")


def mentioned_paths(page: Path) -> list[str]:
    spans = re.findall(r"`([^`]+)`", page.read_text(encoding="utf-8"))
    return sorted({p for span in spans for p in REPO_PATH.findall(span) if "*" not in p})


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_mentioned_repository_files_exist(page: Path) -> None:
    missing = [p for p in mentioned_paths(page) if not (ROOT / p).exists()]
    assert missing == [], f"{page.name} names missing files: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    missing = [
        link for link in relative_links(page) if not (page.parent / link.split("#")[0]).exists()
    ]
    assert missing == [], f"{page.name} links to missing files: {missing}"


def test_link_patterns_see_links() -> None:
    assert relative_links(ROOT / "README.md"), "no relative link found in README.md"
    assert "examples/quickstart.py" in mentioned_paths(ROOT / "README.md")


def test_package_is_typed() -> None:
    import ablatio

    assert (Path(ablatio.__file__).parent / "py.typed").is_file()
