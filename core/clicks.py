"""Click tracking: the unguessable token behind each email/SMS link, recording a click, and
whether the listing's URL may be followed.

A listing's URL comes from a scraped page, so it can point anywhere (a promoted ad's
tracker, an off-site link, a redirector). The click-through only redirects to the
listing's own marketplace: each marketplace declares the hosts its listings live on, and
the composition root hands that plain mapping (marketplace name → hosts) to the web app.
A declared host is one of:

* ``www.ebay.co.uk``: exactly that host;
* ``*.craigslist.org``: that domain and any subdomain of it;
* ``http://127.0.0.1:8090``: exactly that origin (scheme, host and port), for a local
  marketplace such as the sandbox.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from core.models import Alert
from core.outbox import still_claimed

logger = logging.getLogger(__name__)

# 16 random bytes (128 bits) in URL-safe base64: 22 characters, never guessed or enumerated.
TOKEN_BYTES = 16
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_click_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def click_path(token: str) -> str:
    return f"/r/{token}"


async def ensure_click_token(alert: Alert) -> str | None:
    """The alert's token, made and stored on first need (kept across retries).

    None when this worker's claim on the alert was lost: it must not send it.
    """
    if alert.click_token is None:
        token = new_click_token()
        if not await still_claimed(alert).update(click_token=token):
            logger.warning("alert %s: claim lost before its click token was stored", alert.id)
            return None
        alert.click_token = token
    return alert.click_token


ListingDomains = Mapping[str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class ClickTarget:
    url: str
    marketplace: str


async def record_click(token: str, now: datetime, *, counts: bool = True) -> ClickTarget | None:
    """The listing behind ``token`` (None if unknown); the first click's time is kept.

    ``counts`` False looks the link up without recording a click (a HEAD request: link
    checkers and mail scanners probe with it, and a person never does)."""
    if not _TOKEN.match(token):
        return None
    alert = await Alert.get_or_none(click_token=token).select_related("match__listing")
    if alert is None:
        return None
    if counts and alert.clicked_at is None:
        await Alert.filter(id=alert.id, clicked_at__isnull=True).update(clicked_at=now)
        logger.info("alert %s clicked", alert.id)
    listing = alert.match.listing
    return ClickTarget(url=listing.url, marketplace=listing.marketplace)


def on_listing_domains(url: str, declared: Sequence[str]) -> bool:
    """True if ``url`` is an http(s) link on one of the ``declared`` hosts (see above)."""
    origin = _origin(url)
    return origin is not None and any(_matches(origin, entry) for entry in declared)


_DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]  # scheme, host, port


def _origin(url: str) -> Origin | None:
    """Scheme, host and port of an http(s) URL with no userinfo; None for anything else."""
    if "\\" in url or any(ord(c) < 0x21 or c == "\x7f" for c in url):
        return None  # backslashes, spaces, control characters: browsers and parsers disagree
    try:
        parts = urlsplit(url)
        port = parts.port  # a malformed port raises ValueError
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    # Userinfo ("https://www.ebay.com@evil.example/") is how a host is disguised.
    if scheme not in _DEFAULT_PORTS or not host or "@" in parts.netloc:
        return None
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def _matches(origin: Origin, entry: str) -> bool:
    entry = entry.strip().lower()
    if "://" in entry:
        return _origin(entry) == origin
    host = origin[1]
    if entry.startswith("*."):
        return host == entry[2:] or host.endswith(entry[1:])
    return host == entry
