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
│   ├── ParseError         the page or payload no longer has the expected shape
│   └── Unavailable        network error, timeout, 5xx
├── DeliveryError          an alert could not be delivered; ``permanent`` stops retries
├── VerificationFailed     an address or URL could not be proven (wrong or expired code, limits)
├── ConfigurationError     a setting is missing or wrong (names the setting)
└── ComponentFailed        a part of the service could not start or died (names the part)
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error core raises on purpose."""


class InvalidCriteria(MonitorError):
    """Criteria (or one wizard answer) that cannot be used; the message says why."""


class TierLimitExceeded(MonitorError):
    """The account's tier does not allow this; the message names the limit and the way up."""

    def __init__(self, message: str, *, limit: str, tier: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.tier = tier


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
    """An email address, phone number or webhook URL could not be verified; says why."""


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
