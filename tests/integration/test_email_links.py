"""The links in alert emails and texts, served by the web app: the click-through /r/<token>
(records the click, 302 to the listing) and the signed /unsubscribe/<token> (GET asks, POST
acts)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import quote

import aiohttp
import pytest

from bot.app import listing_domains
from bot.settings import Settings
from core import destinations
from core.dispatcher import Dispatcher
from core.enums import AlertStatus, Channel
from core.metrics import Metrics
from core.models import Account, Alert, Listing
from core.signing import KeyStore, LinkState, check_unsubscribe, unsubscribe_token
from notifiers import Links, SendgridNotifier, Throttle
from tests.fakes.alerts import queue_alerts, statuses, verified_account
from tests.fakes.sendgrid_api import API_KEY, FakeSendgridApi
from web import HealthProbe, build_web_app, running_web

# The real declarations of the scrapers, as `run` wires them (no local base URLs).
LISTING_DOMAINS = listing_domains(Settings(_env_file=None))  # type: ignore[call-arg]


@pytest.fixture
async def web_url(db: str) -> AsyncIterator[str]:
    app = build_web_app(metrics=Metrics(), health=HealthProbe(), listing_domains=LISTING_DOMAINS)
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


async def _listing_at(marketplace: str, url: str) -> None:
    """Make the emailed alert's listing one of ``marketplace`` at ``url``."""
    [alert] = await Alert.filter(channel="email").select_related("match__listing")
    await Listing.filter(id=alert.match.listing.id).update(marketplace=marketplace, url=url)


async def test_a_click_is_recorded_and_redirected(
    web_url: str, http: aiohttp.ClientSession
) -> None:
    _, mail, _ = await _emailed(web_url)
    await _listing_at("ebay", "https://www.ebay.co.uk/itm/126543210987")
    [alert] = await Alert.filter(channel="email").select_related("match__listing")
    link = f"{web_url}/r/{alert.click_token}"
    assert link in str(mail["content"])

    # A link checker's HEAD finds the redirect but is nobody's click.
    async with http.head(link, allow_redirects=False) as reply:
        assert reply.status == 302
    assert (await Alert.get(id=alert.id)).clicked_at is None
    async with http.get(link, allow_redirects=False) as reply:
        assert reply.status == 302
        assert reply.headers["Location"] == alert.match.listing.url
        assert reply.headers["Referrer-Policy"] == "no-referrer"
    first = (await Alert.get(id=alert.id)).clicked_at
    assert first is not None
    async with http.get(link, allow_redirects=False) as reply:
        assert reply.status == 302
    assert (await Alert.get(id=alert.id)).clicked_at == first  # the first click is kept


@pytest.mark.parametrize(
    ("marketplace", "url"),
    [
        (
            "gumtree",
            "https://ad.doubleclick.net/ddm/clk/5;6?https://dealer.example/car",
        ),  # promoted
        ("ebay", "https://rover.ebay.com/rover/1/710-53481-19255-0/1?mpre=https://x.example"),
        ("facebook", "https://l.facebook.com/l.php?u=https%3A%2F%2Fevil.example%2F"),
        ("craigslist", "https://evil.example/<script>alert(1)</script>?\"x='y"),  # off-site
        ("gumtree", "https://www.ebay.co.uk/itm/1"),  # another marketplace's site
        ("sandbox", "http://127.0.0.1:8090/item/1"),  # local, and not wired here
    ],
)
async def test_a_link_off_the_listings_marketplace_is_shown_not_followed(
    web_url: str, http: aiohttp.ClientSession, marketplace: str, url: str
) -> None:
    await _emailed(web_url)
    await _listing_at(marketplace, url)
    [alert] = await Alert.filter(channel="email")
    async with http.get(f"{web_url}/r/{alert.click_token}", allow_redirects=False) as reply:
        page = await reply.text()
        assert reply.status == 403 and "Location" not in reply.headers
        assert reply.headers["Referrer-Policy"] == "no-referrer"
    assert "This link leaves the marketplace" in page
    assert f"<code>{html.escape(url)}</code>" in page  # shown as text, escaped
    assert "<a " not in page and "<script>" not in page
    assert (await Alert.get(id=alert.id)).clicked_at is not None  # the click still counts


