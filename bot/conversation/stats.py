"""/stats: how an account's searches are doing, in numbers."""

from __future__ import annotations

from datetime import datetime

from bot.conversation.actions import Act, Action
from bot.conversation.replies import Bold, Button, Reply, screen
from core.accounts import numbers
from core.views import AccountView


async def stats_screen(account: AccountView, now: datetime) -> Reply:
    n = await numbers(account.id, now)
    return screen(
        [
            Bold("📊 Your numbers"),
            f"\nSearches: {n.active} active, {n.paused} paused ({account.tier.value} plan)\n"
            f"Checks run: {n.checks}\n"
            f"Listings found: {n.found} · saved {n.saved} · hidden {n.hidden}\n"
            f"Alerts sent: {n.alerts_day} in the last 24 h, {n.alerts_week} in the last 7 days",
        ],
        [Button("My searches", Action(Act.SEARCHES), row=0)],
    )
