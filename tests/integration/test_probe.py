"""`marketplace-monitor probe` against the local fakes: the production wiring
(``build_marketplaces``) and the real adapters, one request each."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot import cli
from bot.settings import Settings
from tests.fakes.craigslist_site import FakeCraigslist
from tests.fakes.ebay_api import CLIENT_ID, CLIENT_SECRET, FakeEbayApi
from tests.fakes.gumtree_site import GumtreeMode, GumtreeSite, running_gumtree


@pytest.fixture
def site() -> GumtreeSite:
    return GumtreeSite()


@pytest.fixture
async def gumtree_url(site: GumtreeSite) -> AsyncIterator[str]:
    async with running_gumtree(site) as url:
        yield url


@pytest.fixture
def ebay() -> FakeEbayApi:
    return FakeEbayApi()


@pytest.fixture
async def ebay_url(ebay: FakeEbayApi) -> AsyncIterator[str]:
    async with ebay.running() as url:
        yield url


async def run_probe(settings: Settings, *argv: str) -> int:
    args = cli._parser().parse_args(["probe", *argv])
    try:
        await cli._probe(settings, args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def settings_for(**fields: object) -> Settings:
    return Settings(_env_file=None, **fields)  # type: ignore[call-arg]


async def test_every_configured_marketplace_answers(
    db: str, gumtree_url: str, ebay_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(
        marketplaces="gumtree",
        gumtree_url=gumtree_url,
        ebay_client_id=CLIENT_ID,
        ebay_client_secret=CLIENT_SECRET,
        ebay_api_url=ebay_url,
    )
    assert await run_probe(settings, "--query", "ps5") == 0
    out = capsys.readouterr().out
    assert "ebay: OK, 6 listings in " in out
    assert "price 100%" in out and "posted time" in out
    assert "gumtree: OK, " in out and "FAILED" not in out


@pytest.mark.parametrize(
    ("mode", "failure", "advice"),
    [
        (GumtreeMode.FORBIDDEN, "blocked", "the site refuses this machine"),
        (GumtreeMode.TOO_MANY, "rate-limited", "slow down for 120 s"),
        (GumtreeMode.CHANGED_LAYOUT, "parse error", "changed shape"),
        (GumtreeMode.SERVER_ERROR, "unavailable", "check this machine's connection"),
    ],
)
async def test_each_failure_says_what_to_do_and_fails_the_exit_status(
    db: str,
    site: GumtreeSite,
    gumtree_url: str,
    capsys: pytest.CaptureFixture[str],
    mode: GumtreeMode,
    failure: str,
    advice: str,
) -> None:
    site.mode = mode
    settings = settings_for(marketplaces="gumtree", gumtree_url=gumtree_url)
    assert await run_probe(settings) == 1
    out = capsys.readouterr().out
    assert f"gumtree: FAILED ({failure}) after " in out
    assert "what to do: " in out and advice in out
    assert len(site.requests) == 1  # one request, no retries elsewhere


async def test_refused_ebay_keys_name_the_settings(
    db: str, ebay: FakeEbayApi, ebay_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ebay.token_status = 401
    settings = settings_for(
        ebay_client_id=CLIENT_ID, ebay_client_secret="wrong", ebay_api_url=ebay_url
    )
    assert await run_probe(settings, "ebay") == 1
    out = capsys.readouterr().out
    assert "ebay: FAILED (blocked)" in out and "EBAY_CLIENT_ID and EBAY_CLIENT_SECRET" in out


async def test_a_marketplace_that_is_not_configured_fails(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_probe(settings_for(), "craigslist") == 1
    out = capsys.readouterr().out
    assert "craigslist: FAILED (not configured)" in out and "MARKETPLACES" in out
    assert await run_probe(settings_for()) == 1
    assert "No marketplace is configured" in capsys.readouterr().out


async def test_craigslist_is_probed_on_the_given_site(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeCraigslist()
    async with fake.running() as base:
        settings = settings_for(
            marketplaces="craigslist",
            craigslist_url=base + "/{site}",
            craigslist_api_url=base,
            craigslist_reference_url=base,
        )
        assert await run_probe(settings, "--craigslist-site", "sfbay", "--query", "road") == 0
    assert "craigslist: OK, 6 listings" in capsys.readouterr().out
    assert [r.query["searchPath"] for r in fake.api.requests] == ["sss"]


def test_an_unknown_marketplace_name_is_refused() -> None:
    with pytest.raises(SystemExit):
        cli._parser().parse_args(["probe", "craiglist"])
