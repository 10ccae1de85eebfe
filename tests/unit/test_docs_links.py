"""The docs hold together: every relative link and #anchor resolves, every setting is listed.

Links are checked the way GitHub renders the pages: a relative target must be a file or
folder of the repository, and an anchor must be the slug GitHub makes of a heading in the
target page (lower case, punctuation dropped, spaces to hyphens, repeats numbered -1, -2…).
Text inside code blocks and code spans is not a link and a ``#`` line in a code block is
not a heading.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "tests" / "README.md")

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^\s()<>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose_lines(text: str) -> list[tuple[int, str]]:
    """The page's lines outside fenced code blocks, numbered from 1."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append((number, line))
    return lines


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading (before numbering repeats)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link reads as its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in prose_lines(page.read_text(encoding="utf-8")):
        heading = HEADING.match(line)
        if heading is None:
            continue
        base = slug(heading.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[tuple[int, str]]:
    found = []
    for number, line in prose_lines(page.read_text(encoding="utf-8")):
        for match in LINK.finditer(CODE_SPAN.sub("", line)):
            found.append((number, match.group(1)))
    return found


def broken(page: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with the page's relative links, one line each (paths from ``root``)."""
    problems = []
    for number, target in links(page):
        if SCHEME.match(target):
            continue  # http(s), mailto: outside the repository
        path, _, anchor = target.partition("#")
        where = f"{page.relative_to(root)}:{number}: {target}"
        linked = (page.parent / unquote(path)).resolve() if path else page
        if not linked.exists():
            problems.append(f"{where}: no such file")
        elif anchor and linked.suffix != ".md":
            problems.append(f"{where}: an anchor into a page that is not Markdown")
        elif anchor and unquote(anchor) not in anchors(linked):
            problems.append(f"{where}: no heading with this anchor")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    assert page.exists(), f"{page.relative_to(ROOT)} is missing"
    assert broken(page) == []


def test_the_pages_do_link_to_each_other() -> None:
    # A checker that finds no links passes everything: make sure it sees the real ones.
    targets = {target for page in PAGES for _, target in links(page)}
    for expected in ("docs/telegram.md", "docs/architecture.md", "tests/README.md"):
        assert any(t.startswith(expected) for t in targets), expected
    assert sum(1 for t in targets if "#" in t) >= 10


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Two commands on a machine (Python 3.11+)", "two-commands-on-a-machine-python-311"),
        ("Which marketplaces run: `MARKETPLACES`", "which-marketplaces-run-marketplaces"),
        ("`marketplace-monitor probe`", "marketplace-monitor-probe"),
        ("Delivery: retries, failures, rate limits", "delivery-retries-failures-rate-limits"),
        ("The [World](world.py) fixture", "the-world-fixture"),
        ("Fakes — real servers", "fakes--real-servers"),
        ("CHAT_FUZZ_SCALE", "chat_fuzz_scale"),
    ],
)
def test_anchors_are_made_as_github_makes_them(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_a_repeated_heading_gets_a_numbered_anchor(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Top\n\n## Reads\n\n```\n# not a heading\n```\n\n## Reads\n", "utf-8")
    assert anchors(page) == {"top", "reads", "reads-1"}


def test_a_broken_link_or_anchor_is_reported(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## Part two\n", "utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[fine](other.md#part-two) [here](#page) [web](https://example.com/x#y)\n"
        "[gone](missing.md) [bad anchor](other.md#part-three) [self](#nowhere)\n"
        "`[in code](missing.md)`\n\n```\n[in a block](missing.md)\n```\n",
        "utf-8",
    )
    assert broken(page, root=tmp_path) == [
        "page.md:4: missing.md: no such file",
        "page.md:4: other.md#part-three: no heading with this anchor",
        "page.md:4: #nowhere: no heading with this anchor",
    ]


def configuration_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^## Configuration\n(.*?)(?=^## )", text, re.S | re.M)
    assert found, "README.md lost its Configuration section"
    return found.group(1)


@pytest.mark.parametrize("name", sorted(n.upper() for n in Settings.model_fields))
def test_every_setting_the_code_reads_is_in_the_readme_table(name: str) -> None:
    assert f"`{name}`" in configuration_section(), f"{name} is missing from README's settings"
