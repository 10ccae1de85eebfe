"""Delivers the outbox: claims due alerts and hands each to the notifier of its route."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from core import delivery
from core.backoff import backoff_delay, poll_pause
from core.billing import take_sms
from core.clock import Clock, utcnow
from core.enums import AlertStatus, Channel, MatchStatus
from core.errors import DeliveryError
from core.metrics import Metrics
from core.models import Alert, Notice
from core.outbox import (
    alert_message,
    claim_due,
    claim_due_notices,
    mark_final,
    mark_held,
    mark_retry,
    mark_sent,
    notice_message,
)
from core.ports import AlertMessage, BatchNotifier, ChatNotifier, DeliveryResult, Notifier
from core.rates import RatesCache
from core.retention import Retention
from core.signing import KeyStore
from core.tiers import TierTable

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DispatcherOptions:
    # A batch spans many chats (each takes about one message a second) and up to 60 sends
    # wait their chat's turn at once, so the bot's 30 a second is used (bench/delivery.py).
    batch_size: int = 500
    lease_seconds: float = 120.0
    idle_sleep_seconds: float = 0.5
    max_concurrent_sends: int = 60
    retry_base_seconds: float = 5.0
    retry_cap_seconds: float = 1800.0
    # About a day of retries at the cap before an alert is given up as failed.
    max_attempts: int = 60
    skip_locked: bool = False


class Dispatcher:
    """Sends pending alerts until cancelled; retries transient failures with backoff."""

    def __init__(
        self,
        notifiers: Mapping[str, Notifier],
        *,
        options: DispatcherOptions | None = None,
        metrics: Metrics | None = None,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
        keys: KeyStore | None = None,
        retention: Retention | None = None,
        rates: RatesCache | None = None,
        tiers: TierTable | None = None,
    ) -> None:
        self.notifiers = dict(notifiers)
        # An alert in another currency than its search's shows the converted price too.
        self.rates = rates or RatesCache()
        # The tiers' monthly SMS allowances (core.billing.take_sms); None: no allowance.
        self.tiers = tiers
        # Signs unsubscribe links of email alerts.
        self.keys = keys or KeyStore()
        self.options = options or DispatcherOptions()
        self.metrics = metrics or Metrics()
        self.clock = clock
        self.rng = rng or random.Random()
        # Old rows are deleted between batches here: this loop is mostly idle, while the
        # runner's write slot (one on SQLite) decides how late due searches are checked.
        self.retention = retention
        self._sends = asyncio.Semaphore(self.options.max_concurrent_sends)
        self._stopping = asyncio.Event()

    def request_stop(self) -> None:
        """Finish the sends in hand, claim no more: `run` then returns (a graceful drain)."""
        self._stopping.set()

    def add_notifier(self, route: str, notifier: Notifier) -> None:
        """Deliver alerts of ``route`` (a chat platform or a channel) through ``notifier``."""
        self.notifiers[route] = notifier

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                sent = await self.tick()
            except Exception:  # the loop must outlive any one bad batch
                logger.exception("dispatcher batch failed; continuing")
                sent = 0
            if self.retention is not None:
                await self.retention.maybe_run()
            if sent < self.options.batch_size:
                with contextlib.suppress(TimeoutError):
                    pause = poll_pause(self.options.idle_sleep_seconds)
                    await asyncio.wait_for(self._stopping.wait(), pause)

    async def tick(self) -> int:
        """Claim one batch of due alerts (and notices) and try each once; returns the count."""
        if not self.notifiers:
            return 0
        limit, lease = self.options.batch_size, self.options.lease_seconds
        skip_locked = self.options.skip_locked
        alerts = await claim_due(
            list(self.notifiers),
            self.clock(),
            limit=limit,
            lease_seconds=lease,
            skip_locked=skip_locked,
        )
        chats = [r for r, n in self.notifiers.items() if isinstance(n, ChatNotifier)]
        notices = await claim_due_notices(
            chats, self.clock(), limit=limit, lease_seconds=lease, skip_locked=skip_locked
        )
        singles: list[Alert] = []
        # Chat alerts for one destination, for a notifier that sends several in one message.
        bursts: dict[tuple[str, int], list[Alert]] = defaultdict(list)
        for alert in alerts:
            notifier = self.notifiers[alert.route]
            if isinstance(notifier, BatchNotifier) and alert.channel is Channel.CHAT:
                destination_id = alert.match.search.destination_id  # type: ignore[attr-defined]
                bursts[(alert.route, int(destination_id))].append(alert)
            else:
                singles.append(alert)
        await asyncio.gather(
            *(self._deliver(alert) for alert in _round_robin(singles)),
            *(self._deliver_burst(burst) for burst in bursts.values()),
            *(self._deliver_notice(notice) for notice in notices),
        )
        return len(alerts) + len(notices)

    async def _deliver_burst(self, alerts: list[Alert]) -> None:
        """One destination's due alerts, ``batch_limit`` to a message, in order. Each alert
        keeps its own outbox row: marked sent one by one after the message went, or all
        returned to the outbox (with their own attempts and backoff) when it did not."""
        notifier = self.notifiers[alerts[0].route]
        assert isinstance(notifier, BatchNotifier)
        ready: list[tuple[Alert, AlertMessage]] = []
        for alert in alerts:
            message = await self._prepare(alert)
            if message is not None:
                ready.append((alert, message))
        size = max(1, notifier.batch_limit)
        for start in range(0, len(ready), size):
            chunk = ready[start : start + size]
            if len(chunk) == 1:
                await self._send_one(*chunk[0])
            else:
                await self._send_chunk(notifier, chunk)

    async def _send_chunk(
        self, notifier: BatchNotifier, chunk: list[tuple[Alert, AlertMessage]]
    ) -> None:
        failed: DeliveryError | None = None
        async with self._sends:
            try:
                results = await notifier.send_many([m for _, m in chunk])
            except DeliveryError as exc:
                failed = exc
            except Exception as exc:  # an unexpected notifier bug is retried, not lost
                logger.exception("burst of %s alerts: notifier crashed", len(chunk))
                failed = DeliveryError(f"internal error: {exc}")
        if failed is not None:
            for alert, _ in chunk:
                await self._failed(alert, failed)
            return
        for (alert, _), result in zip(chunk, results, strict=True):
            await self._sent(alert, result)

    async def _deliver_notice(self, notice: Notice) -> None:
        notifier = self.notifiers[notice.route]
        assert isinstance(notifier, ChatNotifier)
        async with self._sends:
            try:
                await notifier.send_notice(notice_message(notice))
            except DeliveryError as exc:
                await self._failed(notice, exc)
                return
            except Exception as exc:  # an unexpected notifier bug is retried, not lost
                logger.exception("notice %s: notifier %s crashed", notice.id, notice.route)
                await self._failed(notice, DeliveryError(f"internal error: {exc}"))
                return
        await mark_sent(notice, self.clock())  # logs, and changes nothing, if the claim was lost

    async def _deliver(self, alert: Alert) -> None:
        message = await self._prepare(alert)
        if message is not None:
            await self._send_one(alert, message)

    async def _send_one(self, alert: Alert, message: AlertMessage) -> None:
        notifier = self.notifiers[alert.route]
        async with self._sends:
            try:
                result = await notifier.send(message)
            except DeliveryError as exc:
                await self._failed(alert, exc)
                return
            except Exception as exc:  # an unexpected notifier bug is retried, not lost
                logger.exception("alert %s: notifier %s crashed", alert.id, alert.route)
                await self._failed(alert, DeliveryError(f"internal error: {exc}"))
                return
        await self._sent(alert, result)

    async def _sent(self, alert: Alert, result: DeliveryResult) -> None:
        now = self.clock()
        if not await mark_sent(alert, now, result.provider_message_id):
            return  # another worker owns the row now: its record stands
        self.metrics.alerts_sent.labels(alert.route).inc()
        self.metrics.delivery_latency.observe((now - alert.created_at).total_seconds())

    async def _prepare(self, alert: Alert) -> AlertMessage | None:
        """The message to send, or None when the alert was cancelled or held for later."""
        reason = _cancel_reason(alert)
        if not reason and alert.channel is Channel.SMS and self.tiers is not None:
            account_id = alert.match.search.account_id  # type: ignore[attr-defined]
            if not await take_sms(account_id, self.tiers, self.clock()):
                reason = "over the plan's monthly SMS allowance (sent to chat only)"
        if reason:
            await mark_final(alert, AlertStatus.CANCELLED, reason)
            return None
        held = delivery.hold_until(alert, self.clock())
        if held is not None:
            await mark_held(alert, held)
            return None
        extra = await delivery.extra_for(alert, self.keys)
        if extra is None:
            return None
        return alert_message(
            alert,
            address=delivery.address_for(alert),
            extra=extra,
            silent=delivery.silent_now(alert, self.clock()),
            rates=await self.rates.get(),
        )

    async def _failed(self, row: Alert | Notice, exc: DeliveryError) -> None:
        attempts = row.attempts + 1
        permanent = exc.permanent or attempts >= self.options.max_attempts
        self.metrics.alert_failures.labels(row.route, str(permanent).lower()).inc()
        about = f"search {row.match.search_id}" if isinstance(row, Alert) else "notice"  # type: ignore[attr-defined]
        logger.warning(
            "%s %s (%s) via %s failed, attempt %s%s: %s",
            type(row).__name__.lower(),
            row.id,
            about,
            row.route,
            attempts,
            " (giving up)" if permanent else "",
            exc,
        )
        if permanent:
            if not await mark_final(row, AlertStatus.FAILED, str(exc)):
                return  # claim lost: another worker decides this row's fate
            if exc.permanent and isinstance(row, Alert):
                # The destination itself refused: stop its other alerts and tell the user once.
                await delivery.refused_for_good(row, str(exc), self.clock())
            return
        delay = backoff_delay(
            attempts,
            base=self.options.retry_base_seconds,
            cap=self.options.retry_cap_seconds,
            rng=self.rng,
        )
        await mark_retry(row, str(exc), self.clock() + timedelta(seconds=delay))


def _round_robin(alerts: list[Alert]) -> list[Alert]:
    """The batch with one destination's alerts spread out: its first alert of each
    destination, then the second, and so on (in claim order within a destination).

    Sends take the ``max_concurrent_sends`` places in this order, and a chat platform lets
    one chat have about one message a second: a batch in claim order (a chat's ten alerts
    side by side) would fill the places with a few chats waiting their turn, while the
    bot's own limit (30 a second on Telegram) is shared by all chats.
    """
    by_destination: dict[tuple[str, int], list[Alert]] = defaultdict(list)
    for alert in alerts:
        destination = alert.match.search.destination_id  # type: ignore[attr-defined]
        key = ("alert", alert.id) if destination is None else ("chat", int(destination))
        by_destination[key].append(alert)
    rounds = max((len(v) for v in by_destination.values()), default=0)
    return [q[n] for n in range(rounds) for q in by_destination.values() if n < len(q)]


def _cancel_reason(alert: Alert) -> str:
    if alert.match.status is MatchStatus.HIDDEN:
        return "the user hid this listing"
    if not alert.match.search.destination.active:
        return "the destination is no longer active"
    return delivery.blocked_reason(alert)
