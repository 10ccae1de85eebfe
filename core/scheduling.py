"""When fetch keys run: claiming due keys with leases, and recording each key's outcome.

The fetch key (``core.fetchkeys``) is the unit of scheduled work (issue 15): it holds the due
time, lease, backoff, failure count and last result; its searches' rows are written only
when a search gets something new (a match, a price drop, a preview, an error to show). The
cost of a check therefore follows the distinct upstream requests, not the searches. Due
times are aligned (``core.keystate``): a key is due every ``interval`` (its fastest active
search's) at instants derived from its digest, and a slower search on it is matched on the
instants of its own grid only.

A claim commits a lease on each key (``FOR UPDATE SKIP LOCKED`` on Postgres), so N runner
processes never fetch the same key in one window; a lease expires on its own when a worker
dies mid-check, and every write of a result is fenced by the lease it was claimed with.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from core.backoff import backoff_delay
from core.enums import Platform, SearchStatus
from core.errors import SLOWED_PREFIX, MarketplaceError, RateLimited, Slowed, slowed_reason
from core.formatting import preview_text
from core.keystate import ALIGN_PERIOD_SECONDS, due_after_check, next_due, phase_seconds
from core.models import FetchKey, Search, SearchFetchKey
from core.outbox import queue_notice
from core.ports import ListingData
from core.text import clean_text

# Kept for callers that spread their own work within a key's instant (benchmarks).
SPREAD_SECONDS = 8
RETRY_BASE_SECONDS = 30.0
RETRY_CAP_SECONDS = 3600.0
# Tell the owners after this many failed checks of a key in a row (once), and on recovery.
NOTIFY_AFTER_FAILURES = 3
# Tell the owners when a key's page overflowed this many checks in a row (once).
NOTIFY_AFTER_OVERFLOWS = 3


def _chunks(ids: Sequence[int], size: int = 5000) -> list[Sequence[int]]:
    """``ids`` in pieces within every database's bind limit."""
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def spread_of(search_id: int) -> int:
    return search_id % SPREAD_SECONDS


def _due(now: datetime) -> Q:
    unleased = Q(lease_until=None) | Q(lease_until__lt=now)
    return Q(Q(next_check_at__lte=now), unleased)


@dataclass(slots=True)
class Claim:
    """Keys leased by one claim; ``full``: a bound stopped it, so more may be due now."""

    keys: list[FetchKey]
    full: bool


async def claim_due_keys(
    now: datetime,
    *,
    limit: int,
    lease_until: datetime,
    skip_locked: bool,
    max_searches: int | None = None,
) -> list[FetchKey]:
    """Lease up to ``limit`` due keys, oldest due first (see ``claim_keys``)."""
    claim = await claim_keys(
        now, limit=limit, lease_until=lease_until, skip_locked=skip_locked,
        max_searches=max_searches,
    )  # fmt: skip
    return claim.keys


async def claim_keys(
    now: datetime,
    *,
    limit: int,
    lease_until: datetime,
    skip_locked: bool,
    max_searches: int | None = None,
) -> Claim:
    """Lease up to ``limit`` due keys, oldest due first. The lease is committed before any
    fetch, so another process skips them (``skip_locked``) or finds them leased.

    ``max_searches`` bounds the searches the claim carries (each key counts the searches
    linked to it): a check loads all of its keys' searches at once, and at a million
    searches 500 keys can be most of them (peak RSS, and leases that run out before the
    batch is done). A key with more searches than that is claimed alone; keys are taken
    oldest due first until the next would pass the bound, so a big key is never passed
    over for smaller ones behind it (it comes first in the next claim)."""
    async with in_transaction():
        query = FetchKey.filter(_due(now)).order_by("next_check_at").limit(limit)
        if skip_locked:
            query = query.select_for_update(skip_locked=True)
        ids = [row.id for row in await query.only("id")]
        full = len(ids) >= limit
        if ids and max_searches is not None:
            taken = await _within(ids, max_searches)
            full = full or len(taken) < len(ids)
            ids = taken
        if ids:
            # The keys locked but not taken are free again when this transaction commits.
            await FetchKey.filter(id__in=ids).update(lease_until=lease_until)
    if not ids:
        return Claim([], full=False)
    return Claim(list(await FetchKey.filter(id__in=ids).order_by("next_check_at")), full)


