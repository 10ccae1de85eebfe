"""Errors into the words (and buttons) a chat shows: the one place that does it.

Core errors carry data (which limit, which plan, which channel, why a code failed) and plain
words; here each becomes what a chat says, naming the chat's commands. Every front-end's
error handler uses ``user_text``, so a chat says the same thing on every platform.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.conversation import texts
from bot.conversation.actions import Act, Action
from bot.conversation.replies import Button, Reply, say
from core.errors import (
    ChannelNotVerified,
    ConversationConflict,
    MonitorError,
    PaymentError,
    TierLimitExceeded,
    VerificationFailed,
)

logger = logging.getLogger(__name__)

UNEXPECTED = (
    "Sorry, something went wrong on my side. Please try again in a moment; "
    "if it keeps happening, send /cancel and start over."
)
ALREADY_HANDLED = "That was already taken care of (you pressed twice, or in two places)."
_SETTING_OF_CHANNEL = {"email": "email", "sms": "phone", "webhook": "webhook"}
_EXAMPLE = {"email": "you@example.com", "phone": "+447911123456", "webhook": "URL"}


def _tier_limit(error: TierLimitExceeded) -> Reply:
    plan = f"Your {error.tier} plan"
    if error.limit == "searches":
        text = (
            f"{plan} allows {error.allowed} active searches and you have {error.current}: "
            "pause or delete one first (/searches lists them)."
        )
        return Reply(text, (Button("📋 My searches", Action(Act.SEARCHES)),))
    if error.limit == "marketplaces_per_search":
        return say(f"{plan} allows {error.allowed} marketplace(s) per search: pick fewer.")
    if error.limit == "fastest_interval":
        return say(f"{plan} checks at most every {error.allowed}: pick a slower check.")
    return say(str(error))


def _channel(error: ChannelNotVerified) -> Reply:
    setting = _SETTING_OF_CHANNEL.get(error.channel, error.channel)
    text = (
        f"Verify your {error.channel} destination first: "
        f"/settings {setting} {_EXAMPLE.get(setting, '')}".rstrip()
        + ", then pick it again."
    )
    return Reply(text, (Button("⚙ Settings", Action(Act.SETTINGS)),))


def _verification(error: VerificationFailed) -> Reply:
    if error.reason == "code_format":
        return say("Type the 6-digit code you received, like /verify 123456.")
    if error.reason == "no_code":
        return say(
            "There's no code waiting. Ask for one with /settings email you@example.com "
            "or /settings phone +447911123456."
        )
    if error.reason == "new_code_needed":
        setting = _SETTING_OF_CHANNEL.get(error.channel, error.channel)
        return say(f"{error} Send /settings {setting} {_EXAMPLE.get(setting, '')}".rstrip() + ".")
    return say(str(error))


def _payment(error: PaymentError) -> Reply:
    logger.warning("payment provider: %s", error)
    if error.temporary:
        return say("Payments are not reachable right now. Please try again in a minute.")
    return say(
        "Payments aren't working on this server right now; the operator has been told. "
        "Please try again later."
    )


def _conflict(error: ConversationConflict) -> Reply:
    return say(ALREADY_HANDLED)


_WORDING: dict[type[MonitorError], Callable[..., Reply]] = {
    TierLimitExceeded: _tier_limit,
    ChannelNotVerified: _channel,
    VerificationFailed: _verification,
    ConversationConflict: _conflict,
    PaymentError: _payment,
}


def user_text(error: BaseException) -> Reply:
    """What a chat says about ``error``: core errors in words, anything else apologised for
    (the traceback goes to the log, never to the chat)."""
    if not isinstance(error, MonitorError):
        return say(UNEXPECTED)
    for kind in type(error).__mro__:
        wording = _WORDING.get(kind)
        if wording is not None:
            return wording(error)
    usage = getattr(error, "command", None)
    if isinstance(usage, str) and usage in texts.USAGE:
        return say(texts.USAGE[usage])
    return say(str(error))


__all__ = ["ALREADY_HANDLED", "UNEXPECTED", "user_text"]