@pytest.mark.parametrize("token", ["nope", "A" * 22, "../../etc/passwd"])
async def test_an_unknown_click_token_is_a_404(
    web_url: str, http: aiohttp.ClientSession, token: str
) -> None:
    async with http.get(f"{web_url}/r/{token}", allow_redirects=False) as reply:
        assert reply.status == 404


def _form_of(page: str) -> tuple[str, dict[str, str]]:
    """The confirmation page's form: where it posts and its hidden fields."""
    form = re.search(r"<form method='post' action='([^']+)'>(.*?)</form>", page)
    assert form is not None, page
    fields = dict(re.findall(r"name='([^']+)' value='([^']*)'", form[2]))
    return html.unescape(form[1]), {html.unescape(k): html.unescape(v) for k, v in fields.items()}


async def _unsubscribed(account: Account) -> bool:
    return (await Account.get(id=account.id)).email_unsubscribed_at is not None


async def test_get_and_head_only_ask_and_the_button_unsubscribes(
    web_url: str, http: aiohttp.ClientSession
) -> None:
    """Mail scanners fetch (GET, HEAD) every link in a message: that must not unsubscribe."""
    _, mail, account = await _emailed(web_url)
    link = mail["headers"]["List-Unsubscribe"].strip("<>")  # type: ignore[index]

    async with http.head(link) as reply:
        assert reply.status == 200
    async with http.get(link) as reply:
        assert reply.status == 200
        assert reply.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
        page = await reply.text()
    assert "Stop alert emails?" in page and "h•••@example.com" in page
    assert not await _unsubscribed(account)

    action, fields = _form_of(page)
    assert fields == {"List-Unsubscribe": "One-Click"}
    async with http.post(f"{web_url}{action}", data=fields) as reply:
        assert reply.status == 200
        assert "You&#x27;re unsubscribed" in await reply.text()
    assert await _unsubscribed(account)

    destination = (await account.destinations.all())[0]
    await queue_alerts(account, destination, ["email"])
    async with FakeSendgridApi().running() as api:
        notifier = SendgridNotifier(API_KEY, "a@mm.example", Links(web_url), api_url=api.url)
        await Dispatcher({"email": notifier}).tick()
        assert api.requests == 0
    assert (await statuses("email"))[AlertStatus.CANCELLED] == 1


