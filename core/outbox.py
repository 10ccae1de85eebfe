"""The alert outbox: rows written with their match, claimed and delivered by the dispatcher."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core.currency import Rates, convert
from core.enums import AlertKind, AlertStatus, Channel, Platform
from core.listings import listing_data
from core.models import Alert, Match, Notice
from core.ports import AlertMessage, AlertTarget, NoticeMessage
from core.verdict import PriceVerdict

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AlertIntent:
    """An alert to queue for one match: the first one, or a price drop."""

    match_id: int
    search_id: int
    kind: AlertKind
    old_price: Decimal | None = None
    new_price: Decimal | None = None
    # Is it a deal? (issue 16): the price verdict as JSON and its kind; None without one.
    verdict: str | None = None
    verdict_kind: str | None = None

    @property
    def event(self) -> str:
        if self.kind in (AlertKind.NEW_LISTING, AlertKind.REPOST):
            return "new"  # a match's first alert, whichever kind
        return f"drop:{self.new_price}"


def route_for(channel: Channel, platform: str) -> str:
    """The notifier that delivers ``channel``: chat alerts go to the destination's platform."""
    return platform if channel is Channel.CHAT else channel.value


ALERT_COLUMNS = (
    "match_id",
    "channel",
    "route",
    "kind",
    "event",
    "old_price",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
    "verdict",
    "verdict_kind",
)
# Their Postgres types, for one set-based insert (core.bulk).
ALERT_TYPES = {
    "match_id": "int",
    "channel": "varchar",
    "route": "varchar",
    "kind": "varchar",
    "event": "varchar",
    "old_price": "numeric",
    "status": "varchar",
    "attempts": "int",
    "next_attempt_at": "timestamptz",
    "created_at": "timestamptz",
    "verdict": "text",
    "verdict_kind": "varchar",
}


def alert_values(
    intents: Sequence[AlertIntent],
    channels: Sequence[str],
    platform: str,
    now: datetime,
) -> list[tuple[object, ...]]:
    """One outbox row (ALERT_COLUMNS) per intent and channel, for a bulk insert."""
    routes = [(Channel(name), route_for(Channel(name), platform)) for name in channels]
    pending = AlertStatus.PENDING.value
    rows: list[tuple[object, ...]] = []
    for intent in intents:
        kind, event, old_price = intent.kind.value, intent.event, intent.old_price
        for channel, route in routes:
            rows.append(
                (
                    intent.match_id,
                    channel.value,
                    route,
                    kind,
                    event,
                    old_price,
                    pending,
                    0,
                    now,
                    now,
                    intent.verdict,
                    intent.verdict_kind,
                )
            )
    return rows


def alert_rows(
    intents: Sequence[AlertIntent],
    channels: Sequence[str],
    platform: str,
    now: datetime,
) -> list[Alert]:
    """The same rows as unsaved Alert objects (for code that inserts through the ORM)."""
    return [
        Alert(**dict(zip(ALERT_COLUMNS, values, strict=True)))
        for values in alert_values(intents, channels, platform, now)
    ]


Deliverable = TypeVar("Deliverable", Alert, Notice)


def _claimable(routes: Sequence[str], now: datetime) -> Q:
    pending = Q(status=AlertStatus.PENDING, next_attempt_at__lte=now)
    # A row left SENDING by a worker that died is claimable again once its lease ran out.
    abandoned = Q(status=AlertStatus.SENDING, lease_until__lt=now)
    return Q(pending | abandoned, route__in=list(routes))


def new_claim_token() -> str:
    return secrets.token_hex(16)


async def _claim_ids(
    model: type[Deliverable],
    routes: Sequence[str],
    now: datetime,
    *,
    limit: int,
    lease_seconds: float,
    skip_locked: bool,
) -> tuple[list[int], str]:
    """Mark up to ``limit`` due rows of ``model`` as SENDING under a lease and a fresh claim
    token; return the ids this call won and the token."""
    token = new_claim_token()
    async with in_transaction():
        query = model.filter(_claimable(routes, now)).order_by("next_attempt_at").limit(limit)
        if skip_locked:
            query = query.select_for_update(skip_locked=True)
        ids = [row.id for row in await query.only("id")]
        if not ids:
            return [], token
        # The claimable test again in the UPDATE: of two workers that read the same ids
        # (SQLite has no SKIP LOCKED), only the first to write wins each row.
        await model.filter(_claimable(routes, now), id__in=ids).update(
            status=AlertStatus.SENDING,
            lease_until=now + timedelta(seconds=lease_seconds),
            claim_token=token,
        )
    return ids, token


async def claim_due(
    routes: Sequence[str], now: datetime, *, limit: int, lease_seconds: float, skip_locked: bool
) -> list[Alert]:
    """Lease up to ``limit`` due alerts, with what rendering them needs."""
    ids, token = await _claim_ids(
        Alert, routes, now, limit=limit, lease_seconds=lease_seconds, skip_locked=skip_locked
    )
    if not ids:
        return []
    return await Alert.filter(id__in=ids, claim_token=token).select_related(
        "match__listing", "match__search__destination", "match__search__account"
    )


