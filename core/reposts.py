"""Reposts are not news (issue 14): a seller deletes a listing and lists it again to bump it,
and the relist arrives with a new id. A new match whose seller and normalised title equal
those of a listing alerted to the same search in the last ``WINDOW`` is a repost: it is not
alerted again unless it is cheaper (then it is a price drop, from the price the user last
heard), or the search asked to see reposts (then it is alerted, marked as a repost).

Listings without a seller (marketplaces that show none) are never reposts by this rule.
Matching by photo (a perceptual hash) is not done: photos are not fetched today.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Lower

from core.matching import normalise, seller_key
from core.models import Listing, Match
from core.ports import ListingData

WINDOW = timedelta(days=14)


def repost_key(marketplace: str, seller: str, title: str) -> tuple[str, str, str] | None:
    """(marketplace, seller, normalised title), or None when the listing shows no seller."""
    who = seller_key(seller)
    words = " ".join(normalise(title))
    return (marketplace, who, words) if who and words else None


@dataclass(frozen=True, slots=True)
class Earlier:
    """The listing a new match reposts: its match and the price the user last heard."""

    match_id: int
    listing_id: int
    alerted_price: Decimal | None


async def repost_sources(listings: Iterable[ListingData]) -> set[int]:
    """Stored listings that share a repost key with one of ``listings``: the only ones a
    new match can repost. One query per check (by seller, as the marketplace spells it),
    where reading every recent match of thousands of searches would cost a row each.
    Sellers are compared case-folded like ``seller_key``; a spelling that differs in its
    spaces too is not found here (a marketplace spells its users' names one way)."""
    keys: dict[tuple[str, str, str], set[str]] = {}
    sellers = set()
    for item in listings:
        key = repost_key(item.marketplace, item.seller, item.title)
        if key is not None:
            keys.setdefault(key, set()).add(item.external_id)
            sellers.add(item.seller)
    if not keys:
        return set()
    # lower(seller): the expression index of migration 0022; seller_key folds case too.
    rows = (
        await Listing.annotate(seller_lower=Lower("seller"))
        .filter(
            marketplace__in=sorted({k[0] for k in keys}),
            seller_lower__in=sorted({seller.lower() for seller in sellers}),
        )
        .values_list("id", "marketplace", "external_id", "seller", "title")
    )
    found = set()
    for row_id, marketplace, external_id, seller, title in rows:
        key = repost_key(str(marketplace), str(seller), str(title))
        ids = keys.get(key) if key is not None else None
        # Another listing with the key (or one of several new ones with it).
        if ids is not None and (external_id not in ids or len(ids) > 1):
            found.add(int(row_id))
    return found


async def earlier_alerts(
    conn: BaseDBAsyncClient,
    fresh: Iterable[tuple[int, int, tuple[str, str, str] | None]],
    now: datetime,
    sources: set[int] | None = None,
) -> dict[tuple[int, int], Earlier]:
    """For each fresh (search id, listing id, repost key): the same search's match within
    ``WINDOW`` of another listing with that key. One query for the whole check.

    ``sources``: the listings that can be reposted (``repost_sources``), when known; a
    check whose new listings repost nothing then reads no match at all."""
    wanted = {(s, key): listing_id for s, listing_id, key in fresh if key is not None}
    if not wanted or (sources is not None and not sources):
        return {}
    narrowed = {} if sources is None else {"listing_id__in": sorted(sources)}
    sellers = sorted({key[1] for _, key in wanted})
    rows = (
        await Match.filter(
            search_id__in=sorted({s for s, _ in wanted}),
            created_at__gte=now - WINDOW,
            listing__marketplace__in=sorted({key[0] for _, key in wanted}),
            **narrowed,
        )
        .using_db(conn)
        .values_list(
            "id",
            "search_id",
            "listing_id",
            "alerted_price",
            "listing__marketplace",
            "listing__seller",
            "listing__title",
        )
    )
    found: dict[tuple[int, int], Earlier] = {}
    for match_id, search_id, listing_id, price, marketplace, seller, title in rows:
        if seller_key(str(seller)) not in sellers:
            continue
        key = repost_key(str(marketplace), str(seller), str(title))
        new_listing = wanted.get((search_id, key)) if key is not None else None
        if new_listing is None or new_listing == listing_id:
            continue
        old = None if price is None else Decimal(str(price))
        previous = found.get((search_id, new_listing))
        # Several earlier copies: the user last heard the lowest price.
        lower = old is not None and (
            previous is None or previous.alerted_price is None or old < previous.alerted_price
        )
        if previous is None or lower:
            found[(search_id, new_listing)] = Earlier(match_id, listing_id, old)
    return found


__all__ = ["WINDOW", "Earlier", "earlier_alerts", "repost_key"]
