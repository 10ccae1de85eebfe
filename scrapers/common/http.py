"""One request to a site, with a timeout, mapped to core's MarketplaceError tree.

``fetch`` never raises on an HTTP status: some answers need the adapter's own handling (eBay's
401 means "refresh the token"). ``check_status`` then maps what is left:

======================  ==================================================
429                     ``RateLimited`` with the site's Retry-After delay
401, 403                ``Blocked`` (the site refuses us)
5xx                     ``Unavailable``
other 4xx               ``ParseError`` (our request no longer fits the site)
timeout, network error  ``Unavailable`` (raised by ``fetch`` itself)
======================  ==================================================
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from core.errors import Blocked, ParseError, RateLimited, Unavailable
from scrapers.common.ratelimit import SiteRateLimiter

__all__ = [
    "DEFAULT_RETRY_AFTER_SECONDS",
    "MAX_BODY_BYTES",
    "HttpResult",
    "check_status",
    "fetch",
    "request_timeout",
    "retry_after_seconds",
]

logger = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER_SECONDS = 60.0
MAX_BODY_BYTES = 8 * 1024 * 1024  # a search page is far smaller; more means something is wrong


def request_timeout(total: float = 20.0, connect: float = 10.0) -> aiohttp.ClientTimeout:
    """The timeout for one request: ``total`` covers connect, send and reading the body."""
    return aiohttp.ClientTimeout(total=total, connect=min(connect, total))


@dataclass(frozen=True, slots=True)
class HttpResult:
    """A complete answer: status, headers and the whole body, read within the timeout."""

    status: int
    url: str
    headers: Mapping[str, str]  # case-insensitive (aiohttp's CIMultiDictProxy)
    body: bytes
    marketplace: str

    def text(self) -> str:
        """The body decoded with the charset the server declared (UTF-8 if none or unknown)."""
        declared = self.headers.get("Content-Type", "").partition("charset=")[2]
        charset = declared.split(";")[0].strip().strip('"') or "utf-8"
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    def json(self, what: str = "response") -> Any:
        """The body as JSON, or ``ParseError`` naming ``what`` was unreadable."""
        try:
            return json.loads(self.body)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise ParseError(
                f"{self.marketplace} sent a {what} that is not valid JSON ({exc})",
                marketplace=self.marketplace,
            ) from exc


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    marketplace: str,
    deadline: aiohttp.ClientTimeout,
    method: str = "GET",
    params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    data: Any = None,
    limiter: SiteRateLimiter | None = None,
) -> HttpResult:
    """Send one request through the shared ``session`` (after ``limiter``'s slot, if any).

    ``deadline`` (from ``request_timeout``) bounds the whole exchange, body included.

    Raises ``Unavailable`` on timeout or network failure. A 429 also pauses ``limiter`` for
    the site's Retry-After, so the next search waits too.
    """
    if limiter is not None:
        await limiter.acquire()
    try:
        async with session.request(
            method, url, params=params, headers=headers, data=data, timeout=deadline
        ) as response:
            body = await _read_capped(response, marketplace)
            result = HttpResult(
                response.status, str(response.url), response.headers, body, marketplace
            )
    except TimeoutError as exc:
        raise Unavailable(
            f"{marketplace} did not answer within {deadline.total:.0f} s ({_path(url)})",
            marketplace=marketplace,
        ) from exc
    except aiohttp.ClientError as exc:
        raise Unavailable(
            f"{marketplace} request failed: {type(exc).__name__}: {exc}", marketplace=marketplace
        ) from exc
    if result.status == 429 and limiter is not None:
        limiter.hold(retry_after_seconds(result.headers.get("Retry-After")))
    return result


async def _read_capped(response: aiohttp.ClientResponse, marketplace: str) -> bytes:
    body = await response.content.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise ParseError(
            f"{marketplace} sent more than {MAX_BODY_BYTES} bytes for {_path(str(response.url))}",
            marketplace=marketplace,
        )
    return body


def check_status(result: HttpResult, what: str = "request") -> None:
    """Raise the MarketplaceError a non-2xx/3xx status means; return on success."""
    status, name = result.status, result.marketplace
    if status < 400:
        return
    message = f"{name} answered HTTP {status} to the {what} ({_path(result.url)})"
    if status == 429:
        delay = retry_after_seconds(result.headers.get("Retry-After"))
        raise RateLimited(f"{message}; retry in {delay:.0f} s", retry_after=delay, marketplace=name)
    if status in (401, 403):
        raise Blocked(f"{message}: the site refuses our requests", marketplace=name)
    if status >= 500:
        raise Unavailable(message, marketplace=name)
    raise ParseError(f"{message}: the site no longer accepts this request", marketplace=name)


def retry_after_seconds(header: str | None, default: float = DEFAULT_RETRY_AFTER_SECONDS) -> float:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date; ``default`` if absent."""
    if not header:
        return default
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _path(url: str) -> str:
    """The URL without its query: queries can carry tokens and are noisy in messages."""
    return url.split("?", 1)[0]
