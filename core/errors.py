"""The error tree of the domain.

Core raises these; adapters translate library exceptions into them at the boundary
(``raise Blocked(...) from exc``) and turn them into words for the user.

MonitorError
├── InvalidCriteria        a search's criteria or a wizard answer cannot be used
├── TierLimitExceeded      the account's tier does not allow this (says which limit)
├── NotFound               the named thing does not exist
├── Forbidden              it exists but belongs to somebody else
├── MarketplaceError       fetching listings failed
│   ├── Blocked            the site refuses us (login wall, captcha, 403)
│   ├── RateLimited        slow down; ``retry_after`` seconds
│   │   └── QuotaSpent     our own daily call budget for the site is used up for now
│   ├── ParseError         the page or payload no longer has the expected shape
│   └── Unavailable        network error, timeout, 5xx
├── DeliveryError          an alert could not be delivered; ``permanent`` stops retries
├── VerificationFailed     an address or URL could not be proven (wrong or expired code, limits)
├── PaymentError           the payment provider refused or could not be reached
├── ConfigurationError     a setting is missing or wrong (names the setting)
└── ComponentFailed        a part of the service could not start or died (names the part)
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error core raises on purpose."""


class InvalidCriteria(MonitorError):
    """Criteria (or one wizard answer) that cannot be used; the message says why."""


class TierLimitExceeded(MonitorError):
    """The account's plan does not allow this. Carries which limit (``searches``,
    ``marketplaces_per_search``, ``fastest_interval``), the plan, what it allows and, for a
    count, how many the account has; each front-end words it (see bot.conversation.errors)."""

    def __init__(
        self, *, limit: str, tier: str, allowed: int | str, current: int | None = None
    ) -> None:
        super().__init__(_limit_words(limit, tier, allowed, current))
        self.limit = limit
        self.tier = tier
        self.allowed = allowed
        self.current = current


def _limit_words(limit: str, tier: str, allowed: int | str, current: int | None) -> str:
    """Plain words, for logs and for front-ends that have nothing better."""
    if limit == "searches":
        return (
            f"Your {tier} plan allows {allowed} active searches and you have {current}: "
            "pause or delete one first."
        )
    if limit == "marketplaces_per_search":
        return f"Your {tier} plan allows {allowed} marketplace(s) per search: pick fewer."
    return f"Your {tier} plan checks at most every {allowed}: pick a slower check."


class NotFound(MonitorError):
    """The named search, listing, match or template does not exist."""


class Forbidden(MonitorError):
    """The thing exists but the asking account has no right to it."""


def not_available(
    what: str, thing_id: int, *, forbidden: bool = False, holder: str = "You have"
) -> MonitorError:
    """The one refusal for an id that does not exist and one that is somebody else's.

    Worded the same both ways so nobody can learn which ids exist by trying them; the type
    differs only for logs and tests.
    """
    text = f"{holder} no {what} #{thing_id}."
    return Forbidden(text) if forbidden else NotFound(text)


class MarketplaceError(MonitorError):
    """Fetching listings from a marketplace failed."""

    def __init__(self, message: str, *, marketplace: str = "") -> None:
        super().__init__(message)
        self.marketplace = marketplace


class Blocked(MarketplaceError):
    """The site refuses us: login wall, captcha, 403."""


class RateLimited(MarketplaceError):
    """The site asks us to slow down for ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float, marketplace: str = "") -> None:
        super().__init__(message, marketplace=marketplace)
        self.retry_after = retry_after


class QuotaSpent(RateLimited):
    """Our own daily call budget for the site is used up for now (not the site failing)."""


class Slowed(MarketplaceError):
    """Not a failure: the quota planner (issue 18) gives this check's plan fewer calls for
    now; the check waits ``retry_after`` seconds, and /searches says why. It neither opens
    the circuit nor counts as a failed check."""

    def __init__(self, message: str, *, retry_after: float, marketplace: str = "") -> None:
        super().__init__(message, marketplace=marketplace)
        self.retry_after = retry_after


# A fetch key keeps a slowdown's reason in its ``last_error`` (core.scheduling) behind this
# prefix, with no failure counted; ``slowed_reason`` is how everyone else tells it apart.
SLOWED_PREFIX = "Slowed: "


def slowed_reason(last_error: str | None) -> str | None:
    """The planner's reason when ``last_error`` records a ``Slowed`` check (the search is
    checked less often for now, it is not failing), else None."""
    if last_error is None or not last_error.startswith(SLOWED_PREFIX):
        return None
    return last_error[len(SLOWED_PREFIX) :]


class ParseError(MarketplaceError):
    """The page or payload no longer has the shape we parse."""


class Unavailable(MarketplaceError):
    """Network error, timeout or a server error: try again later."""


class DeliveryError(MonitorError):
    """An alert could not be delivered. ``permanent`` errors are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class VerificationFailed(MonitorError):
    """An email address, phone number or webhook URL could not be verified; says why.

    ``reason`` names the cases a front-end words itself (``code_format``, ``no_code``, and
    ``new_code_needed`` with the ``channel`` to ask again on); the message is plain words.
    """

    def __init__(self, message: str, *, reason: str = "", channel: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.channel = channel


class ChannelNotVerified(InvalidCriteria):
    """A search asked for an alert channel (``channel``) the account has not verified."""

    def __init__(self, channel: str) -> None:
        super().__init__(f"Verify your {channel} destination in your settings before using it.")
        self.channel = channel


class PaymentError(MonitorError):
    """The payment provider (Stripe) refused a request or could not be reached.

    ``temporary``: a network error, timeout, rate limit or 5xx (try again later); otherwise
    the request itself was wrong (a missing price, a bad key) and the operator must look."""

    def __init__(self, message: str, *, temporary: bool = False) -> None:
        super().__init__(message)
        self.temporary = temporary


class ConfigurationError(MonitorError):
    """A setting is missing or has a wrong value; the message names the setting."""


class ComponentFailed(MonitorError):
    """A part of the running service (web, runner, a chat bot…) could not start or died.

    The message is one line that starts with the component's name and says why.
    """

    def __init__(self, component: str, reason: str) -> None:
        super().__init__(f"{component}: {reason}")
        self.component = component
        self.reason = reason


class ConversationConflict(MonitorError):
    """Another update changed this conversation since it was read (core.conversations)."""