async def _within(ids: Sequence[int], max_searches: int) -> list[int]:
    """The first of ``ids`` (in order) whose linked searches sum to at most ``max_searches``;
    at least the first one, however many it has."""
    counts = dict(
        await SearchFetchKey.filter(fetch_key_id__in=list(ids))
        .annotate(n=Count("id"))
        .group_by("fetch_key_id")
        .values_list("fetch_key_id", "n")
    )
    taken: list[int] = []
    total = 0
    for key_id in ids:
        n = int(counts.get(key_id, 0))
        if taken and total + n > max_searches:
            break
        taken.append(key_id)
        total += n
    return taken


async def make_due(now: datetime, search_ids: Sequence[int] | None = None) -> int:
    """Make the keys of ``search_ids`` (every key in use if None) due at ``now``: a "check now"."""
    links = SearchFetchKey.all()
    if search_ids is not None:
        links = links.filter(search_id__in=list(search_ids))
    key_ids = list(await links.values_list("fetch_key_id", flat=True))
    return int(await FetchKey.filter(id__in=key_ids).update(next_check_at=now, lease_until=None))


async def key_due(search: Search) -> datetime:
    """When the search's keys are next due (the earliest; a search is checked with them)."""
    keys = await FetchKey.filter(search_links__search_id=search.id).only("id", "next_check_at")
    found = [k.next_check_at for k in keys if k.next_check_at is not None]
    if not found:
        raise LookupError(f"search {search.id} has no scheduled key")
    return min(found)


@dataclass(slots=True)
class Route:
    """Where a search's notices go (what ``queue_notice`` reads of a destination)."""

    id: int
    platform: Platform


@dataclass(slots=True)
class KeySearch:
    """What a key check reads of one of its searches: plain values, not an ORM record (a
    popular key has tens of thousands of searches, and a record costs ten times more)."""

    id: int
    name: str
    criteria: dict[str, Any]
    marketplaces: list[str]
    channels: list[str]
    interval_seconds: int
    primed_at: datetime | None
    failure_notified_at: datetime | None
    destination: Route
    account_id: int  # whose blocked sellers apply (core.sellers)


# One statement for a batch's keys: the links, their active searches and destinations.
# Plain SQL, not the ORM: a claim carries up to 50,000 searches, and the ORM's per-value
# conversion and literal id lists cost more than the rest of a warm key check. The JSON
# columns come as the stored text, so equal values are decoded once (``shared`` below).
_KEY_SEARCHES_SQL = """
SELECT l.fetch_key_id, s.id, s.name, CAST(s.criteria AS TEXT), CAST(s.marketplaces AS TEXT),
       CAST(s.channels AS TEXT), s.interval_seconds, s.primed_at, s.failure_notified_at,
       s.destination_id, d.platform, s.account_id
FROM search_fetch_key l
JOIN search s ON s.id = l.search_id
JOIN destination d ON d.id = s.destination_id
WHERE s.status = {status} AND l.fetch_key_id {keys}
"""
_KEYS_PER_STATEMENT = 500  # within SQLite's bind limit; Postgres takes one array


