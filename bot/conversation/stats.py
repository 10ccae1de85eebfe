"""/stats: how an account's searches are doing, in numbers."""

from __future__ import annotations

from datetime import datetime

from core.accounts import numbers
from core.views import AccountView


async def stats_text(account: AccountView, now: datetime) -> str:
    n = await numbers(account.id, now)
    return (
        "📊 Your numbers\n"
        f"Searches: {n.active} active, {n.paused} paused ({account.tier.value} plan)\n"
        f"Checks run: {n.checks}\n"
        f"Listings found: {n.found} · saved {n.saved} · hidden {n.hidden}\n"
        f"Alerts sent: {n.alerts_day} in the last 24 h, {n.alerts_week} in the last 7 days"
    )
