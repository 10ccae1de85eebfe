"""Every marketplace fixture says where it comes from, and is still the bytes it says.

A fixture that changes without its SOURCES.md line changing with it fails here: the
recorded checksum is what ties a test's expectations to a capture from the real site.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SITES = ("craigslist", "ebay", "prices")
LINE = re.compile(r"^- `(?P<name>[^`]+)` sha256:(?P<sha>[0-9a-f]{64}) — (?P<source>\S.{20,})$")
NOT_FIXTURES = {"README.md", "SOURCES.md"}


def recorded(site: str) -> dict[str, tuple[str, str]]:
    text = (FIXTURES / site / "SOURCES.md").read_text(encoding="utf-8")
    found = {}
    for line in text.splitlines():
        match = LINE.match(line)
        if match:
            found[match["name"]] = (match["sha"], match["source"])
    return found


@pytest.mark.parametrize("site", SITES)
def test_every_fixture_has_a_source_and_its_recorded_bytes(site: str) -> None:
    sources = recorded(site)
    files = sorted(p for p in (FIXTURES / site).iterdir() if p.name not in NOT_FIXTURES)
    assert files
    for path in files:
        assert path.name in sources, f"{site}/{path.name} has no line in SOURCES.md"
        sha, source = sources[path.name]
        assert source.startswith(("capture:", "constructed:")), f"{path.name}: {source[:40]}"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest == sha, f"{site}/{path.name} changed without its SOURCES.md line"
    assert set(sources) <= {p.name for p in files}, "SOURCES.md names a file that is gone"


def test_a_capture_names_its_repository_and_commit() -> None:
    for site in SITES:
        for name, (_, source) in recorded(site).items():
            if source.startswith("capture:"):
                assert re.search(r"github\.com/\S+", source), name
                assert re.search(r"\b[0-9a-f]{40}\b", source), name
