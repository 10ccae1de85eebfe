"""Verified destinations: codes by real email (SendGrid fake) and SMS (Twilio fake), typed
back in chat; webhook test deliveries; wrong, expired and too many codes; limits."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from bot.conversation import ChatServices, ChatSession, Reply, with_verification
from core.accounts import destination_for, identify
from core.enums import Channel, Platform
from core.errors import VerificationFailed
from core.models import Account, Search, VerificationCode
from core.searches import SearchService
from core.tiers import TierTable
from core.verification import CodeSender, VerificationLimits, VerificationService
from notifiers import Links, SendgridNotifier, Throttle, TwilioNotifier, WebhookNotifier
from tests.fakes.clock import FakeClock
from tests.fakes.sendgrid_api import API_KEY, FakeSendgridApi
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilioApi
from tests.fakes.webhook_receiver import WebhookReceiver

PHONE = "+447911123456"


@dataclass
class Rig:
    sendgrid: FakeSendgridApi
    twilio: FakeTwilioApi
    hook: WebhookReceiver
    clock: FakeClock
    service: VerificationService

    def last_email_code(self) -> str:
        return _code(self.sendgrid.accepted[-1]["subject"])

    def last_sms_code(self) -> str:
        return _code(self.twilio.messages[-1]["body"])


def _code(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


@pytest.fixture
async def rig(db: str) -> AsyncIterator[Rig]:
    links = Links("https://mm.example")
    fast = Throttle(1000, 1000)
    async with (
        FakeSendgridApi().running() as sendgrid,
        FakeTwilioApi().running() as twilio,
        WebhookReceiver().running() as hook,
        aiohttp.ClientSession() as http,
    ):
        clock = FakeClock()
        senders: dict[Channel, CodeSender] = {
            Channel.EMAIL: SendgridNotifier(
                API_KEY, "alerts@mm.example", links, api_url=sendgrid.url, throttle=fast
            ),
            Channel.SMS: TwilioNotifier(
                http, ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, links, api_url=twilio.url, throttle=fast
            ),
        }
        webhook = WebhookNotifier(allow_private=True, throttle=fast)
        service = VerificationService(senders, webhook, clock=clock)
        yield Rig(sendgrid, twilio, hook, clock, service)


async def _account(user: str = "erin") -> Account:
    return await identify(Platform.CONSOLE, user)


# --- email and SMS codes ------------------------------------------------------------------
async def test_an_email_code_proves_the_address(rig: Rig) -> None:
    account = await _account()
    sent = await rig.service.start(account, Channel.EMAIL, "  Erin@Example.COM ")
    assert sent.masked_address == "E•••@example.com"
    assert rig.sendgrid.recipients() == ["Erin@example.com"]
    assert account.email is None  # not before it is proven

    done = await rig.service.confirm(account, rig.last_email_code())

    assert done.channel is Channel.EMAIL
    fresh = await Account.get(id=account.id)
    assert fresh.email == "Erin@example.com" and fresh.email_verified_at == rig.clock.now


async def test_an_sms_code_proves_a_number_given_in_national_form(rig: Rig) -> None:
    account = await _account()
    await rig.service.start(account, Channel.SMS, "07911 123456")
    assert rig.twilio.messages[-1]["to"] == PHONE
    await rig.service.confirm(account, rig.last_sms_code())
    assert (await Account.get(id=account.id)).phone == PHONE


async def test_codes_are_stored_only_as_keyed_hashes(rig: Rig) -> None:
    account = await _account()
    await rig.service.start(account, Channel.SMS, PHONE)
    [row] = await VerificationCode.filter(account_id=account.id)
    code = rig.last_sms_code()
    assert code not in row.code_hash and len(row.code_hash) == 64


async def test_a_wrong_code_counts_and_the_attempts_run_out(rig: Rig) -> None:
    account = await _account()
    await rig.service.start(account, Channel.EMAIL, "erin@example.com")
    right = rig.last_email_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(VerificationFailed, match=f"That code is wrong. {left} tr"):
            await rig.service.confirm(account, wrong)
    with pytest.raises(VerificationFailed, match="that was the last try"):
        await rig.service.confirm(account, wrong)
    with pytest.raises(VerificationFailed, match="Too many wrong tries"):
        await rig.service.confirm(account, right)  # even the right code is dead now
    assert (await Account.get(id=account.id)).email_verified_at is None


async def test_an_expired_code_is_refused(rig: Rig) -> None:
    account = await _account()
    await rig.service.start(account, Channel.EMAIL, "erin@example.com")
    rig.clock.advance(10 * 60 + 1)
    with pytest.raises(VerificationFailed, match="That code has expired"):
        await rig.service.confirm(account, rig.last_email_code())
    assert (await Account.get(id=account.id)).email_verified_at is None


async def test_a_new_code_replaces_the_old_one(rig: Rig) -> None:
    account = await _account()
    await rig.service.start(account, Channel.EMAIL, "erin@example.com")
    first = rig.last_email_code()
    await rig.service.start(account, Channel.EMAIL, "erin@example.com")
    second = rig.last_email_code()
    if first != second:
        with pytest.raises(VerificationFailed):
            await rig.service.confirm(account, first)
    await rig.service.confirm(account, second)


async def test_codes_per_account_per_day_are_limited(rig: Rig) -> None:
    account = await _account()
    for _ in range(5):
        await rig.service.start(account, Channel.SMS, PHONE)
    with pytest.raises(VerificationFailed, match="most sms verifications allowed in a day"):
        await rig.service.start(account, Channel.SMS, "+447400123456")
    assert len(rig.twilio.messages) == 5
    rig.clock.advance(24 * 3600 + 1)
    await rig.service.start(account, Channel.SMS, "+447400123456")  # a day later: fine


async def test_one_number_cannot_be_flooded_from_many_accounts(rig: Rig) -> None:
    for n in range(5):
        await rig.service.start(await _account(f"spammer{n}"), Channel.SMS, PHONE)
    with pytest.raises(VerificationFailed, match="allowed in a day"):
        await rig.service.start(await _account("spammer-6"), Channel.SMS, PHONE)
    assert len(rig.twilio.bodies_to(PHONE)) == 5


@pytest.mark.parametrize(
    ("channel", "text", "message"),
    [
        (Channel.EMAIL, "erin at example", "doesn't look like an email address"),
        (Channel.EMAIL, "erin@example.com\r\nBcc: x@y.z", "doesn't look like an email address"),
        (Channel.SMS, "12345", "valid phone number"),
        (Channel.SMS, "+44 20 7946 0000", "can't receive text messages"),
    ],
)
async def test_bad_addresses_are_refused_before_anything_is_sent(
    rig: Rig, channel: Channel, text: str, message: str
) -> None:
    with pytest.raises(VerificationFailed, match=message):
        await rig.service.start(await _account(), channel, text)
    assert rig.sendgrid.requests == 0 and rig.twilio.requests == 0


async def test_a_refused_number_fails_the_verification(rig: Rig) -> None:
    with pytest.raises(VerificationFailed, match="not a valid phone number"):
        await rig.service.start(await _account(), Channel.SMS, "+15005550001")


async def test_codes_and_full_addresses_never_reach_the_logs(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    account = await _account()
    await rig.service.start(account, Channel.SMS, PHONE)
    await rig.service.start(account, Channel.EMAIL, "erin@example.com")
    codes = [rig.last_sms_code(), rig.last_email_code()]
    with pytest.raises(VerificationFailed):
        await rig.service.confirm(account, "000000" if "000000" not in codes else "999999")
    await rig.service.confirm(account, codes[0])
    # The database drivers' own DEBUG logs echo every SQL parameter; everything else may not.
    logged = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("tortoise", "aiosqlite"))
    )
    assert PHONE not in logged and "erin@example.com" not in logged
    assert all(code not in logged for code in codes)
    assert API_KEY not in logged and AUTH_TOKEN not in logged


# --- webhook ------------------------------------------------------------------------------
async def test_a_webhook_is_verified_by_a_2xx_test_delivery(rig: Rig) -> None:
    account = await _account()
    account.webhook_secret = rig.hook.secret = "whsec_known-to-the-receiver"
    await account.save()
    done = await rig.service.verify_webhook(account, rig.hook.url)
    assert done.secret == "whsec_known-to-the-receiver"
    assert rig.hook.deliveries[0]["type"] == "webhook.test" and rig.hook.bad_signatures == 0
    fresh = await Account.get(id=account.id)
    assert fresh.webhook_url == rig.hook.url and fresh.webhook_verified_at is not None


async def test_a_webhook_answering_4xx_is_not_verified(rig: Rig) -> None:
    account = await _account()
    rig.hook.status = 404
    rig.hook.check_signature = False
    with pytest.raises(VerificationFailed, match="HTTP 404"):
        await rig.service.verify_webhook(account, rig.hook.url)
    assert (await Account.get(id=account.id)).webhook_verified_at is None


# --- in chat -------------------------------------------------------------------------------
async def _session(rig: Rig, user: str = "finn") -> ChatSession:
    account = await _account(user)
    destination = await destination_for(account, Platform.CONSOLE, f"chat-{user}")
    services = with_verification(
        ChatServices(SearchService(TierTable.default(), ("sandbox",))),
        rig.service,
    )
    return ChatSession(services, account, destination)


async def _say(session: ChatSession, *lines: str) -> list[Reply]:
    replies: list[Reply] = []
    for line in lines:
        replies = await session.handle(line)
    return replies


async def test_in_chat_settings_email_then_verify_then_the_wizard_offers_it(rig: Rig) -> None:
    session = await _session(rig)
    menu = await _say(session, "/settings")
    assert "Email alerts: off" in menu[0].text and "SMS alerts: off" in menu[0].text
    assert "Time zone" in menu[0].text  # the other sections are still there
    await _say(session, "/cancel")

    [sent] = await _say(session, "/settings email finn@example.com")
    assert "I sent a 6-digit code to f•••@example.com" in sent.text
    [wrong] = await _say(session, "/verify 12345")
    assert "6-digit code" in wrong.text
    [done] = await _say(session, f"/verify {rig.last_email_code()}")
    assert "✅ f•••@example.com is verified" in done.text

    replies = await _say(
        session, "/newsearch", "PS5", "sandbox", "ps5", "none", "any", "anywhere", "GBP"
    )
    replies = await _say(session, "any", str(30 * 60))
    assert [o.label for o in replies[0].options] == ["This chat only", "Chat + email"]
    summary = await _say(session, "chat,email")
    assert "chat, email" in summary[0].text
    await _say(session, "confirm")
    assert (await Search.get(account_id=session.account.id)).channels == ["chat", "email"]


async def test_in_chat_the_menu_flow_and_a_bad_answer(rig: Rig) -> None:
    session = await _session(rig)
    await _say(session, "/settings")
    [question] = await _say(session, "phone")
    assert "mobile number" in question.text
    [again] = await _say(session, "not a number")
    assert "phone number" in again.text and "mobile number" in again.text  # asked again
    [sent] = await _say(session, PHONE)
    assert "+44•••••••456" in sent.text
    # The code typed as the SMS says, without /verify: the settings wait for it.
    code = rig.last_sms_code()
    [done] = await _say(session, f"{code[:3]} {code[3:]}")
    assert "+44•••••••456 is verified" in done.text
    [menu] = await _say(session, "/settings")
    assert "SMS alerts: +44•••••••456 ✅" in menu.text
    [off] = await _say(session, "/settings phone off")
    assert "SMS alerts are off" in off.text
    assert (await Account.get(id=session.account.id)).phone_verified_at is None


async def test_in_chat_a_webhook_is_verified_and_its_secret_shown(rig: Rig) -> None:
    session = await _session(rig)
    rig.hook.check_signature = False  # a receiver that accepts the test before it has a secret
    [done] = await _say(session, f"/settings webhook {rig.hook.url}")
    account = await Account.get(id=session.account.id)
    assert account.webhook_secret and account.webhook_secret in done.text
    assert "Webhook verified" in done.text
    [secret] = await _say(session, "/settings webhook secret")
    assert account.webhook_secret in secret.text


async def test_chat_without_delivery_channels_says_so(db: str) -> None:
    account = await _account("gus")
    destination = await destination_for(account, Platform.CONSOLE, "chat-gus")
    services = ChatServices(SearchService(TierTable.default(), ("sandbox",)))
    session = ChatSession(services, account, destination)
    [reply] = await session.handle("/verify 123456")
    assert "aren't available on this server" in reply.text


async def test_limits_are_configurable(rig: Rig) -> None:
    service = VerificationService(
        rig.service.senders, limits=VerificationLimits(max_sends_per_day=1), clock=rig.clock
    )
    account = await _account()
    await service.start(account, Channel.EMAIL, "erin@example.com")
    with pytest.raises(VerificationFailed):
        await service.start(account, Channel.EMAIL, "erin@example.com")
