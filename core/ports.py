"""The ports: what core needs from the outside world, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from core.enums import AlertKind, Channel, Condition, MatchStatus, Platform

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
    condition: Condition = Condition.ANY
    limit: int = 50
    # This marketplace's own fields from ``Criteria.extra`` (e.g. Craigslist's site), as
    # sorted pairs so the query stays hashable and equal queries still coalesce.
    extra: tuple[tuple[str, str], ...] = ()

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


@runtime_checkable
class Marketplace(Protocol):
    """A source of listings. Raises ``core.errors.MarketplaceError`` subclasses."""

    @property
    def name(self) -> str: ...

    async def search(self, query: MarketplaceQuery) -> list[ListingData]: ...


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


@runtime_checkable
class PaymentGateway(Protocol):
    """Billing's side of paid tiers (Stripe). Implemented by billing/."""

    async def checkout_url(self, account_id: int, tier: str) -> str: ...

    async def portal_url(self, account_id: int) -> str: ...
