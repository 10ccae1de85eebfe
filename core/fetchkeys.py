"""The fetch key: the one definition of "the same upstream request".

A fetch key names one request to one marketplace: the marketplace, the normalised query and
the filters that marketplace is sent (``MarketplaceQuery``). Searches whose keys are equal
share one fetch (the runner's coalescing), are due at the same instants (scheduling) and are
matched once per distinct criteria (checks). A search on three marketplaces has three keys.

Stored in ``FetchKey`` (one row per digest) with a ``SearchFetchKey`` link per search, kept
in step by ``core.searches`` (create, edit, delete). Later work (per-key scheduling, overflow
detection, price statistics) builds on that table.

Only what is the same for every user belongs in a key. Per-user things (blocked sellers, a
price bound converted to the marketplace's currency) are applied locally after the fetch,
never put into ``MarketplaceQuery``, or equal requests would stop coalescing.

Change ``FETCH_KEY_VERSION`` whenever the normalisation or the digest changes, and add a
migration that calls ``recompute_all`` (as 0010_fetchkey does): every key is then rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from core.bulk import insert_ignoring_duplicates
from core.criteria import Criteria
from core.currency import outward
from core.enums import BuyingFormat, Condition
from core.errors import InvalidCriteria
from core.keystate import keys_of_searches, recompute_keys
from core.ports import MarketplaceQuery

logger = logging.getLogger(__name__)

FETCH_KEY_VERSION = 2  # 2: the bounds' currency, bounds widened to whole units
DIGEST_LENGTH = 32  # hex characters (a 16-byte blake2b digest)


@dataclass(frozen=True, slots=True)
class FetchKeySpec:
    """One upstream request of a search, with its digest (what ``FetchKey.digest`` holds)."""

    marketplace: str
    digest: str
    query: MarketplaceQuery


# Marketplaces that filter on sellers upstream (eBay Browse's ``sellers:{a|b}``): followed
# sellers are part of their fetch key. Elsewhere they are matched locally (core.matching),
# and the search shares the fetch of its keywords. Blocked sellers never enter a key.
SELLER_FILTER_UPSTREAM = frozenset({"ebay"})
# Marketplaces with auctions, asked for those ending soonest by a search of auctions ending
# within N hours. Buy It Now / auctions alone is applied locally: it never splits a fetch.
AUCTIONS_UPSTREAM = frozenset({"ebay"})


def upstream_query(criteria: Criteria, marketplace: str) -> MarketplaceQuery:
    """The request sent to ``marketplace`` for ``criteria``, normalised so that searches
    asking the same thing in different spelling (case, spaces) send the same request.

    The price bounds are the search's own, in its own currency, widened to whole units
    (``core.currency.outward``): 99.99 and 100 share a fetch, and the exact bounds are
    applied locally. They are never converted here: a converted bound changes with every
    day's rates and would split the coalescing of otherwise equal requests."""
    low, high = outward(criteria.min_price, criteria.max_price)
    return MarketplaceQuery(
        marketplace=marketplace,
        keywords=" ".join(criteria.keywords.lower().split()),
        location=criteria.location.strip().lower(),
        radius_miles=criteria.radius_miles,
        category=criteria.category.strip().lower(),
        min_price=low,
        max_price=high,
        currency=criteria.currency.strip().upper(),
        condition=criteria.condition,
        extra=criteria.extras_for(marketplace),
        sellers=criteria.sellers if marketplace in SELLER_FILTER_UPSTREAM else (),
        ending_soon=(
            marketplace in AUCTIONS_UPSTREAM
            and criteria.buying_format is BuyingFormat.AUCTION
            and criteria.ending_within_hours is not None
        ),
    )


def query_json(query: MarketplaceQuery) -> dict[str, Any]:
    """``query`` as canonical JSON values (what ``FetchKey.query`` stores and the digest hashes).

    ``sellers`` and ``ending_soon`` are written only when set, so every key stored before
    they existed keeps its digest (no FETCH_KEY_VERSION change, no rebuild)."""
    found: dict[str, Any] = {
        "marketplace": query.marketplace,
        "keywords": query.keywords,
        "location": query.location,
        "radius_miles": query.radius_miles,
        "category": query.category,
        "min_price": _money(query.min_price),
        "max_price": _money(query.max_price),
        "currency": query.currency,
        "condition": query.condition.value,
        "limit": query.limit,
        "extra": [list(pair) for pair in query.extra],
    }
    if query.sellers:
        found["sellers"] = list(query.sellers)
    if query.ending_soon:
        found["ending_soon"] = True
    return found


