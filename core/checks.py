"""One check of a group of searches that share a fetch: store, match, queue alerts.

Everything a check writes for its searches — matches and their outbox rows — is written in
one transaction, so a crash leaves either all of it or none (and the search is checked again).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from core import prices
from core.bulk import insert_ignoring_duplicates, insert_returning_new
from core.criteria import Criteria
from core.currency import Rates
from core.enums import AlertKind, MatchStatus
from core.listings import clean_listing, upsert_listings
from core.matching import is_price_drop, matches
from core.models import Listing, Match
from core.outbox import ALERT_COLUMNS, ALERT_TYPES, AlertIntent, alert_values
from core.ports import ListingData
from core.reposts import earlier_alerts, repost_key, repost_sources
from core.sellers import blocked_among, seller_key

PREVIEW_SIZE = 3
# (search, listing) pairs looked at per transaction (each writes at most a match and its alerts).
MAX_CANDIDATES_PER_TRANSACTION = 2000
# The columns a check writes for a new match, with their Postgres types.
MATCH_COLUMNS = {
    "search_id": "int",
    "listing_id": "int",
    "status": "varchar",
    "alerted_price": "numeric",
    "created_at": "timestamptz",
    "updated_at": "timestamptz",
}


class CheckedSearch(Protocol):
    """What a check reads of a search (core.scheduling.KeySearch, or a Search record)."""

    @property
    def id(self) -> int: ...

    @property
    def primed_at(self) -> datetime | None: ...

    @property
    def marketplaces(self) -> list[str]: ...

    @property
    def channels(self) -> list[str]: ...

    @property
    def account_id(self) -> int:
        """Whose blocked sellers apply (core.sellers)."""
        ...


@dataclass(slots=True)
class CheckResult:
    """What one check found for one search."""

    search_id: int
    new_matches: int = 0
    alerts_queued: int = 0
    preview: list[ListingData] = field(default_factory=list)
    seen_at: datetime | None = None  # when the listings were stored: the priming watermark


@dataclass(frozen=True, slots=True)
class _Candidate:
    search: CheckedSearch
    listing: Listing
    data: ListingData
    criteria: Criteria


async def record_fetch(
    searches: Sequence[CheckedSearch],
    criteria: Mapping[int, Criteria],
    fetched: Sequence[ListingData],
    now: datetime,
    platforms: dict[int, str],
    rates: Rates | None = None,
    known: KnownPage | None = None,
    page: set[int] | None = None,
    committed: Callable[[int], None] | None = None,
) -> dict[int, CheckResult]:
    """Store ``fetched`` (one fetch key's listings) and turn it into matches and alerts for
    each of ``searches``, the searches with that key.

    ``criteria`` maps search id → its parsed criteria (parsed once per batch by the runner);
    ``platforms`` maps search id → its destination's platform (where chat alerts go);
    ``rates`` compare prices in another currency than a search's (``core.currency``).

    What counts as new: a listing we first saw after the search was primed. Priming (the
    search's first fetch) only sets that watermark and returns the newest few matches as a
    preview, so a new search brings no flood of old listings and stores no row for them.

    ``known``: the key's page at its last successful check in this process, and the searches
    checked then. Those searches had every listing on it written already; each of them
    looks only at what is new since (or has a changed price), so a popular key's check
    costs its new listings, not its page times its searches. ``page`` collects this fetch's
    listing ids, for the next check. ``committed`` hears the alert rows of each transaction
    once it has committed.
    """
    # Cleaned here, once per fetch: this is the one way fetched listings reach the database
    # (any marketplace, any process), and matching, previews and alerts below then see the
    # very text that is stored. One bad byte would otherwise fail the whole fetch's insert.
    fetched = [clean_listing(item) for item in fetched]
    rows = await upsert_listings(fetched, now)
    data_by_key = {(d.marketplace, d.external_id): d for d in fetched}
    results = {s.id: CheckResult(s.id, seen_at=now) for s in searches}
    # Listings this fetch stored first: no search can have a match on them yet (another
    # process's concurrent insert is settled by ON CONFLICT), so nothing is read back.
    stored_now = {r.id for r in rows if r.first_seen_at == now}
    seen_before = known.page if known is not None else frozenset()
    # Is it a deal? (issue 16): every fetch feeds its items' bounded price samples, written
    # with the check's first transaction (or alone when it queues nothing). What this key's
    # last page already had at the same price was sampled then.
    samples = await prices.new_samples(
        {criteria[s.id] for s in searches},
        [
            (r.id, data_by_key[(r.marketplace, r.external_id)])
            for r in rows
            if r.id not in seen_before or _repriced(r)
        ],
        now,
        rates,
    )
    candidates: list[_Candidate] = []
    matched_by_criteria: dict[Criteria, tuple[list[_Match], list[_Match]]] = {}
    by_seen: dict[Criteria, _NewestFirst] = {}
    for search in searches:
        # One fetch key's searches usually share criteria too: match each distinct one once
        # (the listings are all from the key's marketplace, so only the criteria differ).
        wanted = criteria[search.id]
        split = matched_by_criteria.get(wanted)
        if split is None:
            found = [
                _Match(row, data_by_key[(row.marketplace, row.external_id)])
                for row in _matching_rows(wanted, rows, data_by_key, now, rates)
            ]
            # What a search checked last time still has to look at: the listings new
            # since, any whose price changed (a drop is news), and the auctions that may
            # have entered its ending window since, at an unchanged price (the match made
            # once keeps such an auction to one alert).
            hours = wanted.ending_within_hours
            fresh = [
                m
                for m in found
                if m.row.id not in seen_before
                or _repriced(m.row)
                or (hours is not None and _may_enter_window(hours, m.data))
            ]
            split = matched_by_criteria[wanted] = (found, fresh)
        if search.primed_at is None:
            matching = [_Candidate(search, m.row, m.data, wanted) for m in split[0]]
            shown = await _without_blocked([c for c in matching if _listed(c)])
            results[search.id].preview = _newest([c.data for c in shown])
            continue
        for m in _looked_at(search, known, split, by_seen, wanted):
            if m.row.marketplace not in search.marketplaces:
                continue  # what an adapter labelled otherwise
            candidate = _Candidate(search, m.row, m.data, wanted)
            if _worth_a_look(candidate):
                candidates.append(candidate)
    if page is not None:
        page.update(r.id for r in rows)
    candidates = await _without_blocked(candidates)
    if not candidates:  # the usual check: nothing new (SQLite would queue for its one writer)
        await prices.store_samples(samples, now)
        return results
    by_id = {s.id: s for s in searches}
    written = _Written(by_id, platforms, now, rates, results, committed)
    await _write(candidates, stored_now, samples, written)
    return results


@dataclass(frozen=True, slots=True)
class _Written:
    """What the writing of one check's candidates needs besides them."""

    by_id: Mapping[int, CheckedSearch]
    platforms: dict[int, str]
    now: datetime
    rates: Rates | None
    results: dict[int, CheckResult]
    committed: Callable[[int], None] | None


async def _write(
    candidates: list[_Candidate], stored_now: set[int], samples: prices.NewSamples, w: _Written
) -> None:
    """New matches, price drops and their outbox rows for ``candidates``.

    Bounded transactions: a listing matched by thousands of searches is written in several
    commits, so it never holds the database (SQLite's one writer) for the other keys. Each
    is idempotent (ON CONFLICT DO NOTHING on the unique keys, and a match that exists is
    not new), and the caller moves watermarks and leases only after the last one: a crash
    between two loses nothing (the key is checked again) and duplicates nothing.
    """
    reposted = await repost_sources({c.listing.id: c.data for c in candidates}.values())
    candidates.sort(key=lambda c: (c.search.id, c.listing.id))
    thin: set[int] = set()
    for start in range(0, len(candidates), MAX_CANDIDATES_PER_TRANSACTION):
        chunk = candidates[start : start + MAX_CANDIDATES_PER_TRANSACTION]
        async with in_transaction() as conn:
            if start == 0:  # before judging: the estimate includes this fetch's prices
                await prices.write_samples(conn, samples, w.now)
            older = [c for c in chunk if c.listing.id not in stored_now]
            older = await _without_settled(conn, older)
            existing = await _existing_matches(conn, older)
            chunk = [c for c in chunk if c.listing.id in stored_now] + older
            sources: dict[int, _Candidate] = {}
            intents = await _create_new_matches(
                conn, chunk, existing, w.results, w.now, reposted, sources
            )
            intents += await _price_drops(conn, older, existing, sources)
            intents, thin_here = await prices.judge_intents(
                conn, [_judged(i, sources[i.match_id]) for i in intents], w.now, w.rates
            )
            thin |= thin_here
            queued = await _queue(conn, intents, w.by_id, w.platforms, w.now, w.results)
        if w.committed is not None:
            w.committed(queued)
    await prices.tell_thin(thin, w.now)


def _judged(intent: AlertIntent, candidate: _Candidate) -> prices.Judged:
    return prices.Judged(intent, candidate.listing.id, candidate.data, candidate.criteria)


@dataclass(slots=True)
class KnownPage:
    """A key's last page as this process checked it: the listing ids, and the searches that
    had them written (``record_fetch``)."""

    page: frozenset[int]
    searches: Container[int]


@dataclass(frozen=True, slots=True)
class _Match:
    row: Listing
    data: ListingData


def _looked_at(
    search: CheckedSearch,
    known: KnownPage | None,
    split: tuple[list[_Match], list[_Match]],
    by_seen: dict[Criteria, _NewestFirst],
    wanted: Criteria,
) -> list[_Match]:
    """What a search has to look at on the page: what is new since the key's last check
    here if it was checked then, else the whole page (what can be new to it first)."""
    if known is not None and search.id in known.searches:
        return split[1]
    newest = by_seen.get(wanted)
    if newest is None:
        newest = by_seen[wanted] = _NewestFirst(split[0], wanted)
    return newest.maybe_new(search.primed_at)


class _NewestFirst:
    """One criteria's matches on a page, for searches that look at the whole page (a key's
    first check in this process): those that can be worth a look (``_worth_a_look``) to a
    search primed at a given time, without a candidate per (search, listing). A page of 200
    for each of 170,000 searches was 34,000,000 candidates to find the few new ones."""

    __slots__ = ("_always", "_seen", "_sorted")

    def __init__(self, found: Sequence[_Match], criteria: Criteria) -> None:
        self._sorted = sorted(found, key=lambda m: m.row.first_seen_at)
        self._seen = [m.row.first_seen_at for m in self._sorted]
        hours = criteria.ending_within_hours
        # Worth a look whenever the search was primed: a changed price, or an auction that
        # may have entered the search's ending window after it was primed.
        self._always = [
            m
            for m in self._sorted
            if _repriced(m.row) or (hours is not None and _may_enter_window(hours, m.data))
        ]

    def maybe_new(self, primed_at: datetime | None) -> list[_Match]:
        """A superset of the matches worth a look to a search primed at ``primed_at``: first
        seen after it, and the ``_always`` ones (``_worth_a_look`` then decides)."""
        if primed_at is None:
            return list(self._sorted)
        after = self._sorted[bisect_right(self._seen, primed_at) :]
        if not self._always:
            return after
        chosen = {id(m) for m in after}
        return after + [m for m in self._always if id(m) not in chosen]


def _may_enter_window(hours: int, data: ListingData, after: datetime | None = None) -> bool:
    """An auction that may have entered a search's "ending within ``hours`` hours" window
    (after ``after``, when given): news at an unchanged price, though first seen long ago.

    The one statement of that rule, for the warm check (``fresh``), the cold one
    (``_NewestFirst``) and each candidate (``_worth_a_look``). It runs per search and
    listing, so it allocates nothing unless ``after`` is given, and callers test
    ``ending_within_hours is not None`` first: a search without a window pays no call.
    """
    ends = data.ends_at
    if ends is None or not data.is_auction:
        return False
    return after is None or ends - timedelta(hours=hours) > after


def _listed(candidate: _Candidate) -> bool:
    return candidate.listing.marketplace in candidate.search.marketplaces


def _repriced(row: Listing) -> bool:
    return len(row.price_history) > 1


async def _without_blocked(candidates: Sequence[_Candidate]) -> list[_Candidate]:
    """Drop listings whose seller the search's account blocked (core.sellers). Per account,
    after the fetch: the searches sharing this fetch that did not block the seller keep it."""
    shown = [c for c in candidates if c.data.seller]
    if not shown:
        return list(candidates)
    blocked = await blocked_among(
        {c.search.account_id for c in shown},
        {(c.data.marketplace, c.data.seller) for c in shown},
    )
    if not blocked:
        return list(candidates)
    return [
        c
        for c in candidates
        if (c.search.account_id, c.data.marketplace, seller_key(c.data.seller)) not in blocked
    ]


def _worth_a_look(candidate: _Candidate) -> bool:
    """New since the search was primed, or a listing whose price has ever changed.

    Anything else cannot need an alert, so it costs no database work.
    """
    return _new_to_search(candidate) or len(candidate.listing.price_history) > 1


def _new_to_search(candidate: _Candidate) -> bool:
    """First seen after the search was primed; or, for a search of auctions ending within N
    hours, an auction that entered that window after priming (it was not in the preview).
    A match is made once per (search, listing): such an auction is alerted once."""
    primed_at = candidate.search.primed_at
    if primed_at is None:
        return False
    if candidate.listing.first_seen_at > primed_at:
        return True
    hours = candidate.criteria.ending_within_hours
    return hours is not None and _may_enter_window(hours, candidate.data, primed_at)


def _matching_rows(
    criteria: Criteria,
    rows: Sequence[Listing],
    data_by_key: dict[tuple[str, str], ListingData],
    now: datetime,
    rates: Rates | None,
) -> list[Listing]:
    return [
        r
        for r in rows
        if matches(criteria, data_by_key[(r.marketplace, r.external_id)], now, rates)
    ]


async def _without_settled(
    conn: BaseDBAsyncClient, candidates: Sequence[_Candidate]
) -> list[_Candidate]:
    """Drop the listings every candidate search already has a match for, at a fixed price.

    They can need no alert, and they are most of a popular query's candidates: its newest
    listings, checked again by thousands of searches. Counting per listing costs a row per
    listing where reading the matches would cost a row per (search, listing).
    """
    searches_by_listing: dict[int, set[int]] = defaultdict(set)
    for c in candidates:
        if len(c.listing.price_history) <= 1:  # a changed price may be a drop: look closer
            searches_by_listing[c.listing.id].add(c.search.id)
    # Searches sharing a fetch mostly share criteria too: few distinct sets, few queries.
    listings_by_searches: dict[frozenset[int], list[int]] = defaultdict(list)
    for listing_id, search_ids in searches_by_listing.items():
        listings_by_searches[frozenset(search_ids)].append(listing_id)
    settled: set[int] = set()
    for group_ids, listing_ids in listings_by_searches.items():
        counts = (
            await Match.filter(search_id__in=group_ids, listing_id__in=listing_ids)
            .using_db(conn)
            .annotate(n=Count("id"))
            .group_by("listing_id")
            .values_list("listing_id", "n")
        )
        # (search, listing) is unique, so a full count means every pair exists.
        settled.update(listing_id for listing_id, n in counts if n == len(group_ids))
    return [c for c in candidates if c.listing.id not in settled]


@dataclass(frozen=True, slots=True)
class _Known:
    """An existing match, as plain values (no ORM object: there can be thousands)."""

    id: int
    status: MatchStatus
    alerted_price: Decimal | None


async def _existing_matches(
    conn: BaseDBAsyncClient, candidates: Sequence[_Candidate]
) -> dict[tuple[int, int], _Known]:
    if not candidates:
        return {}
    rows = (
        await Match.filter(
            search_id__in={c.search.id for c in candidates},
            listing_id__in={c.listing.id for c in candidates},
        )
        .using_db(conn)
        .values_list("id", "search_id", "listing_id", "status", "alerted_price")
    )
    return {
        (search_id, listing_id): _Known(id_, MatchStatus(status), _decimal(price))
        for id_, search_id, listing_id, status, price in rows
    }


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


async def _create_new_matches(
    conn: BaseDBAsyncClient,
    candidates: Sequence[_Candidate],
    existing: dict[tuple[int, int], _Known],
    results: dict[int, CheckResult],
    now: datetime,
    reposted: set[int],
    sources: dict[int, _Candidate],
) -> list[AlertIntent]:
    fresh = [
        c for c in candidates if (c.search.id, c.listing.id) not in existing and _new_to_search(c)
    ]
    if not fresh:
        return []
    # Reposts (issue 14): the same seller and title alerted to this search lately.
    # A listing's repost key is worked out once, not once per search that matched it.
    keys = {
        c.listing.id: repost_key(c.data.marketplace, c.data.seller, c.data.title) for c in fresh
    }
    earlier = await earlier_alerts(
        conn, [(c.search.id, c.listing.id, keys[c.listing.id]) for c in fresh], now, reposted
    )
    by_pair = {(c.search.id, c.listing.id): c for c in fresh}
    # A pair another process inserted meanwhile is skipped here: its alert is that process's.
    created = await insert_returning_new(
        conn,
        "match",
        MATCH_COLUMNS,
        [(c.search.id, c.listing.id, MatchStatus.NEW.value, c.data.price, now, now) for c in fresh],
        returning=("id", "search_id", "listing_id"),
    )
    intents = []
    for match_id, search_id, listing_id in created:
        assert isinstance(match_id, int) and isinstance(search_id, int)
        assert isinstance(listing_id, int)
        results[search_id].new_matches += 1
        candidate = by_pair[(search_id, listing_id)]
        sources[match_id] = candidate
        repost = earlier.get((search_id, listing_id))
        if repost is None:
            intents.append(AlertIntent(match_id, search_id, AlertKind.NEW_LISTING))
        elif is_price_drop(repost.alerted_price, candidate.data.price):
            intents.append(
                AlertIntent(
                    match_id,
                    search_id,
                    AlertKind.PRICE_DROP,
                    repost.alerted_price,
                    candidate.data.price,
                )
            )
        elif candidate.criteria.show_reposts:
            intents.append(AlertIntent(match_id, search_id, AlertKind.REPOST))
        # else: a repost at the same price or dearer is not news; the match is kept (a
        # later drop on it alerts as usual) but nothing is queued.
    return intents


async def _price_drops(
    conn: BaseDBAsyncClient,
    candidates: Sequence[_Candidate],
    existing: dict[tuple[int, int], _Known],
    sources: dict[int, _Candidate],
) -> list[AlertIntent]:
    """A lower price on a match the user heard about (not hidden) queues a price-drop alert."""
    intents = []
    for c in candidates:
        match = existing.get((c.search.id, c.listing.id))
        if match is None or match.status is MatchStatus.HIDDEN:
            continue
        sources[match.id] = c
        if is_price_drop(match.alerted_price, c.data.price):
            intents.append(
                AlertIntent(
                    match.id, c.search.id, AlertKind.PRICE_DROP, match.alerted_price, c.data.price
                )
            )
        if c.data.price is not None and match.alerted_price != c.data.price:
            # Remember the latest price: a rise and fall back is not a second drop.
            await Match.filter(id=match.id).using_db(conn).update(alerted_price=c.data.price)
    return intents


async def _queue(
    conn: BaseDBAsyncClient,
    intents: Sequence[AlertIntent],
    by_id: Mapping[int, CheckedSearch],
    platforms: dict[int, str],
    now: datetime,
    results: dict[int, CheckResult],
) -> int:
    rows: list[tuple[object, ...]] = []
    by_search: dict[int, list[AlertIntent]] = defaultdict(list)
    for intent in intents:
        by_search[intent.search_id].append(intent)
    for search_id, wanted in by_search.items():
        search = by_id[search_id]
        new_rows = alert_values(wanted, search.channels, platforms[search.id], now)
        results[search.id].alerts_queued += len(new_rows)
        rows.extend(new_rows)
    await insert_ignoring_duplicates(conn, "alert", ALERT_COLUMNS, rows, ALERT_TYPES)
    return len(rows)


def _newest(items: Sequence[ListingData]) -> list[ListingData]:
    dated = sorted(items, key=lambda d: d.posted_at.timestamp() if d.posted_at else 0.0)
    return list(reversed(dated))[:PREVIEW_SIZE]
