"""What the JSON API (web/api, issue 17) reads beyond the chat's services: an account's
searches with where they post, its destinations, a cursor over its matches, an alert's
deliveries. Every query is scoped to the asking account: another account's id is the same
``NotFound`` as an id that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from core.enums import MatchStatus
from core.errors import InvalidCriteria, NotFound, not_available
from core.formatting import verdict_text
from core.models import Account, Alert, Destination, Match, Search
from core.verdict import PriceVerdict

PRIVATE = "private"


async def account(account_id: int) -> Account:
    found = await Account.get_or_none(id=account_id)
    if found is None:  # deleted while its token was in flight
        raise NotFound("This account no longer exists.")
    return found


async def searches_of(account_id: int) -> list[Search]:
    """The account's searches, oldest first, each with its destination loaded."""
    return list(
        await Search.filter(account_id=account_id).order_by("id").select_related("destination")
    )


async def search_of(account_id: int, search_id: int) -> Search:
    search = await Search.get_or_none(id=search_id, account_id=account_id).select_related(
        "destination"
    )
    if search is None:
        raise not_available("search", search_id)
    return search


def shared(search: Search) -> bool:
    """Whether the search posts into a group or channel (its admins manage it, in that chat)."""
    return bool(search.destination.kind != PRIVATE)


async def destinations_of(account_id: int) -> list[Destination]:
    return list(await Destination.filter(account_id=account_id, active=True).order_by("id"))


async def usable_destination(account_id: int, destination_id: int) -> Destination:
    """A destination the account may create a search into through the API."""
    destination = await Destination.get_or_none(
        id=destination_id, account_id=account_id, active=True
    )
    if destination is None:
        raise InvalidCriteria(
            f"destination_id {destination_id} is not one of your active destinations "
            "(GET /api/v1/destinations lists them)."
        )
    if destination.kind != PRIVATE:
        raise InvalidCriteria(
            "Searches that post into a group or channel are set up in that chat, "
            "where its admins are known."
        )
    return destination


# --- matches, newest first, by cursor ---------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MatchFilter:
    search_id: int | None = None
    since: datetime | None = None
    status: MatchStatus | None = None
    marketplace: str | None = None


@dataclass(frozen=True, slots=True)
class MatchPage:
    items: list[Match]
    next_cursor: str | None


def encode_cursor(match: Match) -> str:
    """The position after ``match``: its (created_at, id), not an offset, so rows inserted
    or deleted meanwhile neither repeat nor skip anything."""
    raw = f"{match.created_at.isoformat()}|{match.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _, match_id = raw.partition("|")
        when = datetime.fromisoformat(moment)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, int(match_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCriteria("cursor is not one this API gave out.") from exc


async def match_page(
    account_id: int, where: MatchFilter, limit: int, cursor: str | None = None
) -> MatchPage:
    query = Match.filter(search__account_id=account_id)
    if where.search_id is not None:
        await search_of(account_id, where.search_id)  # 404 for another account's search
        query = query.filter(search_id=where.search_id)
    if where.since is not None:
        query = query.filter(created_at__gte=where.since)
    if where.status is not None:
        query = query.filter(status=where.status)
    if where.marketplace:
        query = query.filter(listing__marketplace=where.marketplace)
    if cursor:
        moment, last_id = decode_cursor(cursor)
        query = query.filter(Q(created_at__lt=moment) | Q(created_at=moment, id__lt=last_id))
    rows = list(
        await query.order_by("-created_at", "-id")
        .limit(limit + 1)
        .select_related("listing", "search")
    )
    more = len(rows) > limit
    items = await _with_verdicts(rows[:limit])
    return MatchPage(items, encode_cursor(items[-1]) if more and items else None)


async def _with_verdicts(matches: list[Match]) -> list[Match]:
    """Each match with ``deal_verdict``: its latest alert's verdict line (issue 16), or None.
    One query for the page."""
    rows = await Alert.filter(
        match_id__in=[m.id for m in matches], verdict__not_isnull=True
    ).values_list("match_id", "id", "verdict")
    latest: dict[int, tuple[int, str]] = {}
    for match_id, alert_id, text in rows:
        if match_id not in latest or alert_id > latest[match_id][0]:
            latest[match_id] = (alert_id, str(text))
    for match in matches:
        found = latest.get(match.id)
        verdict = PriceVerdict.from_json(found[1]) if found else None
        match.deal_verdict = verdict_text(verdict) or None
    return matches


async def match_of(account_id: int, match_id: int) -> Match:
    match = await Match.get_or_none(id=match_id, search__account_id=account_id).select_related(
        "listing", "search"
    )
    if match is None:
        raise not_available("match", match_id)
    [match] = await _with_verdicts([match])
    return match


async def alerts_of(account_id: int, match_id: int) -> list[Alert]:
    """Every delivery of a match (one per channel and event), oldest first."""
    await match_of(account_id, match_id)
    return list(await Alert.filter(match_id=match_id).order_by("created_at", "id"))