async def active_searches(key_ids: Sequence[int]) -> dict[int, list[KeySearch]]:
    """Each key's active searches, loaded for one batch."""
    conn = connections.get("default")
    as_datetime = Search._meta.fields_map["primed_at"].to_python_value
    found: dict[int, list[KeySearch]] = defaultdict(list)
    # A popular key's searches mostly hold equal criteria, marketplaces, channels and
    # destinations: one shared object each (read-only), not one per search (peak RSS).
    shared: dict[object, Any] = {}

    def one(kind: str, raw: str) -> Any:
        value = shared.get((kind, raw))
        if value is None:
            value = shared[(kind, raw)] = json.loads(raw)
        return value

    for keys in _chunks(list(key_ids), _KEYS_PER_STATEMENT):
        if conn.capabilities.dialect == "postgres":
            sql = _KEY_SEARCHES_SQL.format(status="$1", keys="= ANY($2::int[])")
            params: list[Any] = [SearchStatus.ACTIVE.value, list(keys)]
        else:
            sql = _KEY_SEARCHES_SQL.format(status="?", keys=f"IN ({','.join('?' * len(keys))})")
            params = [SearchStatus.ACTIVE.value, *keys]
        _, rows = await conn.execute_query(sql, params)
        for (key_id, sid, name, criteria, markets, channels, interval, primed, notified,
             dest, plat, account) in rows:  # fmt: skip
            route = shared.get(("route", dest))
            if route is None:
                route = shared[("route", dest)] = Route(dest, Platform(plat))
            primed_at = None if primed is None else as_datetime(primed)
            notified_at = None if notified is None else as_datetime(notified)
            search = KeySearch(sid, name, one("criteria", criteria), one("markets", markets),
                               one("channels", channels), interval, primed_at, notified_at,
                               route, account)  # fmt: skip
            found[int(key_id)].append(search)
    return found


async def oldest_due_lag(now: datetime) -> float:
    """Seconds since the oldest due, unleased key should have been checked (0 if none)."""
    row = await FetchKey.filter(_due(now)).order_by("next_check_at").first().only("next_check_at")
    if row is None or row.next_check_at is None:
        return 0.0
    return max(0.0, (now - row.next_check_at).total_seconds())


async def due_lag_by_tier(now: datetime) -> dict[str, float]:
    """``oldest_due_lag`` per tier (a key counts in its best owner's tier)."""
    lags: dict[str, float] = {}
    rows = await FetchKey.filter(_due(now)).values_list("tier", "next_check_at")
    for tier, due in rows:
        if due is not None:
            lags[tier] = max(lags.get(tier, 0.0), (now - due).total_seconds())
    return lags


async def with_key_state(searches: Sequence[Search]) -> list[Search]:
    """Fill each search's last check and last error from its keys (the key holds them now).

    What /searches shows: the latest check of any of its keys, and the error of a key that
    is failing. Only the loaded objects change; nothing is saved.
    """
    rows = await SearchFetchKey.filter(search_id__in=[s.id for s in searches]).values_list(
        "search_id",
        "fetch_key__last_checked_at",
        "fetch_key__last_error",
        "fetch_key__consecutive_failures",
    )
    by_search: dict[int, list[tuple[datetime | None, str | None, int]]] = defaultdict(list)
    for search_id, checked, error, failures in rows:
        by_search[search_id].append((checked, error, failures))
    for search in searches:
        keys = by_search.get(search.id)
        if not keys:
            continue
        checked_at = [c for c, _, _ in keys if c is not None]
        if search.primed_at is not None and checked_at:
            search.last_checked_at = max(checked_at)
        errors = [e for _, e, n in keys if e and (n or slowed_reason(e) is not None)]
        search.last_error = errors[0] if errors else None
        search.consecutive_failures = max(n for _, _, n in keys)
    return list(searches)


@dataclass(slots=True)
class KeyResult:
    """One key's check: what to record on the key, and which searches got something new."""

    key: FetchKey
    searches: list[KeySearch]  # the key's active searches (all of them, not only those matched)
    error: MarketplaceError | None = None
    wait_until: datetime | None = None  # an open circuit: when the marketplace may be asked
    interval: int | None = None  # the fastest active interval, None: no active search
    overflowed: bool = False
    slowed: Slowed | None = None  # the quota planner deferred this check (issue 18)


