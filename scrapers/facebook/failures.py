"""When a Facebook page cannot be parsed: keep a screenshot and its HTML for the operator.

Files go to one folder (``data/facebook-failures`` by default), named by time and reason;
the error message names them. Only the newest ``keep`` pairs are kept, so a site change that
fails every check does not fill the disk.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

__all__ = ["DEFAULT_FAILURES_DIR", "save_failure"]

logger = logging.getLogger(__name__)

DEFAULT_FAILURES_DIR = Path("data/facebook-failures")
DEFAULT_KEEP = 50


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _prune(folder: Path, keep: int) -> None:
    pages = sorted(folder.glob("*.html"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in pages[keep:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".png").unlink(missing_ok=True)


async def save_failure(
    page: Page, html: str, folder: Path, reason: str, *, keep: int = DEFAULT_KEEP
) -> str:
    """Save ``html`` and a screenshot of ``page``; returns words naming the files (or why not)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = folder / f"{stamp}-{reason}-{secrets.token_hex(2)}"
    try:
        await asyncio.to_thread(_write, base.with_suffix(".html"), html)
    except OSError as exc:
        logger.warning("facebook: could not save the failed page in %s: %s", folder, exc)
        return f"(the page could not be saved in {folder}: {exc})"
    shot = base.with_suffix(".png")
    try:
        await page.screenshot(path=shot, full_page=True, timeout=10_000)
    except PlaywrightError as exc:
        logger.warning("facebook: no screenshot of the failed page: %s", exc.message)
        shot = Path("(no screenshot)")
    await asyncio.to_thread(_prune, folder, keep)
    return f"saved {base.with_suffix('.html')} and {shot}"
