"""/api/docs in headless Chromium (issue 17): the page loads, lists every endpoint of the
route table, links the OpenAPI document, and asks for nothing from anywhere else."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Request

from tests.integration.api_client import Api, serving_api
from tests.integration.browser import launched, need_chromium
from web.api.endpoints import ENDPOINTS

pytestmark = pytest.mark.timeout(90)

CHROMIUM = need_chromium()

# Set to a folder to keep the page's screenshot (to look at it).
SHOT_DIR = os.environ.get("API_DOCS_SCREENSHOT_DIR")


@pytest.fixture
async def api(db: str) -> AsyncIterator[Api]:
    async with serving_api() as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with launched(CHROMIUM) as chromium:
        yield chromium


async def test_the_docs_page_lists_every_endpoint(api: Api, browser: Browser) -> None:
    page = await browser.new_page(viewport={"width": 1000, "height": 1400})
    requested: list[str] = []

    def record(request: Request) -> None:
        requested.append(request.url)

    page.on("request", record)
    response = await page.goto(f"{api.url}/api/docs")
    assert response is not None and response.status == 200
    assert await page.title() == "API · Marketplace Monitor"
    rows = page.locator("tr.endpoint")
    assert await rows.count() == len(ENDPOINTS)
    shown = [" ".join((await rows.nth(i).inner_text()).split()) for i in range(len(ENDPOINTS))]
    tags = list(dict.fromkeys(e.tag for e in ENDPOINTS))
    by_tag = sorted(ENDPOINTS, key=lambda e: tags.index(e.tag))  # the page groups them
    for endpoint, row in zip(by_tag, shown, strict=True):
        assert row.startswith(f"{endpoint.method} /api/v1{endpoint.path}"), row
        assert endpoint.summary in row
        assert ("write token" in row) == endpoint.write
    headings = await page.locator("h2").all_inner_texts()
    assert [h.lower() for h in headings] == tags
    # Styled (the page's own CSS applied), and nothing fetched but the page itself.
    colour = await page.locator("td.m.GET").first.evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(26, 127, 55)"
    assert requested == [f"{api.url}/api/docs"]
    shot = str(Path(SHOT_DIR, "api-docs.png")) if SHOT_DIR else None
    assert await page.screenshot(full_page=True, path=shot)

    await page.get_by_role("link", name="openapi.json").click()
    await page.wait_for_load_state()
    assert page.url == f"{api.url}/api/v1/openapi.json"
    assert '"openapi": "3.1.0"' in await page.inner_text("body")
