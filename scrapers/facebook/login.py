"""`marketplace-monitor facebook-login`: log in once in a visible browser, keep the session.

The operator logs in by hand (passwords never pass through this program). Once Facebook has
set its session cookie (``c_user``), the browser's storage state (cookies and local storage)
is written to FACEBOOK_STATE_FILE, which the scraper's browser context then loads.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path

from playwright.async_api import BrowserContext, async_playwright
from playwright.async_api import Error as PlaywrightError

from scrapers.facebook.browser import BrowserConfig, context_options, launch_chromium

__all__ = ["SESSION_COOKIE", "LoginTimedOut", "facebook_login"]

logger = logging.getLogger(__name__)

SESSION_COOKIE = "c_user"  # Facebook sets it only for a logged-in session


class LoginTimedOut(Exception):
    """Nobody finished logging in within the time allowed."""


async def _wait_for_login(
    context: BrowserContext, base_url: str, wait_seconds: float, poll_seconds: float
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    while loop.time() < deadline:
        cookies = await context.cookies([base_url])
        if any(cookie.get("name") == SESSION_COOKIE for cookie in cookies):
            return
        await asyncio.sleep(poll_seconds)
    raise LoginTimedOut(f"no login within {wait_seconds:.0f} s; nothing was saved")


def _private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    os.chmod(path, 0o600)  # it holds a live session: only this user may read it


async def _save_state(context: BrowserContext, state_file: Path) -> None:
    await asyncio.to_thread(_private_file, state_file)
    await context.storage_state(path=state_file)


async def _visit_marketplace(context: BrowserContext, base_url: str) -> None:
    """Open Marketplace once logged in, so its own cookies are in the saved state too."""
    page = context.pages[-1] if context.pages else await context.new_page()
    try:
        await page.goto(f"{base_url}/marketplace/", wait_until="domcontentloaded", timeout=30_000)
    except PlaywrightError as exc:
        logger.info("facebook-login: Marketplace did not open (%s); saving anyway", exc.message)


async def facebook_login(
    config: BrowserConfig,
    base_url: str,
    state_file: Path,
    *,
    wait_seconds: float = 600.0,
    poll_seconds: float = 1.0,
    say: Callable[[str], None] = print,
) -> Path:
    """Open Facebook's login page, wait for the operator to log in, save the session."""
    base_url = base_url.rstrip("/")
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright, config)
        try:
            context = await browser.new_context(**context_options(config, with_state=False))
            page = await context.new_page()
            await page.goto(f"{base_url}/login/", wait_until="domcontentloaded", timeout=30_000)
            say(
                "Log in to Facebook in the browser window that opened (finish any security "
                f"check too). Waiting up to {wait_seconds / 60:.0f} min…"
            )
            await _wait_for_login(context, base_url, wait_seconds, poll_seconds)
            await _visit_marketplace(context, base_url)
            await _save_state(context, state_file)
        finally:
            await browser.close()
    say(f"Saved the Facebook login to {state_file}. Set FACEBOOK_STATE_FILE={state_file}.")
    return state_file
