"""Paid plans: the rules of billing, with Stripe behind a port (billing/ is the adapter).

Stripe sends events out of order and more than once, so an event is only a prompt: the
account's plan is derived from the subscription's *current* state, re-read from Stripe.
active/trialing → the price's tier; past_due → the tier stays while Stripe retries;
unpaid/canceled/incomplete_expired/paused → free; incomplete → nothing yet.

Each event id is stored, marked processed, in the same transaction as its effect: a crash
between the two cannot turn Stripe's retry into a no-op, and a replay changes nothing.

The account's ``tier`` is the one in force: the higher of the tier the subscription pays for
(``stripe_tier``) and an operator's comp (``comp_tier``). Stripe never lowers a comp.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from core.clock import Clock, utcnow
from core.criteria import Criteria
from core.enums import SearchStatus, Tier
from core.errors import ConfigurationError, NotFound, PaymentError
from core.fetchkeys import keys_for, link_search, schedule_key
from core.keystate import recompute_for_searches
from core.metrics import Metrics
from core.models import Account, Destination, Search, StripeEvent
from core.outbox import queue_notice
from core.ports import Checkout, PaymentGateway, Subscription
from core.tiers import TIER_ORDER, TierTable, describe_interval

logger = logging.getLogger(__name__)

LIVE = frozenset({"active", "trialing", "past_due"})
ENDED = frozenset({"unpaid", "canceled", "incomplete_expired", "paused"})
HANDLED = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
    }
)
DISPUTE = "charge.dispute.created"
PLAN_PAUSE = "plan"  # Search.paused_reason for a search a downgrade paused


@dataclass(frozen=True, slots=True)
class BillingEvent:
    """A verified webhook event, reduced to what the rules need."""

    id: str
    type: str
    customer: str = ""
    subscription: str = ""  # the subscription it is about, where it names one
    invoice: str = ""
    account_ref: str = ""  # client_reference_id or metadata naming our account


@dataclass(frozen=True, slots=True)
class PlanStatus:
    """/plan: the plan in force and what it allows and uses."""

    tier: Tier
    source: str  # "stripe", "comp" or "free"
    active_searches: int
    max_searches: int | None
    max_marketplaces: int
    fastest_interval: str
    sms_allowance: int
    sms_sent: int
    subscribed: bool
    status: str | None
    period_end: datetime | None
    cancel_at_period_end: bool
    plan_paused: int
    plan_paused_on: datetime | None


@dataclass(slots=True)
class Outcome:
    result: str
    cancel: list[str] = field(default_factory=list)


def _tier_named(name: str) -> Tier | None:
    """A price's metadata tier (set by stripe-setup): the fallback for a price id we have
    not configured, such as one made before an override changed."""
    return next((t for t in TIER_ORDER if t.value == name and t is not Tier.FREE), None)


def effective(stripe_tier: Tier | None, comp_tier: Tier | None) -> Tier:
    tiers = [t for t in (stripe_tier, comp_tier) if t is not None] or [Tier.FREE]
    return max(tiers, key=TIER_ORDER.index)


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


class BillingService:
    """Checkout, portal and webhook rules. ``prices``: tier → Stripe price id."""

    def __init__(
        self,
        gateway: PaymentGateway,
        prices: Mapping[Tier, str],
        tiers: TierTable,
        public_url: str,
        *,
        clock: Clock = utcnow,
        bot_url: str = "",
        metrics: Metrics | None = None,
        find_prices: Callable[[], Awaitable[Mapping[Tier, str]]] | None = None,
    ) -> None:
        self.gateway = gateway
        self.prices = dict(prices)
        self.tiers = tiers
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.bot_url = bot_url
        self.metrics = metrics
        # Asked again when a tier has no price yet (Stripe was unreachable at start-up, or
        # stripe-setup ran after): prices found by lookup key, overrides kept.
        self.find_prices = find_prices
        self.counts: dict[tuple[str, str], int] = {}

    def tier_of_price(self, price_id: str) -> Tier | None:
        return next((t for t, p in self.prices.items() if p == price_id), None)

    # chat ---------------------------------------------------------------------------
    async def status(self, account_id: int) -> PlanStatus:
        account = await Account.get(id=account_id)
        limits = self.tiers.for_tier(account.tier)
        active = await Search.filter(account_id=account.id, status=SearchStatus.ACTIVE).count()
        paused = await Search.filter(
            account_id=account.id, status=SearchStatus.PAUSED, paused_reason=PLAN_PAUSE
        ).order_by("-paused_at")
        source = "free"
        if account.comp_tier is not None and account.tier == account.comp_tier:
            source = "comp"
        if account.stripe_tier is not None and account.tier == account.stripe_tier:
            source = "stripe"
        return PlanStatus(
            tier=account.tier,
            source=source,
            active_searches=active,
            max_searches=limits.max_searches,
            max_marketplaces=limits.max_marketplaces_per_search,
            fastest_interval=describe_interval(limits.fastest_interval_seconds),
            sms_allowance=limits.monthly_sms,
            sms_sent=account.sms_sent if account.sms_month == f"{self.clock():%Y-%m}" else 0,
            subscribed=account.subscription_status in LIVE,
            status=account.subscription_status,
            period_end=account.period_end,
            cancel_at_period_end=account.cancel_at_period_end,
            plan_paused=len(paused),
            plan_paused_on=paused[0].paused_at if paused else None,
        )

    async def checkout_url(self, account_id: int, tier: Tier) -> tuple[str, bool]:
        """Where to pay for ``tier``: (url, is_portal). A subscriber gets the Customer Portal
        (another plan, their card, invoices) instead of a second subscription."""
        if tier not in self.prices and self.find_prices is not None:
            self.prices = {**await self.find_prices(), **self.prices}
        if tier not in self.prices:
            raise ConfigurationError(f"no Stripe price for {tier.value}: run stripe-setup")
        account = await Account.get(id=account_id)
        if account.subscription_status in LIVE and account.stripe_customer_id:
            return await self.portal_url(account_id), True
        customer = await self._customer(account)
        for session_id in await self.gateway.open_checkouts(customer):
            try:
                await self.gateway.expire_checkout(session_id)
            except PaymentError as exc:  # paid or expired meanwhile: nothing to expire
                logger.info("checkout %s not expired: %s", session_id, exc)
        session = await self.gateway.create_checkout(
            customer=customer,
            price=self.prices[tier],
            account_id=account.id,
            success_url=f"{self.public_url}/billing/success?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{self.public_url}/billing/cancel",
        )
        return session.url, False

    async def portal_url(self, account_id: int) -> str:
        account = await Account.get(id=account_id)
        if not account.stripe_customer_id:
            raise NotFound("You have no subscription yet: /upgrade starts one.")
        return await self.gateway.portal_url(
            account.stripe_customer_id, self.bot_url or self.public_url
        )

    async def _customer(self, account: Account) -> str:
        """The account's Stripe customer, created and stored before its first checkout, so
        every later event names a customer we know."""
        if account.stripe_customer_id:
            return account.stripe_customer_id
        customer = await self.gateway.create_customer(account.id)
        updated = await Account.filter(id=account.id, stripe_customer_id=None).update(
            stripe_customer_id=customer
        )
        if not updated:  # another process stored one first: use that
            await account.refresh_from_db()
            return account.stripe_customer_id or customer
        return customer

    async def resume_paused(self, account_id: int) -> int:
        """Resume the searches a downgrade paused, oldest first, as far as the plan allows."""
        account = await Account.get(id=account_id)
        limits = self.tiers.for_tier(account.tier)
        active = await Search.filter(account_id=account.id, status=SearchStatus.ACTIVE).count()
        paused = await Search.filter(
            account_id=account.id, status=SearchStatus.PAUSED, paused_reason=PLAN_PAUSE
        ).order_by("created_at", "id")
        resumed = 0
        for search in paused:
            if limits.max_searches is not None and active + resumed >= limits.max_searches:
                break
            search.status = SearchStatus.ACTIVE
            search.paused_reason = None
            search.paused_at = None
            search.next_check_at = self.clock()
            await search.save(
                update_fields=["status", "paused_reason", "paused_at", "next_check_at"]
            )
            resumed += 1
        if resumed:
            async with in_transaction() as conn:
                await rekey_account(conn, account.id, self.clock())
        return resumed

    async def checkout_result(self, session_id: str) -> tuple[Checkout, Tier] | None:
        """For /billing/success: the session and the plan its account is on now."""
        session = await self.gateway.checkout(session_id)
        if session is None or not session.client_reference_id.isdigit():
            return None
        account = await Account.get_or_none(id=int(session.client_reference_id))
        if account is None or account.stripe_customer_id != session.customer:
            return None
        return session, account.tier

    async def before_erase(self, account_id: int) -> None:
        """/deleteaccount: end the account's subscription first (no charges for a gone user)."""
        account = await Account.get_or_none(id=account_id)
        if account is None or not account.stripe_customer_id:
            return
        for sub in await self.gateway.subscriptions(account.stripe_customer_id):
            if sub.status not in ENDED and sub.status != "incomplete_expired":
                await self.gateway.cancel(sub.id)
                logger.info("subscription %s cancelled: account %s erased", sub.id, account_id)

    # webhooks -------------------------------------------------------------------------
    async def apply(self, event: BillingEvent) -> str:
        """Apply one verified event once; returns the outcome (for logs and metrics)."""
        outcome = await self._apply(event)
        key = (
            event.type if event.type in HANDLED or event.type == DISPUTE else "other",
            outcome.result,
        )
        self.counts[key] = self.counts.get(key, 0) + 1
        if self.metrics is not None:
            self.metrics.billing_events.labels(*key).inc()
            if outcome.result not in ("duplicate", "ignored"):
                await self.refresh_gauges()
        for sub_id in outcome.cancel:
            try:
                await self.gateway.cancel(sub_id)
            except PaymentError as exc:
                logger.warning("could not cancel duplicate subscription %s: %s", sub_id, exc)
        return outcome.result

    async def refresh_gauges(self) -> None:
        if self.metrics is None:
            return
        counts = await subscriptions_by_tier()
        for tier in TIER_ORDER[1:]:
            self.metrics.subscriptions.labels(tier.value).set(counts.get(tier.value, 0))

    async def _apply(self, event: BillingEvent) -> Outcome:
        if await StripeEvent.filter(event_id=event.id, processed_at__isnull=False).exists():
            return Outcome("duplicate")
        if event.type == DISPUTE:
            logger.warning("Stripe dispute opened (event %s): see the Stripe dashboard", event.id)
            return await self._record(event, "dispute")
        if event.type not in HANDLED or not event.subscription:
            return await self._record(event, "ignored")
        # Read before the transaction: a network call must not hold database locks.
        sub = await self.gateway.subscription(event.subscription)
        customer = sub.customer if sub is not None else event.customer
        account = await Account.get_or_none(stripe_customer_id=customer) if customer else None
        if account is None:
            logger.warning("Stripe event %s for unknown customer %s", event.id, customer)
            return await self._record(event, "unknown_customer")
        portal = ""
        if event.type == "invoice.payment_failed" and sub is not None and sub.status in LIVE:
            portal = await self.gateway.portal_url(customer, self.bot_url or self.public_url)
        now = self.clock()
        async with in_transaction() as conn:
            if not await self._mark(conn, event, now):
                return Outcome("duplicate")
            account = await Account.select_for_update().using_db(conn).get(id=account.id)
            outcome = await self._subscription_changed(conn, account, sub, now)
            if portal and outcome.result != "stale":
                await self._tell(
                    conn,
                    account,
                    f"billing:payfail:{event.invoice or event.id}",
                    "Your payment didn't go through. Your plan stays while Stripe tries "
                    f"again; update your card here: {portal}",
                    now,
                )
            await (
                StripeEvent.filter(event_id=event.id).using_db(conn).update(outcome=outcome.result)
            )
        return outcome

    async def _record(self, event: BillingEvent, result: str) -> Outcome:
        async with in_transaction() as conn:
            if not await self._mark(conn, event, self.clock(), result):
                return Outcome("duplicate")
        return Outcome(result)

    @staticmethod
    async def _mark(
        conn: BaseDBAsyncClient, event: BillingEvent, now: datetime, outcome: str = ""
    ) -> bool:
        try:
            # A nested transaction is a savepoint: a duplicate id fails only this insert, so
            # Postgres' transaction is not left aborted.
            async with in_transaction() as savepoint:
                await StripeEvent.create(
                    event_id=event.id[:255],
                    type=event.type[:128],
                    processed_at=now,
                    outcome=outcome,
                    using_db=savepoint,
                )
        except IntegrityError:
            return False  # another process applied it (its transaction committed first)
        return True

    async def _subscription_changed(  # noqa: C901 - the rules read best in one place
        self, conn: BaseDBAsyncClient, account: Account, sub: Subscription | None, now: datetime
    ) -> Outcome:
        if sub is None:
            return Outcome("no_subscription")
        cancel: list[str] = []
        current = account.stripe_subscription_id
        if current and current != sub.id:
            if sub.status not in LIVE:
                return Outcome("stale")  # an older or abandoned subscription's news
            if account.subscription_status in LIVE:
                # Two live subscriptions (two checkouts paid): keep the newer one.
                older_is_this = sub.created < (account.subscription_created or 0)
                logger.warning(
                    "account %s has two live subscriptions (%s, %s): cancelling the older",
                    account.id,
                    current,
                    sub.id,
                )
                if older_is_this:
                    return Outcome("duplicate_subscription", [sub.id])
                cancel.append(current)
        was_cancelling = account.cancel_at_period_end and account.stripe_subscription_id == sub.id
        account.stripe_subscription_id = sub.id
        account.subscription_status = sub.status
        account.subscription_created = sub.created
        account.period_end = sub.period_end
        account.cancel_at_period_end = sub.cancel_at_period_end
        if sub.status in ("active", "trialing"):
            account.stripe_tier = self.tier_of_price(sub.price_id) or _tier_named(sub.price_tier)
            if account.stripe_tier is None:
                logger.error("subscription %s has unknown price %s", sub.id, sub.price_id)
        elif sub.status in ENDED:
            account.stripe_tier = None
        # past_due keeps the tier while Stripe retries; incomplete changes nothing yet.
        old = account.tier
        account.tier = effective(account.stripe_tier, account.comp_tier)
        await account.save(using_db=conn)
        result = "unchanged"
        if account.tier != old:
            result = (
                "upgraded"
                if TIER_ORDER.index(account.tier) > TIER_ORDER.index(old)
                else "downgraded"
            )
            await self._plan_changed(conn, account, old, now)
        if (
            sub.cancel_at_period_end
            and not was_cancelling
            and sub.status in LIVE
            and sub.period_end
        ):
            await self._tell(
                conn,
                account,
                f"billing:ending:{sub.id}:{int(sub.period_end.timestamp())}",
                f"Your {account.tier.value.title()} plan is cancelled: it stays until "
                f"{_day(sub.period_end)}, then you're on Free. Changed your mind? /plan",
                now,
            )
        return Outcome(result, cancel)

    async def _plan_changed(
        self, conn: BaseDBAsyncClient, account: Account, old: Tier, now: datetime
    ) -> None:
        new = account.tier
        limits = self.tiers.for_tier(new)
        name = new.value.title()
        if TIER_ORDER.index(new) > TIER_ORDER.index(old):
            await rekey_account(conn, account.id, now)  # its keys' tier: paid keys go first
            searches = (
                "unlimited searches"
                if limits.max_searches is None
                else f"up to {limits.max_searches} searches"
            )
            text = (
                f"You're on {name} now: {searches}, {limits.max_marketplaces_per_search} "
                f"marketplace(s) each, checks as often as every "
                f"{describe_interval(limits.fastest_interval_seconds)}."
            )
            paused = (
                await Search.filter(
                    account_id=account.id, status=SearchStatus.PAUSED, paused_reason=PLAN_PAUSE
                )
                .using_db(conn)
                .count()
            )
            if paused:
                text += (
                    f" {paused} search(es) paused by your last plan change can run again: /plan."
                )
            await self._tell(
                conn, account, f"billing:tier:{account.id}:{new.value}:{now.timestamp()}", text, now
            )
            return
        changes = await enforce_limits(conn, account.id, self.tiers, new, now)
        text = f"You're on the {name} plan now."
        if changes:
            text += " What changed:\n" + "\n".join(f"• {c}" for c in changes)
        await self._tell(
            conn, account, f"billing:tier:{account.id}:{new.value}:{now.timestamp()}", text, now
        )

    async def _tell(
        self, conn: BaseDBAsyncClient, account: Account, key: str, text: str, now: datetime
    ) -> None:
        destination = await _private_destination(conn, account.id)
        if destination is None:
            logger.info("account %s has no chat to tell: %s", account.id, key)
            return
        await queue_notice(destination, key, text, now)


