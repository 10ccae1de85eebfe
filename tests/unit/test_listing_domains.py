"""Where the alert click-through may redirect: each marketplace's own listing hosts, as the
scrapers declare them (bot.app.listing_domains wires them), never an off-site link."""

from __future__ import annotations

import pytest

from bot.app import listing_domains, metrics_token
from bot.settings import Settings
from core.clicks import on_listing_domains

DOMAINS = listing_domains(Settings(_env_file=None))  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("marketplace", "url"),
    [
        ("ebay", "https://www.ebay.co.uk/itm/126543210987"),
        ("ebay", "https://www.ebay.com/itm/126543210987?hash=item1d&var=0"),
        ("ebay", "https://www.ebay.de/itm/126543210987"),
        ("ebay", "https://ebay.com.au/itm/1"),
        ("craigslist", "https://sfbay.craigslist.org/sfc/ele/d/san-francisco-ps5/7712345678.html"),
        ("craigslist", "https://london.craigslist.org/ele/d/ps5/7712345678.html"),
        ("craigslist", "https://craigslist.org/about"),
        ("gumtree", "https://www.gumtree.com/p/playstation/sony-ps5-disc/1478523690"),
        ("facebook", "https://www.facebook.com/marketplace/item/1234567890123456/"),
        ("facebook", "https://WWW.FACEBOOK.COM/marketplace/item/1/"),
    ],
)
def test_listings_on_their_own_marketplace_may_be_opened(marketplace: str, url: str) -> None:
    assert on_listing_domains(url, DOMAINS[marketplace])


@pytest.mark.parametrize(
    ("marketplace", "url"),
    [
        # off-site links and lookalikes
        ("ebay", "https://evil.example/itm/1"),
        ("ebay", "https://www.ebay.co.uk.evil.example/itm/1"),
        ("ebay", "https://www.ebay.co.uk@evil.example/itm/1"),
        ("ebay", "https://www.ebay.co.uk\\@evil.example/itm/1"),
        ("ebay", "https://notebay.com/itm/1"),
        ("ebay", "https://www.ebay.xyz/itm/1"),
        ("gumtree", "https://www.gumtree.com.evil.example/p/1"),
        ("craigslist", "https://craigslist.org.evil.example/x"),
        ("craigslist", "https://evilcraigslist.org/x"),
        # promoted ads and redirectors
        ("ebay", "https://rover.ebay.com/rover/1/710-53481-19255-0/1?mpre=https://evil.example"),
        ("ebay", "https://pulsar.ebay.com/plsr/clk/0?https://evil.example"),
        ("gumtree", "https://ad.doubleclick.net/ddm/clk/123;456;x?https://dealer.example/car"),
        ("gumtree", "https://www.autotrader.co.uk/car-details/2024"),
        ("facebook", "https://l.facebook.com/l.php?u=https%3A%2F%2Fevil.example%2F"),
        # another marketplace's domain is not this one's
        ("gumtree", "https://www.ebay.co.uk/itm/1"),
        ("facebook", "https://sfbay.craigslist.org/x.html"),
        # not http(s), or not a URL at all
        ("ebay", "javascript:alert(1)//www.ebay.co.uk"),
        ("ebay", "data:text/html,<script>alert(1)</script>"),
        ("ebay", "//www.ebay.co.uk/itm/1"),
        ("ebay", "https:///www.ebay.co.uk"),
        ("ebay", " https://www.ebay.co.uk/itm/1"),
        ("ebay", "https://www.ebay.co.uk:99999/itm/1"),
        ("ebay", "https://www.ebay.co.uk/itm/1\x00"),
        # unknown marketplace: nothing declared, nothing allowed
        ("nowhere", "https://www.ebay.co.uk/itm/1"),
    ],
)
def test_anything_else_is_refused(marketplace: str, url: str) -> None:
    assert not on_listing_domains(url, DOMAINS.get(marketplace, ()))


def test_every_ebay_site_is_declared() -> None:
    for domain in ("ebay.co.uk", "ebay.com", "ebay.de", "ebay.fr", "ebay.it", "ebay.es"):
        assert domain in DOMAINS["ebay"] and f"www.{domain}" in DOMAINS["ebay"]


def test_the_local_sandbox_is_allowed_only_through_its_wiring() -> None:
    assert "sandbox" not in DOMAINS
    assert not on_listing_domains("http://127.0.0.1:8090/item/1", DOMAINS.get("sandbox", ()))
    wired = listing_domains(
        Settings(_env_file=None, sandbox_url="http://127.0.0.1:8090")  # type: ignore[call-arg]
    )
    sandbox = wired["sandbox"]
    assert on_listing_domains("http://127.0.0.1:8090/item/1", sandbox)
    assert not on_listing_domains("http://127.0.0.1:8091/item/1", sandbox)  # another port
    assert not on_listing_domains("https://127.0.0.1:8090/item/1", sandbox)
    assert not on_listing_domains("http://127.0.0.1:8090/item/1", wired["ebay"])


def test_metrics_token_setting() -> None:
    assert metrics_token(Settings(_env_file=None)) is None  # type: ignore[call-arg]
    assert metrics_token(Settings(_env_file=None, metrics_token="")) is None  # type: ignore[call-arg]
    settings = Settings(_env_file=None, metrics_token="mt_1")  # type: ignore[call-arg]
    assert metrics_token(settings) == "mt_1"
