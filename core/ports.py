"""The ports: what core needs from the outside world, as Protocols the adapters implement."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from core.currency import ConvertedPrice
from core.enums import (
    AlertKind,
    BuyingFormat,
    Channel,
    Condition,
    ListingState,
    MatchStatus,
    Platform,
)
from core.verdict import PriceVerdict

if TYPE_CHECKING:  # annotations only: core.criteria imports this module
    from core.criteria import Criteria


@dataclass(frozen=True, slots=True)
class ListingData:
    """One listing as a marketplace reports it, before it is stored."""

    marketplace: str
    external_id: str
    url: str
    title: str
    price: Decimal | None
    currency: str = "GBP"
    description: str = ""
    location: str = ""
    image_url: str | None = None
    seller: str = ""
    condition: Condition = Condition.ANY
    category: str = ""
    posted_at: datetime | None = None
    # Ids this same listing was stored under before the marketplace changed its ids (e.g.
    # Craigslist's numeric posting id, now its token): a stored row is re-keyed, not new.
    former_ids: tuple[str, ...] = ()
    # What resellers decide on (issue 14), where the marketplace says it (docs/marketplaces.md).
    # ``price`` stays the price to pay now: the Buy It Now price, or an auction's current bid.
    buying_format: BuyingFormat = BuyingFormat.BUY_IT_NOW
    current_bid: Decimal | None = None
    bid_count: int | None = None
    ends_at: datetime | None = None  # an auction's end
    postage: Decimal | None = None  # the cheapest delivery cost; None when not given
    ships: bool = False  # the seller posts it (the cost may still be unknown)
    collection_only: bool = False

    @property
    def is_auction(self) -> bool:
        return self.buying_format is not BuyingFormat.BUY_IT_NOW

    @property
    def total(self) -> Decimal | None:
        """Price with postage; the price alone when postage is unknown or not offered."""
        if self.price is None or self.postage is None:
            return self.price
        return self.price + self.postage


@dataclass(frozen=True, slots=True)
class MarketplaceQuery:
    """What is sent upstream. Searches with equal queries can share one fetch (coalescing).

    Only the filters a marketplace applies server-side belong here; everything else is
    applied locally by ``core.matching`` on the fetched listings.
    """

    marketplace: str
    keywords: str
    location: str = ""
    radius_miles: int | None = None
    category: str = ""
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    # The bounds' currency: the search's own (never converted per user, see core.fetchkeys).
    # An adapter sends the bounds upstream only when this is the currency its site prices
    # in; otherwise it sends none and core.matching compares converted prices locally.
    currency: str = "GBP"
    condition: Condition = Condition.ANY
    limit: int = 50
    # This marketplace's own fields from ``Criteria.extra`` (e.g. Craigslist's site), as
    # sorted pairs so the query stays hashable and equal queries still coalesce.
    extra: tuple[tuple[str, str], ...] = ()
    # Sellers whose listings are wanted (issue 14), sorted and lower-cased; empty = anyone.
    # Sent upstream where the marketplace filters on it (eBay's ``sellers:{a|b}``).
    sellers: tuple[str, ...] = ()
    # Auctions ending soonest first, auctions only (a search of auctions ending within N
    # hours; eBay's ``sort=endingSoonest``): the newest listings are not the ones it wants.
    ending_soon: bool = False

    def option(self, key: str, default: str = "") -> str:
        """The marketplace-specific field ``key`` (``Criteria.extra["<marketplace>.<key>"]``)."""
        return dict(self.extra).get(key, default)


def _stripped(answer: str) -> str:
    return answer.strip()


@dataclass(frozen=True, slots=True)
class MarketplaceQuestion:
    """Something one marketplace needs beyond the common criteria (e.g. Craigslist's site).

    An adapter lists these in an optional ``questions`` attribute; the wizard asks each for
    the marketplaces a search uses and stores the answer in
    ``Criteria.extra["<marketplace>.<key>"]``. ``parse`` normalises an answer or raises
    ``ValueError`` whose message tells the user what is accepted.
    """

    key: str
    label: str  # short, for the wizard's summary: "Craigslist site"
    prompt: str
    parse: Callable[[str], str] = _stripped
    suggestions: tuple[tuple[str, str], ...] = ()  # (label, value) buttons; typing is fine
    # How a stored answer reads in the wizard's summary (default: as stored).
    show: Callable[[str], str] | None = None


@runtime_checkable
class Marketplace(Protocol):
    """A source of listings. Raises ``core.errors.MarketplaceError`` subclasses."""

    @property
    def name(self) -> str: ...

    async def search(self, query: MarketplaceQuery) -> list[ListingData]: ...


@runtime_checkable
class ListingChecker(Protocol):
    """A marketplace that can say what became of listings (issue 14; core.saved_state).
    Optional: a Marketplace adapter implements it where the marketplace can be asked by id.
    Raises ``core.errors.MarketplaceError`` subclasses (``QuotaSpent`` stops the pass)."""

    check_batch_size: int  # listings one upstream call answers for

    async def check_listings(self, listings: Sequence[tuple[str, str]]) -> dict[str, ListingState]:
        """(external id, url) pairs → the state of each, by external id."""
        ...


class PagedMarketplace(Marketplace, Protocol):
    """A marketplace that can read past the newest page (``page`` 1 is ``search``'s answer).

    The runner reads further pages only when a newest-first page was all new since the
    key's last fetch (it may have overflowed), within the marketplace's pacing and quota.
    """

    async def search_page(self, query: MarketplaceQuery, page: int) -> list[ListingData]: ...


class SearchWatcher(Protocol):
    """Told of every search saved (created, or its criteria changed). The demo's sandbox
    marketplace is one: it lists something the new search matches, so the user sees an alert.
    Raises ``core.errors.MarketplaceError`` subclasses."""

    async def search_saved(self, criteria: Criteria, marketplaces: Sequence[str]) -> str | None:
        """A line for the search's chat (e.g. "nothing here will match"), or None."""
        ...


class CallQuota(Protocol):
    """A daily budget of upstream calls, shared by every process (``core.quota.DailyQuota``).

    A scraper calls ``take()`` before each upstream call; it returns the day's count or raises
    ``core.errors.QuotaSpent`` with the delay until the next call is allowed.
    """

    async def take(self) -> int: ...


@dataclass(frozen=True, slots=True)
class KeyDemand:
    """One fetch key in use (issue 18): what it asks, how often and for whom at best."""

    digest: str
    query: MarketplaceQuery
    interval_seconds: int
    tier: str


@dataclass(frozen=True, slots=True)
class CategoryStats:
    """Where a query's recent matches fell: leaf category id → weight, and when last seen."""

    counts: dict[str, float]
    refreshed_at: datetime


class FeedHost(Protocol):
    """What a marketplace that reads category feeds needs from core (``core.feeds``)."""

    async def demand(self, marketplace: str) -> list[KeyDemand]:
        """Every fetch key of ``marketplace`` with an active search."""
        ...

    async def wake(self, marketplace: str, digests: Sequence[str]) -> int:
        """Make these keys due now (a feed found them something new)."""
        ...

    async def categories(self, marketplace: str) -> dict[str, CategoryStats]:
        """Every stored query's categories, by signature."""
        ...

    async def save_categories(
        self, marketplace: str, signature: str, counts: dict[str, float], at: datetime
    ) -> None: ...


@runtime_checkable
class BackgroundMarketplace(Marketplace, Protocol):
    """A marketplace with work of its own beside the checks (eBay's category feeds): the
    runner runs ``run_background`` until ``stop`` is set."""

    async def run_background(self, stop: asyncio.Event) -> None: ...


@dataclass(frozen=True, slots=True)
class AlertTarget:
    """Where one alert goes: the chat destination, or the account's verified address."""

    platform: Platform
    chat_id: str
    account_id: int
    address: str | None = None  # email, phone or webhook URL for non-chat channels


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """Everything a notifier needs to render and deliver one alert; no database access."""

    alert_id: int
    match_id: int
    search_id: int
    search_name: str
    channel: Channel
    kind: AlertKind
    listing: ListingData
    target: AlertTarget
    old_price: Decimal | None = None
    attempt: int = 1
    extra: dict[str, str] = field(default_factory=dict)
    # The match's status when the alert left (a price drop on a saved listing shows it saved).
    match_status: MatchStatus = MatchStatus.NEW
    # The account's quiet hours are on: a chat alert arrives without a sound.
    silent: bool = False
    # The price in the search's currency when the listing's differs (core.currency), with
    # the reference rates' date; shown after the listing's own price.
    converted: ConvertedPrice | None = None
    # Is it a deal? (issue 16): how the price compares with the item's usual asking price,
    # judged when the alert was queued (core.verdict); None when there is too little to say.
    verdict: PriceVerdict | None = None


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What the provider said: its message id, if it gives one."""

    provider_message_id: str = ""


@runtime_checkable
class Notifier(Protocol):
    """Delivers alerts over one channel. Raises ``core.errors.DeliveryError``."""

    @property
    def channel(self) -> str: ...

    async def send(self, alert: AlertMessage) -> DeliveryResult: ...


@runtime_checkable
class BatchNotifier(Notifier, Protocol):
    """A notifier that delivers several chat alerts for one destination in one message
    (Discord: up to 10 embeds), so a burst costs one send of the chat's rate limit, not ten.
    The dispatcher groups due alerts by destination and hands over at most ``batch_limit``.
    All or nothing: a raised ``DeliveryError`` returns every alert of the batch to the
    outbox; on success one result per alert, in order."""

    @property
    def batch_limit(self) -> int: ...

    async def send_many(self, alerts: Sequence[AlertMessage]) -> list[DeliveryResult]: ...


@dataclass(frozen=True, slots=True)
class NoticeMessage:
    """A message about the service itself, to one chat (not about a listing)."""

    notice_id: int
    target: AlertTarget
    text: str


@runtime_checkable
class ChatNotifier(Notifier, Protocol):
    """A chat platform's notifier also delivers notices to its chats."""

    async def send_notice(self, notice: NoticeMessage) -> DeliveryResult: ...


@dataclass(frozen=True, slots=True)
class Subscription:
    """What we read of a Stripe subscription (at the API version the SDK pins)."""

    id: str
    customer: str
    status: str
    price_id: str
    created: int
    period_end: datetime | None = None
    cancel_at_period_end: bool = False
    account_ref: str = ""  # subscription metadata's account_id
    price_tier: str = ""  # the price's metadata "tier" (stripe-setup writes it)


@dataclass(frozen=True, slots=True)
class Checkout:
    id: str
    url: str = ""
    status: str = ""
    payment_status: str = ""
    customer: str = ""
    client_reference_id: str = ""
    subscription: str = ""


@runtime_checkable
class PaymentGateway(Protocol):
    """The Stripe calls core.billing needs; implemented by billing/ (every create is
    idempotent on Stripe's side)."""

    async def create_customer(self, account_id: int) -> str: ...

    async def create_checkout(
        self, *, customer: str, price: str, account_id: int, success_url: str, cancel_url: str
    ) -> Checkout: ...

    async def open_checkouts(self, customer: str) -> list[str]: ...

    async def expire_checkout(self, session_id: str) -> None: ...

    async def checkout(self, session_id: str) -> Checkout | None: ...

    async def portal_url(self, customer: str, return_url: str) -> str: ...

    async def subscription(self, subscription_id: str) -> Subscription | None: ...

    async def subscriptions(self, customer: str) -> list[Subscription]: ...

    async def cancel(self, subscription_id: str) -> None: ...
