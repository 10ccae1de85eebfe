"""Is it a deal? (issue 16) The bounded samples of recent asking prices per item, kept as
listings arrive, and what is read from them: verdicts on alerts, /prices, "not a deal".

The rules (what an item is, what counts, the estimate, the verdict) are ``core.verdict``'s;
this module stores and reads. docs/prices.md says how it fits together.

Writes are set-based and happen in the runner's one path for fetched listings
(``core.checks.record_fetch``): one upsert per fetch into ``price_sample`` (unique per item
and seller + title, so a repost replaces its earlier copy) and one bounded prune per item
touched (older than the window, or beyond the newest ``SAMPLE_CAP``). An estimate reads at
most ``SAMPLE_CAP`` rows of one item: nothing scans all listings per alert.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from core.bulk import insert_ignoring_duplicates
from core.criteria import Criteria
from core.currency import Rates, convert
from core.enums import Platform
from core.errors import not_available
from core.matching import matches, normalise, seller_key
from core.models import Alert, Match, PriceFeedback, PriceItem, PriceSample, Search
from core.outbox import AlertIntent, queue_notice
from core.ports import ListingData
from core.verdict import (
    WINDOW_DAYS,
    Estimate,
    Item,
    PriceVerdict,
    accessory_words,
    deal_enough,
    estimate,
    item_for,
    items_for,
    judge,
    keywords_text,
    not_comparable,
)
from core.views import AccountView

logger = logging.getLogger(__name__)

WINDOW = timedelta(days=WINDOW_DAYS)
SAMPLE_CAP = 200  # newest prices kept per item (up to a quarter more between prunes)

THIN_NOTICE = (
    "Deals only for “{name}”: I don't know the usual price yet (fewer than 10 comparable "
    "listings in 30 days, or prices too spread out), so every matching listing is alerted "
    "until I do."
)


def in_currency(listing: ListingData, currency: str, rates: Rates | None) -> Decimal | None:
    """The listing's price in ``currency`` (ECB rates when it differs), or None."""
    if listing.price is None:
        return None
    if listing.currency.strip().upper() == currency:
        return listing.price
    converted = convert(listing.price, listing.currency, currency, rates)
    return None if converted is None else converted.amount


def _seen_key(listing: ListingData, listing_id: int) -> str:
    """Reposts are one sample: the seller and normalised title, where a seller is shown."""
    who = seller_key(listing.seller)
    words = " ".join(normalise(listing.title))
    return f"s:{who}|{words}"[:300] if who and words else f"l:{listing_id}"


@dataclass(frozen=True, slots=True)
class _Row:
    item: str
    seen: str
    listing_id: int
    price: Decimal
    seen_at: datetime


def sample_rows(
    criteria: Iterable[Criteria],
    listings: Sequence[tuple[int, ListingData]],
    now: datetime,
    rates: Rates | None,
) -> tuple[list[_Row], dict[str, Item]]:
    """The samples one fetch adds: every listing that matches a search's criteria with its
    price bounds lifted, and is comparable (fixed price, not free, no accessory word)."""
    rows: dict[tuple[str, str], _Row] = {}
    items: dict[str, Item] = {}
    # Searches that differ only in their price caps ask about the same item: one pass each.
    relaxed_all = {
        c.with_changes(min_price=None, max_price=None, cap_total=False) for c in criteria
    }
    for relaxed in relaxed_all:
        wanted = relaxed
        words = accessory_words(wanted)
        for listing_id, data in listings:
            item = item_for(wanted, data.marketplace, data)
            if item is None or not_comparable(data, words, wanted.keywords) is not None:
                continue
            if not matches(relaxed, data, now, rates):
                continue
            price = in_currency(data, item.currency, rates)
            if price is None or price <= 0:
                continue
            items[item.digest] = item
            seen = _seen_key(data, listing_id)
            rows[(item.digest, seen)] = _Row(item.digest, seen, listing_id, price, now)
    return list(rows.values()), items


def _marks(conn: BaseDBAsyncClient, count: int, start: int = 1) -> list[str]:
    if conn.capabilities.dialect == "postgres":
        return [f"${n}" for n in range(start, start + count)]
    return ["?"] * count


@dataclass(frozen=True, slots=True)
class NewSamples:
    """What one fetch adds to its items' samples (only what is new or repriced)."""

    rows: tuple[_Row, ...] = ()
    items: dict[str, Item] = field(default_factory=dict)