@dataclass(slots=True)
class Outcomes:
    """What one batch's key checks came to, saved with a few grouped statements."""

    now: datetime
    lease_until: datetime
    keys: list[KeyResult] = field(default_factory=list)
    new_matches: dict[int, int] = field(default_factory=dict)
    primed: dict[int, tuple[KeySearch, datetime, Sequence[ListingData]]] = field(
        default_factory=dict
    )

    def matched(self, search_id: int, count: int) -> None:
        if count:
            self.new_matches[search_id] = self.new_matches.get(search_id, 0) + count

    def prime(self, search: KeySearch, seen_at: datetime, preview: Sequence[ListingData]) -> None:
        if search.primed_at is None:
            _, _, shown = self.primed.get(search.id, (search, seen_at, ()))
            self.primed[search.id] = (search, seen_at, [*shown, *preview][:3])


async def save_outcomes(outcomes: Outcomes, rng: random.Random | None = None) -> None:
    """Record the batch: each key's next due time and result; the searches that got something
    new (primed, matches); notices of failure, recovery and overflow to the owners.

    Every key update is fenced by the batch's lease: if a worker took over a key whose lease
    expired, this (late) result does not overwrite the newer one.
    """
    now = outcomes.now
    async with in_transaction():  # on SQLite each statement alone would be a commit
        for search, seen_at, preview in outcomes.primed.values():
            await _prime(search, seen_at, preview)
        by_count: dict[int, list[int]] = defaultdict(list)
        for search_id, count in outcomes.new_matches.items():
            by_count[count].append(search_id)
        for count, ids in by_count.items():
            for chunk in _chunks(ids):
                await Search.filter(id__in=chunk).update(matches_count=F("matches_count") + count)
        for result in outcomes.keys:
            if result.interval is None:  # nobody uses it now: never due until one joins
                await FetchKey.filter(id=result.key.id, lease_until=outcomes.lease_until).update(
                    next_check_at=None, lease_until=None
                )
            elif result.slowed is not None:
                await _key_slowed(result, outcomes)
            elif result.error is None:
                await _key_success(result, outcomes)
            else:
                await _key_failure(result, outcomes, rng)
            if result.interval is not None:
                await _overflow(result, now)


async def _key_success(result: KeyResult, outcomes: Outcomes) -> None:
    key, now = result.key, outcomes.now
    assert result.interval is not None
    updated = await FetchKey.filter(id=key.id, lease_until=outcomes.lease_until).update(
        next_check_at=due_after_check(now, result.interval, key.digest),
        interval_seconds=result.interval,
        last_checked_at=now,
        last_error=None,
        consecutive_failures=0,
        failure_notified_at=None,
        checks_count=F("checks_count") + 1,
        lease_until=None,
    )
    if not updated:
        return
    for search in result.searches:
        if search.failure_notified_at is not None:
            await _tell_recovered(search, now)


async def _key_slowed(result: KeyResult, outcomes: Outcomes) -> None:
    """Due again when the planner's pace allows; the reason is kept for /searches (a
    ``core.errors.SLOWED_PREFIX`` error, shown without a failure counted)."""
    assert result.slowed is not None
    delay = max(1.0, result.slowed.retry_after)
    await FetchKey.filter(id=result.key.id, lease_until=outcomes.lease_until).update(
        next_check_at=outcomes.now + timedelta(seconds=delay),
        last_error=clean_text(f"{SLOWED_PREFIX}{result.slowed}", 1000, multiline=True),
        lease_until=None,
    )


