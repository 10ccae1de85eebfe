"""The pages people reach from alert emails, in headless Chromium: the unsubscribe
confirmation (loading it changes nothing; its button does) and the off-site link page."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from playwright.async_api import Browser

from bot.app import listing_domains
from bot.settings import Settings
from core.metrics import Metrics
from core.models import Account, Alert, Listing
from core.signing import KeyStore, unsubscribe_token
from tests.fakes.alerts import queue_alerts, verified_account
from tests.integration.browser import launched, need_chromium
from web import HealthProbe, build_web_app, running_web

pytestmark = pytest.mark.timeout(90)

CHROMIUM = need_chromium()


@pytest.fixture
async def web_url(db: str) -> AsyncIterator[str]:
    domains = listing_domains(Settings(_env_file=None))  # type: ignore[call-arg]
    app = build_web_app(metrics=Metrics(), health=HealthProbe(), listing_domains=domains)
    async with running_web(app) as url:
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with launched(CHROMIUM) as chromium:
        yield chromium


def _has_red_button(png: bytes) -> bool:
    """The screenshot shows the red Unsubscribe button (not a blank or unstyled page)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 24) or []
    reds = sum(n for n, (r, g, b) in colours if r > 180 and g < 70 and b < 70)
    return reds > 2000


async def test_the_unsubscribe_page_asks_and_its_button_unsubscribes(
    web_url: str, browser: Browser
) -> None:
    account, _ = await verified_account(email="hana@example.com")
    token = await unsubscribe_token(KeyStore(), account.id, "hana@example.com", 0)
    page = await browser.new_page(viewport={"width": 900, "height": 700})
    await page.goto(f"{web_url}/unsubscribe/{token}")
    assert await page.title() == "Stop alert emails? · Marketplace Monitor"
    assert _has_red_button(await page.screenshot())
    await page.reload()  # loading (and reloading) the page changes nothing
    assert (await Account.get(id=account.id)).email_unsubscribed_at is None

    await page.get_by_role("button", name="Unsubscribe").click()
    await page.wait_for_load_state()
    assert await page.title() == "You're unsubscribed · Marketplace Monitor"
    assert "h•••@example.com" in await page.inner_text("body")
    assert (await Account.get(id=account.id)).email_unsubscribed_at is not None


async def test_an_off_site_link_is_shown_as_text_in_the_browser(
    web_url: str, browser: Browser
) -> None:
    account, destination = await verified_account(email="hana@example.com")
    await queue_alerts(account, destination, ["email"])
    [alert] = await Alert.filter(channel="email").select_related("match__listing")
    url = "https://ad.doubleclick.net/ddm/clk/5;6?https://dealer.example/<b>car</b>"
    await Listing.filter(id=alert.match.listing.id).update(marketplace="gumtree", url=url)
    alert.click_token = "browser-test-token-0001"
    await alert.save(update_fields=["click_token"])

    page = await browser.new_page(viewport={"width": 390, "height": 700})
    link = f"{web_url}/r/{alert.click_token}"
    await page.goto(link)
    assert page.url == link  # not redirected
    assert await page.inner_text("code") == url
    assert await page.locator("a").count() == 0
    box = await page.locator("code").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390  # wraps on a phone
