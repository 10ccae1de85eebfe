"""Driving one Marketplace page: load it, clear the cookie banner, scroll for more cards.

Only browser work lives here; what the HTML means is ``scrapers.facebook.cards``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from multidict import CIMultiDict
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Response
from playwright.async_api import TimeoutError as PlaywrightTimeout

from core.errors import Unavailable
from scrapers.common import HttpResult, check_status
from scrapers.facebook.cards import CARD_SELECTOR, PageKind, classify_page
from scrapers.facebook.pacing import Pacing
from scrapers.facebook.urls import MARKETPLACE

__all__ = ["COOKIE_BUTTONS", "LOGIN_DIALOG", "Snapshot", "open_results", "scroll_for_more"]

logger = logging.getLogger(__name__)

# The consent dialog Facebook shows in the UK/EU, newest markup first. "Only essential"
# is preferred: it is all we need, and it is the choice a careful person makes.
COOKIE_BUTTONS = (
    '[data-cookiebanner="accept_only_essential_button"]',
    '[data-testid="cookie-policy-manage-dialog-decline-button"]',
    'div[role="dialog"] [role="button"][aria-label="Decline optional cookies"]',
    'div[role="dialog"] [role="button"][aria-label="Only allow essential cookies"]',
    '[data-cookiebanner="accept_button"]',
    '[data-testid="cookie-policy-manage-dialog-accept-button"]',
    'div[role="dialog"] [role="button"][aria-label="Allow all cookies"]',
)
# The "log in to see more" dialog Facebook lays over results after a logged-out visitor
# has scrolled a while: the cards under it are still good, but no more will load.
LOGIN_DIALOG = 'div[role="dialog"] form[action*="/login"], div[role="dialog"] input[name="pass"]'
_COUNT_CARDS = "sel => document.querySelectorAll(sel).length"
_MORE_CARDS = "([sel, n]) => document.querySelectorAll(sel).length > n"
_AT_BOTTOM = "() => window.innerHeight + window.scrollY >= document.body.scrollHeight - 50"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The page as it stands: its HTML, where the browser ended up, and what it is."""

    html: str
    url: str
    kind: PageKind


def _check_response(response: Response | None) -> None:
    if response is None:
        return
    headers = CIMultiDict(response.headers)  # Playwright lower-cases names; look-ups must not care
    result = HttpResult(response.status, response.url, headers, b"", MARKETPLACE)
    check_status(result, "Marketplace page")  # 429 / 403 / 5xx / other 4xx → core's errors


async def _goto(page: Page, url: str, pacing: Pacing) -> Response | None:
    try:
        return await page.goto(
            url, wait_until="domcontentloaded", timeout=pacing.navigation_timeout * 1000
        )
    except PlaywrightTimeout as exc:
        raise Unavailable(
            f"Facebook did not load the Marketplace page within {pacing.navigation_timeout:.0f} s",
            marketplace=MARKETPLACE,
        ) from exc
    except PlaywrightError as exc:
        first_line = (exc.message or str(exc)).splitlines()[0]
        raise Unavailable(
            f"the browser could not load Facebook: {first_line}", marketplace=MARKETPLACE
        ) from exc


async def dismiss_cookie_banner(page: Page) -> bool:
    """Click the consent dialog away if it is there; True when it was."""
    for selector in COOKIE_BUTTONS:
        button = page.locator(selector).first
        try:
            if await button.count() and await button.is_visible():
                await button.click(timeout=5_000)
                logger.debug("facebook: cookie banner dismissed (%s)", selector)
                return True
        except PlaywrightError as exc:  # it went away or moved: try the next shape
            logger.debug("facebook: cookie button %s: %s", selector, exc.message)
    return False


async def snapshot(page: Page) -> Snapshot:
    html = await page.content()
    return Snapshot(html, page.url, classify_page(html, page.url))


async def open_results(page: Page, url: str, pacing: Pacing) -> Snapshot:
    """Load ``url`` like a person would and say what came back."""
    response = await _goto(page, url, pacing)
    _check_response(response)
    await pacing.pause(pacing.settle)
    if await dismiss_cookie_banner(page):
        await pacing.pause(pacing.scroll_pause)
    return await snapshot(page)


async def _count(page: Page) -> int:
    count = await page.evaluate(_COUNT_CARDS, CARD_SELECTOR)
    return int(count)


async def _wait_for_more(page: Page, seen: int, pacing: Pacing) -> int:
    """At the bottom, wait for the next batch of cards (infinite scroll)."""
    if not await page.evaluate(_AT_BOTTOM):
        return seen + 1  # still scrolling through what is loaded: not idle
    try:
        await page.wait_for_function(
            _MORE_CARDS, arg=[CARD_SELECTOR, seen], timeout=pacing.growth_timeout * 1000
        )
    except PlaywrightTimeout:
        return seen
    return await _count(page)


async def scroll_for_more(page: Page, limit: int, pacing: Pacing) -> int:
    """Scroll until ``limit`` cards are loaded, no more come, or a login dialog stops us."""
    seen, idle = await _count(page), 0
    viewport = page.viewport_size or {"width": 1366, "height": 900}
    width, height = viewport["width"], viewport["height"]
    for _ in range(pacing.max_scrolls):
        if seen >= limit or idle >= pacing.idle_scrolls:
            break
        if await page.locator(LOGIN_DIALOG).count():
            logger.info("facebook: login dialog after %d cards; keeping those", seen)
            break
        await page.mouse.move(*pacing.pointer(width, height), steps=5)
        await page.mouse.wheel(0, pacing.scroll_step())
        loaded = await _wait_for_more(page, seen, pacing)
        idle = idle + 1 if loaded <= seen else 0
        seen = max(seen, await _count(page))
        await pacing.pause(pacing.scroll_pause)
    return seen
