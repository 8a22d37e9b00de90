"""The README and the pages it leads to: short enough to read, and every relative link lands somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from experiments.update_readme import pages
from tests.conftest import ROOT

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", FENCE.sub("", page.read_text()), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in LINK.findall(FENCE.sub("", page.read_text())):
        if re.match(r"[a-z]+:", target):  # http(s), mailto: not ours to check offline
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor}")
    return broken


@pytest.mark.parametrize("page", pages(), ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_the_link_check_sees_a_broken_link_and_anchor(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## Seeds: the final recipes\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#seeds-the-final-recipes) [gone](missing.md) [no anchor](other.md#nope)\n"
        "```\n[in code](not-checked.md)\n```\n[web](https://example.org)\n"
    )
    assert broken_links(page) == ["missing.md: no such file", "other.md#nope: no heading #nope"]


def test_the_readme_is_a_front_door() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    first_screen = "\n".join(readme.splitlines()[:40])
    assert "<!-- results:headline -->" in first_screen and "## Quick start" in readme
    for page in ("training", "data", "analysis", "sweeps", "multinode", "distillation", "inference", "layout"):
        assert f"(docs/{page}.md)" in readme, f"README does not lead to docs/{page}.md"
