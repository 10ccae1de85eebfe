"""Plain-text views of searches, listings and alerts, shared by every chat front-end."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from core.enums import AlertKind, SearchStatus
from core.errors import slowed_reason
from core.formatting import (
    age_text,
    listing_lines,
    price_text,
    price_with_postage,
    range_text,
    verdict_text,
)
from core.ports import AlertMessage
from core.tiers import describe_interval
from core.views import SearchView as Search


def alert_lines(alert: AlertMessage, now: datetime) -> list[str]:
    listing = alert.listing
    if alert.kind is AlertKind.PRICE_DROP:
        old = price_text(alert.old_price, listing.currency)
        new = price_with_postage(listing.price, listing)
        head = f"📉 Price dropped {old} → {new} · {alert.search_name}"
    elif alert.kind is AlertKind.REPOST:  # resellers (issue 14)
        head = f"🔁 Repost (listed again) for {alert.search_name}"
    else:
        head = f"🆕 New match for {alert.search_name}"
    deal = verdict_text(alert.verdict)  # is it a deal? (issue 16)
    return [head, *listing_lines(listing, now, alert.converted), *([f"🏷 {deal}"] if deal else [])]


def search_line(search: Search, now: datetime) -> str:
    state = "▶ active" if search.status is SearchStatus.ACTIVE else "⏸ paused"
    checked = (
        "not checked yet"
        if search.last_checked_at is None
        else "checked " + (age_text(search.last_checked_at, now) or "just now")
    )
    line = (
        f"#{search.id} {search.name} — {state} · every "
        f"{describe_interval(search.interval_seconds)} · {checked} · "
        f"{search.matches_count} match{'es' if search.matches_count != 1 else ''}"
    )
    price = _price_range(search.criteria or {})
    if price:
        line += f" · {price}"
    slowed = slowed_reason(search.last_error)
    if slowed is not None:  # the quota planner's pace (issue 18): not an error
        line += f"\n   ⏳ checked less often: {slowed}"
    elif search.last_error:
        line += f"\n   ⚠ last error: {search.last_error}"
    return line


def _price_range(criteria: dict[str, object]) -> str:
    """The search's price range in its own currency ('up to $150.00'), '' without one."""
    low, high = (_decimal(criteria.get(k)) for k in ("min_price", "max_price"))
    if low is None and high is None:
        return ""
    return range_text(low, high, str(criteria.get("currency") or "GBP"))


def _decimal(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


__all__ = ["alert_lines", "listing_lines", "search_line"]
