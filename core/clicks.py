"""Click tracking: the unguessable token behind each email/SMS link, and recording a click."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime

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


async def record_click(token: str, now: datetime) -> str | None:
    """The listing URL behind ``token`` (None if unknown); the first click's time is kept."""
    if not _TOKEN.match(token):
        return None
    alert = await Alert.get_or_none(click_token=token).select_related("match__listing")
    if alert is None:
        return None
    if alert.clicked_at is None:
        await Alert.filter(id=alert.id, clicked_at__isnull=True).update(clicked_at=now)
        logger.info("alert %s clicked", alert.id)
    url: str = alert.match.listing.url
    return url
