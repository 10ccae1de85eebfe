"""Errors become words at the edge: core errors carry data, ``user_text`` words them for chat.

One test per error type; core's own messages name no chat command, and the email and SMS
texts don't either.
"""

from __future__ import annotations

import pytest

from bot.conversation.errors import ALREADY_HANDLED, UNEXPECTED, user_text
from bot.conversation.session import Usage
from core.errors import (
    Blocked,
    ChannelNotVerified,
    ConversationConflict,
    Forbidden,
    InvalidCriteria,
    MonitorError,
    NotFound,
    TierLimitExceeded,
    VerificationFailed,
    not_available,
)
from notifiers.rendering import code_email, code_sms


def test_the_search_limit_says_the_plan_the_numbers_and_where_to_look() -> None:
    error = TierLimitExceeded(limit="searches", tier="free", allowed=2, current=2)
    assert (error.limit, error.tier, error.allowed, error.current) == ("searches", "free", 2, 2)
    text = user_text(error).text
    assert "free plan allows 2 active searches and you have 2" in text and "/searches" in text
    assert "/" not in str(error)  # core's own words name no chat command


@pytest.mark.parametrize(
    ("limit", "allowed", "words"),
    [
        ("marketplaces_per_search", 1, "allows 1 marketplace(s) per search"),
        ("fastest_interval", "30 min", "checks at most every 30 min"),
    ],
)
def test_other_limits_say_which_limit(limit: str, allowed: object, words: str) -> None:
    error = TierLimitExceeded(limit=limit, tier="free", allowed=allowed)  # type: ignore[arg-type]
    assert words in user_text(error).text and "/upgrade" not in user_text(error).text


def test_an_unverified_channel_names_the_setting_to_open() -> None:
    error = ChannelNotVerified("sms")
    assert isinstance(error, InvalidCriteria) and error.channel == "sms"
    assert "/settings phone +447911123456" in user_text(error).text
    assert "/" not in str(error)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (VerificationFailed("x", reason="code_format"), "like /verify 123456"),
        (VerificationFailed("x", reason="no_code"), "/settings email you@example.com"),
        (
            VerificationFailed("Code expired.", reason="new_code_needed", channel="email"),
            "Code expired. Send /settings email you@example.com.",
        ),
        (VerificationFailed("That code was already used."), "That code was already used."),
    ],
)
def test_verification_failures_tell_the_chat_what_to_type(
    error: VerificationFailed, words: str
) -> None:
    assert words in user_text(error).text


def test_refusals_usage_conflicts_and_the_unexpected() -> None:
    assert user_text(not_available("search", 4)).text == "You have no search #4."
    assert user_text(Forbidden("You have no search #4.")).text == "You have no search #4."
    assert isinstance(not_available("search", 4), NotFound)
    assert user_text(Usage("pause")).text.startswith("Usage: /pause N")
    assert user_text(ConversationConflict("moved on")).text == ALREADY_HANDLED
    assert user_text(Blocked("eBay refused us")).text == "eBay refused us"
    assert user_text(MonitorError("plain words")).text == "plain words"
    # A bug's message (which may hold anything) never reaches the chat.
    assert user_text(RuntimeError("SELECT * FROM account")).text == UNEXPECTED


def test_code_email_and_sms_name_no_chat_command() -> None:
    mail = code_email("042917", 10)
    assert "042917" in mail.text and "/verify" not in mail.text + mail.html
    assert "042917" in code_sms("042917", 10) and "/" not in code_sms("042917", 10)
