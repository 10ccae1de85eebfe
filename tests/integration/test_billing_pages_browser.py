"""The billing pages in headless Chromium: the full flow's browser half. The user opens the
payment link, pays on Stripe's (fake) hosted page, lands on /billing/success which names the
plan, with no console errors; /billing/cancel and /pricing read on a phone-sized screen.
Screenshots are kept in TEST_ARTIFACTS_DIR (default: the test's tmp dir)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage

from core.enums import Tier
from tests.integration.billing_world import billing_world
from tests.integration.browser import launched, need_chromium

pytestmark = [pytest.mark.timeout(90), pytest.mark.usefixtures("db")]

CHROMIUM = need_chromium()

PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with launched(CHROMIUM) as chromium:
        yield chromium


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TEST_ARTIFACTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_pay_in_the_browser_then_the_success_page_names_the_plan(
    browser: Browser, artifacts: Path
) -> None:
    async with billing_world() as world:
        world.service.public_url = world.web_url  # success_url must reach our pages
        account = await world.new_account()
        url, _ = await world.service.checkout_url(account.id, Tier.PRO)
        page = await browser.new_page(viewport=PHONE)
        errors: list[str] = []
        page.on("console", lambda m: _collect(errors, m))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(url)
        assert "£24.99" in await page.inner_text("#amount")
        await world.stripe.settle()
        await page.click("#pay")
        await page.wait_for_url(f"{world.web_url}/billing/success?session_id=cs_test_*")
        await world.tier_becomes(account.id, Tier.PRO)
        errors.clear()  # what Stripe's page logged is not ours to judge
        await page.reload()
        assert await page.inner_text("#plan") == "You're on Pro."
        await page.screenshot(path=str(artifacts / "billing-success.png"), full_page=True)
        assert errors == []


async def test_cancel_and_pricing_pages_read_on_a_phone(browser: Browser, artifacts: Path) -> None:
    async with billing_world() as world:
        page = await browser.new_page(viewport=PHONE)
        errors: list[str] = []
        page.on("console", lambda m: _collect(errors, m))
        await page.goto(f"{world.web_url}/billing/cancel")
        assert "Nothing was charged" in await page.inner_text("body")
        await page.goto(f"{world.web_url}/pricing")
        body = await page.inner_text("body")
        assert "£24.99/month" in body and "Unlimited" in body
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1  # no sideways scrolling on a phone
        await page.screenshot(path=str(artifacts / "billing-pricing.png"), full_page=True)
        assert errors == []
        await page.goto(f"{world.web_url}/billing/success?session_id=cs_test_nope")
        assert "couldn't find" in await page.inner_text("body")


def _collect(errors: list[str], message: ConsoleMessage) -> None:
    if message.type == "error":
        errors.append(message.text)
