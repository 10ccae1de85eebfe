"""The tier table: what each tier allows. The one place these numbers live."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from core.enums import Tier

SLOWEST_INTERVAL_SECONDS = 1440 * 60

# The check intervals a user can pick from; a tier offers those at or above its fastest.
INTERVAL_CHOICES_SECONDS = (60, 5 * 60, 15 * 60, 30 * 60, 60 * 60, 3 * 60 * 60, 1440 * 60)


@dataclass(frozen=True, slots=True)
class TierLimits:
    tier: Tier
    max_searches: int | None  # None = unlimited
    max_marketplaces_per_search: int
    fastest_interval_seconds: int
    monthly_price_gbp: Decimal
    # SMS alerts a month (they cost the operator money); past it, alerts go to chat only.
    monthly_sms: int = 0


DEFAULT_TIERS: dict[Tier, TierLimits] = {
    Tier.FREE: TierLimits(Tier.FREE, 2, 1, 30 * 60, Decimal("0"), 0),
    Tier.STARTER: TierLimits(Tier.STARTER, 5, 1, 15 * 60, Decimal("9.99"), 50),
    Tier.PRO: TierLimits(Tier.PRO, 25, 3, 5 * 60, Decimal("24.99"), 200),
    Tier.BUSINESS: TierLimits(Tier.BUSINESS, None, 4, 60, Decimal("49.99"), 1000),
}

TIER_ORDER = (Tier.FREE, Tier.STARTER, Tier.PRO, Tier.BUSINESS)


@dataclass(frozen=True, slots=True)
class TierTable:
    """The limits in force. Production uses the defaults; the offline demo speeds checks up."""

    limits: dict[Tier, TierLimits]
    interval_choices_seconds: tuple[int, ...] = INTERVAL_CHOICES_SECONDS
    # The demo: a template's own (slow) interval gives way to the tier's fastest.
    fast_templates: bool = False

    @classmethod
    def default(cls) -> TierTable:
        return cls(dict(DEFAULT_TIERS))

    @classmethod
    def demo(cls, fastest_seconds: int = 15) -> TierTable:
        """Every tier's fastest check is ``fastest_seconds`` so an alert shows within a minute."""
        limits = {
            tier: replace(lim, fastest_interval_seconds=fastest_seconds)
            for tier, lim in DEFAULT_TIERS.items()
        }
        return cls(limits, (fastest_seconds, *INTERVAL_CHOICES_SECONDS), fast_templates=True)

    def for_tier(self, tier: Tier) -> TierLimits:
        return self.limits[tier]

    def template_interval(self, tier: Tier, suggested_seconds: int) -> int:
        """How often a search made from a template is checked: the template's suggestion,
        never faster than ``tier`` allows (in the demo, the tier's fastest)."""
        fastest = self.limits[tier].fastest_interval_seconds
        return fastest if self.fast_templates else max(suggested_seconds, fastest)

    def interval_choices(self, tier: Tier) -> tuple[int, ...]:
        fastest = self.limits[tier].fastest_interval_seconds
        return tuple(s for s in self.interval_choices_seconds if s >= fastest)

    def next_tier_up(self, tier: Tier) -> TierLimits | None:
        index = TIER_ORDER.index(tier)
        return self.limits[TIER_ORDER[index + 1]] if index + 1 < len(TIER_ORDER) else None


def describe_interval(seconds: int) -> str:
    """'30 s', '5 min', '3 h', '1 day' — how intervals are shown to users."""
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        hours = seconds / 3600
        return f"{hours:g} h"
    return "1 day" if seconds == 86400 else f"{seconds / 86400:g} days"
