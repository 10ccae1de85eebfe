"""/settings: a list of sections (time zone, quiet hours, …), each with its own little flow.

Sections are pluggable so delivery channels (email, phone, webhook verification) can add
theirs: a ``SettingsSection`` shows its current value and, when picked, asks its question.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.conversation.answers import BadAnswer
from bot.conversation.replies import Bold, Reply, ask
from core import accounts
from core.views import AccountView as Account

DONE = "done"


class SettingsSection(Protocol):
    """One line of /settings; ``open`` returns its question and how to read the answer."""

    @property
    def key(self) -> str: ...

    @property
    def label(self) -> str: ...

    def describe(self, account: Account) -> str: ...

    def open(self, account: Account) -> Question: ...


@dataclass(frozen=True, slots=True)
class Question:
    """What a section asks, and the coroutine that applies an answer (BadAnswer re-asks)."""

    prompt: Reply
    apply: Callable[[Account, str], Awaitable[str]]


def settings_menu(account: Account, sections: tuple[SettingsSection, ...]) -> Reply:
    lines = [f"{s.label}: {s.describe(account)}" for s in sections]
    return ask(
        [Bold("⚙ Settings"), "\n" + "\n".join(lines) + "\n\nPick what to change:"],
        *((s.label, s.key) for s in sections),
        ("Done", DONE),
    )


# --- time zone -------------------------------------------------------------------------------
COMMON_ZONES = (
    ("UK", "Europe/London"),
    ("Central Europe", "Europe/Berlin"),
    ("US Eastern", "America/New_York"),
    ("US Pacific", "America/Los_Angeles"),
    ("UTC", "UTC"),
)


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()} | {"utc": "UTC"}


def parse_timezone(text: str) -> str:
    name = _zones_by_lower_name().get(text.strip().lower().replace(" ", "_"))
    if name is None:
        raise BadAnswer(
            "I don't know that time zone. Type a name like Europe/London or America/New_York."
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadAnswer("That time zone cannot be loaded here; pick another.") from exc
    return name


async def _apply_timezone(account: Account, text: str) -> str:
    await accounts.set_timezone(account, parse_timezone(text))
    return f"🕑 Time zone set to {account.timezone}."


class TimezoneSection:
    key = "timezone"
    label = "Time zone"

    def describe(self, account: Account) -> str:
        return account.timezone

    def open(self, account: Account) -> Question:
        prompt = ask(
            "Which time zone are you in? Pick one or type its name, like Europe/London.",
            *((f"{label} ({zone})", zone) for label, zone in COMMON_ZONES),
        )
        return Question(prompt, _apply_timezone)


# --- quiet hours -----------------------------------------------------------------------------
QUIET_HELP = "Type the quiet time like 22:00-07:00 (local time), or off."


def _minute(text: str) -> int:
    found = re.fullmatch(r"(\d{1,2})(?:[:.h](\d{2}))?", text.strip())
    if not found:
        raise BadAnswer(QUIET_HELP)
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise BadAnswer(QUIET_HELP)
    return (hour * 60 + minute) % (24 * 60)


def parse_quiet_hours(text: str) -> tuple[int | None, int | None]:
    """'22:00-07:00' → (1320, 420); 'off' → (None, None)."""
    answer = text.strip().lower().replace("–", "-").replace(" to ", "-")
    if answer in {"off", "none", "no", "-"}:
        return None, None
    start_text, sep, end_text = answer.partition("-")
    if not sep:
        raise BadAnswer(QUIET_HELP)
    start, end = _minute(start_text), _minute(end_text)
    if start == end:
        raise BadAnswer("Start and end are the same. " + QUIET_HELP)
    return start, end


def describe_quiet(account: Account) -> str:
    start, end = account.quiet_start_minute, account.quiet_end_minute
    if start is None or end is None:
        return "off"
    return f"{start // 60:02d}:{start % 60:02d}–{end // 60:02d}:{end % 60:02d} ({account.timezone})"


async def _apply_quiet(account: Account, text: str) -> str:
    await accounts.set_quiet_hours(account, *parse_quiet_hours(text))
    return f"🌙 Quiet hours: {describe_quiet(account)}."


class QuietHoursSection:
    key = "quiet"
    label = "Quiet hours"

    def describe(self, account: Account) -> str:
        return describe_quiet(account)

    def open(self, account: Account) -> Question:
        prompt = ask(
            "Quiet hours: alerts arrive silently (chat) or wait (email, SMS) in this window. "
            + QUIET_HELP,
            ("Off", "off"),
            ("22:00–07:00", "22:00-07:00"),
            ("23:00–08:00", "23:00-08:00"),
            ("00:00–07:00", "00:00-07:00"),
        )
        return Question(prompt, _apply_quiet)


DEFAULT_SECTIONS: tuple[SettingsSection, ...] = (TimezoneSection(), QuietHoursSection())


__all__ = [
    "DEFAULT_SECTIONS",
    "Question",
    "QuietHoursSection",
    "SettingsSection",
    "TimezoneSection",
    "describe_quiet",
    "parse_quiet_hours",
    "parse_timezone",
    "settings_menu",
]