async def new_samples(
    criteria: Iterable[Criteria],
    listings: Sequence[tuple[int, ListingData]],
    now: datetime,
    rates: Rates | None,
) -> NewSamples:
    """One fetch's samples that are new to their item or bring a new price (one read). A
    failure is logged and adds nothing: alerts matter more than estimates."""
    rows, items = sample_rows(criteria, listings, now, rates)
    if not rows:
        return NewSamples()
    try:
        rows = await _changed(rows)
    except Exception:
        logger.exception("reading %d price samples failed", len(rows))
        return NewSamples()
    return NewSamples(tuple(rows), {r.item: items[r.item] for r in rows})


async def write_samples(conn: BaseDBAsyncClient, new: NewSamples, now: datetime) -> None:
    """Write ``new`` in the caller's transaction (the check's first, so no extra commit)."""
    if not new.rows:
        return
    await _upsert(conn, new.rows)
    await _prune(conn, new.items, now)
    columns = ("digest", "marketplace", "keywords", "site", "condition", "currency", "updated_at")
    await insert_ignoring_duplicates(
        conn,
        "price_item",
        columns,
        [
            (d, i.marketplace, i.keywords[:512], i.site[:256], i.condition, i.currency, now)
            for d, i in new.items.items()
        ],
    )


async def store_samples(new: NewSamples, now: datetime) -> None:
    """``new`` in a transaction of its own (a fetch that queues no alert); logged on failure."""
    if not new.rows:
        return
    try:
        async with in_transaction() as conn:
            await write_samples(conn, new, now)
    except Exception:
        logger.exception("recording %d price samples failed", len(new.rows))


async def record_samples(
    criteria: Iterable[Criteria],
    listings: Sequence[tuple[int, ListingData]],
    now: datetime,
    rates: Rates | None,
) -> int:
    """Add one fetch's prices to its items' samples; returns how many rows were written."""
    new = await new_samples(criteria, listings, now, rates)
    await store_samples(new, now)
    return len(new.rows)


async def _changed(rows: Sequence[_Row]) -> list[_Row]:
    """The rows that are new to their item or bring a new price: one read, so a fetch that
    brings nothing new writes nothing (no transaction, no commit)."""
    known = await PriceSample.filter(
        item__in=sorted({r.item for r in rows}), seen__in=sorted({r.seen for r in rows})
    ).values_list("item", "seen", "price")
    prices = {(str(i), str(s)): Decimal(str(p)) for i, s, p in known}
    return [r for r in rows if prices.get((r.item, r.seen)) != r.price]


async def _upsert(conn: BaseDBAsyncClient, rows: Sequence[_Row]) -> None:
    marks = ", ".join(_marks(conn, 5))
    sql = (
        'INSERT INTO "price_sample" ("item", "seen", "listing_id", "price", "seen_at") '
        f'VALUES ({marks}) ON CONFLICT ("item", "seen") DO UPDATE SET '
        '"listing_id" = excluded."listing_id", "price" = excluded."price", '
        '"seen_at" = excluded."seen_at"'
    )
    await conn.execute_many(sql, [[r.item, r.seen, r.listing_id, r.price, r.seen_at] for r in rows])


async def _prune(conn: BaseDBAsyncClient, items: Collection[str], now: datetime) -> None:
    """Keep each touched item's sample bounded: once it has grown a quarter past SAMPLE_CAP,
    back to the newest SAMPLE_CAP of the window (one indexed count per item otherwise).
    Estimates read the window only, and retention drops what nobody fetches any more."""
    counted = (
        await PriceSample.filter(item__in=sorted(items))
        .using_db(conn)
        .annotate(n=Count("id"))
        .group_by("item")
        .values_list("item", "n")
    )
    item, old, again = _marks(conn, 3)
    sql = (
        f'DELETE FROM "price_sample" WHERE "item" = {item} AND ("seen_at" < {old} OR "id" NOT IN '
        f'(SELECT "id" FROM "price_sample" WHERE "item" = {again} '
        f'ORDER BY "seen_at" DESC, "id" DESC LIMIT {SAMPLE_CAP}))'
    )
    for digest, n in sorted(counted):
        if int(n) > SAMPLE_CAP + SAMPLE_CAP // 4:
            await conn.execute_query(sql, [digest, now - WINDOW, digest])


async def samples(
    digest: str, now: datetime, conn: BaseDBAsyncClient | None = None
) -> list[tuple[int, Decimal]]:
    """(listing id, price) of the item's samples in the window: at most SAMPLE_CAP rows."""
    query = PriceSample.filter(item=digest, seen_at__gte=now - WINDOW)
    if conn is not None:
        query = query.using_db(conn)
    newest = query.order_by("-seen_at", "-id").limit(SAMPLE_CAP)
    rows = await newest.values_list("listing_id", "price")
    return [(int(i), Decimal(str(p))) for i, p in rows]


