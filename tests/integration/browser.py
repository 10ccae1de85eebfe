"""Headless Chromium for the web pages' browser tests: Debian's chromium (Playwright's own
download cannot work here), found once; a machine without it skips the module, CI fails."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from scrapers.facebook import find_chromium


def need_chromium() -> Path:
    """The browser to drive; call at module level (it skips the module when there is none)."""
    given = os.environ.get("BROWSER_EXECUTABLE")
    found = find_chromium(Path(given) if given else None)
    if found is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI must have Chromium: scripts/install-chromium.sh installs it")
        pytest.skip("no Chromium here (apt-get install chromium)", allow_module_level=True)
    return found


@asynccontextmanager
async def launched(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium))
        try:
            yield browser
        finally:
            await browser.close()
