"""The neutral screens, rendered by each front-end: the same text and buttons everywhere.

Each screen is built once (bot.conversation.screens); the console shows it as text with
numbered choices, Telegram as HTML with inline buttons. For the same state both show the
same words and the same buttons, Telegram's HTML is valid and within its limits, and each
button's action survives the trip through callback data (at most 64 bytes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.console import render as console_render
from bot.conversation import screens
from bot.conversation.actions import MAX_BYTES, QUESTION_ACTS, REF_CHARS, Act, Action, decode
from bot.conversation.replies import Reply
from bot.telegram import menus
from core.enums import SearchStatus
from core.errors import SLOWED_PREFIX
from core.matches import Page, SavedItem
from tests.unit.screen_checks import assert_same_screen

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass
class FakeSearch:
    id: int
    name: str
    status: SearchStatus = SearchStatus.ACTIVE
    interval_seconds: int = 1800
    last_checked_at: datetime | None = NOW - timedelta(minutes=5)
    last_error: str | None = None
    matches_count: int = 3
    marketplaces: list[str] = field(default_factory=lambda: ["sandbox"])
    channels: list[str] = field(default_factory=lambda: ["chat"])
    criteria: dict[str, Any] = field(default_factory=lambda: {"keywords": "ps5"})


@dataclass
class FakeListing:
    title: str
    url: str
    price: Decimal = Decimal("150")
    currency: str = "GBP"
    location: str = "Leeds"
    marketplace: str = "sandbox"
    state: str = "available"  # resellers (issue 14): what /saved marks
    price_history: list[list[str]] = field(default_factory=list)


@dataclass
class FakeTemplate:
    id: int
    slug: str
    name: str
    category: str
    description: str
    featured: bool = False


PS5 = FakeSearch(12, "Cheap <PS5> & co")
BIKE = FakeSearch(13, "Bike", status=SearchStatus.PAUSED, last_error="site down")
# What core.scheduling records for a check the quota planner deferred (issue 18).
SLOWED_BY = (
    "eBay's 5000 daily calls do not reach every search: searches on the free plan are "
    "checked every 64 min for now instead of 30"
)
SLOWED = FakeSearch(14, "Lego", last_error=SLOWED_PREFIX + SLOWED_BY)
SAVED = Page(
    [
        SavedItem(FakeListing("PS5 <boxed>", "https://example.test/a?x=1&y=2"), PS5.name, NOW, 5),  # type: ignore[arg-type]
        SavedItem(FakeListing("Odd link", "javascript:alert(1)"), PS5.name, NOW, 6),  # type: ignore[arg-type]
    ],
    page=2,
    pages=3,
    total=12,
)
TEMPLATES = [
    FakeTemplate(7, "iphone-uk", "iPhone Flips UK", "Phones", "Unlocked iPhones", True),
    FakeTemplate(8, "pixel", "Pixel deals", "Phones", "Google Pixels < £200"),
]

SCREENS: dict[str, Reply] = {
    "searches": screens.searches_list([PS5, BIKE, SLOWED], NOW, group=False),  # type: ignore[list-item]
    "group searches, none": screens.searches_list([], NOW, group=True),
    "search card": screens.search_card(PS5, NOW, "⏸ Paused."),  # type: ignore[arg-type]
    "paused card": screens.search_card(BIKE, NOW),  # type: ignore[arg-type]
    "slowed card": screens.search_card(SLOWED, NOW),  # type: ignore[arg-type]
    "delete question": screens.delete_question(PS5),  # type: ignore[arg-type]
    "deleted": screens.deleted(12),
    "saved page": screens.saved_page(SAVED, NOW),
    "nothing saved": screens.saved_page(Page([], 1, 1, 0), NOW),
    "template categories": screens.template_categories(["Phones", "Bikes & cycling"]),
    "template list": screens.template_list("Phones", TEMPLATES),  # type: ignore[arg-type]
    "private link": screens.private_link("saved", "https://t.me/bot?start=saved"),
}


@pytest.mark.parametrize("name", SCREENS)
def test_console_and_telegram_show_the_same_screen(name: str) -> None:
    assert_same_screen(SCREENS[name])


def test_a_search_card_snapshot_per_platform() -> None:
    reply = SCREENS["search card"]
    assert menus.render(reply).html == (
        "⏸ Paused.\n\n#12 Cheap &lt;PS5&gt; &amp; co — ▶ active · every 30 min · checked 5 min "
        "ago · 3 matches\nKeywords: ps5\nMarketplaces: sandbox\nAlerts to: chat"
    )
    rows = menus.render(reply).keyboard.inline_keyboard  # type: ignore[union-attr]
    assert [[(b.text, b.callback_data) for b in row] for row in rows] == [
        [("⏸ Pause", "s:12:p"), ("✏ Edit", "s:12:e")],
        [("🗑 Delete", "s:12:d")],
        [("« All searches", "s:0:l")],
    ]
    assert console_render(reply) == (
        "⏸ Paused.\n\n#12 Cheap <PS5> & co — ▶ active · every 30 min · checked 5 min ago · "
        "3 matches\nKeywords: ps5\nMarketplaces: sandbox\nAlerts to: chat\n"
        "  [1] ⏸ Pause  [2] ✏ Edit  [3] 🗑 Delete  [4] « All searches\n"
        "  (type a number, or type your answer)"
    )


def test_a_slowed_search_says_it_is_checked_less_often_not_an_error() -> None:
    head = "every 30 min · checked 5 min ago · 3 matches"
    slowed = f"#14 Lego — ▶ active · {head}\n   ⏳ checked less often: {SLOWED_BY}"
    for name in ("searches", "slowed card"):
        text = console_render(SCREENS[name])
        assert slowed in text, name
        assert "Slowed" not in text and "last error" not in text.split("#14")[1], name
    failing = f"#13 Bike — ⏸ paused · {head}\n   ⚠ last error: site down"  # a real error
    assert failing in console_render(SCREENS["searches"])


def test_a_saved_page_snapshot_links_only_web_addresses() -> None:
    html = menus.render(SCREENS["saved page"]).html
    assert html == (
        "<b>Saved listings</b> (page 2 of 3)\n\n"
        '⭐ <b><a href="https://example.test/a?x=1&amp;y=2">PS5 &lt;boxed&gt;</a></b>\n'
        "£150.00 · Leeds · sandbox · Cheap &lt;PS5&gt; &amp; co\n\n"
        "⭐ <b>Odd link</b>\n£150.00 · Leeds · sandbox · Cheap &lt;PS5&gt; &amp; co"
    )
    labels = [b.label for b in SCREENS["saved page"].buttons]
    assert labels == ["◀ Newer", "Older ▶"]


def test_actions_encode_within_limits_and_refuse_what_is_not_theirs() -> None:
    biggest = Action(Act.USE_TEMPLATE, 2**63 - 1)
    assert len(biggest.encode().encode()) <= MAX_BYTES <= 100  # Discord's custom_id fits too
    longest = Action(Act.CHOOSE, 2**63 - 1, "z" * REF_CHARS)
    assert len(longest.encode().encode()) <= MAX_BYTES
    for act in Act:
        action = Action(act, 42, "r3f" if act in QUESTION_ACTS else "")
        assert decode(action.encode()) == action
    forgeries = ("s:12:z", "x:1:o", "s:-1:o", "s:99999999999999999999:o", "", None, "s:1:oo")
    # A question's reference only on a question's buttons, and always there.
    forgeries += ("s:1:p:abc", "q:1:c", "q:1:c:", "q:1:c:UPPER", "q:1:c:123456789")
    for forged in forgeries:
        assert decode(forged) is None
    with pytest.raises(ValueError):
        Action(Act.PAUSE, 1, "abc").encode()
