"""An account's own alert destinations beyond chat: email, phone, webhook URL.

An address is stored on the account only once proven (see ``core.verification``); its
``*_verified_at`` says it may receive alerts. Helpers here normalise what users type and
mask addresses for logs and chat, so a full phone number or email never lands in a log.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

import phonenumbers
from phonenumbers import PhoneNumberType
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from core.clock import utcnow
from core.enums import Channel, Platform, SearchStatus
from core.errors import VerificationFailed
from core.keystate import recompute_for_searches
from core.models import Account, Destination, Search
from core.records import account_record
from core.views import AccountView

logger = logging.getLogger(__name__)

DEFAULT_PHONE_REGION = "GB"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# Deliberately plain: a local part without spaces or brackets, a dotted domain of real labels.
_EMAIL = re.compile(rf"^[^@\s<>()\[\],;:\"]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")
_SMS_CAPABLE = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.PERSONAL_NUMBER,
    PhoneNumberType.VOIP,
}
# Which account fields hold each channel's address and its proof.
_FIELDS: dict[Channel, tuple[str, str]] = {
    Channel.EMAIL: ("email", "email_verified_at"),
    Channel.SMS: ("phone", "phone_verified_at"),
    Channel.WEBHOOK: ("webhook_url", "webhook_verified_at"),
}


def normalize_email(text: str) -> str:
    address = text.strip()
    if len(address) > 254 or not _EMAIL.match(address):
        raise VerificationFailed("That doesn't look like an email address (like you@example.com).")
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalize_phone(text: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164 (``+447911123456``); numbers without ``+`` are read as ``region``'s."""
    try:
        number = phonenumbers.parse(text.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise VerificationFailed(
            "That doesn't look like a phone number. Include the country code, like +447911123456."
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise VerificationFailed(
            "That isn't a valid phone number. Include the country code, like +447911123456."
        )
    if phonenumbers.number_type(number) not in _SMS_CAPABLE:
        raise VerificationFailed("That number can't receive text messages; use a mobile number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_email(address: str) -> str:
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}•••@{domain}" if local else "•••"


def mask_phone(number: str) -> str:
    """``+44•••••••456``: enough to recognise your own number, not to dial it."""
    if len(number) <= 6:
        return "•••"
    return number[:3] + "•" * (len(number) - 6) + number[-3:]


def mask(channel: Channel, address: str) -> str:
    if channel is Channel.EMAIL:
        return mask_email(address)
    if channel is Channel.SMS:
        return mask_phone(address)
    return address


def address_of(account: AccountView, channel: Channel) -> str | None:
    """The channel's address, if it is verified (and, for email, not unsubscribed)."""
    if channel not in _FIELDS:
        return None
    address_field, verified_field = _FIELDS[channel]
    address: str | None = getattr(account, address_field)
    verified: datetime | None = getattr(account, verified_field)
    if address is None or verified is None:
        return None
    if channel is Channel.EMAIL and account.email_unsubscribed_at is not None:
        return None
    return address


def verified_at(account: AccountView, channel: Channel) -> datetime | None:
    if channel not in _FIELDS:
        return None
    value: datetime | None = getattr(account, _FIELDS[channel][1])
    return value


def verified_channels(account: AccountView) -> tuple[Channel, ...]:
    """Chat (always) and each channel with a verified address, in wizard order."""
    extra = tuple(c for c in _FIELDS if address_of(account, c) is not None)
    return (Channel.CHAT, *extra)


def why_unavailable(account: AccountView, channel: Channel) -> str:
    """Why alerts of ``channel`` cannot go out now ('' when they can)."""
    if channel is Channel.CHAT or address_of(account, channel) is not None:
        return ""
    if channel is Channel.EMAIL and account.email_unsubscribed_at is not None:
        return "the account unsubscribed from alert emails"
    return f"the account has no verified {channel.value} destination"


async def set_verified(account: Account, channel: Channel, address: str, now: datetime) -> None:
    address_field, verified_field = _FIELDS[channel]
    setattr(account, address_field, address)
    setattr(account, verified_field, now)
    fields = [address_field, verified_field]
    if channel is Channel.EMAIL:
        # Proving the address again is asking for the emails again, and retires every
        # unsubscribe link sent before (a new version is signed into the new ones).
        account.email_unsubscribed_at = None
        fields.append("email_unsubscribed_at")
    await account.save(update_fields=fields)
    if channel is Channel.EMAIL:
        await Account.filter(id=account.id).update(email_link_version=F("email_link_version") + 1)
        await account.refresh_from_db(fields=["email_link_version"])


async def remove(account: AccountView, channel: Channel) -> None:
    """Forget the channel's address: its alerts stop until a new one is verified."""
    record = await account_record(account)
    address_field, verified_field = _FIELDS[channel]
    setattr(record, address_field, None)
    setattr(record, verified_field, None)
    await record.save(update_fields=[address_field, verified_field])


async def revoke(account_id: int, channel: Channel) -> bool:
    """Mark the channel unverified after the provider refused it for good.

    Returns True only for the call that actually revoked it, so the user is told once even
    when several alerts (or processes) fail at the same time.
    """
    _, verified_field = _FIELDS[channel]
    changed = await Account.filter(id=account_id, **{f"{verified_field}__isnull": False}).update(
        **{verified_field: None}
    )
    if changed:
        logger.info("account %s: %s revoked after a permanent failure", account_id, channel.value)
    return bool(changed)


async def deactivate_chat(platform: Platform, chat_id: str, reason: str) -> int:
    """We can no longer post in ``chat_id``: mark it inactive and pause its searches.

    Nothing is deleted: writing to the bot again re-activates the chat, and /searches can
    resume them. Returns how many searches were paused.
    """
    destinations = Destination.filter(platform=platform, chat_id=chat_id)
    ids = list(await destinations.values_list("id", flat=True))
    if not ids:
        return 0
    await destinations.update(active=False)
    going = Search.filter(destination_id__in=ids, status=SearchStatus.ACTIVE)
    search_ids: list[int] = [s.id for s in await going.only("id")]
    paused = await going.update(status=SearchStatus.PAUSED)
    async with in_transaction() as conn:
        await recompute_for_searches(conn, search_ids, utcnow())
    logger.warning(
        "%s chat %s is gone (%s): destination inactive, %d searches paused",
        platform.value,
        chat_id,
        reason,
        paused,
    )
    return int(paused)


async def move_chat(platform: Platform, old_chat_id: str, new_chat_id: str) -> None:
    """A chat got a new id (a Telegram group upgraded to a supergroup): its searches follow."""
    old = await Destination.get_or_none(platform=platform, chat_id=old_chat_id)
    if old is None:
        return
    new = await Destination.get_or_none(platform=platform, chat_id=new_chat_id)
    if new is None:
        old.chat_id = new_chat_id
        await old.save(update_fields=["chat_id"])
    else:  # the new chat already talked to the bot: join the two
        await Search.filter(destination_id=old.id).update(destination_id=new.id)
        old.active = False
        await old.save(update_fields=["active"])
    logger.info("%s chat %s moved to %s", platform.value, old_chat_id, new_chat_id)
