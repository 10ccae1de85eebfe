"""Your data (UK GDPR access and erasure): everything held about an account, and its deletion.

The export is a JSON-serialisable dict. Contact addresses appear masked as the chat shows
them (the chat is not proof of who is reading), and the webhook signing secret and the
hashes of verification codes are left out: they are credentials, not information about
the person.

Erasure deletes the account and everything that hangs off it. What is kept: nothing linked
to the account. Our log of Stripe event ids (``StripeEvent``) is not linked to accounts and
holds no personal data; it stays so that a redelivered payment event is never applied twice.
A group chat the account first added stays as a destination of the other members whose
searches post there (it is theirs as much as the account's); it moves to one of them. The
searches the account set up in shared chats are the chat's: they are kept, paused and moved
to an account with nothing personal on it, until an admin there runs /adopt (core.adoption).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from core import adoption, api_tokens
from core.clock import utcnow
from core.destinations import mask
from core.enums import AlertStatus, Channel, MatchStatus
from core.models import (
    Account,
    Alert,
    BlockedSeller,
    ChatIdentity,
    Destination,
    Listing,
    Match,
    Notice,
    SavedListing,
    Search,
    VerificationCode,
)

FORMAT_VERSION = 1
KEPT_NOTHING = "Nothing about you is kept."
KEPT_FOR_ADOPTION = (
    "{n} search(es) you set up in shared chats stay there, paused and no longer linked to "
    "you, until an admin there takes them over with /adopt"
)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


def _minute(value: int | None) -> str | None:
    return None if value is None else f"{value // 60:02d}:{value % 60:02d}"


def _address(channel: Channel, address: str | None, verified: datetime | None) -> Any:
    if address is None:
        return None
    return {"address": mask(channel, address), "verified_at": _time(verified)}


def _account(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "plan": account.tier.value,
        "created_at": _time(account.created_at),
        "timezone": account.timezone,
        "quiet_hours": {
            "start": _minute(account.quiet_start_minute),
            "end": _minute(account.quiet_end_minute),
        },
        "email": _address(Channel.EMAIL, account.email, account.email_verified_at),
        "email_unsubscribed_at": _time(account.email_unsubscribed_at),
        "phone": _address(Channel.SMS, account.phone, account.phone_verified_at),
        "webhook": _address(Channel.WEBHOOK, account.webhook_url, account.webhook_verified_at),
        "webhook_signing_secret_set": bool(account.webhook_secret),
        "stripe_customer_id": account.stripe_customer_id,
        "stripe_subscription_id": account.stripe_subscription_id,
        "billing": {
            "paid_plan": account.stripe_tier.value if account.stripe_tier else None,
            "complimentary_plan": account.comp_tier.value if account.comp_tier else None,
            "subscription_status": account.subscription_status,
            "period_end": _time(account.period_end),
            "cancel_at_period_end": account.cancel_at_period_end,
            "sms_alerts_this_month": account.sms_sent,
        },
    }


def _identity(row: ChatIdentity) -> dict[str, Any]:
    return {
        "platform": row.platform.value,
        "user_id": row.platform_user_id,
        "display_name": row.display_name,
        "created_at": _time(row.created_at),
    }


def _destination(row: Destination) -> dict[str, Any]:
    return {
        "id": row.id,
        "platform": row.platform.value,
        "chat_id": row.chat_id,
        "kind": row.kind,
        "title": row.title,
        "active": row.active,
        "created_at": _time(row.created_at),
    }


def _search(row: Search) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "criteria": row.criteria,
        "marketplaces": row.marketplaces,
        "channels": row.channels,
        "status": row.status.value,
        "check_every_minutes": row.interval_seconds // 60,
        "destination_id": row.destination_id,  # type: ignore[attr-defined]
        "created_at": _time(row.created_at),
        "last_checked_at": _time(row.last_checked_at),
        "checks": row.checks_count,
        "matches": row.matches_count,
    }


def _listing(match: Match) -> dict[str, Any]:
    return _listing_fields(match.listing)


def _listing_fields(listing: Listing) -> dict[str, Any]:
    return {
        "marketplace": listing.marketplace,
        "title": listing.title,
        "url": listing.url,
        "price": _money(listing.price),
        "currency": listing.currency,
        "location": listing.location,
    }


def _match(row: Match) -> dict[str, Any]:
    return {
        "id": row.id,
        "search_id": row.search_id,  # type: ignore[attr-defined]
        "status": row.status.value,
        "found_at": _time(row.created_at),
        "listing": _listing(row),
    }


def _alert(row: Alert) -> dict[str, Any]:
    address = None
    if row.channel is not Channel.CHAT:
        address = "your verified " + row.channel.value  # the address may have changed since
    return {
        "id": row.id,
        "match_id": row.match_id,  # type: ignore[attr-defined]
        "search_id": row.match.search_id,  # type: ignore[attr-defined]
        "channel": row.channel.value,
        "to": address,
        "kind": row.kind.value,
        "sent_at": _time(row.sent_at),
        "clicked_at": _time(row.clicked_at),
        "listing": _listing(row.match),
    }


def _code(row: VerificationCode) -> dict[str, Any]:
    return {
        "channel": row.channel.value,
        "sent_to": mask(row.channel, row.target),
        "created_at": _time(row.created_at),
        "used_at": _time(row.used_at),
    }


async def export_account(account_id: int, now: datetime) -> dict[str, Any]:
    """Everything held about ``account_id``, ready for ``json.dumps``."""
    account = await Account.get(id=account_id)
    mine = Match.filter(search__account_id=account_id)
    kept = mine.filter(status__in=[MatchStatus.SAVED, MatchStatus.HIDDEN]).order_by("id")
    sent = Alert.filter(match__search__account_id=account_id, status=AlertStatus.SENT)
    return {
        "format": FORMAT_VERSION,
        "exported_at": now.isoformat(),
        "account": _account(account),
        "chat_identities": [
            _identity(r) for r in await ChatIdentity.filter(account_id=account_id).order_by("id")
        ],
        "destinations": [
            _destination(r) for r in await Destination.filter(account_id=account_id).order_by("id")
        ],
        "searches": [_search(r) for r in await Search.filter(account_id=account_id).order_by("id")],
        "saved_and_hidden_listings": [_match(r) for r in await kept.select_related("listing")],
        "alerts_sent": [
            _alert(r) for r in await sent.order_by("sent_at", "id").select_related("match__listing")
        ],
        "verification_codes": [
            _code(r) for r in await VerificationCode.filter(account_id=account_id).order_by("id")
        ],
        # issue 12: listings saved from alerts in shared chats
        "saved_from_shared_chats": [
            {
                "listing": _listing_fields(r.listing),
                "search_name": r.search_name,
                "saved_at": _time(r.created_at),
            }
            for r in await SavedListing.filter(account_id=account_id)
            .order_by("id")
            .select_related("listing")
        ],
        # resellers (issue 14): the sellers this account blocked
        "blocked_sellers": [
            {"marketplace": r.marketplace, "seller": r.seller, "since": r.created_at.isoformat()}
            for r in await BlockedSeller.filter(account_id=account_id).order_by("id")
        ],
    }


@dataclass(frozen=True, slots=True)
class Erasure:
    """What a deletion removed (row counts per kind) and what was kept, in words."""

    deleted: dict[str, int]
    kept: tuple[str, ...]


async def _shared_destinations(
    account_id: int, ids: Iterable[int], holder: int | None
) -> dict[int, int]:
    """Destination id -> another account whose searches post there (it keeps the chat): a
    member's own account first, the holder of searches kept for /adopt only if none."""
    rows = await (
        Search.filter(destination_id__in=list(ids))
        .exclude(account_id=account_id)
        .order_by("id")
        .values_list("destination_id", "account_id")
    )
    shared: dict[int, int] = {}
    for destination_id, other in rows:
        current = shared.get(int(destination_id))
        if current is None or (current == holder and int(other) != holder):
            shared[int(destination_id)] = int(other)
    return shared


