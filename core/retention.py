"""Retention: old rows nothing needs any more are deleted, a batch at a time.

The dispatcher's loop runs a pass now and then (see ``Dispatcher``). Every process may run
it at once: each batch selects candidate ids, then deletes them with the same conditions
again in the DELETE, so a row that became needed in between (a new match on a listing, an
alert claimed again) is kept, and a row already deleted by another process costs nothing.

What goes, older than ``days`` (RETENTION_DAYS):
- finished alerts (sent, failed, cancelled), and with them their click-through token and
  click time, which live on the alert row;
- finished notices;
- matches nobody saved whose listing has not been seen since, and that have no alert left;
- listings not seen since that no match refers to (a saved match keeps its listing);
- fetch keys (core.fetchkeys) made before then that no search links to any more (a key
  holds the words of the searches that used it);
and, once the daily send limits no longer count them, used or expired verification codes
(they hold the address the code went to); and chat updates a day after they were handled;
Stripe event ids after ``days`` but never before 30 days (Stripe redelivers for 3).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.expressions import Q, Subquery
from tortoise.models import Model

from core import inbox
from core.clock import Clock, utcnow
from core.enums import AlertStatus, MatchStatus
from core.models import (
    Alert,
    Conversation,
    FetchKey,
    Match,
    Notice,
    PriceSample,
    SearchFetchKey,
    StripeEvent,
    VerificationCode,
)
from core.verdict import WINDOW_DAYS

logger = logging.getLogger(__name__)

FINISHED = (AlertStatus.SENT, AlertStatus.FAILED, AlertStatus.CANCELLED)
# Verification's daily send limits count codes of the last day: keep them that long.
CODE_LIMIT_WINDOW = timedelta(days=1)
HANDLED_UPDATE_WINDOW = timedelta(days=1)
# Stripe retries an event for up to 3 days: its id is kept ten times that, whatever ``days``.
STRIPE_EVENT_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class RetentionOptions:
    days: int = 90
    batch_size: int = 1000
    # A pass every hour or so (jittered, so processes do not all run it at the same moment).
    interval_seconds: float = 3600.0
    # Batches per step in one pass: a big backlog is worked off over several passes, a
    # minute apart, so one pass never holds up the loop that runs it for long.
    max_batches_per_pass: int = 20
    backlog_interval_seconds: float = 60.0


# One batch of a cleanup step: (now, cutoff, batch size) -> rows deleted.
BatchDelete = Callable[[datetime, datetime, int], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class CleanupStep:
    name: str
    delete_batch: BatchDelete


async def _delete_where(model: type[Model], where: Q, batch_size: int) -> int:
    """Delete up to ``batch_size`` rows of ``model`` matching ``where`` (checked twice)."""
    ids = await model.filter(where).limit(batch_size).values_list("id", flat=True)
    if not ids:
        return 0
    deleted: int = await model.filter(where, id__in=list(ids)).delete()
    return deleted


def _finished_before(cutoff: datetime) -> Q:
    # A failed or cancelled row's last try was due at next_attempt_at (it has no sent_at).
    sent = Q(status=AlertStatus.SENT, sent_at__lt=cutoff)
    given_up = Q(status__in=[AlertStatus.FAILED, AlertStatus.CANCELLED], next_attempt_at__lt=cutoff)
    return Q(sent | given_up)


async def delete_old_alerts(now: datetime, cutoff: datetime, batch_size: int) -> int:
    return await _delete_where(Alert, _finished_before(cutoff), batch_size)


async def delete_old_notices(now: datetime, cutoff: datetime, batch_size: int) -> int:
    return await _delete_where(Notice, _finished_before(cutoff), batch_size)


async def delete_old_matches(now: datetime, cutoff: datetime, batch_size: int) -> int:
    """Unsaved matches on listings unseen since ``cutoff``, with no alert row left."""
    with_alerts = Subquery(Alert.all().distinct().values("match_id"))
    where = Q(
        Q(created_at__lt=cutoff, listing__last_seen_at__lt=cutoff),
        ~Q(status=MatchStatus.SAVED),
        ~Q(id__in=with_alerts),
    )
    ids = await Match.filter(where).limit(batch_size).values_list("id", flat=True)
    if not ids:
        return 0
    # The DELETE cannot join the listing: re-check what can change (saved, a new alert).
    again = Q(~Q(status=MatchStatus.SAVED), ~Q(id__in=with_alerts), id__in=list(ids))
    deleted: int = await Match.filter(again).delete()
    return deleted


async def delete_old_listings(now: datetime, cutoff: datetime, batch_size: int) -> int:
    """Listings unseen since ``cutoff`` that no match refers to.

    NOT EXISTS through the index on ``match.listing_id`` (migration 0022): ``NOT IN
    (SELECT listing_id FROM match)`` rescans the whole match table for each listing once it
    outgrows Postgres's work_mem (measured: one batch ran minutes at 1,000,000 searches)."""
    conn = connections.get("default")
    mark = "$1" if conn.capabilities.dialect == "postgres" else "?"
    unreferenced = 'NOT EXISTS (SELECT 1 FROM "match" m WHERE m."listing_id" = l."id")'
    rows = await conn.execute_query_dict(
        f'SELECT l."id" FROM "listing" l WHERE l."last_seen_at" < {mark} AND {unreferenced} '
        f"LIMIT {int(batch_size)}",
        [cutoff],
    )
    ids = [int(row["id"]) for row in rows]
    if not ids:
        return 0
    # Checked again in the DELETE: a match may have come in meanwhile.
    marks = ", ".join(f"${n}" if mark == "$1" else "?" for n in range(2, len(ids) + 2))
    deleted = await conn.execute_query(
        f'DELETE FROM "listing" WHERE "last_seen_at" < {mark} AND "id" IN ({marks}) AND '
        f'NOT EXISTS (SELECT 1 FROM "match" m WHERE m."listing_id" = "listing"."id")',
        [cutoff, *ids],
    )
    return int(deleted[0])


