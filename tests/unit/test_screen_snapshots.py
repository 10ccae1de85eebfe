"""Every screen of the conversation, rendered by the console and by Telegram for one state.

The screens here are the ones built from questions and commands (start, help, each wizard
step, the summary, /settings and each section, confirmations, errors): for each, Telegram's
HTML is valid and within its limits, both front-ends show the same words and the same
buttons in the same order, and every button's callback data decodes to the button's action.
A few are pinned exactly, per platform, so a change to what users see shows in review.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

import pytest

from bot.console import pressed_actions
from bot.console import render as console_render
from bot.conversation import screens
from bot.conversation.actions import Act, Action
from bot.conversation.errors import user_text
from bot.conversation.replies import Reply, choice_buttons
from bot.conversation.settings import DEFAULT_SECTIONS, settings_menu
from bot.conversation.steps import STEPS, WizardContext
from bot.conversation.verification import EmailSection, PhoneSection, WebhookSection
from bot.conversation.wizard import PICK_EDIT, Wizard
from bot.conversation.your_data import erase_question
from bot.telegram import menus
from core.enums import Channel, Condition, Tier
from core.errors import ChannelNotVerified, NotFound, TierLimitExceeded, VerificationFailed
from core.tiers import TierTable
from tests.unit.screen_checks import assert_same_screen

REF = "0a1b2c3d"


@dataclass
class FakeAccount:
    id: int = 7
    tier: Tier = Tier.STARTER
    timezone: str = "Europe/London"
    quiet_start_minute: int | None = 22 * 60
    quiet_end_minute: int | None = 7 * 60
    email: str | None = "fay@example.com"
    phone: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    email_verified_at: datetime | None = datetime(2026, 1, 1)
    phone_verified_at: datetime | None = None
    webhook_verified_at: datetime | None = None
    email_unsubscribed_at: datetime | None = None


class NoService:
    """The verification sections only ask here; nothing is sent."""


ACCOUNT = FakeAccount()
CTX = WizardContext(
    TierTable.default(),
    Tier.PRO,
    ("sandbox", "ebay", "gumtree"),
    channels=(Channel.CHAT, Channel.EMAIL),
)
ANSWERS = {
    "name": "Cheap <PS5> & co",
    "marketplaces": ("sandbox", "ebay"),
    "keywords": 'ps5 "disc edition"',
    "exclude": ("broken",),
    "min_price": None,
    "max_price": None,
    "location": "Leeds",
    "radius_miles": 10,
    "condition": Condition.USED,
    "interval_seconds": 1800,
    "channels": (Channel.CHAT, Channel.EMAIL),
}


def _asked(reply: Reply) -> Reply:
    """A question as the session sends it: its buttons stamped with the question's ref."""
    buttons = choice_buttons(reply.options, REF, reply.multi_select, frozenset())
    return dataclasses.replace(reply, buttons=buttons) if reply.options else reply


def _sections() -> list[Reply]:
    service = NoService()
    sections = [
        *DEFAULT_SECTIONS,
        EmailSection(service),  # type: ignore[arg-type]
        PhoneSection(service),  # type: ignore[arg-type]
        WebhookSection(service),  # type: ignore[arg-type]
    ]
    return [s.open(ACCOUNT).prompt for s in sections]


def _screens() -> dict[str, Reply]:
    found: dict[str, Reply] = {
        "start, private": screens.start_screen(private=True),
        "start, group": screens.start_screen(private=False),
        "help": screens.help_screen(),
    }
    for step in STEPS:
        found[f"wizard: {step.key}"] = step.prompt(CTX)
    found["wizard: summary"] = Wizard(CTX, dict(ANSWERS), "summary").current()
    found["wizard: which part"] = Wizard(CTX, dict(ANSWERS), PICK_EDIT).current()
    found["settings"] = settings_menu(ACCOUNT, DEFAULT_SECTIONS)  # type: ignore[arg-type]
    odd = FakeAccount(timezone="Etc/<b>&amp;")  # outside text inside a marked-up screen
    found["settings, odd"] = settings_menu(odd, DEFAULT_SECTIONS)  # type: ignore[arg-type]
    for index, prompt in enumerate(_sections()):
        found[f"settings section {index}"] = prompt
    found["delete account?"] = erase_question()
    errors = {
        "tier limit": TierLimitExceeded(limit="searches", tier="free", allowed=1, current=1),
        "channel": ChannelNotVerified("email"),
        "code": VerificationFailed("no", reason="no_code"),
        "not found": NotFound("That <search> is gone & done."),
        "unexpected": RuntimeError("boom"),
    }
    for name, error in errors.items():
        found[f"error: {name}"] = user_text(error)
    return {name: _asked(reply) for name, reply in found.items()}


