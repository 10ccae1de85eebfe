"""A fetch key's schedule: the aligned grid, and recomputing a key when its searches change.

The fetch key (``core.fetchkeys``) is the unit of scheduled work: it has one due time, and
its interval is the fastest interval of its active searches. Due times are aligned:
``phase + k·interval`` with the phase taken from the key's digest, spread evenly over the
alignment period so the load is flat, and a slower interval's instants are a subset of a
faster one's (a 30-minute search on a key that a 5-minute search also uses is matched on
every sixth of the key's checks: it never rides the faster schedule and never costs a call).

``recompute_keys`` runs whenever a search joins a key, leaves it, is paused, resumed,
deleted or slowed (a downgrade): inside the transaction that changes the search, with plain
SQL (the 0012 migration's data step uses it too, so later model changes cannot break it).
A key whose searches all left is never due; the runner also drops a key it finds empty.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

ALIGN_PERIOD_SECONDS = 300
# Tiers, slowest first: a key is due with its best owner's tier (due lag is reported per tier).
TIER_ORDER = ("free", "starter", "pro", "business")


def phase_seconds(key: str, interval: int) -> int:
    """Where in its interval a key is due (seconds after an aligned boundary)."""
    spread = int(key[:8] or "0", 16) % ALIGN_PERIOD_SECONDS
    if interval >= ALIGN_PERIOD_SECONDS and interval % ALIGN_PERIOD_SECONDS == 0:
        slots = interval // ALIGN_PERIOD_SECONDS
        return spread + ALIGN_PERIOD_SECONDS * (int(key[8:16] or "0", 16) % slots)
    return spread % interval


def next_due(after: datetime, interval: int, key: str, spread: int = 0) -> datetime:
    """The first aligned instant strictly after ``after`` (never later than one interval)."""
    phase = phase_seconds(key, interval) + spread % max(1, interval // 10)
    k = math.floor((after.timestamp() - phase) / interval) + 1
    return datetime.fromtimestamp(phase + k * interval, UTC)


def due_after_check(checked_at: datetime, interval: int, key: str, spread: int = 0) -> datetime:
    """The next due time after a check: the aligned instant about one interval on.

    A check on time is followed by the next instant, exactly one interval later. A check off
    the grid (the first one, or a late one) takes the instant nearest to one interval later,
    so two checks are never less than half an interval apart.
    """
    due = next_due(checked_at, interval, key, spread)
    if (due - checked_at).total_seconds() < interval / 2:
        due += timedelta(seconds=interval)
    return due


def instant_between(key: str, interval: int, after: datetime | None, until: datetime) -> bool:
    """Does a search with ``interval`` on ``key`` have a due instant in (after, until]?

    A key check includes a slower search only then: the search is matched at its own pace,
    from state the key already holds (no per-search row is read or written for it).
    """
    if after is None:
        return True
    return next_due(after, interval, key) <= until


def best_tier(tiers: Iterable[str]) -> str:
    ranked = [t for t in tiers if t in TIER_ORDER]
    return max(ranked, key=TIER_ORDER.index, default="free")


def _time(value: object) -> datetime | None:
    """A timestamp read with plain SQL: SQLite hands back text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _mark(conn: BaseDBAsyncClient, n: int) -> str:
    return f"${n}" if conn.capabilities.dialect == "postgres" else "?"


def _new_due(
    key: dict[str, Any],
    active: list[dict[str, Any]],
    interval: int,
    now: datetime,
    *,
    from_searches: bool,
) -> datetime:
    digest = str(key["digest"])
    current = _time(key["next_check_at"])
    old_interval = int(key["interval_seconds"])
    if from_searches:
        dues = [t for r in active if (t := _time(r["next_check_at"])) is not None]
        return min(dues, default=now)
    if any(r["primed_at"] is None for r in active):
        return min(now, current) if current else now
    if current is None:
        return next_due(now, interval, digest)
    if interval < old_interval:
        return min(current, next_due(now, interval, digest))
    if interval > old_interval:
        return max(current, next_due(now, interval, digest))
    return current


