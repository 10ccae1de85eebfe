"""Storing what marketplaces report: one row per (marketplace, external id), price history kept."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from core.enums import BuyingFormat, Condition
from core.models import Listing
from core.ports import ListingData
from core.text import cleaner

# A popular query's result is stored by every batch that shares its fetch: last_seen_at
# moves at most this often, not on each of those writes.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def listing_data(row: Listing) -> ListingData:
    """The port-level view of a stored listing (what notifiers and matching see)."""
    return ListingData(
        marketplace=row.marketplace,
        external_id=row.external_id,
        url=row.url,
        title=row.title,
        price=row.price,
        currency=row.currency,
        description=row.description,
        location=row.location,
        image_url=row.image_url,
        seller=row.seller,
        condition=_condition(row.condition),
        category=row.category,
        posted_at=row.posted_at,
        **details_fields(row.details),
    )


def details_json(item: ListingData) -> dict[str, Any]:
    """``Listing.details``: the facts only some marketplaces give, only those given (most
    listings store ``{}``). Amounts as strings, to keep Decimals exact."""
    found: dict[str, Any] = {}
    if item.buying_format is not BuyingFormat.BUY_IT_NOW:
        found["format"] = item.buying_format.value
    if item.current_bid is not None:
        found["bid"] = str(item.current_bid)
    if item.bid_count is not None:
        found["bids"] = item.bid_count
    if item.ends_at is not None:
        found["ends"] = item.ends_at.isoformat()
    if item.postage is not None:
        found["postage"] = str(item.postage)
    if item.ships:
        found["ships"] = True
    if item.collection_only:
        found["collection"] = True
    return found


def details_fields(details: object) -> dict[str, Any]:
    """ListingData keyword arguments from a stored ``details``; unreadable parts dropped."""
    data = details if isinstance(details, dict) else {}
    fields: dict[str, Any] = {}
    with contextlib.suppress(ValueError):
        fields["buying_format"] = BuyingFormat(data.get("format") or BuyingFormat.BUY_IT_NOW)
    for key, name in (("bid", "current_bid"), ("postage", "postage")):
        if data.get(key) is not None:
            with contextlib.suppress(InvalidOperation):
                fields[name] = Decimal(str(data[key]))
    if isinstance(data.get("bids"), int):
        fields["bid_count"] = data["bids"]
    if isinstance(data.get("ends"), str):
        with contextlib.suppress(ValueError):
            fields["ends_at"] = datetime.fromisoformat(data["ends"])
    fields["ships"] = data.get("ships") is True
    fields["collection_only"] = data.get("collection") is True
    return fields


# ListingData's text fields, each cleaned as its Listing column stores it.
_CLEANERS = {
    name: cleaner(Listing, name)
    for name in (
        "marketplace",
        "external_id",
        "url",
        "title",
        "currency",
        "description",
        "location",
        "image_url",
        "seller",
        "category",
    )
}


def clean_listing(item: ListingData) -> ListingData:
    """``item`` with every text field cleaned and cut as its column stores it (core.text)."""
    changed = {}
    for name, clean in _CLEANERS.items():
        value = getattr(item, name)
        if value is not None and (fixed := clean(value)) != value:
            changed[name] = fixed
    return replace(item, **changed) if changed else item


def _condition(value: str) -> Condition:
    try:
        return Condition(value)
    except ValueError:
        return Condition.ANY


def _new_row(item: ListingData, now: datetime) -> Listing:
    history = [[now.isoformat(), str(item.price)]] if item.price is not None else []
    return Listing(
        marketplace=item.marketplace,
        external_id=item.external_id,
        url=item.url,
        title=item.title,
        description=item.description,
        price=item.price,
        currency=item.currency,
        location=item.location,
        image_url=item.image_url,
        seller=item.seller,
        condition=item.condition.value,
        category=item.category,
        posted_at=item.posted_at,
        first_seen_at=now,
        last_seen_at=now,
        price_history=history,
        details=details_json(item),
    )


async def upsert_listings(items: Sequence[ListingData], now: datetime) -> list[Listing]:
    """Store new listings, record price changes, and return the rows (duplicates collapsed).

    ``items`` must be cleaned already (``clean_listing``; ``record_fetch`` does it).

    Dedup is by (marketplace, external_id): a listing fetched again, or by another search or
    process at the same time (``ignore_conflicts``), stays one row.
    """
    if not items:
        return []
    unique = {(i.marketplace, i.external_id): i for i in items}
    await _rekey([i for i in unique.values() if i.former_ids])
    existing = await _load(unique)
    missing = [_new_row(item, now) for key, item in unique.items() if key not in existing]
    if missing:
        await Listing.bulk_create(missing, ignore_conflicts=True)
        existing.update(await _load({k: unique[k] for k in unique if k not in existing}))
    await _record_price_changes(existing, unique, now)
    return [existing[key] for key in unique if key in existing]


async def _rekey(items: Sequence[ListingData]) -> None:
    """Move rows stored under a former id to the listing's id now, keeping the row (and so its
    matches and first-seen time): the same listing must not look new after an id change.

    One read for the whole batch; a write only for rows still under a former id."""
    by_marketplace: dict[str, list[ListingData]] = {}
    for item in items:
        by_marketplace.setdefault(item.marketplace, []).append(item)
    for marketplace, group in by_marketplace.items():
        former = {old: item for item in group for old in item.former_ids}
        stored = await Listing.filter(
            marketplace=marketplace,
            external_id__in=[i.external_id for i in group] + list(former),
        ).values_list("id", "external_id")
        present = {external_id for _, external_id in stored}
        for row_id, external_id in stored:
            moved = former.get(external_id)
            if moved is not None and moved.external_id not in present:
                present.add(moved.external_id)
                await Listing.filter(id=row_id).update(external_id=moved.external_id, url=moved.url)


async def _load(keys: dict[tuple[str, str], ListingData]) -> dict[tuple[str, str], Listing]:
    by_marketplace: dict[str, list[str]] = {}
    for marketplace, external_id in keys:
        by_marketplace.setdefault(marketplace, []).append(external_id)
    rows: dict[tuple[str, str], Listing] = {}
    for marketplace, external_ids in by_marketplace.items():
        for row in await Listing.filter(marketplace=marketplace, external_id__in=external_ids):
            rows[(row.marketplace, row.external_id)] = row
    return rows


async def _record_price_changes(
    rows: dict[tuple[str, str], Listing],
    items: dict[tuple[str, str], ListingData],
    now: datetime,
) -> None:
    for key, row in rows.items():
        details = details_json(items[key])
        if details != row.details:  # a new bid, a changed postage: alerts show the latest
            row.details = details
            await row.save(update_fields=["details"])
        new_price = items[key].price
        if new_price is None or row.price == new_price:
            continue
        row.price = new_price
        row.price_history = [*row.price_history, [now.isoformat(), str(new_price)]]
        row.last_seen_at = now
        await row.save(update_fields=["price", "price_history", "last_seen_at"])
    stale = now - LAST_SEEN_RESOLUTION
    unchanged = [row.id for row in rows.values() if row.last_seen_at < stale]
    if unchanged:
        await Listing.filter(id__in=unchanged).update(last_seen_at=now)