def estimate_without(rows: Sequence[tuple[int, Decimal]], listing_id: int) -> Estimate | None:
    """The estimate a listing is judged against: its own price left out."""
    return estimate([price for other, price in rows if other != listing_id])


@dataclass(frozen=True, slots=True)
class Judged:
    """One alert candidate as the verdict step sees it."""

    intent: AlertIntent
    listing_id: int
    data: ListingData
    criteria: Criteria


async def judge_intents(
    conn: BaseDBAsyncClient,
    judged: Sequence[Judged],
    now: datetime,
    rates: Rates | None,
) -> tuple[list[AlertIntent], set[int]]:
    """Each intent with its verdict; a deals-only search's intents that are not deals enough
    left out. Also the deals-only searches alerted without a usable estimate (thin)."""
    cache: dict[str, list[tuple[int, Decimal]]] = {}
    # A verdict depends on the criteria and the listing alone, and searches with equal
    # criteria share one Criteria object (the runner's loader): a new listing on a key of
    # 100,000 equal searches is judged once, not once per search. The objects outlive
    # this loop (``judged`` holds them), so their ids stay unique keys.
    verdicts: dict[tuple[int, int], tuple[PriceVerdict | None, bool, tuple[str, str] | None]] = {}
    kept: list[AlertIntent] = []
    thin: set[int] = set()
    for one in judged:
        memo = (id(one.criteria), one.listing_id)
        found = verdicts.get(memo)
        if found is None:
            verdict, known = await _verdict(conn, one, now, rates, cache)
            stored = None if verdict is None else (verdict.to_json(), verdict.kind.value)
            found = verdicts[memo] = (verdict, known, stored)
        verdict, known, stored = found
        intent = one.intent
        if stored is not None:
            intent = replace(intent, verdict=stored[0], verdict_kind=stored[1])
        wanted = one.criteria.deals_only_percent
        if wanted is not None:
            if not known:
                thin.add(intent.search_id)  # the usual alerts while the estimate is thin
            elif not deal_enough(verdict, wanted):
                continue  # not a deal (or not the item itself): not alerted
        kept.append(intent)
    return kept, thin


async def _verdict(
    conn: BaseDBAsyncClient,
    one: Judged,
    now: datetime,
    rates: Rates | None,
    cache: dict[str, list[tuple[int, Decimal]]],
) -> tuple[PriceVerdict | None, bool]:
    """The verdict, and whether the item's estimate is usable at all (enough, not too wide)."""
    item = item_for(one.criteria, one.data.marketplace, one.data)
    if item is None:
        return None, False
    if item.digest not in cache:
        cache[item.digest] = await samples(item.digest, now, conn)
    found = estimate_without(cache[item.digest], one.listing_id)
    known = found is not None and found.enough
    if not_comparable(one.data, accessory_words(one.criteria), one.criteria.keywords):
        return None, known
    price = in_currency(one.data, item.currency, rates)
    return (None if price is None else judge(price, found, item.currency)), known


@dataclass(frozen=True, slots=True)
class _ThinTarget:
    id: int
    platform: Platform


async def tell_thin(search_ids: Collection[int], now: datetime) -> None:
    """Tell each deals-only search's chat once that its alerts are unfiltered for now."""
    if not search_ids:
        return
    rows = await Search.filter(id__in=list(search_ids)).values_list(
        "id", "name", "destination_id", "destination__platform"
    )
    for search_id, name, destination_id, platform in rows:
        target = _ThinTarget(int(destination_id), Platform(platform))
        await queue_notice(target, f"deals-thin:{search_id}", THIN_NOTICE.format(name=name), now)


# /prices ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PriceView:
    """What /prices shows: the recent asking prices of one item and their estimate."""

    label: str  # the keywords, as typed or stored
    marketplace: str
    currency: str
    prices: tuple[Decimal, ...]  # every sample in the window, outliers included, sorted
    estimate: Estimate | None
    last_alert: Decimal | None  # the price of the last alert of the search (or the words)


async def view_for_search(account: AccountView, search_id: int, now: datetime) -> PriceView:
    search = await Search.get_or_none(id=search_id)
    if search is None or search.account_id != account.id:  # type: ignore[attr-defined]
        raise not_available("search", search_id, forbidden=search is not None)
    criteria = Criteria.from_json(search.criteria)
    views = []
    for marketplace in search.marketplaces or []:
        for item in items_for(criteria, str(marketplace)):
            views.append(await _view(item, item.keywords, now, [search.id]))
    if not views:
        raise not_available("price history for search", search_id)
    return max(views, key=lambda v: len(v.prices))