@pytest.mark.parametrize("multipart", [False, True])
async def test_rfc8058_one_click_post_unsubscribes(
    web_url: str, http: aiohttp.ClientSession, multipart: bool
) -> None:
    _, mail, account = await _emailed(web_url)
    headers = mail["headers"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"  # type: ignore[index]
    link = headers["List-Unsubscribe"].strip("<>")  # type: ignore[index]
    body: aiohttp.FormData | dict[str, str] = {"List-Unsubscribe": "One-Click"}
    if multipart:  # some mail providers send multipart/form-data
        body = aiohttp.FormData(body, default_to_multipart=True)
    async with http.post(link, data=body) as reply:
        assert reply.status == 200
    assert await _unsubscribed(account)
    async with http.post(link, data={"List-Unsubscribe": "One-Click"}) as reply:
        assert reply.status == 200  # a second press is harmless
    async with http.get(link) as reply:
        assert "You&#x27;re unsubscribed" in await reply.text()


async def test_a_post_without_the_one_click_body_only_asks(
    web_url: str, http: aiohttp.ClientSession
) -> None:
    _, mail, account = await _emailed(web_url)
    link = mail["headers"]["List-Unsubscribe"].strip("<>")  # type: ignore[index]
    async with http.post(link) as reply:
        assert reply.status == 200 and "Stop alert emails?" in await reply.text()
    assert not await _unsubscribed(account)


async def test_an_old_link_is_refused_after_the_address_is_verified_again(
    web_url: str, http: aiohttp.ClientSession
) -> None:
    _, mail, account = await _emailed(web_url)
    old_link = mail["headers"]["List-Unsubscribe"].strip("<>")  # type: ignore[index]
    async with http.post(old_link, data={"List-Unsubscribe": "One-Click"}) as reply:
        assert reply.status == 200
    assert await _unsubscribed(account)

    # The user changes their mind: proving the same address again asks for the emails again.
    await destinations.set_verified(account, Channel.EMAIL, "hana@example.com", datetime.now(UTC))
    assert not await _unsubscribed(account)
    for method in ("GET", "POST"):
        async with http.request(method, old_link, data={"List-Unsubscribe": "One-Click"}) as reply:
            assert reply.status == 410
            assert "verified again" in await reply.text()
    assert not await _unsubscribed(account)  # the old email cannot undo the new opt-in

    account = await Account.get(id=account.id)
    new_token = await unsubscribe_token(
        KeyStore(), account.id, "hana@example.com", account.email_link_version
    )
    assert f"/unsubscribe/{new_token}" != old_link.removeprefix(web_url)
    async with http.post(
        f"{web_url}/unsubscribe/{new_token}", data={"List-Unsubscribe": "One-Click"}
    ) as reply:
        assert reply.status == 200
    assert await _unsubscribed(account)


async def test_unsubscribe_links_cannot_be_forged(
    web_url: str, http: aiohttp.ClientSession
) -> None:
    victim, _ = await verified_account("ivy", email="ivy@example.com")
    mine, _ = await verified_account("jo", email="jo@example.com")
    keys = KeyStore()
    my_token = await unsubscribe_token(keys, mine.id, "jo@example.com", 0)
    _, version, signature = my_token.split(".")
    arabic_id = str(victim.id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    forged = [
        f"{victim.id}.{version}.{signature}",  # my signature, their id
        await unsubscribe_token(keys, victim.id, "old-address@example.com", 0),  # stale address
        f"{victim.id}.0.AAAAAAAAAAAAAAAAAAAAAAAA",
        f"{victim.id}.{signature}",  # the old two-part form
        str(victim.id),
        f"{arabic_id}.0.{signature}",  # Arabic-Indic digits (once a TypeError)
        f"{victim.id}.٠.{signature}",
        f"{victim.id}.².{signature}",
        f"{victim.id}.0.{signature[:-1]}é",
        f"99999999999999999999.0.{signature}",  # beyond the id column
        f"{victim.id}.0.{signature}" + "A" * 200,
    ]
    for token in forged:
        for method in ("GET", "POST"):
            async with http.request(
                method,
                f"{web_url}/unsubscribe/{quote(token)}",
                data={"List-Unsubscribe": "One-Click"},
            ) as reply:
                assert reply.status == 404, token
    assert (await Account.get(id=victim.id)).email_unsubscribed_at is None


@pytest.mark.parametrize("token", ["\ud800.0.x", "1.0.\x00", "", "..", "1..", "١.٠.x" * 30])
async def test_odd_tokens_are_simply_invalid(db: str, token: str) -> None:
    assert (await check_unsubscribe(KeyStore(), token)).state is LinkState.INVALID


async def test_the_pages_escape_what_they_show(web_url: str, http: aiohttp.ClientSession) -> None:
    account, _ = await verified_account("eve", email="<b>x</b>@example.com")
    token = await unsubscribe_token(KeyStore(), account.id, account.email or "", 0)
    async with http.get(f"{web_url}/unsubscribe/{token}") as reply:
        page = await reply.text()
    assert reply.status == 200 and "<b>" not in page and "&lt;" in page
