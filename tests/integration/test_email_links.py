"""The links in alert emails and texts, served by the web app: the click-through /r/<token>
(records the click, 302 to the listing) and one-click, signed /unsubscribe/<token>."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from core.dispatcher import Dispatcher
from core.enums import AlertStatus
from core.metrics import Metrics
from core.models import Account, Alert
from core.signing import KeyStore, unsubscribe_token
from notifiers import Links, SendgridNotifier, Throttle
from tests.fakes.alerts import queue_alerts, statuses, verified_account
from tests.fakes.sendgrid_api import API_KEY, FakeSendgridApi
from web import HealthProbe, build_web_app, running_web


@pytest.fixture
async def web_url(db: str) -> AsyncIterator[str]:
    app = build_web_app(metrics=Metrics(), health=HealthProbe())
    async with running_web(app) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _emailed(web_url: str) -> tuple[FakeSendgridApi, dict[str, object], Account]:
    account, destination = await verified_account(email="hana@example.com")
    await queue_alerts(account, destination, ["email"])
    async with FakeSendgridApi().running() as api:
        notifier = SendgridNotifier(
            API_KEY, "alerts@mm.example", Links(web_url), api_url=api.url, throttle=Throttle(99)
        )
        await Dispatcher({"email": notifier}).tick()
    return api, api.accepted[0], account


async def test_a_click_is_recorded_and_redirected(
    web_url: str, http: aiohttp.ClientSession
) -> None:
    _, mail, _ = await _emailed(web_url)
    [alert] = await Alert.filter(channel="email").select_related("match__listing")
    link = f"{web_url}/r/{alert.click_token}"
    assert link in str(mail["content"])

    async with http.get(link, allow_redirects=False) as reply:
        assert reply.status == 302
        assert reply.headers["Location"] == alert.match.listing.url
        assert reply.headers["Referrer-Policy"] == "no-referrer"
    first = (await Alert.get(id=alert.id)).clicked_at
    assert first is not None
    async with http.get(link, allow_redirects=False) as reply:
        assert reply.status == 302
    assert (await Alert.get(id=alert.id)).clicked_at == first  # the first click is kept


@pytest.mark.parametrize("token", ["nope", "A" * 22, "../../etc/passwd"])
async def test_an_unknown_click_token_is_a_404(
    web_url: str, http: aiohttp.ClientSession, token: str
) -> None:
    async with http.get(f"{web_url}/r/{token}", allow_redirects=False) as reply:
        assert reply.status == 404


async def test_unsubscribe_works_in_one_click_and_stops_email_alerts(
    web_url: str, http: aiohttp.ClientSession
) -> None:
    _, mail, account = await _emailed(web_url)
    link = mail["headers"]["List-Unsubscribe"].strip("<>")  # type: ignore[index]

    async with http.get(link) as reply:
        assert reply.status == 200
        assert "unsubscribed" in await reply.text()
    async with http.post(link) as reply:  # RFC 8058 one-click from a mail client: same
        assert reply.status == 200
    assert (await Account.get(id=account.id)).email_unsubscribed_at is not None

    destination = (await account.destinations.all())[0]
    await queue_alerts(account, destination, ["email"])
    async with FakeSendgridApi().running() as api:
        notifier = SendgridNotifier(API_KEY, "a@mm.example", Links(web_url), api_url=api.url)
        await Dispatcher({"email": notifier}).tick()
        assert api.requests == 0
    assert (await statuses("email"))[AlertStatus.CANCELLED] == 1


async def test_unsubscribe_links_cannot_be_forged(
    web_url: str, http: aiohttp.ClientSession
) -> None:
    victim, _ = await verified_account("ivy", email="ivy@example.com")
    mine, _ = await verified_account("jo", email="jo@example.com")
    keys = KeyStore()
    my_token = await unsubscribe_token(keys, mine.id, "jo@example.com")
    signature = my_token.split(".", 1)[1]
    forged = [
        f"{victim.id}.{signature}",  # my signature, their id
        await unsubscribe_token(keys, victim.id, "old-address@example.com"),  # a stale address
        f"{victim.id}.AAAAAAAAAAAAAAAAAAAAAAAA",
        str(victim.id),
    ]
    for token in forged:
        async with http.get(f"{web_url}/unsubscribe/{token}") as reply:
            assert reply.status == 404, token
    assert (await Account.get(id=victim.id)).email_unsubscribed_at is None
