"""The process's one Chromium, driven by Playwright, with a small pool of pages.

Debian's ``chromium`` package is used (``BROWSER_EXECUTABLE``, else the system's): Playwright's
own browser download is not needed. The browser starts on first use, so a deployment that
never checks Facebook never pays for it, and it is started again if it dies. All pages share
one context, so the saved login (the storage state file) and cookie choices apply to all.

``async with FacebookBrowser(config) as browser:`` owns the lifecycle; scrapers borrow a page
with ``async with browser.page() as page:``.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from core.errors import ConfigurationError, Unavailable
from scrapers.common import BROWSER_USER_AGENT
from scrapers.facebook.urls import MARKETPLACE

__all__ = ["CHROMIUM_FLAGS", "BrowserConfig", "FacebookBrowser", "find_chromium"]

logger = logging.getLogger(__name__)

# --no-sandbox: containers and root (CI) have no user namespaces for Chromium's sandbox.
# The rest keep a headless server quiet: no GPU, no update checks or background traffic, and
# no reliance on /dev/shm (64 MB in Docker, too small for a long Marketplace page).
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
)
_SYSTEM_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium(configured: Path | None) -> Path | None:
    """``BROWSER_EXECUTABLE`` if set (it must exist), else a Chromium on PATH, else None."""
    if configured is not None:
        if not configured.is_file():
            raise ConfigurationError(f"BROWSER_EXECUTABLE: no browser at {configured}")
        return configured
    for name in _SYSTEM_CHROMIUMS:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


@dataclass(frozen=True, slots=True)
class BrowserConfig:
    executable: Path
    state_file: Path | None = None  # Playwright storage state saved by `facebook-login`
    headless: bool = True
    pages: int = 2  # how many searches may use the browser at once
    locale: str = "en-GB"
    timezone: str = "Europe/London"
    viewport: tuple[int, int] = (1366, 900)
    launch_timeout_seconds: float = 30.0


async def launch_chromium(playwright: Playwright, config: BrowserConfig) -> Browser:
    try:
        return await playwright.chromium.launch(
            executable_path=config.executable,
            headless=config.headless,
            args=list(CHROMIUM_FLAGS),
            timeout=config.launch_timeout_seconds * 1000,
        )
    except PlaywrightError as exc:
        raise Unavailable(
            f"Chromium at {config.executable} did not start (BROWSER_EXECUTABLE): "
            f"{exc.message.splitlines()[0] if exc.message else exc}",
            marketplace=MARKETPLACE,
        ) from exc


def context_options(config: BrowserConfig, *, with_state: bool = True) -> dict[str, Any]:
    """A realistic desktop context; the saved login when there is one."""
    width, height = config.viewport
    options: dict[str, Any] = {
        "user_agent": BROWSER_USER_AGENT,
        "locale": config.locale,
        "timezone_id": config.timezone,
        "viewport": {"width": width, "height": height},
    }
    state = config.state_file
    if with_state and state is not None:
        if state.is_file():
            options["storage_state"] = str(state)
        else:
            logger.warning(
                "facebook: FACEBOOK_STATE_FILE %s does not exist yet; browsing logged out "
                "(run `marketplace-monitor facebook-login` to create it)",
                state,
            )
    return options


class FacebookBrowser:
    """One Chromium for the process, started lazily; lends out up to ``config.pages`` pages."""

    def __init__(self, config: BrowserConfig) -> None:
        self.config = config
        self._slots = asyncio.Semaphore(config.pages)
        self._start_lock = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._idle: list[Page] = []
        self.launches = 0

    async def __aenter__(self) -> FacebookBrowser:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def page(self) -> AsyncIterator[Page]:
        """A page of the shared context; waits while every page is in use."""
        async with self._slots:
            page = await self._take_page()
            try:
                yield page
            except BaseException:
                await _close_quietly(page)  # it may be mid-navigation or crashed
                raise
            if page.is_closed():
                return
            self._idle.append(page)

    async def _take_page(self) -> Page:
        context = await self._running_context()
        while self._idle:
            page = self._idle.pop()
            if not page.is_closed():
                return page
        try:
            return await context.new_page()
        except PlaywrightError as exc:
            raise Unavailable(
                f"Chromium could not open a page: {exc.message}", marketplace=MARKETPLACE
            ) from exc

    async def _running_context(self) -> BrowserContext:
        async with self._start_lock:
            if self._browser is not None and not self._browser.is_connected():
                logger.warning("facebook: Chromium went away; starting it again")
                await self._shutdown()
            if self._context is None:
                self._context = await self._start()
            return self._context

    async def _start(self) -> BrowserContext:
        if self._playwright is None:
            self._playwright = await async_playwright().start()
        self._browser = await launch_chromium(self._playwright, self.config)
        self.launches += 1
        logger.info(
            "facebook: Chromium %s started (%s)", self._browser.version, self.config.executable
        )
        return await self._browser.new_context(**context_options(self.config))

    async def _shutdown(self) -> None:
        self._idle.clear()
        context, browser = self._context, self._browser
        self._context = self._browser = None
        for closable in (context, browser):
            if closable is not None:
                await _close_quietly(closable)

    async def close(self) -> None:
        """Close the browser and Playwright's driver; safe to call twice."""
        async with self._start_lock:
            await self._shutdown()
            if self._playwright is not None:
                await self._playwright.stop()
                self._playwright = None


async def _close_quietly(closable: Page | BrowserContext | Browser) -> None:
    try:
        await closable.close()
    except PlaywrightError as exc:  # already gone: nothing left to release
        logger.debug("facebook: close failed: %s", exc)