def query_from_json(data: dict[str, Any]) -> MarketplaceQuery:
    """The request a stored ``FetchKey.query`` describes."""
    return MarketplaceQuery(
        marketplace=str(data["marketplace"]),
        keywords=str(data["keywords"]),
        location=str(data["location"]),
        radius_miles=data["radius_miles"],
        category=str(data["category"]),
        min_price=None if data["min_price"] is None else Decimal(data["min_price"]),
        max_price=None if data["max_price"] is None else Decimal(data["max_price"]),
        currency=str(data.get("currency") or "GBP"),
        condition=Condition(data["condition"]),
        limit=int(data["limit"]),
        extra=tuple((str(k), str(v)) for k, v in data["extra"]),
        sellers=tuple(str(s) for s in data.get("sellers") or ()),
        ending_soon=bool(data.get("ending_soon")),
    )


def digest(query: MarketplaceQuery) -> str:
    """A stable digest of ``query`` (the same in every process and every run)."""
    text = json.dumps([FETCH_KEY_VERSION, query_json(query)], sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=DIGEST_LENGTH // 2).hexdigest()


def key_for(criteria: Criteria, marketplace: str) -> FetchKeySpec:
    query = upstream_query(criteria, marketplace)
    return FetchKeySpec(marketplace, digest(query), query)


def keys_for(criteria: Criteria, marketplaces: Iterable[str]) -> list[FetchKeySpec]:
    """One key per marketplace of a search (a repeated marketplace counts once)."""
    return [key_for(criteria, name) for name in dict.fromkeys(marketplaces)]


def schedule_key(keys: Sequence[FetchKeySpec]) -> str:
    """The key a search's due times are aligned on (``Search.fetch_key``): the smallest digest.

    Until scheduling is per key, a search is due as a whole; any fixed choice works, and
    searches with one marketplace (most) align exactly with every search of the same request.
    """
    return min((k.digest for k in keys), default="")


# Columns of FetchKey and SearchFetchKey, for the raw inserts below.
_KEY_COLUMNS = ("marketplace", "digest", "version", "query", "created_at")
# Since 0012 a key also carries its schedule (core.keystate); these are its starting values
# (recompute_keys sets the real ones). 0010's data step ran before the columns existed.
_SCHEDULE_COLUMNS = {
    "interval_seconds": 300,
    "tier": "free",
    "consecutive_failures": 0,
    "checks_count": 0,
    "overflows": 0,
}
_LINK_COLUMNS = ("search_id", "fetch_key_id")


async def link_search(
    conn: BaseDBAsyncClient, search_id: int, keys: Sequence[FetchKeySpec], now: datetime
) -> None:
    """Make ``keys`` exactly the search's keys: create the ones new to the table, link them,
    unlink the rest. Idempotent; run inside the transaction that writes the search."""
    before = await keys_of_searches(conn, [search_id])
    ids = await _ensure_keys(conn, keys, now, scheduled=True)
    await _replace_links(conn, {search_id: [ids[k.digest] for k in keys]})
    # The keys it joined and left: their interval, tier and due time follow their searches.
    await recompute_keys(conn, sorted({*before, *ids.values()}), now)


async def link_many(
    conn: BaseDBAsyncClient,
    keys_by_search: dict[int, Sequence[FetchKeySpec]],
    now: datetime,
    *,
    take_schedule: bool = False,
) -> None:
    """``link_search`` for many searches at once (bulk loads: imports, benchmarks, tests).

    ``take_schedule``: the keys take their searches' own next check times (searches written
    with a due time already), rather than being due by the grid from ``now``.
    """
    wanted = (k for ks in keys_by_search.values() for k in ks)
    ids = await _ensure_keys(conn, wanted, now, scheduled=True)
    # New searches (no links yet): one batched insert, no per-search delete.
    rows = [(sid, ids[k.digest]) for sid, ks in keys_by_search.items() for k in ks]
    await insert_ignoring_duplicates(conn, "search_fetch_key", _LINK_COLUMNS, rows)
    key_ids = sorted(set(ids.values()))
    for start in range(0, len(key_ids), 5000):  # within every database's bind limit
        chunk = key_ids[start : start + 5000]
        await recompute_keys(conn, chunk, now, from_searches=take_schedule)


async def _ensure_keys(
    conn: BaseDBAsyncClient, keys: Iterable[FetchKeySpec], now: datetime, scheduled: bool = False
) -> dict[str, int]:
    """digest → FetchKey id, inserting the keys not stored yet (a repeat is a no-op, so two
    processes adding the same key at once both succeed)."""
    unique = {k.digest: k for k in keys}
    if not unique:
        return {}
    extra = _SCHEDULE_COLUMNS if scheduled else {}
    rows = [
        (
            k.marketplace,
            k.digest,
            FETCH_KEY_VERSION,
            json.dumps(query_json(k.query)),
            now,
            *extra.values(),
        )
        for k in unique.values()
    ]
    await insert_ignoring_duplicates(conn, "fetch_key", (*_KEY_COLUMNS, *extra), rows)
    found: dict[str, int] = {}
    wanted = list(unique)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = _marks(conn, len(chunk))
        sql = f'SELECT "id", "digest" FROM "fetch_key" WHERE "digest" IN ({marks})'
        for row in await conn.execute_query_dict(sql, chunk):
            found[str(row["digest"])] = int(row["id"])
    return found


async def _replace_links(conn: BaseDBAsyncClient, links: dict[int, list[int]]) -> None:
    for search_id, key_ids in links.items():
        keep = sorted(set(key_ids))
        marks = _marks(conn, len(keep), first=2)
        unlinked = f' AND "fetch_key_id" NOT IN ({marks})' if keep else ""
        sql = f'DELETE FROM "search_fetch_key" WHERE "search_id" = {_mark(conn, 1)}{unlinked}'
        await conn.execute_query(sql, [search_id, *keep])
    rows = [(search_id, key_id) for search_id, ids in links.items() for key_id in set(ids)]
    await insert_ignoring_duplicates(conn, "search_fetch_key", _LINK_COLUMNS, rows)


async def recompute_all(conn: BaseDBAsyncClient, now: datetime) -> int:
    """Rebuild every search's keys at the current version (the migrations' data step).

    Plain SQL through ``conn`` (the migration's transaction), not the ORM models: an old
    migration must keep working whatever the models become. Returns the searches done.
    """
    rows = await conn.execute_query_dict('SELECT "id", "criteria", "marketplaces" FROM "search"')
    keys_by_search: dict[int, list[FetchKeySpec]] = {}
    for row in rows:
        try:
            criteria = Criteria.from_json(_json(row["criteria"]))
        except InvalidCriteria as exc:  # unreadable: it cannot run either; leave it keyless
            logger.warning("search %s: no fetch keys (%s)", row["id"], exc)
            continue
        keys_by_search[int(row["id"])] = keys_for(criteria, _json(row["marketplaces"]))
    scheduled = await _has_schedule_columns(conn)
    wanted = (k for ks in keys_by_search.values() for k in ks)
    ids = await _ensure_keys(conn, wanted, now, scheduled=scheduled)
    await _replace_links(
        conn, {sid: [ids[k.digest] for k in ks] for sid, ks in keys_by_search.items()}
    )
    by_schedule: dict[str, list[int]] = {}
    for search_id, keys in keys_by_search.items():
        by_schedule.setdefault(schedule_key(keys), []).append(search_id)
    for key, search_ids in by_schedule.items():
        for start in range(0, len(search_ids), 1000):  # within every database's bind limit
            chunk = search_ids[start : start + 1000]
            marks = _marks(conn, len(chunk), first=2)
            sql = f'UPDATE "search" SET "fetch_key" = {_mark(conn, 1)} WHERE "id" IN ({marks})'
            await conn.execute_query(sql, [key, *chunk])
    # Keys of an older version are nobody's now (readable searches were just relinked).
    old = f'SELECT "id" FROM "fetch_key" WHERE "version" <> {_mark(conn, 1)}'
    stale = f'"fetch_key_id" IN ({old})'
    await conn.execute_query(f'DELETE FROM "search_fetch_key" WHERE {stale}', [FETCH_KEY_VERSION])
    await conn.execute_query(old.replace('SELECT "id" FROM', "DELETE FROM"), [FETCH_KEY_VERSION])
    return len(keys_by_search)


async def _has_schedule_columns(conn: BaseDBAsyncClient) -> bool:
    """Does ``fetch_key`` carry its schedule yet (0012 and later)? A data step of an older
    migration runs on the table as it was then."""
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(
            "SELECT column_name AS name FROM information_schema.columns"
            " WHERE table_name = 'fetch_key'"
        )
    else:
        rows = await conn.execute_query_dict("PRAGMA table_info(fetch_key)")
    return "interval_seconds" in {str(r["name"]) for r in rows}


def _json(value: object) -> Any:
    """A JSON column's value: SQLite (and some drivers) hand back the text."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _money(value: Decimal | None) -> str | None:
    """A price bound in one spelling: 100, 100.0 and 100.00 are one request."""
    if value is None:
        return None
    return format(value.normalize(), "f")


def _mark(conn: BaseDBAsyncClient, n: int) -> str:
    return f"${n}" if conn.capabilities.dialect == "postgres" else "?"


def _marks(conn: BaseDBAsyncClient, count: int, first: int = 1) -> str:
    return ", ".join(_mark(conn, n) for n in range(first, first + count))


__all__ = [
    "FETCH_KEY_VERSION",
    "FetchKeySpec",
    "digest",
    "key_for",
    "keys_for",
    "link_many",
    "link_search",
    "query_from_json",
    "query_json",
    "recompute_all",
    "schedule_key",
    "upstream_query",
]