async def claim_due_notices(
    routes: Sequence[str], now: datetime, *, limit: int, lease_seconds: float, skip_locked: bool
) -> list[Notice]:
    ids, token = await _claim_ids(
        Notice, routes, now, limit=limit, lease_seconds=lease_seconds, skip_locked=skip_locked
    )
    if not ids:
        return []
    return await Notice.filter(id__in=ids, claim_token=token).select_related("destination")


def alert_message(
    alert: Alert,
    *,
    address: str | None = None,
    extra: Mapping[str, str] | None = None,
    silent: bool = False,
    rates: Rates | None = None,
) -> AlertMessage:
    """``address`` and ``extra``: the account's verified address and per-delivery values for
    email/SMS/webhook alerts; ``silent``: quiet hours are on (see ``core.delivery``)."""
    match: Match = alert.match
    search = match.search
    destination = search.destination
    listing = listing_data(match.listing)
    wanted = str((search.criteria or {}).get("currency") or "GBP")
    converted = (
        None if listing.price is None else convert(listing.price, listing.currency, wanted, rates)
    )
    return AlertMessage(
        alert_id=alert.id,
        match_id=match.id,
        search_id=search.id,
        search_name=search.name,
        channel=alert.channel,
        kind=alert.kind,
        listing=listing,
        target=AlertTarget(
            platform=destination.platform,
            chat_id=destination.chat_id,
            account_id=search.account_id,  # type: ignore[attr-defined]
            address=address,
        ),
        old_price=alert.old_price,
        attempt=alert.attempts + 1,
        extra=dict(extra or {}),
        match_status=match.status,
        silent=silent,
        converted=converted,
        verdict=PriceVerdict.from_json(alert.verdict),
    )


def still_claimed(row: Alert | Notice) -> QuerySet[Any]:
    """The row, only while this worker's claim on it holds (SENDING under its token).

    Every update after a claim goes through here: once the lease ran out and another worker
    claimed the row, it has a new token, and a late worker's update matches no row.
    """
    model: type[Alert | Notice] = type(row)
    return model.filter(id=row.id, status=AlertStatus.SENDING, claim_token=row.claim_token)


async def _update_claimed(row: Alert | Notice, what: str, **changes: Any) -> bool:
    """Apply ``changes`` if the claim holds; False (and a log line) when it was lost."""
    changed: int = await still_claimed(row).update(**changes)
    if not changed:
        logger.warning(
            "%s %s: claim lost (lease ran out and another worker took it, or deleted); not %s",
            type(row).__name__.lower(),
            row.id,
            what,
        )
    return bool(changed)


async def mark_sent(row: Alert | Notice, now: datetime, provider_message_id: str = "") -> bool:
    """Record a delivery; False when this worker no longer holds the row (nothing changed)."""
    changes: dict[str, Any] = {
        "status": AlertStatus.SENT,
        "sent_at": now,
        "attempts": row.attempts + 1,
        "lease_until": None,
    }
    if provider_message_id and isinstance(row, Alert):
        changes["provider_message_id"] = provider_message_id[:128]
    return await _update_claimed(row, "marked sent", **changes)


async def mark_held(alert: Alert, until: datetime) -> bool:
    """Put a claimed alert back, untried, until ``until`` (the end of quiet hours)."""
    return await _update_claimed(
        alert, "held", status=AlertStatus.PENDING, next_attempt_at=until, lease_until=None
    )


async def mark_retry(row: Alert | Notice, error: str, retry_at: datetime) -> bool:
    return await _update_claimed(
        row,
        "queued for a retry",
        status=AlertStatus.PENDING,
        attempts=row.attempts + 1,
        next_attempt_at=retry_at,
        last_error=error[:1000],
        lease_until=None,
    )


async def mark_final(row: Alert | Notice, status: AlertStatus, reason: str) -> bool:
    return await _update_claimed(
        row,
        f"marked {status.value}",
        status=status,
        attempts=row.attempts + 1,
        last_error=reason[:1000],
        lease_until=None,
    )


def notice_message(notice: Notice) -> NoticeMessage:
    destination = notice.destination
    return NoticeMessage(
        notice_id=notice.id,
        target=AlertTarget(
            platform=destination.platform,
            chat_id=destination.chat_id,
            account_id=destination.account_id,  # type: ignore[attr-defined]
        ),
        text=notice.text,
    )


async def queue_notice(destination: NoticeTarget, key: str, text: str, now: datetime) -> None:
    """Queue ``text`` for the chat once per ``key`` (a second call with the key does nothing)."""
    await Notice.bulk_create(
        [
            Notice(
                destination_id=destination.id,
                route=destination.platform.value,
                key=key[:128],
                text=text,
                next_attempt_at=now,
                created_at=now,
            )
        ],
        ignore_conflicts=True,
    )


class NoticeTarget(Protocol):
    """What a notice needs of its chat: a destination record, or its id and platform."""

    @property
    def id(self) -> int: ...

    @property
    def platform(self) -> Platform: ...


async def outbox_depth() -> int:
    return await Alert.filter(status__in=[AlertStatus.PENDING, AlertStatus.SENDING]).count()


async def oldest_pending(now: datetime) -> float:
    """Age in seconds of the oldest undelivered alert (0 when the outbox is empty)."""
    row = (
        await Alert.filter(status__in=[AlertStatus.PENDING, AlertStatus.SENDING])
        .order_by("created_at")
        .first()
    )
    return 0.0 if row is None else max(0.0, (now - row.created_at).total_seconds())