async def delete_account(account_id: int, now: datetime | None = None) -> Erasure:
    """Delete the account, its identities, searches (with their matches and alerts),
    destinations (with their notices), verification codes: one transaction.

    Searches it set up in shared chats (a Discord channel, a Telegram group) are the chat's:
    they are kept, paused, for another admin to /adopt (core.adoption), and the chat is told.
    """
    async with in_transaction() as conn:
        kept, holder = await adoption.orphan_for_erasure(conn, account_id, now or utcnow())
        own = await Destination.filter(account_id=account_id).values_list("id", flat=True)
        own_ids = [int(d) for d in own]  # type: ignore[call-overload]
        shared = await _shared_destinations(account_id, own_ids, holder)
        for destination_id, other in shared.items():
            await Destination.filter(id=destination_id).update(account_id=other)
        gone = [d for d in own_ids if d not in shared]
        # Subqueries, not joins: a DELETE cannot join on either database.
        searches = Subquery(Search.filter(account_id=account_id).values("id"))
        matches = Subquery(Match.filter(search_id__in=searches).values("id"))
        deleted = {
            "api_tokens": await api_tokens.delete_all(account_id),
            "alerts": await Alert.filter(match_id__in=matches).delete(),
            "matches": await Match.filter(search_id__in=searches).delete(),
            "searches": await Search.filter(account_id=account_id).delete(),
            "notices": await Notice.filter(destination_id__in=gone).delete(),
            "destinations": await Destination.filter(id__in=gone).delete(),
            "verification_codes": await VerificationCode.filter(account_id=account_id).delete(),
            "chat_identities": await ChatIdentity.filter(account_id=account_id).delete(),
            "blocked_sellers": await BlockedSeller.filter(account_id=account_id).delete(),
            "saved_listings": await SavedListing.filter(account_id=account_id).delete(),
            "accounts": await Account.filter(id=account_id).delete(),
        }
    return Erasure(deleted, (KEPT_FOR_ADOPTION.format(n=kept),) if kept else ())
