"""The SSRF guard, as shipped (WEBHOOK_ALLOW_PRIVATE_TARGETS off): every address in the issue's
list is refused with a clear message, before any connection is made."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from core.dispatcher import Dispatcher
from core.enums import AlertStatus
from core.errors import DeliveryError, VerificationFailed
from core.verification import VerificationService
from notifiers import WebhookNotifier
from notifiers.ssrf import REFUSED_TEXT
from tests.fakes.alerts import WEBHOOK_SECRET, queue_alerts, statuses, verified_account
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.webhook_receiver import WebhookReceiver


class FakeDns(AbstractResolver):
    """Answers from a table, and counts the questions (stands in for a hostile DNS)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(f"no such host {host}")
        return [
            ResolveResult(
                hostname=host,
                host=ip,
                port=port,
                family=socket.AF_INET6 if ":" in ip else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for ip in self.table[host]
        ]

    async def close(self) -> None:
        return None


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    """A real listener on 127.0.0.1: none of the refused URLs may ever reach it."""
    async with WebhookReceiver(secret=WEBHOOK_SECRET).running() as hook:
        yield hook


def guarded(dns: FakeDns | None = None) -> WebhookNotifier:
    return WebhookNotifier(allow_private=False, resolver=(lambda: dns) if dns else None)


REFUSED = [
    "http://127.0.0.1:{port}/hook",
    "http://localhost:{port}/hook",
    "http://10.0.0.1/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:{port}/hook",
    "http://[fc00::1]/hook",
    "http://[fec0::1]/hook",
    "http://[::ffff:127.0.0.1]:{port}/hook",
    "http://[fe80::1]/hook",
    "http://224.0.0.1/hook",
    "http://0.0.0.0:{port}/hook",
    "http://100.64.0.1/hook",
    "http://240.0.0.1/hook",
    "http://[64:ff9b::7f00:1]/hook",
    "https://[::ffff:a9fe:a9fe]/",
]


@pytest.mark.parametrize("template", REFUSED)
async def test_private_and_special_addresses_are_refused(
    receiver: WebhookReceiver, template: str
) -> None:
    assert receiver.server is not None
    url = template.format(port=receiver.server.port)
    with pytest.raises(DeliveryError) as caught:
        await guarded().probe(url, WEBHOOK_SECRET)
    host = URL(url).host
    assert str(caught.value) == f"{host} {REFUSED_TEXT}." and caught.value.permanent
    assert receiver.requests == 0


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/hook", "file:///etc/passwd", "gopher://example.com/", "example.com/hook"],
)
async def test_only_http_and_https_are_allowed(url: str) -> None:
    with pytest.raises(DeliveryError) as caught:
        await guarded().probe(url, WEBHOOK_SECRET)
    assert "Only http:// and https:// URLs are allowed" in str(caught.value)


async def test_legacy_numeric_hosts_are_refused(receiver: WebhookReceiver) -> None:
    assert receiver.server is not None
    for host in ("2130706433", "0x7f.1", "127.1"):
        with pytest.raises(DeliveryError):
            await guarded().probe(f"http://{host}:{receiver.server.port}/hook", WEBHOOK_SECRET)
    assert receiver.requests == 0


async def test_a_hostname_that_resolves_to_loopback_is_refused(receiver: WebhookReceiver) -> None:
    assert receiver.server is not None
    dns = FakeDns({"hooks.attacker.example": ["127.0.0.1"]})
    with pytest.raises(DeliveryError) as caught:
        await guarded(dns).probe(
            f"http://hooks.attacker.example:{receiver.server.port}/hook", WEBHOOK_SECRET
        )
    assert str(caught.value) == f"hooks.attacker.example {REFUSED_TEXT}."
    assert receiver.requests == 0


