"""Quiet hours: the account's local window in which email and SMS alerts wait."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def quiet_until(
    now: datetime, timezone: str, start_minute: int | None, end_minute: int | None
) -> datetime | None:
    """The (UTC-aware) end of the quiet window ``now`` falls in, or None outside quiet hours.

    Minutes count from local midnight; a window may cross midnight (22:00–07:00). Equal start
    and end means no quiet hours.
    """
    if start_minute is None or end_minute is None or start_minute == end_minute:
        return None
    local = now.astimezone(_zone(timezone))
    minute = local.hour * 60 + local.minute
    start, end = start_minute % MINUTES_PER_DAY, end_minute % MINUTES_PER_DAY
    inside = start <= minute < end if start < end else minute >= start or minute < end
    if not inside:
        return None
    end_day = local.date() + timedelta(days=1 if start > end and minute >= start else 0)
    end_local = datetime.combine(end_day, time(end // 60, end % 60), tzinfo=local.tzinfo)
    # Normalise through UTC so a DST jump inside the window still gives a real instant.
    return end_local.astimezone(now.tzinfo)
