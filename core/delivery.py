"""What the dispatcher checks around a delivery over the account's own channels.

Email, SMS and webhook alerts go to the account's verified address, read at send time: an
address removed, revoked or unsubscribed since the alert was queued stops it. Quiet hours
hold email and SMS until the window ends. A permanent refusal revokes the channel and
queues one chat notice (core's notice outbox), so the user hears of it once, not per alert.
"""

from __future__ import annotations

import logging
from datetime import datetime

from core import destinations
from core.clicks import ensure_click_token
from core.enums import Channel
from core.models import Account, Alert
from core.outbox import queue_notice
from core.quiet_hours import quiet_until
from core.signing import KeyStore, unsubscribe_token

logger = logging.getLogger(__name__)

OWN_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.WEBHOOK)
HELD_IN_QUIET_HOURS = (Channel.EMAIL, Channel.SMS)
LINKED_CHANNELS = (Channel.EMAIL, Channel.SMS)  # their links go through /r/<token>

# Keys of AlertMessage.extra that the notifiers read.
EXTRA_CLICK_TOKEN = "click_token"
EXTRA_UNSUBSCRIBE_TOKEN = "unsubscribe_token"
EXTRA_WEBHOOK_SECRET = "webhook_secret"


def _account(alert: Alert) -> Account:
    account: Account = alert.match.search.account
    return account


def blocked_reason(alert: Alert) -> str:
    """Why this alert can no longer go out over its channel ('' when it can)."""
    if alert.channel not in OWN_CHANNELS:
        return ""
    return destinations.why_unavailable(_account(alert), alert.channel)


def hold_until(alert: Alert, now: datetime) -> datetime | None:
    """The end of the account's quiet hours, when an email/SMS alert must wait until then."""
    if alert.channel not in HELD_IN_QUIET_HOURS:
        return None
    account = _account(alert)
    return quiet_until(now, account.timezone, account.quiet_start_minute, account.quiet_end_minute)


def silent_now(alert: Alert, now: datetime) -> bool:
    """A chat alert in the account's quiet hours is delivered, but without a sound."""
    if alert.channel in HELD_IN_QUIET_HOURS:
        return False  # held until the quiet hours end instead (hold_until)
    account = _account(alert)
    quiet = quiet_until(now, account.timezone, account.quiet_start_minute, account.quiet_end_minute)
    return quiet is not None


def address_for(alert: Alert) -> str | None:
    """The verified address an email/SMS/webhook alert goes to (None for chat)."""
    if alert.channel not in OWN_CHANNELS:
        return None
    return destinations.address_of(_account(alert), alert.channel)


async def extra_for(alert: Alert, keys: KeyStore) -> dict[str, str] | None:
    """Per-delivery values the notifier needs: click token, unsubscribe token, secret.

    None when the worker's claim on the alert was lost while storing its click token.
    """
    extra: dict[str, str] = {}
    account = _account(alert)
    if alert.channel in LINKED_CHANNELS:
        token = await ensure_click_token(alert)
        if token is None:
            return None
        extra[EXTRA_CLICK_TOKEN] = token
    if alert.channel is Channel.EMAIL and account.email:
        extra[EXTRA_UNSUBSCRIBE_TOKEN] = await unsubscribe_token(
            keys, account.id, account.email, account.email_link_version
        )
    if alert.channel is Channel.WEBHOOK and account.webhook_secret:
        extra[EXTRA_WEBHOOK_SECRET] = account.webhook_secret
    return extra


async def refused_for_good(alert: Alert, reason: str, now: datetime) -> bool:
    """After a permanent failure: revoke the channel and queue a chat notice, once.

    Returns True when this call revoked the channel (and so queued the notice).
    """
    if alert.channel not in OWN_CHANNELS:
        return False
    account = _account(alert)
    verified_at = destinations.verified_at(account, alert.channel)
    if not await destinations.revoke(account.id, alert.channel):
        return False  # already revoked: the user has been told
    stamp = verified_at.isoformat() if verified_at else now.isoformat()
    await queue_notice(
        alert.match.search.destination,
        f"refused:{account.id}:{alert.channel.value}:{stamp}",
        notice_text(account, alert.channel, reason),
        now,
    )
    logger.info("account %s told that %s alerts stopped", account.id, alert.channel.value)
    return True


_NOTICES = {
    Channel.EMAIL: (
        "⚠ Alert emails to {address} can't be delivered ({reason}), so email alerts are off. "
        "Check the address and verify it again with /settings email you@example.com."
    ),
    Channel.SMS: (
        "⚠ Text messages to {address} can't be delivered ({reason}), so SMS alerts are off. "
        "Verify a number again with /settings phone +447911123456."
    ),
    Channel.WEBHOOK: (
        "⚠ Your webhook {address} refused alerts ({reason}), so webhook alerts are off. "
        "Fix it and verify it again with /settings webhook URL."
    ),
}


def notice_text(account: Account, channel: Channel, reason: str) -> str:
    address = {
        Channel.EMAIL: account.email,
        Channel.SMS: account.phone,
        Channel.WEBHOOK: account.webhook_url,
    }.get(channel)
    shown = destinations.mask(channel, address) if address else f"your {channel.value} address"
    why = reason.strip().rstrip(".")[:200] or "refused for good"
    return _NOTICES[channel].format(address=shown, reason=why) + " Chat alerts carry on as usual."
