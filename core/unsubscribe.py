"""Stopping alert emails from a signed link, without logging in.

The web route shows what ``look_up`` says and acts through ``unsubscribe``; both take the
token from the link and return plain facts, so the route never touches the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from core.models import Account
from core.signing import KeyStore, LinkState, check_unsubscribe

__all__ = ["EmailLink", "look_up", "unsubscribe"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EmailLink:
    """What an unsubscribe link is worth: its state and, when it is good, the address."""

    state: LinkState
    email: str | None = None
    unsubscribed: bool = False

    @property
    def usable(self) -> bool:
        return self.state is LinkState.CURRENT and bool(self.email)


async def look_up(keys: KeyStore, token: str) -> EmailLink:
    """The link's state and address; changes nothing (mail scanners fetch links)."""
    link = await check_unsubscribe(keys, token)
    account = link.account
    if link.state is not LinkState.CURRENT or account is None or not account.email:
        return EmailLink(link.state if link.state is LinkState.STALE else LinkState.INVALID)
    return EmailLink(link.state, account.email, account.email_unsubscribed_at is not None)


async def unsubscribe(keys: KeyStore, token: str, now: datetime) -> EmailLink:
    """Stop alert emails to the link's address; idempotent, and only for the current link."""
    link = await check_unsubscribe(keys, token)
    account = link.account
    if link.state is not LinkState.CURRENT or account is None or not account.email:
        return EmailLink(link.state if link.state is LinkState.STALE else LinkState.INVALID)
    # Conditional on the link version: a re-verification racing this click wins.
    changed = await Account.filter(
        id=account.id,
        email_link_version=account.email_link_version,
        email_unsubscribed_at__isnull=True,
    ).update(email_unsubscribed_at=now)
    if changed:
        logger.info("account %s unsubscribed from alert emails", account.id)
    return EmailLink(LinkState.CURRENT, account.email, unsubscribed=True)
