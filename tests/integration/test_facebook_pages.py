"""Facebook Marketplace without a browser: URLs, pasted-URL checks, card parsing, page kinds."""

from __future__ import annotations

import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bot import cli
from bot.app import build_marketplaces
from bot.settings import Settings
from core.enums import Condition
from core.errors import ConfigurationError, InvalidCriteria, ParseError
from core.ports import MarketplaceQuery
from scrapers.facebook import (
    BrowserConfig,
    FacebookBrowser,
    PageKind,
    classify_page,
    find_chromium,
    parse_cards,
    search_url,
)
from scrapers.facebook import validate_marketplace_url as validate
from scrapers.facebook.urls import parse_city_or_url, target_url
from tests.fakes.facebook_site import FacebookMode, FacebookSite

BASE = "https://www.facebook.com"


def query(keywords: str = "ps5", **fields: object) -> MarketplaceQuery:
    return MarketplaceQuery(marketplace="facebook", keywords=keywords, **fields)  # type: ignore[arg-type]


def params(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_automated_search_url_has_every_filter_and_newest_first() -> None:
    url = search_url(
        BASE,
        query(
            "ps5 disc",
            location="New York",
            radius_miles=25,
            min_price=Decimal("99.50"),
            max_price=Decimal("300.10"),
            condition=Condition.USED,
        ),
    )
    assert urlsplit(url).path == "/marketplace/newyork/search/"
    assert params(url) == {
        "query": "ps5 disc",
        "minPrice": "99",
        "maxPrice": "301",
        "radius": "40",  # kilometres, as Facebook's URL wants
        "itemCondition": "used_like_new,used_good,used_fair",
        "sortBy": "creation_time_descend",
        "exact": "false",
    }


def test_the_query_extra_picks_the_city_or_the_pasted_url() -> None:
    city = query(location="leeds", extra=(("city", "108339199186201"),))
    assert urlsplit(target_url(BASE, city)).path == "/marketplace/108339199186201/search/"
    pasted = f"{BASE}/marketplace/york/search/?query=bike"
    for extra in ((("url", pasted),), (("city", pasted),)):
        url = target_url(BASE, query(extra=extra))
        assert urlsplit(url).path == "/marketplace/york/search/"
        assert params(url) == {"query": "bike", "sortBy": "creation_time_descend"}


def test_wizard_answer_is_a_city_a_checked_link_or_the_place() -> None:
    parse = parse_city_or_url(BASE)
    assert parse("New York") == "newyork"
    assert parse(" - ") == ""
    assert parse("facebook.com/marketplace/leeds/search?query=ps5").startswith(
        f"{BASE}/marketplace/leeds/search"
    )
    with pytest.raises(ValueError, match="not a Facebook address"):
        parse("https://evil.example/marketplace/leeds/")
    with pytest.raises(ValueError, match="not a Marketplace search"):
        parse("https://www.facebook.com/marketplace/item/1064210000000000/")
    with pytest.raises(ValueError, match="Type a city"):
        parse("!!!")


def test_search_url_prefers_the_facebook_city_and_falls_back_to_anywhere() -> None:
    assert urlsplit(search_url(BASE, query(location="leeds"), "108339199186201")).path == (
        "/marketplace/108339199186201/search/"
    )
    bare = search_url(BASE, query(condition=Condition.NEW))
    assert urlsplit(bare).path == "/marketplace/search/"
    assert params(bare)["itemCondition"] == "new"


@pytest.mark.parametrize(
    "pasted",
    [
        "https://www.facebook.com/marketplace/leeds/search/?query=ps5",
        "https://facebook.com/marketplace/leeds/search?query=ps5",
        "https://m.facebook.com/marketplace/leeds/search/?query=ps5#top",
        "https://web.facebook.com/marketplace/category/vehicles/?maxPrice=5000",
    ],
)
def test_pasted_marketplace_urls_are_accepted_and_sorted_newest_first(pasted: str) -> None:
    url = validate(pasted, BASE)
    parts = urlsplit(url)
    assert parts.netloc == "www.facebook.com"  # always loaded from FACEBOOK_URL's host
    assert parts.path.startswith("/marketplace/")
    assert params(url)["sortBy"] == "creation_time_descend"
    assert not parts.fragment


def test_pasted_urls_must_be_on_facebook_urls_host() -> None:
    local = "http://127.0.0.1:8000"  # FACEBOOK_URL pointed at a local server
    assert validate(f"{local}/marketplace/leeds/search/?query=ps5", local).startswith(local)
    with pytest.raises(InvalidCriteria, match=re.escape(f"starts with {local}/marketplace/")):
        validate(f"{BASE}/marketplace/leeds/search/?query=ps5", local)


def test_a_pasted_sort_order_is_kept() -> None:
    url = validate(f"{BASE}/marketplace/leeds/search/?query=ps5&sortBy=price_ascend", BASE)
    assert params(url)["sortBy"] == "price_ascend"


@pytest.mark.parametrize(
    ("pasted", "words"),
    [
        ("https://evil.example/marketplace/leeds/search/?query=ps5", "not a Facebook address"),
        ("https://facebook.com.evil.example/marketplace/", "not a Facebook address"),
        ("https://user:pw@www.facebook.com/marketplace/leeds/search/", "not a Facebook address"),
        ("javascript:alert(1)", "not a Facebook address"),
        ("https://www.facebook.com/groups/123/", "not a Marketplace search"),
        ("https://www.facebook.com/marketplace/item/1064210000000000/", "not a Marketplace search"),
    ],
)
def test_other_urls_are_refused_with_what_is_wanted(pasted: str, words: str) -> None:
    with pytest.raises(InvalidCriteria, match=words):
        validate(pasted, BASE)


# --- cards ---------------------------------------------------------------------------------


def results_page(**site_fields: object) -> str:
    site = FacebookSite(base_url=BASE, **site_fields)  # type: ignore[arg-type]
    return site.render_results("ps5")


def test_cards_give_id_title_price_place_and_photo() -> None:
    listings = parse_cards(results_page(), BASE)
    assert len(listings) == 8
    first = listings[0]
    assert first.external_id == "1064210000000000"
    assert first.url == f"{BASE}/marketplace/item/1064210000000000/"  # tracking query dropped
    assert first.title == "Sony PS5 Disc Edition 825GB boxed"
    assert first.price == Decimal("320")  # not the struck-through £350
    assert first.currency == "GBP"
    assert first.location == "Leeds, United Kingdom"
    assert first.image_url == f"{BASE}/v/t45.5328-4/1064210000000000_n.jpg?stp=dst-jpg_p261x260"
    by_title = {item.title: item for item in listings}
    assert "Just listed" not in by_title  # a badge, not a title
    assert by_title["PS5 Digital + 2 controllers"].price == Decimal("280")
    assert by_title["PS5 DualSense controller white"].image_url is None
    assert by_title["Free: PS5 box and packaging"].price == Decimal("0")
    assert by_title["PS5 games bundle x6"].location == ""  # "Ships to you" is not a place
    assert by_title["2016 Ford Focus 1.0 EcoBoost"].location == "Harrogate, United Kingdom"


def test_currency_comes_from_the_price() -> None:
    page = results_page().replace("£320", "CA$320").replace("£280", "€280")
    by_id = {item.external_id: item for item in parse_cards(page, BASE)}
    assert by_id["1064210000000000"].currency == "CAD"
    assert by_id["1064210000007919"].currency == "EUR"


def test_aria_labelled_and_prose_cards_are_read() -> None:
    page = """<div aria-label="Collection of Marketplace items">
      <a href="/marketplace/item/1356224139807798/?ref=search" aria-label="Arcade 1Up, $300,
         Newburgh, IN, listing 1356224139807798"><img src="https://scontent.example/a.jpg"></a>
      <a href="/marketplace/item/27542838245367180/?ref=notif&amp;notif_t=commerce_product">
         <div>Unread</div><b>Huge lot of crayons</b> listed for <b>$50.00</b>.</a></div>"""
    arcade, crayons = parse_cards(page, BASE, currency="USD")
    assert (arcade.title, arcade.price, arcade.location) == (
        "Arcade 1Up", Decimal("300"), "Newburgh, IN"
    )  # fmt: skip
    assert arcade.currency == "USD"
    assert (crayons.title, crayons.price, crayons.location) == (
        "Huge lot of crayons", Decimal("50.00"), ""
    )  # fmt: skip


def test_cards_without_any_title_are_a_changed_layout() -> None:
    page = '<a href="/marketplace/item/1/"></a><a href="/marketplace/item/2/"><img src="x"></a>'
    with pytest.raises(ParseError, match="none with a readable title"):
        parse_cards(page, BASE)


def test_one_unreadable_card_is_skipped_not_fatal() -> None:
    page = results_page().replace(">PS5 Digital + 2 controllers<", "><", 1)
    page = page.replace(">York, United Kingdom<", "><", 1)
    page = page.replace('alt="PS5 Digital + 2 controllers"', 'alt=""', 1)
    listings = parse_cards(page, BASE)
    assert len(listings) == 7


# --- what kind of page -----------------------------------------------------------------------


def fixture(name: str) -> str:
    return FacebookSite().fixture(name)


@pytest.mark.parametrize(
    ("page", "url", "kind"),
    [
        (results_page(), f"{BASE}/marketplace/leeds/search/?query=ps5", PageKind.RESULTS),
        (
            results_page(mode=FacebookMode.NO_RESULTS),
            f"{BASE}/marketplace/search/",
            PageKind.NO_RESULTS,
        ),
        (fixture("login"), f"{BASE}/login/?next=%2Fmarketplace%2F", PageKind.LOGIN),
        (fixture("login"), f"{BASE}/marketplace/leeds/search/", PageKind.LOGIN),
        (fixture("checkpoint"), f"{BASE}/checkpoint/1501092823525282/", PageKind.CHECKPOINT),
        (fixture("checkpoint"), f"{BASE}/marketplace/leeds/search/", PageKind.CHECKPOINT),
        (fixture("temporarily_blocked"), f"{BASE}/marketplace/", PageKind.THROTTLED),
        (fixture("changed_layout"), f"{BASE}/marketplace/leeds/search/", PageKind.UNKNOWN),
        ("<html><body><p>Something went wrong</p></body></html>", BASE, PageKind.UNKNOWN),
    ],
)
def test_page_kinds(page: str, url: str, kind: PageKind) -> None:
    assert classify_page(page, url) is kind


def test_logged_out_header_form_is_not_a_login_wall() -> None:
    page = results_page(mode=FacebookMode.NO_RESULTS)
    assert 'name="pass"' in page  # the top bar's login form for logged-out visitors
    assert classify_page(page, f"{BASE}/marketplace/search/") is PageKind.NO_RESULTS


# --- `marketplace-monitor facebook-login` refuses clearly before opening anything -----------


async def test_facebook_login_needs_the_state_file_setting() -> None:
    settings = Settings(_env_file=None, facebook_state_file=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="FACEBOOK_STATE_FILE is not set"):
        await cli._facebook_login(settings, wait_minutes=1)


async def test_facebook_login_needs_a_screen(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    browser = tmp_path / "chromium"
    browser.write_text("")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, facebook_state_file=tmp_path / "state.json", browser_executable=browser
    )
    with pytest.raises(ConfigurationError, match="no screen"):
        await cli._facebook_login(settings, wait_minutes=1)


def test_a_missing_browser_executable_is_named() -> None:
    with pytest.raises(ConfigurationError, match="BROWSER_EXECUTABLE"):
        find_chromium(Path("/nowhere/chromium"))


def test_scraped_sites_run_only_when_marketplaces_names_them() -> None:
    http: Any = object()  # adapters only keep the session; nothing is sent here
    browser = FacebookBrowser(BrowserConfig(Path("/usr/bin/chromium")))  # started on first use
    unnamed = Settings(_env_file=None)  # type: ignore[call-arg]
    assert build_marketplaces(unnamed, http, browser=browser) == {}
    settings = Settings(_env_file=None, marketplaces="gumtree, Facebook")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match=r"MARKETPLACES names facebook.*Chromium"):
        build_marketplaces(settings, http)
    found = build_marketplaces(settings, http, browser=browser)
    assert sorted(found) == ["facebook", "gumtree"]
    assert found["facebook"].name == "facebook"
    assert browser.launches == 0