async def delete_unused_fetch_keys(now: datetime, cutoff: datetime, batch_size: int) -> int:
    """Fetch keys older than ``cutoff`` that no search links to."""
    linked = Subquery(SearchFetchKey.all().distinct().values("fetch_key_id"))
    where = Q(Q(created_at__lt=cutoff), ~Q(id__in=linked))
    return await _delete_where(FetchKey, where, batch_size)


async def delete_spent_codes(now: datetime, cutoff: datetime, batch_size: int) -> int:
    """Used or expired codes, once the daily limits no longer count them."""
    spent = Q(Q(used_at__isnull=False) | Q(expires_at__lt=now))
    where = Q(spent, created_at__lt=now - CODE_LIMIT_WINDOW)
    return await _delete_where(VerificationCode, where, batch_size)


async def delete_handled_updates(now: datetime, cutoff: datetime, batch_size: int) -> int:
    """Chat updates handled over a day ago: they hold what people typed, and Telegram re-sends
    an update only within a day, so the id that de-duplicates it is needed no longer."""
    return await inbox.delete_handled_batch(now - HANDLED_UPDATE_WINDOW, batch_size)


async def delete_idle_conversations(now: datetime, cutoff: datetime, batch_size: int) -> int:
    """Conversations idle past their expiry: nobody can continue them any more."""
    return await _delete_where(Conversation, Q(expires_at__lte=now), batch_size)


async def delete_old_stripe_events(now: datetime, cutoff: datetime, batch_size: int) -> int:
    """Stripe event ids (core.billing) of events handled over ``days`` ago, and never within
    STRIPE_EVENT_WINDOW: Stripe redelivers an event for up to 3 days, and the id is what makes
    a redelivery a no-op."""
    before = min(cutoff, now - STRIPE_EVENT_WINDOW)
    return await _delete_where(StripeEvent, Q(received_at__lt=before), batch_size)


async def delete_old_price_samples(now: datetime, cutoff: datetime, batch_size: int) -> int:
    """Asking prices older than the usual price's window (issue 16, core.prices): an item's
    own fetches prune them too, this catches the items nobody fetches any more."""
    where = Q(seen_at__lt=now - timedelta(days=WINDOW_DAYS))
    return await _delete_where(PriceSample, where, batch_size)


# The steps of a pass, in order: alerts before matches (a match with alerts stays), matches
# before listings (a listing with a match stays).
CLEANUP_STEPS: tuple[CleanupStep, ...] = (
    CleanupStep("alerts", delete_old_alerts),
    CleanupStep("notices", delete_old_notices),
    CleanupStep("matches", delete_old_matches),
    CleanupStep("listings", delete_old_listings),
    CleanupStep("fetch keys", delete_unused_fetch_keys),
    CleanupStep("verification codes", delete_spent_codes),
    CleanupStep("chat updates", delete_handled_updates),
    CleanupStep("conversations", delete_idle_conversations),
    CleanupStep("stripe events", delete_old_stripe_events),
    CleanupStep("price samples", delete_old_price_samples),
)


@dataclass(slots=True)
class PassResult:
    deleted: dict[str, int]
    # True when some step stopped at max_batches_per_pass with rows left.
    backlog: bool = False


class Retention:
    """Runs cleanup passes; ``maybe_run`` is cheap to call on every loop iteration."""

    def __init__(
        self,
        options: RetentionOptions | None = None,
        *,
        clock: Clock = utcnow,
        steps: tuple[CleanupStep, ...] = CLEANUP_STEPS,
        rng: random.Random | None = None,
    ) -> None:
        self.options = options or RetentionOptions()
        self.clock = clock
        self.steps = steps
        self.rng = rng or random.Random()
        self._next_at: datetime | None = None

    async def maybe_run(self) -> PassResult | None:
        """A pass, if one is due; None otherwise. A failing pass is logged, not raised."""
        now = self.clock()
        if self._next_at is not None and now < self._next_at:
            return None
        self._next_at = now + timedelta(seconds=self._pause(backlog=False))
        try:
            result = await self.run_once()
        except Exception:  # retention must never stop the loop that hosts it
            logger.exception("retention pass failed; trying again later")
            return None
        if result.backlog:
            self._next_at = now + timedelta(seconds=self._pause(backlog=True))
        return result

    def _pause(self, *, backlog: bool) -> float:
        options = self.options
        base = options.backlog_interval_seconds if backlog else options.interval_seconds
        return base * self.rng.uniform(0.8, 1.2)

    async def run_once(self) -> PassResult:
        now = self.clock()
        cutoff = now - timedelta(days=self.options.days)
        result = PassResult({})
        for step in self.steps:
            total, more = await self._step(step, now, cutoff)
            result.deleted[step.name] = total
            result.backlog = result.backlog or more
        if any(result.deleted.values()):
            logger.info("retention: deleted %s", _summary(result.deleted))
        return result

    async def _step(self, step: CleanupStep, now: datetime, cutoff: datetime) -> tuple[int, bool]:
        """Batches of ``step`` until one comes back short; (rows deleted, rows left?)."""
        size, total = self.options.batch_size, 0
        for _ in range(self.options.max_batches_per_pass):
            deleted = await step.delete_batch(now, cutoff, size)
            total += deleted
            if deleted < size:
                return total, False
        return total, True


def _summary(deleted: dict[str, Any]) -> str:
    return ", ".join(f"{count} {name}" for name, count in deleted.items() if count)
