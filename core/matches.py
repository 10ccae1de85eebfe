"""What a user does with an alert: save it, hide it, look at saved ones."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from core.enums import MatchStatus
from core.errors import not_available
from core.models import Listing, Match, SavedListing
from core.views import AccountView

logger = logging.getLogger(__name__)

PAGE_SIZE = 5


@dataclass(frozen=True, slots=True)
class SavedItem:
    """One line of /saved: a saved match of the account's own searches (``match_id`` set), or
    a listing saved from an alert in a shared chat (``SavedListing``; no match of its own)."""

    listing: Listing
    search_name: str
    saved_at: datetime
    match_id: int | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: list[SavedItem]
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


async def save_personal(account: AccountView, match: Match) -> bool:
    """Save ``match``'s listing to ``account``'s own /saved: Save pressed on an alert in a
    shared chat (the match is the chat's; core.access.shared_alert checked the chat). True if
    it was not saved already."""
    _, created = await SavedListing.get_or_create(
        account_id=account.id,
        listing_id=match.listing_id,  # type: ignore[attr-defined]
        defaults={"search_name": match.search.name[:128]},
    )
    return created


async def unsave_personal(account: AccountView, listing_id: int) -> bool:
    return bool(await SavedListing.filter(account_id=account.id, listing_id=listing_id).delete())


async def list_saved(account: AccountView, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
    """The account's saved matches and its personal saves from shared chats, newest first.

    Both are small per account (a person saves by hand), so the two id lists are merged here
    and only the page's rows are loaded."""
    own = await (
        Match.filter(search__account_id=account.id, status=MatchStatus.SAVED)
        .order_by("-updated_at", "-id")
        .values_list("id", "updated_at", "listing_id")
    )
    personal = await (
        SavedListing.filter(account_id=account.id)
        .order_by("-created_at", "-id")
        .values_list("id", "created_at", "listing_id")
    )
    seen = {int(listing_id) for _, _, listing_id in own}
    rows = [(at, "m", int(i)) for i, at, _ in own] + [
        (at, "s", int(i)) for i, at, listing_id in personal if int(listing_id) not in seen
    ]
    rows.sort(key=lambda r: (r[0], r[2]), reverse=True)
    total = len(rows)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    chosen = rows[(page - 1) * per_page : page * per_page]
    match_ids = [i for _, kind, i in chosen if kind == "m"]
    saved_ids = [i for _, kind, i in chosen if kind == "s"]
    found = {
        m.id: m for m in await Match.filter(id__in=match_ids).select_related("listing", "search")
    }
    kept = {s.id: s for s in await SavedListing.filter(id__in=saved_ids).select_related("listing")}
    items: list[SavedItem] = []
    for at, kind, i in chosen:
        if kind == "m" and i in found:
            m = found[i]
            items.append(SavedItem(m.listing, m.search.name, at, m.id))
        elif kind == "s" and i in kept:
            items.append(SavedItem(kept[i].listing, kept[i].search_name, at))
    return Page(items=items, page=page, pages=pages, total=total)


async def status_of(match_id: int) -> MatchStatus:
    """A match's status now (NEW once it is gone): an alert's buttons show it."""
    match = await Match.get_or_none(id=match_id).only("id", "status")
    return match.status if match is not None else MatchStatus.NEW