async def test_one_private_answer_among_public_ones_is_enough_to_refuse() -> None:
    dns = FakeDns({"mixed.example": ["93.184.216.34", "10.0.0.5"]})
    with pytest.raises(DeliveryError) as caught:
        await guarded(dns).probe("https://mixed.example/hook", WEBHOOK_SECRET)
    assert str(caught.value) == f"mixed.example {REFUSED_TEXT}."
    assert "10.0.0.5" not in str(caught.value)


async def test_the_checked_answer_is_the_address_dialled_with_no_second_lookup(
    receiver: WebhookReceiver,
) -> None:
    """``only-in-our-dns.test`` exists nowhere but in the guard's resolver: the delivery can
    only arrive if the connection used exactly the answer the guard checked."""
    assert receiver.server is not None
    dns = FakeDns({"only-in-our-dns.test": ["127.0.0.1"]})
    notifier = WebhookNotifier(allow_private=True, resolver=lambda: dns)
    await notifier.probe(f"http://only-in-our-dns.test:{receiver.server.port}/hook", WEBHOOK_SECRET)
    assert dns.asked == ["only-in-our-dns.test"] and len(receiver.deliveries) == 1


async def test_a_redirect_to_loopback_is_not_followed(receiver: WebhookReceiver) -> None:
    assert receiver.server is not None
    receiver.status, receiver.location = 302, f"http://127.0.0.1:{receiver.server.port}/internal"
    # Private targets allowed for the first hop only so that the redirect can be answered.
    notifier = WebhookNotifier(allow_private=True)
    with pytest.raises(DeliveryError) as caught:
        await notifier.probe(receiver.url, WEBHOOK_SECRET)
    assert "redirect (HTTP 302 to http://127.0.0.1" in str(caught.value)
    assert "redirects are not followed" in str(caught.value) and caught.value.permanent
    assert receiver.internal_hits == 0


async def test_verifying_a_private_url_says_why_it_was_refused(db: str) -> None:
    account, _ = await verified_account()
    service = VerificationService({}, guarded())
    with pytest.raises(VerificationFailed) as caught:
        await service.verify_webhook(account, "http://169.254.169.254/latest/meta-data/")
    assert str(caught.value) == f"The test delivery failed: 169.254.169.254 {REFUSED_TEXT}."
    await account.refresh_from_db()
    assert account.webhook_url is None and account.webhook_verified_at is None


async def test_a_verified_url_that_now_resolves_privately_is_refused_at_delivery(
    db: str,
) -> None:
    dns = FakeDns({"hook.example": ["10.1.2.3"]})  # DNS changed after verification
    account, destination = await verified_account(webhook="https://hook.example/in")
    await queue_alerts(account, destination, ["webhook"])
    chat = RecordingNotifier()
    await Dispatcher({"webhook": guarded(dns), "console": chat}).tick()
    await Dispatcher({"webhook": guarded(dns), "console": chat}).tick()  # delivers the notice
    assert await statuses("webhook") == {AlertStatus.FAILED: 1}
    assert "hook.example is not a public address" in chat.notices[0].text
    assert "10.1.2.3" not in chat.notices[0].text


async def test_a_refused_internal_name_is_not_mapped_to_its_address_anywhere(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Verification replies and the log say "not a public address", never what our DNS
    answered: otherwise any user could map internal names through the bot."""
    caplog.set_level(logging.DEBUG)
    dns = FakeDns({"internal.corp": ["10.1.2.3"], "v6.corp": ["fec0::1:2"]})
    account, _ = await verified_account()
    service = VerificationService({}, guarded(dns))
    for name in ("internal.corp", "v6.corp"):
        with pytest.raises(VerificationFailed) as caught:
            await service.verify_webhook(account, f"https://{name}/hook")
        assert str(caught.value) == f"The test delivery failed: {name} {REFUSED_TEXT}."
    assert "internal.corp" in caplog.text
    for address in ("10.1.2.3", "10.1.2", "fec0::1:2"):
        assert address not in caplog.text and address not in str(caught.value)
