"""The JSON shapes of the API (issue 17): one pydantic model per resource, for what comes in
(``…In``, ``…Query``) and what goes out. The OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Plan = Literal["free", "starter", "pro", "business"]
Scope = Literal["read", "write"]
ChannelName = Literal["chat", "email", "sms", "webhook"]
ConditionName = Literal["any", "new", "used"]
MatchStatusName = Literal["new", "saved", "hidden"]
SearchStatusName = Literal["active", "paused"]


class _In(BaseModel):
    """Requests: unknown fields are refused, so a typo is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


# --- errors -----------------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, for programs: not_found, invalid, plan_limit, …")
    message: str = Field(description="For people: the same words the chat uses.")


class Error(BaseModel):
    """Every error answer, whatever the status."""

    error: ErrorDetail


# --- account ----------------------------------------------------------------------------------
class Limits(BaseModel):
    max_active_searches: int | None = Field(description="null: unlimited")
    max_marketplaces_per_search: int
    fastest_interval_seconds: int


class Usage(BaseModel):
    active_searches: int
    paused_searches: int
    matches: int
    saved: int
    hidden: int
    alerts_sent_last_day: int
    alerts_sent_last_week: int


class TokenSummary(BaseModel):
    name: str
    scope: Scope


class Account(BaseModel):
    id: int
    plan: Plan
    limits: Limits
    usage: Usage
    token: TokenSummary = Field(description="The token this request was made with.")


# --- searches ---------------------------------------------------------------------------------
class CriteriaIn(_In):
    keywords: str = Field(
        min_length=1,
        max_length=500,
        description='Every word required; "quoted phrase"; a OR b accepts either.',
    )
    exclude: list[str] = Field(default_factory=list, max_length=50)
    min_price: Decimal | None = Field(default=None, max_digits=12, decimal_places=2)
    max_price: Decimal | None = Field(default=None, max_digits=12, decimal_places=2)
    currency: str = Field(default="GBP", min_length=3, max_length=3)
    location: str = Field(default="", max_length=200)
    radius_miles: int | None = None
    condition: ConditionName = "any"
    category: str = Field(default="", max_length=64)
    max_age_hours: int | None = None
    extra: dict[str, str] = Field(
        default_factory=dict, description='Marketplace fields, e.g. {"craigslist.site": "sfbay"}'
    )


class CriteriaPatch(_In):
    """Criteria fields to change; the others stay as they are."""

    keywords: str | None = Field(default=None, min_length=1, max_length=500)
    exclude: list[str] | None = Field(default=None, max_length=50)
    min_price: Decimal | None = Field(default=None, max_digits=12, decimal_places=2)
    max_price: Decimal | None = Field(default=None, max_digits=12, decimal_places=2)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    location: str | None = Field(default=None, max_length=200)
    radius_miles: int | None = None
    condition: ConditionName | None = None
    category: str | None = Field(default=None, max_length=64)
    max_age_hours: int | None = None
    extra: dict[str, str] | None = None


class Criteria(BaseModel):
    keywords: str
    exclude: list[str]
    min_price: str | None = Field(description='A decimal as a string, e.g. "150.00"')
    max_price: str | None
    currency: str
    location: str
    radius_miles: int | None
    condition: ConditionName
    category: str
    max_age_hours: int | None
    extra: dict[str, str]


class Search(BaseModel):
    id: int
    name: str
    status: SearchStatusName
    destination_id: int
    read_only: bool = Field(
        description="true for a search posting into a group or channel: manage it in that chat."
    )
    criteria: Criteria
    marketplaces: list[str]
    channels: list[ChannelName]
    interval_seconds: int
    last_checked_at: datetime | None
    last_error: str | None
    matches_count: int
    created_at: datetime
    updated_at: datetime


class SearchList(BaseModel):
    items: list[Search]


def _chat_only() -> list[ChannelName]:
    return ["chat"]


class SearchIn(_In):
    name: str = Field(min_length=1, max_length=200)
    destination_id: int = Field(description="One of GET /api/v1/destinations (a private chat).")
    criteria: CriteriaIn
    marketplaces: list[str] = Field(min_length=1, max_length=10)
    interval_seconds: int = Field(ge=1, description="How often it is checked; your plan's limit.")
    channels: list[ChannelName] = Field(default_factory=_chat_only, min_length=1)


class SearchPatch(_In):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    criteria: CriteriaPatch | None = None
    marketplaces: list[str] | None = Field(default=None, min_length=1, max_length=10)
    interval_seconds: int | None = Field(default=None, ge=1)
    channels: list[ChannelName] | None = Field(default=None, min_length=1)


# --- templates --------------------------------------------------------------------------------
class Template(BaseModel):
    slug: str
    name: str
    category: str
    description: str
    featured: bool
    criteria: Criteria
    interval_seconds: int


class TemplateList(BaseModel):
    items: list[Template]


class TemplateUseIn(_In):
    destination_id: int
    marketplace: str | None = Field(default=None, description="Default: the first one offered.")


# --- matches ----------------------------------------------------------------------------------
class Listing(BaseModel):
    marketplace: str
    external_id: str
    title: str
    url: str
    price: str | None
    currency: str
    location: str
    image_url: str | None
    condition: str
    posted_at: datetime | None
    first_seen_at: datetime


class Match(BaseModel):
    id: int
    search_id: int
    status: MatchStatusName
    verdict: str | None = Field(
        description="The deal verdict of the match's latest alert, e.g. \"£210 · 24 % under "
        'the usual £275 (48 listings, 30 days)"; null when its usual price rested on too '
        "little (docs/prices.md)."
    )
    created_at: datetime
    updated_at: datetime
    listing: Listing


class MatchPage(BaseModel):
    items: list[Match]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null: done.")


class MatchQuery(_In):
    limit: int = Field(default=50, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)
    since: datetime | None = Field(default=None, description="Created at or after (ISO 8601).")
    status: MatchStatusName | None = None
    marketplace: str | None = Field(default=None, max_length=32)
    search_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class SearchMatchQuery(_In):
    limit: int = Field(default=50, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)
    since: datetime | None = None
    status: MatchStatusName | None = None
    marketplace: str | None = Field(default=None, max_length=32)


# --- destinations and alerts ------------------------------------------------------------------
class Destination(BaseModel):
    id: int
    platform: str
    kind: str = Field(description="private, group, supergroup or channel")
    title: str
    created_at: datetime


class DestinationList(BaseModel):
    items: list[Destination]


class Alert(BaseModel):
    id: int
    channel: ChannelName
    kind: Literal["new_listing", "price_drop"]
    event: str
    status: Literal["pending", "sending", "sent", "failed", "cancelled"]
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    clicked_at: datetime | None


class AlertList(BaseModel):
    items: list[Alert]
