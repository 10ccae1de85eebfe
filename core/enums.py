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
    REPOST = "repost"  # resellers (issue 14): a relist, shown because the search asked


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


# --- resellers (issue 14): buying format and what became of a listing ---


class BuyingFormat(StrEnum):
    """How a listing sells, and which of those a search wants.

    A listing is BUY_IT_NOW (a fixed price: every classified ad), AUCTION (bids only) or BOTH
    (an auction with a Buy It Now price). A search wants BUY_IT_NOW (the default for new
    searches), AUCTION or BOTH.
    """

    BUY_IT_NOW = "buy_it_now"
    AUCTION = "auction"
    BOTH = "both"


class ListingState(StrEnum):
    """What the marketplace last said about a listing (``core.saved_state`` re-checks saved
    ones). ``GONE`` is a listing the marketplace no longer knows (a 404)."""

    AVAILABLE = "available"
    SOLD = "sold"
    ENDED = "ended"
    GONE = "gone"