async def recompute_keys(
    conn: BaseDBAsyncClient,
    key_ids: Sequence[int] | None,
    now: datetime,
    *,
    from_searches: bool = False,
) -> int:
    """Recompute the interval, tier and next due time of ``key_ids`` (every key if None).

    A key with an active search not yet primed is due now (its first check shows a
    preview); one whose interval got faster is due by the faster grid; one with no active
    search is never due. ``from_searches`` (the migration) also takes over the searches'
    own schedule and last result, from before keys were scheduled. Returns the keys changed.
    """
    if key_ids is not None and not key_ids:
        return 0
    where, params = "", list(key_ids or [])
    if key_ids is not None:
        marks = ", ".join(_mark(conn, n) for n in range(1, len(params) + 1))
        where = f' WHERE k."id" IN ({marks})'
    keys = await conn.execute_query_dict(
        'SELECT k."id", k."digest", k."interval_seconds", k."next_check_at", k."tier"'
        f' FROM "fetch_key" k{where}',
        params,
    )
    links = await conn.execute_query_dict(
        'SELECT l."fetch_key_id" AS key_id, s."interval_seconds", s."status", s."primed_at",'
        ' s."next_check_at", s."last_checked_at", s."last_error", s."consecutive_failures",'
        ' a."tier" FROM "search_fetch_key" l JOIN "search" s ON s."id" = l."search_id"'
        ' JOIN "account" a ON a."id" = s."account_id"'
        + where.replace('k."id"', 'l."fetch_key_id"'),
        params,
    )
    by_key: dict[int, list[dict[str, Any]]] = {}
    for row in links:
        if row["status"] == "active":
            by_key.setdefault(int(row["key_id"]), []).append(row)
    updates: list[list[object]] = []
    for key in keys:
        active = by_key.get(int(key["id"]), [])
        if not active:
            updates.append([int(key["interval_seconds"]), str(key["tier"]), None, int(key["id"])])
            continue
        interval = min(int(r["interval_seconds"]) for r in active)
        tier = best_tier(str(r["tier"]) for r in active)
        due = _new_due(key, active, interval, now, from_searches=from_searches)
        updates.append([interval, tier, due, int(key["id"])])
    if updates:
        sets = ", ".join(
            f'"{c}" = {_mark(conn, n)}'
            for n, c in enumerate(("interval_seconds", "tier", "next_check_at"), 1)
        )
        await conn.execute_many(
            f'UPDATE "fetch_key" SET {sets} WHERE "id" = {_mark(conn, 4)}', updates
        )
    if from_searches:
        await _take_over_results(conn, keys, by_key)
    return len(updates)


async def _take_over_results(
    conn: BaseDBAsyncClient, keys: list[dict[str, Any]], by_key: dict[int, list[dict[str, Any]]]
) -> None:
    rows: list[list[object]] = []
    for key in keys:
        active = by_key.get(int(key["id"]), [])
        checked = [t for r in active if (t := _time(r["last_checked_at"])) is not None]
        failing = max(active, key=lambda r: int(r["consecutive_failures"] or 0), default=None)
        failures = int(failing["consecutive_failures"] or 0) if failing else 0
        error = failing["last_error"] if failing and failures else None
        rows.append([max(checked, default=None), error, failures, int(key["id"])])
    if rows:
        cols = ("last_checked_at", "last_error", "consecutive_failures")
        sets = ", ".join(f'"{c}" = {_mark(conn, n)}' for n, c in enumerate(cols, 1))
        await conn.execute_many(
            f'UPDATE "fetch_key" SET {sets} WHERE "id" = {_mark(conn, 4)}', rows
        )


async def keys_of_searches(conn: BaseDBAsyncClient, search_ids: Sequence[int]) -> list[int]:
    """The keys ``search_ids`` use (to recompute after changing those searches)."""
    found: set[int] = set()
    ids = list(search_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join(_mark(conn, n) for n in range(1, len(chunk) + 1))
        rows = await conn.execute_query_dict(
            f'SELECT "fetch_key_id" FROM "search_fetch_key" WHERE "search_id" IN ({marks})', chunk
        )
        found.update(int(r["fetch_key_id"]) for r in rows)
    return sorted(found)


async def recompute_for_searches(
    conn: BaseDBAsyncClient, search_ids: Sequence[int], now: datetime
) -> None:
    """Recompute the keys of searches just paused, resumed or slowed."""
    await recompute_keys(conn, await keys_of_searches(conn, search_ids), now)


__all__ = [
    "ALIGN_PERIOD_SECONDS",
    "best_tier",
    "due_after_check",
    "instant_between",
    "keys_of_searches",
    "next_due",
    "phase_seconds",
    "recompute_for_searches",
    "recompute_keys",
]
