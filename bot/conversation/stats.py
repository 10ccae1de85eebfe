"""/stats: how an account's searches are doing, in numbers."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.enums import AlertStatus, MatchStatus, SearchStatus
from core.models import Account, Alert, Match, Search


async def stats_text(account: Account, now: datetime) -> str:
    searches = Search.filter(account_id=account.id)
    active = await searches.filter(status=SearchStatus.ACTIVE).count()
    paused = await searches.filter(status=SearchStatus.PAUSED).count()
    checks = sum(int(row["checks_count"]) for row in await searches.values("checks_count"))
    matches = Match.filter(search__account_id=account.id)
    found = await matches.count()
    saved = await matches.filter(status=MatchStatus.SAVED).count()
    hidden = await matches.filter(status=MatchStatus.HIDDEN).count()
    sent = Alert.filter(match__search__account_id=account.id, status=AlertStatus.SENT)
    day = await sent.filter(sent_at__gte=now - timedelta(days=1)).count()
    week = await sent.filter(sent_at__gte=now - timedelta(days=7)).count()
    return (
        "📊 Your numbers\n"
        f"Searches: {active} active, {paused} paused ({account.tier.value} plan)\n"
        f"Checks run: {checks}\n"
        f"Listings found: {found} · saved {saved} · hidden {hidden}\n"
        f"Alerts sent: {day} in the last 24 h, {week} in the last 7 days"
    )