async def _private_destination(conn: BaseDBAsyncClient, account_id: int) -> Destination | None:
    found = (
        await Destination.filter(account_id=account_id, active=True).using_db(conn).order_by("id")
    )
    private = [d for d in found if d.kind == "private"]
    chosen = private or found
    return chosen[0] if chosen else None


async def enforce_limits(
    conn: BaseDBAsyncClient, account_id: int, tiers: TierTable, tier: Tier, now: datetime
) -> list[str]:
    """Make the account's searches fit ``tier``; returns each change in words.

    Searches over the count are paused newest first (reason recorded, so an upgrade can
    offer them back, and a user's own pause stays theirs); intervals faster than the tier
    are slowed to its fastest; marketplaces beyond its count are dropped, last added first.
    """
    limits = tiers.for_tier(tier)
    changes: list[str] = []
    active = (
        await Search.filter(account_id=account_id, status=SearchStatus.ACTIVE)
        .using_db(conn)
        .order_by("-created_at", "-id")
    )
    if limits.max_searches is not None and len(active) > limits.max_searches:
        over = active[: len(active) - limits.max_searches]  # newest first
        for search in over:
            search.status = SearchStatus.PAUSED
            search.paused_reason = PLAN_PAUSE
            search.paused_at = now
            await search.save(using_db=conn, update_fields=["status", "paused_reason", "paused_at"])
        names = ", ".join(f"“{s.name}”" for s in over)
        changes.append(f"paused {names} (the plan runs {limits.max_searches} at a time)")
    slowed: list[str] = []
    for search in await Search.filter(account_id=account_id).using_db(conn).order_by("id"):
        fields: list[str] = []
        if search.interval_seconds < limits.fastest_interval_seconds:
            search.interval_seconds = limits.fastest_interval_seconds
            fields.append("interval_seconds")
            slowed.append(f"“{search.name}”")
        if len(search.marketplaces) > limits.max_marketplaces_per_search:
            dropped = search.marketplaces[limits.max_marketplaces_per_search :]
            search.marketplaces = search.marketplaces[: limits.max_marketplaces_per_search]
            keys = keys_for(Criteria.from_json(search.criteria), search.marketplaces)
            search.fetch_key = schedule_key(keys)
            await link_search(conn, search.id, keys, now)
            fields += ["marketplaces", "fetch_key"]
            changes.append(f"“{search.name}” no longer checks {', '.join(dropped)}")
        if fields:
            await search.save(using_db=conn, update_fields=fields)
    if slowed:
        every = describe_interval(limits.fastest_interval_seconds)
        changes.append(f"checked every {every} now: {', '.join(slowed)}")
    await rekey_account(conn, account_id, now)
    return changes


