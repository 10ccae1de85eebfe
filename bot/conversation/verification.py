"""/settings sections for the alert channels beyond chat, and /verify.

Email and SMS: ``/settings email you@example.com`` (or pick "Email alerts" in /settings)
sends a 6-digit code; ``/verify 123456`` proves it. Webhook: ``/settings webhook https://…``
sends a signed test delivery; a 2xx answer verifies it. Once verified, the /newsearch wizard
offers the channel. ``off`` removes a channel.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from bot.conversation.answers import BadAnswer
from bot.conversation.errors import user_text
from bot.conversation.replies import Reply, ask, say
from bot.conversation.settings import Question, SettingsSection
from core import destinations
from core.enums import Channel
from core.errors import VerificationFailed
from core.verification import VerificationService
from core.views import AccountView as Account

if TYPE_CHECKING:
    from bot.conversation.session import ChatServices

OFF = {"off", "none", "remove", "stop"}
_HOW_TO_USE = "Add it to a search in /newsearch, or to an existing one with /edit N."


def describe_channel(account: Account, channel: Channel) -> str:
    address = {
        Channel.EMAIL: account.email,
        Channel.SMS: account.phone,
        Channel.WEBHOOK: account.webhook_url,
    }[channel]
    if not address or destinations.verified_at(account, channel) is None:
        return "off"
    shown = destinations.mask(channel, address)
    if channel is Channel.EMAIL and account.email_unsubscribed_at is not None:
        return f"{shown} (unsubscribed by email link)"
    return f"{shown} ✅"


class _CodeSection:
    """Email or SMS: asks for the address and sends it a code."""

    channel: Channel
    key: str
    label: str
    question: str
    example: str

    def __init__(self, service: VerificationService) -> None:
        self.service = service

    def describe(self, account: Account) -> str:
        return describe_channel(account, self.channel)

    def open(self, account: Account) -> Question:
        return Question(ask(self.question, ("Turn off", "off")), self.apply)

    async def apply(self, account: Account, text: str) -> str:
        if text.strip().lower() in OFF:
            await destinations.remove(account, self.channel)
            return f"{self.label} are off."
        try:
            sent = await self.service.start(account, self.channel, text)
        except VerificationFailed as exc:
            raise BadAnswer(user_text(exc).text) from exc
        minutes = self.service.limits.code_ttl_seconds // 60
        return (
            f"I sent a 6-digit code to {sent.masked_address}. Type /verify followed by the code "
            f"(like /verify 123456) within {minutes} minutes."
        )


class EmailSection(_CodeSection):
    channel = Channel.EMAIL
    key = "email"
    label = "Email alerts"
    question = "Which email address shall get alerts? I'll send it a code to check it's yours."


class PhoneSection(_CodeSection):
    channel = Channel.SMS
    key = "phone"
    label = "SMS alerts"
    question = (
        "Which mobile number shall get text alerts? Include the country code, like "
        "+447911123456. I'll text it a code to check it's yours."
    )


class WebhookSection:
    key = "webhook"
    label = "Webhook"

    def __init__(self, service: VerificationService) -> None:
        self.service = service

    def describe(self, account: Account) -> str:
        return describe_channel(account, Channel.WEBHOOK)

    def open(self, account: Account) -> Question:
        prompt = ask(
            "Type the https:// URL that shall receive alerts as signed JSON POSTs. I'll send "
            "it a test delivery; any 2xx answer verifies it. Or: 'secret' shows your signing "
            "secret, 'rotate' makes a new one.",
            ("Show secret", "secret"),
            ("Rotate secret", "rotate"),
            ("Turn off", "off"),
        )
        return Question(prompt, self.apply)

    async def apply(self, account: Account, text: str) -> str:
        answer = text.strip()
        if answer.lower() in OFF:
            await destinations.remove(account, Channel.WEBHOOK)
            return "Webhook alerts are off."
        if answer.lower() == "secret":
            if not account.webhook_secret:
                return "You have no signing secret yet; it is made with your first webhook."
            return f"Your webhook signing secret: {account.webhook_secret}"
        if answer.lower() == "rotate":
            secret = await self.service.rotate_webhook_secret(account)
            return f"New signing secret (deliveries are signed with it from now on): {secret}"
        try:
            done = await self.service.verify_webhook(account, answer)
        except VerificationFailed as exc:
            hint = (
                f"\nYour signing secret is {account.webhook_secret} — if your receiver checks "
                "signatures, give it this secret, then send the URL again."
                if account.webhook_secret
                else ""
            )
            raise BadAnswer(f"{exc}{hint}") from exc
        return (
            f"🔗 Webhook verified: alerts will be POSTed to {done.url}, signed with "
            f"{done.secret} (see the README for how to check it). {_HOW_TO_USE}"
        )


def channel_sections(service: VerificationService | None) -> tuple[SettingsSection, ...]:
    """The sections for the channels this server can verify."""
    if service is None:
        return ()
    available = service.available()
    sections: list[SettingsSection] = []
    if Channel.EMAIL in available:
        sections.append(EmailSection(service))
    if Channel.SMS in available:
        sections.append(PhoneSection(service))
    if Channel.WEBHOOK in available:
        sections.append(WebhookSection(service))
    return tuple(sections)


def with_verification(services: ChatServices, service: VerificationService | None) -> ChatServices:
    """``services`` with /verify and the channel sections of /settings switched on."""
    return dataclasses.replace(
        services,
        verification=service,
        settings_sections=(*services.settings_sections, *channel_sections(service)),
    )


async def verify(service: VerificationService | None, account: Account, args: str) -> list[Reply]:
    """``/verify 123456``: completes an email or SMS verification."""
    if service is None or not service.senders:
        return [say("Email and SMS alerts aren't available on this server.")]
    if not args.strip():
        return [say("Type /verify followed by the 6-digit code you received, like /verify 123456.")]
    done = await service.confirm(account, args)
    what = "Email alerts" if done.channel is Channel.EMAIL else "SMS alerts"
    return [say(f"✅ {done.masked_address} is verified. {what} are ready: {_HOW_TO_USE}")]


__all__ = [
    "EmailSection",
    "PhoneSection",
    "WebhookSection",
    "channel_sections",
    "describe_channel",
    "verify",
    "with_verification",
]