SCREENS = _screens()


@pytest.mark.parametrize("name", SCREENS)
def test_console_and_telegram_show_the_same_screen(name: str) -> None:
    reply = SCREENS[name]
    assert all(b.action is not None for b in reply.buttons)  # no links on these screens
    assert_same_screen(reply, REF)


def test_the_start_screen_per_platform() -> None:
    reply = SCREENS["start, private"]
    shown = menus.render(reply)
    assert shown.html.startswith("<b>👋 Welcome to Marketplace Monitor!</b>\nI watch")
    rows = shown.keyboard.inline_keyboard  # type: ignore[union-attr]
    assert [[(b.text, b.callback_data) for b in row] for row in rows] == [
        [("🔎 New search", "c:0:n"), ("⭐ Templates", "t:0:h")],
        [("📋 My searches", "s:0:l"), ("⚙ Settings", "c:0:g")],
        [("📊 Stats", "c:0:t"), ("❓ Help", "c:0:h")],
    ]
    assert console_render(reply).endswith(
        "\n  [1] 🔎 New search  [2] ⭐ Templates  [3] 📋 My searches  [4] ⚙ Settings  "
        "[5] 📊 Stats  [6] ❓ Help\n  (type a number, or type your answer)"
    )
    group = [b.label for b in SCREENS["start, group"].buttons]
    assert "⚙ Settings" not in group and "📊 Stats" not in group  # personal: private only


def test_a_multi_select_question_per_platform() -> None:
    reply = SCREENS["wizard: marketplaces"]
    shown = menus.render(reply)
    assert shown.html == "Which marketplaces? Your pro plan allows 3 per search."
    rows = shown.keyboard.inline_keyboard  # type: ignore[union-attr]
    assert [[(b.text, b.callback_data) for b in row] for row in rows] == [
        [("Sandbox", f"q:0:c:{REF}"), ("Ebay", f"q:1:c:{REF}"), ("Gumtree", f"q:2:c:{REF}")],
        [("Done ✔", f"q:0:d:{REF}")],
    ]
    assert console_render(reply) == (
        "Which marketplaces? Your pro plan allows 3 per search.\n"
        "  [1] Sandbox  [2] Ebay  [3] Gumtree\n"
        "  (type numbers separated by commas, or type your answer)"
    )
    # "1,3" in the console: tick Sandbox, tick Gumtree, Done: the presses Telegram makes.
    assert pressed_actions("1,3", reply) == [
        Action(Act.CHOOSE, 0, REF),
        Action(Act.CHOOSE, 2, REF),
        Action(Act.CHOICES_DONE, 0, REF),
    ]
    ticked = choice_buttons(reply.options, REF, True, frozenset({0, 2}))
    assert [b.label for b in ticked] == ["✅ Sandbox", "Ebay", "✅ Gumtree", "Done ✔"]


def test_the_settings_menu_per_platform() -> None:
    reply = SCREENS["settings"]
    assert menus.render(reply).html == (
        "<b>⚙ Settings</b>\nTime zone: Europe/London\n"
        "Quiet hours: 22:00–07:00 (Europe/London)\n\nPick what to change:"
    )
    assert [b.label for b in reply.buttons] == ["Time zone", "Quiet hours", "Done"]
    assert [o.value for o in reply.options] == ["timezone", "quiet", "done"]


def test_outside_text_in_a_summary_is_escaped() -> None:
    html = menus.render(SCREENS["wizard: summary"]).html
    assert "Name: Cheap &lt;PS5&gt; &amp; co" in html
    assert "Keywords: ps5 &quot;disc edition&quot;" in html