async def _key_failure(result: KeyResult, outcomes: Outcomes, rng: random.Random | None) -> None:
    key, error, now = result.key, result.error, outcomes.now
    assert error is not None
    failures = key.consecutive_failures + 1
    if result.wait_until is not None:
        delay = (result.wait_until - now).total_seconds()
    else:
        delay = backoff_delay(failures, base=RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS, rng=rng)
        if isinstance(error, RateLimited):
            delay = max(delay, error.retry_after)
    # Error texts can quote what a marketplace sent: cleaned like any outside text.
    message = clean_text(f"{type(error).__name__}: {error}", 1000, multiline=True)
    notify = failures >= NOTIFY_AFTER_FAILURES and key.failure_notified_at is None
    updated = await FetchKey.filter(id=key.id, lease_until=outcomes.lease_until).update(
        next_check_at=now + timedelta(seconds=max(0.0, delay)),
        last_checked_at=now,
        last_error=message,
        consecutive_failures=failures,
        checks_count=F("checks_count") + 1,
        lease_until=None,
        **({"failure_notified_at": now} if notify else {}),
    )
    if not (updated and notify):
        return
    # Once per key: each of its searches' chats hears of it (an error it must show).
    ids = [s.id for s in result.searches if s.failure_notified_at is None]
    for chunk in _chunks(ids):
        await Search.filter(id__in=chunk).update(failure_notified_at=now, last_error=message)
    for search in result.searches:
        if search.failure_notified_at is None:
            await queue_notice(
                search.destination,
                f"search:{search.id}:down:{now.isoformat()}",
                f"⚠ Your search #{search.id} {search.name} can't run right now ({error}). "
                "I'll keep trying and tell you when it works again.",
                now,
            )


async def _overflow(result: KeyResult, now: datetime) -> None:
    """Count checks in a row whose page overflowed; tell the owners once when it persists."""
    key = result.key
    if not result.overflowed:
        if key.overflows:
            await FetchKey.filter(id=key.id).update(overflows=0)
        return
    overflows = key.overflows + 1
    notify = overflows >= NOTIFY_AFTER_OVERFLOWS and key.overflow_notified_at is None
    await FetchKey.filter(id=key.id).update(
        overflows=overflows, **({"overflow_notified_at": now} if notify else {})
    )
    if not notify:
        return
    for search in result.searches:
        await queue_notice(
            search.destination,
            f"search:{search.id}:overflow:{key.digest}",
            f"ℹ Your search #{search.id} {search.name} finds more new listings between two "
            "checks than one page of results holds, so some may be missed. Check it more "
            "often, or narrow it (a price range, a place, fewer words that match anything).",
            now,
        )


async def _prime(search: KeySearch, seen_at: datetime, preview: Sequence[ListingData]) -> None:
    """Set the watermark, and show the chat what is there already: once per priming (of two
    workers priming the same search, only the one that sets the watermark tells)."""
    if not await Search.filter(id=search.id, primed_at=None).update(
        primed_at=seen_at, last_checked_at=seen_at
    ):
        return
    search.primed_at = seen_at
    await queue_notice(
        search.destination,
        f"search:{search.id}:preview:{seen_at.isoformat()}",
        preview_text(search.id, search.name, preview, seen_at),
        seen_at,
    )


async def _tell_recovered(search: KeySearch, now: datetime) -> None:
    since = search.failure_notified_at
    assert since is not None
    await Search.filter(id=search.id).update(failure_notified_at=None, last_error=None)
    await queue_notice(
        search.destination,
        f"search:{search.id}:up:{since.isoformat()}",
        f"✅ Your search #{search.id} {search.name} is running again.",
        now,
    )


__all__ = [
    "ALIGN_PERIOD_SECONDS",
    "Claim",
    "KeyResult",
    "KeySearch",
    "Outcomes",
    "active_searches",
    "claim_due_keys",
    "claim_keys",
    "due_after_check",
    "due_lag_by_tier",
    "key_due",
    "make_due",
    "next_due",
    "oldest_due_lag",
    "phase_seconds",
    "save_outcomes",
    "spread_of",
    "with_key_state",
]
