"""Plain-text views of searches, listings and alerts, shared by every chat front-end."""

from __future__ import annotations

from datetime import datetime

from core.enums import AlertKind, SearchStatus
from core.formatting import age_text, price_text
from core.ports import AlertMessage, ListingData
from core.tiers import describe_interval
from core.views import SearchView as Search


def listing_lines(listing: ListingData, now: datetime) -> list[str]:
    where = " · ".join(
        part
        for part in (listing.location, listing.marketplace, age_text(listing.posted_at, now))
        if part
    )
    return [listing.title, f"{price_text(listing.price, listing.currency)} · {where}", listing.url]


def alert_lines(alert: AlertMessage, now: datetime) -> list[str]:
    listing = alert.listing
    if alert.kind is AlertKind.PRICE_DROP:
        old = price_text(alert.old_price, listing.currency)
        new = price_text(listing.price, listing.currency)
        head = f"📉 Price dropped {old} → {new} · {alert.search_name}"
    else:
        head = f"🆕 New match for {alert.search_name}"
    return [head, *listing_lines(listing, now)]


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
    if search.last_error:
        line += f"\n   ⚠ last error: {search.last_error}"
    return line


def preview_text(preview: list[ListingData], now: datetime) -> str:
    if not preview:
        return "Nothing matches right now; you'll hear from me when something does."
    blocks = ["\n".join("   " + line for line in listing_lines(item, now)) for item in preview]
    return "Newest listings already there (no alerts for these):\n" + "\n".join(blocks)
