"""What a user does with an alert: save it, hide it, look at saved ones."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.enums import MatchStatus
from core.errors import not_available
from core.models import Match
from core.views import AccountView

logger = logging.getLogger(__name__)

PAGE_SIZE = 5


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Match]
    page: int
    pages: int
    total: int


async def get_owned_match(account: AccountView, match_id: int) -> Match:
    match = await Match.get_or_none(id=match_id).select_related("search", "listing")
    if match is None:
        raise not_available("alert", match_id)
    if match.search.account_id != account.id:  # type: ignore[attr-defined]
        logger.warning("account %s pressed match %s of another account", account.id, match_id)
        raise not_available("alert", match_id, forbidden=True)
    return match


async def _set_status(account: AccountView, match_id: int, status: MatchStatus) -> Match:
    match = await get_owned_match(account, match_id)
    match.status = status
    await match.save(update_fields=["status", "updated_at"])
    return match


async def save(account: AccountView, match_id: int) -> Match:
    return await _set_status(account, match_id, MatchStatus.SAVED)


async def hide(account: AccountView, match_id: int) -> Match:
    """Hidden listings get no more alerts (pending ones are cancelled by the dispatcher)."""
    return await _set_status(account, match_id, MatchStatus.HIDDEN)


async def unhide(account: AccountView, match_id: int) -> Match:
    return await _set_status(account, match_id, MatchStatus.NEW)


async def list_saved(account: AccountView, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
    query = Match.filter(search__account_id=account.id, status=MatchStatus.SAVED)
    total = await query.count()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = (
        await query.order_by("-updated_at", "-id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select_related("listing", "search")
    )
    return Page(items=list(items), page=page, pages=pages, total=total)


async def status_of(match_id: int) -> MatchStatus:
    """A match's status now (NEW once it is gone): an alert's buttons show it."""
    match = await Match.get_or_none(id=match_id).only("id", "status")
    return match.status if match is not None else MatchStatus.NEW
