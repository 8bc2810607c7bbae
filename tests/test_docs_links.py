"""The README and the guides in docs/ link to files and headings that exist, every
guide is reachable from the README, and every image in docs/ is shown somewhere."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def _text(page: Path) -> str:
    """The page without its code blocks (their brackets are code, not links)."""
    return FENCE.sub("", page.read_text(encoding="utf-8"))


def _links(page: Path) -> list[str]:
    return [target for target in LINK.findall(_text(page)) if not re.match(r"[a-z]+:", target)]


def _anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", "")).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", _text(page), re.M):
        slug = _anchor(heading)
        anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


def broken_links(pages: list[Path], root: Path = ROOT) -> list[str]:
    broken = []
    for page in pages:
        for target in _links(page):
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.relative_to(root)}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
                broken.append(f"{page.relative_to(root)}: {target} (no such heading)")
    return broken


def test_every_relative_link_points_to_an_existing_file_and_heading():
    assert broken_links(PAGES) == []


def test_a_missing_file_or_heading_is_reported(tmp_path):
    (tmp_path / "guide.md").write_text("# The guide\n\n## Stripe's events\n")
    page = tmp_path / "README.md"
    page.write_text(
        "[guide](guide.md), [events](guide.md#stripes-events), [top](#read-on), [site](https://example.com/x.md)\n"
        "[gone](gone.md), [nowhere](guide.md#no-such-heading)\n\n## Read on\n"
        "```\n[code](not-a-link.md)\n```\n"
    )
    assert broken_links([page], root=tmp_path) == [
        "README.md: gone.md (no such file)",
        "README.md: guide.md#no-such-heading (no such heading)",
    ]


def test_the_readme_links_every_guide():
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in _links(ROOT / "README.md")}
    assert {page.resolve() for page in PAGES[1:]} <= linked


def test_every_image_in_docs_is_shown():
    shown = {(page.parent / target).resolve() for page in PAGES for target in _links(page)}
    assert {image.resolve() for image in (ROOT / "docs").glob("*.png")} <= shown


def test_the_configuration_table_lists_every_variable_settings_read():
    read = set(re.findall(r'get\("([A-Z][A-Z0-9_]+)"', (ROOT / "shopgraph" / "settings.py").read_text()))
    table = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", (ROOT / "docs" / "operations.md").read_text(), re.M))
    assert read and table == read, (read - table, table - read)
