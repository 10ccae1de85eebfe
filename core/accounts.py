"""Accounts, the chat identities that lead to them, and the destinations alerts go to."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.enums import AlertStatus, MatchStatus, Platform, SearchStatus
from core.models import Account, Alert, ChatIdentity, Destination, Match, Search
from core.quiet_hours import quiet_until
from core.records import account_record
from core.text import clean_for
from core.views import AccountView

logger = logging.getLogger(__name__)


async def identify(platform: Platform, platform_user_id: str, display_name: str = "") -> Account:
    """The account behind a chat user, created on first contact."""
    identity = await ChatIdentity.get_or_none(
        platform=platform, platform_user_id=platform_user_id
    ).select_related("account")
    if identity is not None:
        return identity.account
    try:
        async with in_transaction():
            account = await Account.create()
            await ChatIdentity.create(
                platform=platform,
                platform_user_id=platform_user_id,
                display_name=clean_for(ChatIdentity, "display_name", display_name),
                account=account,
            )
    except IntegrityError:
        # Two first messages raced; the other one created the identity.
        identity = await ChatIdentity.get(
            platform=platform, platform_user_id=platform_user_id
        ).select_related("account")
        return identity.account
    logger.info("new account %s for %s user", account.id, platform.value)
    return account


async def destination_for(
    account: Account,
    platform: Platform,
    chat_id: str,
    *,
    kind: str = "private",
    title: str = "",
) -> Destination:
    """The destination for a chat, created on first use and re-activated if it was inactive."""
    destination, created = await Destination.get_or_create(
        platform=platform,
        chat_id=chat_id,
        defaults={
            "account": account,
            "kind": kind,
            "title": clean_for(Destination, "title", title),
        },
    )
    if not created and not destination.active:
        destination.active = True
        await destination.save(update_fields=["active"])
    return destination


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a chat user is on their platform: enough to open a new account for them."""

    platform: Platform
    platform_user_id: str
    display_name: str


async def identity_of(account_id: int, platform: Platform) -> Identity | None:
    row = await ChatIdentity.filter(account_id=account_id, platform=platform).first()
    if row is None:
        return None
    return Identity(row.platform, row.platform_user_id, row.display_name)


async def exists(account_id: int) -> bool:
    return await Account.filter(id=account_id).exists()


async def reload(account: AccountView) -> Account:
    """The account as stored now (channels verified or revoked elsewhere, a new tier)."""
    record = await account_record(account)
    await record.refresh_from_db()
    return record


async def set_timezone(account: AccountView, zone: str) -> None:
    record = await account_record(account)
    record.timezone = zone
    await record.save(update_fields=["timezone"])


async def set_quiet_hours(account: AccountView, start: int | None, end: int | None) -> None:
    record = await account_record(account)
    record.quiet_start_minute, record.quiet_end_minute = start, end
    await record.save(update_fields=["quiet_start_minute", "quiet_end_minute"])


@dataclass(frozen=True, slots=True)
class Numbers:
    """/stats: how an account's searches are doing."""

    active: int
    paused: int
    checks: int
    found: int
    saved: int
    hidden: int
    alerts_day: int
    alerts_week: int


async def numbers(account_id: int, now: datetime) -> Numbers:
    searches = Search.filter(account_id=account_id)
    matches = Match.filter(search__account_id=account_id)
    sent = Alert.filter(match__search__account_id=account_id, status=AlertStatus.SENT)
    return Numbers(
        active=await searches.filter(status=SearchStatus.ACTIVE).count(),
        paused=await searches.filter(status=SearchStatus.PAUSED).count(),
        checks=sum(int(row["checks_count"]) for row in await searches.values("checks_count")),
        found=await matches.count(),
        saved=await matches.filter(status=MatchStatus.SAVED).count(),
        hidden=await matches.filter(status=MatchStatus.HIDDEN).count(),
        alerts_day=await sent.filter(sent_at__gte=now - timedelta(days=1)).count(),
        alerts_week=await sent.filter(sent_at__gte=now - timedelta(days=7)).count(),
    )


async def quiet_now(account_id: int, now: datetime) -> bool:
    """Whether the account's quiet hours are on at ``now`` (alerts then arrive silently)."""
    account = await Account.get_or_none(id=account_id)
    if account is None:
        return False
    start, end = account.quiet_start_minute, account.quiet_end_minute
    return quiet_until(now, account.timezone, start, end) is not None