async def view_for_words(account: AccountView, words: str, now: datetime) -> PriceView | None:
    """The item with these keywords that has the most recent prices (any marketplace)."""
    wanted = keywords_text(words)
    if not wanted:
        return None
    rows = await PriceItem.filter(keywords=wanted).order_by("-updated_at").limit(20)
    views = []
    owned = await Search.filter(account_id=account.id).values_list("id", "criteria")
    for row in rows:
        item = Item(row.marketplace, row.keywords, row.site, row.condition, row.currency)
        mine = [
            int(i)
            for i, c in owned
            if isinstance(c, dict) and keywords_text(str(c.get("keywords") or "")) == wanted
        ]
        views.append(await _view(item, words.strip(), now, mine))
    return max(views, key=lambda v: len(v.prices)) if views else None


async def _view(item: Item, label: str, now: datetime, search_ids: list[int]) -> PriceView:
    found = [p for _, p in await samples(item.digest, now)]
    last = None
    if search_ids:
        newest = (
            await Alert.filter(
                match__search_id__in=search_ids, match__listing__marketplace=item.marketplace
            )
            .order_by("-created_at", "-id")
            .first()
            .values_list("match__listing__price", flat=True)
        )
        last = None if newest is None else Decimal(str(newest))
    return PriceView(
        label, item.marketplace, item.currency, tuple(sorted(found)), estimate(found), last
    )


# "not a deal" ---------------------------------------------------------------------------------
async def verdict_of(match_id: int) -> PriceVerdict | None:
    """The verdict the match's latest alert carried (None when it had none)."""
    text = (
        await Alert.filter(match_id=match_id, verdict__not_isnull=True)
        .order_by("-id")
        .first()
        .values_list("verdict", flat=True)
    )
    return PriceVerdict.from_json(str(text)) if text else None


async def not_a_deal(account: AccountView, match: Match) -> bool:
    """Record that ``account`` disagrees with the verdict on ``match`` (the caller checked
    that they may see the alert). False when it was recorded before."""
    verdict = await verdict_of(match.id)
    if verdict is None:
        raise not_available("verdict on alert", match.id)
    _, created = await PriceFeedback.get_or_create(
        match_id=match.id,
        account_id=account.id,
        defaults={"verdict_kind": verdict.kind.value, "percent": verdict.percent},
    )
    return created


async def not_a_deal_pressed(
    account: AccountView, match_id: int, platform: Platform, chat_id: str
) -> bool:
    """The button, pressed in chat ``chat_id``: the presser may judge an alert they can see,
    one posted in this chat (a group's member) or one of their own searches'."""
    match = await Match.get_or_none(id=match_id).select_related("search__destination")
    if match is None:
        raise not_available("alert", match_id)
    destination = match.search.destination
    here = destination.platform == platform and destination.chat_id == chat_id
    mine = match.search.account_id == account.id  # type: ignore[attr-defined]
    if not (here or mine):
        logger.warning("account %s pressed Not a deal on match %s elsewhere", account.id, match_id)
        raise not_available("alert", match_id, forbidden=True)
    return await not_a_deal(account, match)


async def feedback_counts() -> dict[str, int]:
    """/metrics: "not a deal" presses by the verdict they disagreed with."""
    rows = await PriceFeedback.all().values_list("verdict_kind", flat=True)
    counts: dict[str, int] = {}
    for kind in rows:
        counts[str(kind)] = counts.get(str(kind), 0) + 1
    return counts


async def verdict_counts() -> dict[str, int]:
    """/metrics: matches alerted with each verdict (once per match, not per channel)."""
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        'SELECT "verdict_kind" AS kind, COUNT(DISTINCT "match_id") AS n FROM "alert" '
        'WHERE "verdict_kind" IS NOT NULL GROUP BY "verdict_kind"'
    )
    return {str(r["kind"]): int(r["n"]) for r in rows}


__all__ = [
    "SAMPLE_CAP",
    "Judged",
    "PriceView",
    "feedback_counts",
    "judge_intents",
    "new_samples",
    "not_a_deal",
    "not_a_deal_pressed",
    "record_samples",
    "sample_rows",
    "store_samples",
    "tell_thin",
    "verdict_counts",
    "view_for_search",
    "view_for_words",
    "write_samples",
]
