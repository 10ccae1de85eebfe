"""Accounts, the chat identities that lead to them, and the destinations alerts go to."""

from __future__ import annotations

import logging

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.enums import Platform
from core.models import Account, ChatIdentity, Destination
from core.text import clean_for

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
