"""What front-ends may read of core's records, as read-only shapes.

Core services hand front-ends their records; front-ends read these attributes and pass the
records back to core services, and never query or save them (an import-linter contract keeps
the ORM out of bot/). The protocols name what is read, so a front-end needs no ORM import.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from core.enums import MatchStatus, Platform, SearchStatus, Tier


class AccountView(Protocol):
    id: int
    tier: Tier
    timezone: str
    quiet_start_minute: int | None
    quiet_end_minute: int | None
    email: str | None
    phone: str | None
    webhook_url: str | None
    webhook_secret: str | None
    email_verified_at: datetime | None
    phone_verified_at: datetime | None
    webhook_verified_at: datetime | None
    email_unsubscribed_at: datetime | None


class DestinationView(Protocol):
    id: int
    platform: Platform
    chat_id: str
    kind: str
    title: str


class SearchView(Protocol):
    id: int
    name: str
    status: SearchStatus
    interval_seconds: int
    last_checked_at: datetime | None
    last_error: str | None
    matches_count: int
    marketplaces: list[str]
    channels: list[str]
    criteria: dict[str, Any]


class ListingView(Protocol):
    title: str
    url: str
    price: Any
    currency: str
    location: str
    marketplace: str


class MatchView(Protocol):
    id: int
    status: MatchStatus
    listing: Any
    search: Any


class TemplateView(Protocol):
    id: int
    slug: str
    name: str
    category: str
    description: str
    featured: bool
