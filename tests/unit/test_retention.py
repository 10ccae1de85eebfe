"""Issue 9 item 10 (retention): old rows nothing refers to go, in batches; the rest stay."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.clicks import record_click
from core.dispatcher import Dispatcher
from core.enums import AlertKind, AlertStatus, Channel, InboxStatus, MatchStatus, Platform
from core.inbox import Inbox, InboxOptions, IncomingUpdate
from core.models import (
    Alert,
    Destination,
    FetchKey,
    InboxUpdate,
    Listing,
    Match,
    Notice,
    Search,
    SearchFetchKey,
    VerificationCode,
)
from core.retention import CLEANUP_STEPS, CleanupStep, Retention, RetentionOptions
from tests.fakes.alerts import verified_account
from tests.fakes.clock import FakeClock
from tests.fakes.notifier import RecordingNotifier

DAYS = 90
# Small batches, so every step takes several.
SMALL = RetentionOptions(days=DAYS, batch_size=2, max_batches_per_pass=50)


class World:
    def __init__(self, clock: FakeClock, search: Search, destination: Destination) -> None:
        self.now = clock.now
        self.old = clock.now - timedelta(days=DAYS + 10)
        self.recent = clock.now - timedelta(days=DAYS - 10)
        self.search = search
        self.destination = destination
        self._n = 0

    async def listing(self, seen: datetime) -> Listing:
        self._n += 1
        return await Listing.create(
            marketplace="sandbox",
            external_id=f"x{self._n}",
            url=f"https://marketplace.example/item/{self._n}",
            title=f"Item {self._n}",
            price=Decimal("10.00"),
            first_seen_at=seen,
            last_seen_at=seen,
        )

    async def match(self, listing: Listing, status: MatchStatus = MatchStatus.NEW) -> Match:
        match = await Match.create(search=self.search, listing=listing, status=status)
        await Match.filter(id=match.id).update(created_at=listing.first_seen_at)
        return match

    async def alert(
        self, match: Match, status: AlertStatus, at: datetime, channel: str = "chat"
    ) -> Alert:
        return await Alert.create(
            match=match,
            channel=Channel(channel),
            route="console",
            kind=AlertKind.NEW_LISTING,
            status=status,
            next_attempt_at=at,
            created_at=at,
            sent_at=at if status is AlertStatus.SENT else None,
            click_token=f"tok{match.id}{channel}token0000",
        )

    async def notice(self, key: str, status: AlertStatus, at: datetime) -> Notice:
        return await Notice.create(
            destination=self.destination,
            route="console",
            key=key,
            text="hello",
            status=status,
            next_attempt_at=at,
            created_at=at,
            sent_at=at if status is AlertStatus.SENT else None,
        )

    async def code(self, created: datetime, expires: datetime, used: bool) -> VerificationCode:
        code = await VerificationCode.create(
            account_id=self.search.account_id,  # type: ignore[attr-defined]
            channel=Channel.EMAIL,
            target="kim@example.com",
            code_hash="x",
            expires_at=expires,
            used_at=created if used else None,
        )
        await VerificationCode.filter(id=code.id).update(created_at=created)
        return code


async def _world(clock: FakeClock) -> World:
    account, destination = await verified_account()
    search = await Search.create(
        account=account,
        destination=destination,
        name="s",
        criteria={"keywords": "x"},
        marketplaces=["sandbox"],
        channels=["chat"],
        interval_seconds=900,
        next_check_at=clock.now,
    )
    return World(clock, search, destination)


async def _ids(model: type[Listing | Match | Alert | Notice | VerificationCode]) -> set[int]:
    return set(await model.all().values_list("id", flat=True))


async def test_old_unreferenced_rows_go_and_the_rest_stay(db: str) -> None:
    clock = FakeClock()
    w = await _world(clock)
    # Listings and matches.
    gone_listings = [await w.listing(w.old) for _ in range(5)]  # nothing refers to them
    recent_listing = await w.listing(w.recent)
    saved_listing = await w.listing(w.old)
    saved = await w.match(saved_listing, MatchStatus.SAVED)
    alerted_listing = await w.listing(w.old)  # its old alert and match go, then it does
    alerted = await w.match(alerted_listing)
    pending_listing = await w.listing(w.old)  # an alert still to send keeps match and listing
    pending = await w.match(pending_listing)
    live_listing = await w.listing(w.recent)
    live = await w.match(live_listing)
    # Alerts.
    old_sent = await w.alert(alerted, AlertStatus.SENT, w.old, "sms")
    await w.alert(alerted, AlertStatus.FAILED, w.old)
    await w.alert(saved, AlertStatus.SENT, w.old)
    still_pending = await w.alert(pending, AlertStatus.PENDING, w.old)
    recent_sent = await w.alert(live, AlertStatus.SENT, w.recent)
    # Notices and codes.
    await w.notice("a", AlertStatus.SENT, w.old)
    recent_notice = await w.notice("b", AlertStatus.SENT, w.recent)
    unsent_notice = await w.notice("c", AlertStatus.PENDING, w.old)
    day = timedelta(days=1)
    await w.code(w.now - 2 * day, w.now + day, used=True)
    await w.code(w.now - 2 * day, w.now - day, used=False)
    live_code = await w.code(w.now - timedelta(minutes=5), w.now + day, used=False)
    used_today = await w.code(w.now - timedelta(hours=1), w.now + day, used=True)

    result = await Retention(SMALL, clock=clock).run_once()

    assert not result.backlog
    assert await _ids(Listing) == {
        recent_listing.id,
        saved_listing.id,
        pending_listing.id,
        live_listing.id,
    }
    assert await _ids(Match) == {saved.id, pending.id, live.id}
    assert await _ids(Alert) == {still_pending.id, recent_sent.id}
    assert await _ids(Notice) == {recent_notice.id, unsent_notice.id}
    assert await _ids(VerificationCode) == {live_code.id, used_today.id}
    assert result.deleted == {
        "alerts": 3,
        "notices": 1,
        "matches": 1,
        "listings": len(gone_listings) + 1,
        "fetch keys": 0,
        "verification codes": 2,
        "chat updates": 0,
        "conversations": 0,
        "stripe events": 0,
        "price samples": 0,
    }
    # The click-through of a deleted alert is gone with it; a kept one still works.
    assert await record_click(old_sent.click_token or "", w.now) is None
    kept = await record_click(recent_sent.click_token or "", w.now)
    assert kept is not None and kept.url == live_listing.url


async def test_old_fetch_keys_no_search_uses_go(db: str) -> None:
    clock = FakeClock()
    w = await _world(clock)

    async def key(name: str, made: datetime, linked: bool) -> FetchKey:
        row = await FetchKey.create(
            marketplace="sandbox", digest=name * 32, version=1, query={}, created_at=made
        )
        if linked:
            await SearchFetchKey.create(search=w.search, fetch_key=row)
        return row

    await key("a", w.old, linked=False)
    kept = {(await key(n, at, linked)).id for n, at, linked in
            (("b", w.old, True), ("c", w.recent, False))}  # fmt: skip
    result = await Retention(SMALL, clock=clock).run_once()
    assert result.deleted["fetch keys"] == 1
    assert set(await FetchKey.all().values_list("id", flat=True)) == kept


async def test_a_backlog_is_worked_off_over_several_passes(db: str) -> None:
    clock = FakeClock()
    w = await _world(clock)
    for _ in range(7):
        await w.listing(w.old)
    options = RetentionOptions(days=DAYS, batch_size=2, max_batches_per_pass=2)
    retention = Retention(options, clock=clock)

    first = await retention.maybe_run()
    assert first is not None and first.backlog and first.deleted["listings"] == 4
    assert await retention.maybe_run() is None  # not due yet
    clock.advance(options.backlog_interval_seconds * 1.25)
    second = await retention.maybe_run()
    assert second is not None and not second.backlog and second.deleted["listings"] == 3
    assert await Listing.all().count() == 0


async def test_the_dispatcher_loop_runs_retention(db: str) -> None:
    clock = FakeClock()
    w = await _world(clock)
    await w.listing(w.old)
    passed = asyncio.Event()

    async def last_step(now: datetime, cutoff: datetime, batch_size: int) -> int:
        passed.set()
        return 0

    retention = Retention(SMALL, clock=clock, steps=(*CLEANUP_STEPS, CleanupStep("", last_step)))
    dispatcher = Dispatcher({"console": RecordingNotifier()}, clock=clock, retention=retention)
    task = asyncio.create_task(dispatcher.run())
    try:
        await asyncio.wait_for(passed.wait(), 10)
    finally:
        dispatcher.request_stop()
        await task
    assert await Listing.all().count() == 0


async def test_handled_chat_updates_go_after_a_day_and_pending_ones_stay(db: str) -> None:
    clock = FakeClock()
    inbox = Inbox(Platform.TELEGRAM, InboxOptions(max_pending_per_chat=100))
    two_days_ago = clock.now - timedelta(days=2)
    await inbox.accept([IncomingUpdate(i, "c", {"update_id": i}) for i in (1, 2, 3)], two_days_ago)
    old = await inbox.claim(two_days_ago)
    assert old is not None
    await inbox.finish(old, two_days_ago)
    recent = await inbox.claim(clock.now - timedelta(hours=1))
    assert recent is not None
    await inbox.finish(recent, clock.now - timedelta(hours=1))

    result = await Retention(SMALL, clock=clock).run_once()

    assert result.deleted["chat updates"] == 1
    left = {u.update_id: u.status for u in await InboxUpdate.all()}
    assert left == {2: InboxStatus.HANDLED, 3: InboxStatus.PENDING}


async def test_stripe_event_ids_are_kept_at_least_30_days(db: str) -> None:
    from core.models import StripeEvent

    now = datetime(2026, 6, 1, tzinfo=UTC)
    for days in (2, 29, 31, 100):
        row = await StripeEvent.create(event_id=f"evt_{days}", type="invoice.paid")
        await StripeEvent.filter(id=row.id).update(received_at=now - timedelta(days=days))
    # RETENTION_DAYS=1 must not shorten the window in which a redelivery is recognised.
    result = await Retention(RetentionOptions(days=1), clock=lambda: now).run_once()
    assert result.deleted["stripe events"] == 2
    left = sorted(await StripeEvent.all().values_list("event_id", flat=True))
    assert left == ["evt_2", "evt_29"]
