"""Core's email unsubscribe service: the web route only shows what it returns."""

from __future__ import annotations

from datetime import UTC, datetime

from core import destinations
from core.accounts import identify
from core.enums import Channel, Platform
from core.models import Account
from core.signing import KeyStore, LinkState, unsubscribe_token
from core.unsubscribe import look_up, unsubscribe

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


async def _subscriber() -> tuple[Account, KeyStore, str]:
    account = await identify(Platform.CONSOLE, "mia")
    await destinations.set_verified(account, Channel.EMAIL, "mia@example.com", NOW)
    account = await Account.get(id=account.id)
    keys = KeyStore()
    token = await unsubscribe_token(keys, account.id, "mia@example.com", account.email_link_version)
    return account, keys, token


async def test_looking_up_a_link_changes_nothing(db: str) -> None:
    account, keys, token = await _subscriber()
    link = await look_up(keys, token)
    assert (link.state, link.email, link.unsubscribed) == (
        LinkState.CURRENT,
        "mia@example.com",
        False,
    )
    assert (await Account.get(id=account.id)).email_unsubscribed_at is None


async def test_unsubscribing_stops_emails_once(db: str) -> None:
    account, keys, token = await _subscriber()
    assert (await unsubscribe(keys, token, NOW)).unsubscribed
    assert (await Account.get(id=account.id)).email_unsubscribed_at == NOW
    later = datetime(2026, 3, 2, tzinfo=UTC)
    assert (await unsubscribe(keys, token, later)).unsubscribed  # idempotent
    assert (await Account.get(id=account.id)).email_unsubscribed_at == NOW
    assert (await look_up(keys, token)).unsubscribed


async def test_a_link_from_before_a_new_verification_is_stale_and_does_nothing(db: str) -> None:
    account, keys, token = await _subscriber()
    await destinations.set_verified(account, Channel.EMAIL, "mia@example.com", NOW)
    link = await unsubscribe(keys, token, NOW)
    assert (link.state, link.email, link.usable) == (LinkState.STALE, None, False)
    assert (await Account.get(id=account.id)).email_unsubscribed_at is None


async def test_a_forged_link_is_invalid(db: str) -> None:
    account, keys, token = await _subscriber()
    link = await unsubscribe(keys, token[:-2] + "AA", NOW)
    assert link.state is LinkState.INVALID and not link.usable
    assert (await Account.get(id=account.id)).email_unsubscribed_at is None
