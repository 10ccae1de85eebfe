"""Marketplace Monitor's domain: data, services, matching, the runner and the ports.

Imports no other package of this repository (checked by import-linter in CI).
"""

from core.criteria import Criteria
from core.enums import (
    AlertKind,
    AlertStatus,
    Channel,
    Condition,
    MatchStatus,
    Platform,
    SearchStatus,
    Tier,
)
from core.errors import (
    Blocked,
    ConfigurationError,
    DeliveryError,
    Forbidden,
    InvalidCriteria,
    MarketplaceError,
    MonitorError,
    NotFound,
    ParseError,
    QuotaSpent,
    RateLimited,
    TierLimitExceeded,
    Unavailable,
    VerificationFailed,
)
from core.ports import (
    AlertMessage,
    AlertTarget,
    CallQuota,
    DeliveryResult,
    ListingData,
    Marketplace,
    MarketplaceQuery,
    Notifier,
    PaymentGateway,
)

__all__ = [
    "AlertKind",
    "AlertMessage",
    "AlertStatus",
    "AlertTarget",
    "Blocked",
    "CallQuota",
    "Channel",
    "Condition",
    "ConfigurationError",
    "Criteria",
    "DeliveryError",
    "DeliveryResult",
    "Forbidden",
    "InvalidCriteria",
    "ListingData",
    "Marketplace",
    "MarketplaceError",
    "MarketplaceQuery",
    "MatchStatus",
    "MonitorError",
    "NotFound",
    "Notifier",
    "ParseError",
    "PaymentGateway",
    "Platform",
    "QuotaSpent",
    "RateLimited",
    "SearchStatus",
    "Tier",
    "TierLimitExceeded",
    "Unavailable",
    "VerificationFailed",
]
