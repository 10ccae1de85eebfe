"""Statuses, tiers and other closed sets of values, as ``str`` Enums (stored as their value)."""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    FREE = "free"
    STARTER = "starter"
    PRO = "pro"
    BUSINESS = "business"


class Platform(StrEnum):
    """Where a chat identity or a destination lives."""

    CONSOLE = "console"
    TELEGRAM = "telegram"
    DISCORD = "discord"


class Channel(StrEnum):
    """How an alert travels. CHAT goes to the search's destination on its platform."""

    CHAT = "chat"
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


class SearchStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class MatchStatus(StrEnum):
    NEW = "new"
    SAVED = "saved"
    HIDDEN = "hidden"


class AlertKind(StrEnum):
    NEW_LISTING = "new_listing"
    PRICE_DROP = "price_drop"


class AlertStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # permanent delivery error, or retries exhausted
    CANCELLED = "cancelled"  # the user hid the listing or the destination is gone


class Condition(StrEnum):
    ANY = "any"
    NEW = "new"
    USED = "used"


class InboxStatus(StrEnum):
    """An incoming chat update in the inbox."""

    PENDING = "pending"  # stored and acknowledged, not handled yet (or its handler was stopped)
    HANDLED = "handled"
    FAILED = "failed"  # its handler never finished after several tries: given up


class ApiScope(StrEnum):
    """What a personal API token may do (issue 17): read only, or read and change."""

    READ = "read"
    WRITE = "write"