async def rekey_account(conn: BaseDBAsyncClient, account_id: int, now: datetime) -> None:
    """The account's fetch keys recomputed (interval, tier, due time: core.keystate) after its
    plan changed what its searches may do, or which of them run."""
    searches = await Search.filter(account_id=account_id).using_db(conn).only("id")
    await recompute_for_searches(conn, [s.id for s in searches], now)


async def set_comp(
    account_id: int, tier: Tier | None, tiers: TierTable, now: datetime | None = None
) -> Account:
    """An operator's comp (``account set-tier``): the account gets the higher of it and what
    Stripe's subscription pays for. ``None`` removes the comp."""
    moment = now or utcnow()
    async with in_transaction() as conn:
        account = await Account.select_for_update().using_db(conn).get_or_none(id=account_id)
        if account is None:
            raise NotFound(f"There is no account #{account_id}.")
        old = account.tier
        account.comp_tier = tier
        account.tier = effective(account.stripe_tier, tier)
        await account.save(using_db=conn)
        if TIER_ORDER.index(account.tier) < TIER_ORDER.index(old):
            await enforce_limits(conn, account.id, tiers, account.tier, moment)
        elif account.tier != old:
            await rekey_account(conn, account.id, moment)
    return account


@dataclass(frozen=True, slots=True)
class AccountSummary:
    id: int
    tier: Tier
    comp_tier: Tier | None
    stripe_tier: Tier | None
    stripe_customer_id: str | None
    stripe_subscription_id: str | None
    subscription_status: str | None
    period_end: datetime | None
    searches: int
    created_at: datetime


async def summaries(
    account_ids: Sequence[int] | None = None, limit: int = 100
) -> list[AccountSummary]:
    query = Account.all().order_by("id")
    if account_ids is not None:
        query = query.filter(id__in=list(account_ids))
    rows = await query.limit(limit)
    found = []
    for row in rows:
        found.append(
            AccountSummary(
                id=row.id,
                tier=row.tier,
                comp_tier=row.comp_tier,
                stripe_tier=row.stripe_tier,
                stripe_customer_id=row.stripe_customer_id,
                stripe_subscription_id=row.stripe_subscription_id,
                subscription_status=row.subscription_status,
                period_end=row.period_end,
                searches=await Search.filter(account_id=row.id).count(),
                created_at=row.created_at,
            )
        )
    return found


async def subscriptions_by_tier() -> dict[str, int]:
    """/metrics: live subscriptions per tier."""
    rows = await Account.filter(subscription_status__in=list(LIVE)).values_list(
        "stripe_tier", flat=True
    )
    counts: dict[str, int] = {}
    for tier in rows:
        name = tier.value if isinstance(tier, Tier) else str(tier)
        counts[name] = counts.get(name, 0) + 1
    return counts


async def take_sms(account_id: int, tiers: TierTable, now: datetime) -> bool:
    """Count one SMS alert against the account's monthly allowance; False when it is spent
    (the alert then goes to chat only, and the chat is told once that month)."""
    month = f"{now:%Y-%m}"
    account = await Account.get_or_none(id=account_id)
    if account is None:
        return False
    allowance = tiers.for_tier(account.tier).monthly_sms
    await Account.filter(id=account_id).exclude(sms_month=month).update(sms_month=month, sms_sent=0)
    # One conditional UPDATE: two processes cannot both take the last SMS of the month.
    taken = await Account.filter(id=account_id, sms_month=month, sms_sent__lt=allowance).update(
        sms_sent=F("sms_sent") + 1
    )
    if taken:
        return True
    async with in_transaction() as conn:
        await _tell_account(
            conn,
            account_id,
            f"billing:sms:{account_id}:{month}",
            f"You've used this month's {allowance} SMS alerts on the {account.tier.value.title()} "
            "plan: until the month ends, alerts come to this chat only. /upgrade for more.",
            now,
        )
    return False


async def _tell_account(
    conn: BaseDBAsyncClient, account_id: int, key: str, text: str, now: datetime
) -> None:
    destination = await _private_destination(conn, account_id)
    if destination is not None:
        await queue_notice(destination, key, text, now)


def from_unix(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None
