"""Facebook Marketplace in REAL Chromium against a local Marketplace.

The local pages have a cookie banner that blocks scrolling until dismissed, infinite scroll
over a GraphQL-style endpoint, a login dialog for logged-out visitors, a login redirect, a
checkpoint and Facebook's "temporarily blocked" page. One browser serves the whole module
(a launch costs a second on a small machine); each test gets its own site and adapter.
"""

from __future__ import annotations

import asyncio
import os
import re
import stat
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from core.errors import Blocked, ParseError, RateLimited, Unavailable
from core.ports import Marketplace, MarketplaceQuery
from scrapers.facebook import (
    EXTRA_CITY,
    BrowserConfig,
    FacebookBrowser,
    FacebookMarketplace,
    Pacing,
    facebook_login,
    find_chromium,
)
from tests.fakes.facebook_site import SESSION_COOKIE, FacebookMode, FacebookSite, running_facebook

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(90)]

CHROMIUM = find_chromium(
    Path(os.environ["BROWSER_EXECUTABLE"]) if os.environ.get("BROWSER_EXECUTABLE") else None
)
if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI must have Chromium: scripts/install-chromium.sh installs it")
    pytest.skip("no Chromium here (apt-get install chromium)", allow_module_level=True)

PACING = Pacing.instant(growth_timeout=1.5, navigation_timeout=8.0)


def query(keywords: str = "ps5", **fields: object) -> MarketplaceQuery:
    return MarketplaceQuery(marketplace="facebook", keywords=keywords, **fields)  # type: ignore[arg-type]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[FacebookBrowser]:
    assert CHROMIUM is not None
    async with FacebookBrowser(BrowserConfig(CHROMIUM)) as shared:
        yield shared


@pytest_asyncio.fixture(loop_scope="module")
async def site() -> AsyncIterator[FacebookSite]:
    fake = FacebookSite()
    async with running_facebook(fake):
        yield fake


@pytest.fixture
def facebook(browser: FacebookBrowser, site: FacebookSite, tmp_path: Path) -> FacebookMarketplace:
    return FacebookMarketplace(
        browser,
        site.base_url,
        failures_dir=tmp_path / "facebook-failures",
        pacing=PACING,
        min_interval_seconds=0,
        jitter_seconds=0,
    )


async def test_search_clears_the_banner_scrolls_and_stops_at_the_login_dialog(
    facebook: FacebookMarketplace, site: FacebookSite
) -> None:
    assert isinstance(facebook, Marketplace)
    listings = await facebook.search(
        query("ps5", location="Leeds", radius_miles=20, max_price=Decimal("400"))
    )
    # 8 cards came with the page, 8 more by scrolling; then the login dialog (logged out).
    assert len(listings) == 16
    assert set(site.consent) == {"essential"}  # "Decline optional cookies" was clicked
    assert site.scroll_loads == 1
    path, sent = site.searches[0]
    assert path == "/marketplace/leeds/search/"
    assert dict(sent) == {
        "query": "ps5",
        "maxPrice": "400",
        "radius": "32",
        "sortBy": "creation_time_descend",
        "exact": "false",
    }
    assert "Chrome/" in site.user_agents[0] and "Headless" not in site.user_agents[0]
    first = listings[0]
    assert (first.external_id, first.title, first.price) == (
        "1064210000000000", "Sony PS5 Disc Edition 825GB boxed", Decimal("320")
    )  # fmt: skip
    assert first.url == f"{site.base_url}/marketplace/item/1064210000000000/"
    assert first.location == "Leeds, United Kingdom"
    assert first.image_url and first.image_url.startswith(f"{site.base_url}/v/")
    assert len({item.external_id for item in listings}) == 16
    assert listings[8].title == "Sony PS5 Disc Edition 825GB boxed #2"  # a scrolled-in card


async def test_limit_stops_scrolling(facebook: FacebookMarketplace, site: FacebookSite) -> None:
    assert len(await facebook.search(query(limit=5))) == 5
    assert site.scroll_loads == 0


async def test_pasted_url_is_monitored_as_it_is(
    facebook: FacebookMarketplace, site: FacebookSite
) -> None:
    pasted = f"{site.base_url}/marketplace/category/vehicles/?maxPrice=6000#top"
    # The wizard's "Facebook city or link" answer, as core passes it (Criteria.extra
    # "facebook.city" → the query's "city" option).
    answer = facebook.questions[0].parse(pasted)
    listings = await facebook.search(query("ignored", limit=3, extra=((EXTRA_CITY, answer),)))
    assert len(listings) == 3
    path, sent = site.searches[0]
    assert path == "/marketplace/category/vehicles/"
    assert dict(sent) == {"maxPrice": "6000", "sortBy": "creation_time_descend"}
    with pytest.raises(Unavailable, match="not a Facebook address"):
        await facebook.fetch_url("https://evil.example/marketplace/leeds/search/")


async def test_no_results_is_an_empty_list(
    facebook: FacebookMarketplace, site: FacebookSite
) -> None:
    site.mode = FacebookMode.NO_RESULTS
    assert await facebook.search(query("zx81 gold")) == []


@pytest.mark.parametrize(
    ("mode", "error", "words"),
    [
        (FacebookMode.LOGIN_REDIRECT, Blocked, "marketplace-monitor facebook-login"),
        (FacebookMode.CHECKPOINT, Blocked, "security check (checkpoint)"),
        (FacebookMode.THROTTLED, RateLimited, "going too fast"),
        (FacebookMode.TOO_MANY, RateLimited, "HTTP 429"),
        (FacebookMode.FORBIDDEN, Blocked, "HTTP 403"),
    ],
)
async def test_walls_and_refusals_become_the_right_error(
    facebook: FacebookMarketplace,
    site: FacebookSite,
    mode: FacebookMode,
    error: type[Exception],
    words: str,
) -> None:
    site.mode = mode
    with pytest.raises(error, match=re.escape(words)) as caught:
        await facebook.search(query())
    assert caught.value.marketplace == "facebook"  # type: ignore[attr-defined]
    if mode is FacebookMode.TOO_MANY:
        assert caught.value.retry_after == 90  # type: ignore[attr-defined]
    if mode is FacebookMode.THROTTLED:
        assert caught.value.retry_after == 3600  # type: ignore[attr-defined]


async def test_a_page_that_never_loads_is_unavailable(
    browser: FacebookBrowser, site: FacebookSite, tmp_path: Path
) -> None:
    site.mode = FacebookMode.SLOW
    site.slow_seconds = 2.0
    # The whole search may take long (a busy machine opens a page slowly): the navigation's
    # own timeout is what this is about, not the search's.
    pacing = replace(Pacing.instant(navigation_timeout=0.5), total_timeout=30.0)
    impatient = FacebookMarketplace(
        browser, site.base_url, pacing=pacing, min_interval_seconds=0, jitter_seconds=0,
        failures_dir=tmp_path,
    )  # fmt: skip
    with pytest.raises(Unavailable, match="did not load the Marketplace page within"):
        await impatient.search(query())


@pytest.mark.parametrize("mode", [FacebookMode.CHANGED_LAYOUT, FacebookMode.MALFORMED])
async def test_unparseable_pages_are_saved_for_the_operator(
    facebook: FacebookMarketplace, site: FacebookSite, tmp_path: Path, mode: FacebookMode
) -> None:
    site.mode = mode
    with pytest.raises(ParseError, match="scraper needs updating") as caught:
        await facebook.search(query())
    saved = sorted((tmp_path / "facebook-failures").iterdir())
    assert [p.suffix for p in saved] == [".html", ".png"]
    for path in saved:
        assert str(path) in str(caught.value)  # the message names both files
    assert saved[1].read_bytes().startswith(b"\x89PNG")


async def test_searches_share_one_browser(
    browser: FacebookBrowser, facebook: FacebookMarketplace
) -> None:
    before = browser.launches
    results = await asyncio.gather(*(facebook.search(query(limit=4)) for _ in range(3)))
    assert [len(found) for found in results] == [4, 4, 4]
    assert browser.launches == before <= 1


async def test_login_once_then_search_logged_in(site: FacebookSite, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    state = tmp_path / "secrets" / "facebook-state.json"
    site.auto_login = True  # the login page submits itself, as the operator would
    said: list[str] = []
    await facebook_login(
        BrowserConfig(CHROMIUM), site.base_url, state, wait_seconds=20, poll_seconds=0.1,
        say=said.append,
    )  # fmt: skip
    assert SESSION_COOKIE in state.read_text()
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert "Saved the Facebook login" in said[-1]

    site.mode = FacebookMode.LOGIN_REDIRECT  # logged-out visitors would be sent to /login/
    async with FacebookBrowser(BrowserConfig(CHROMIUM, state_file=state)) as logged_in:
        facebook = FacebookMarketplace(
            logged_in, site.base_url, pacing=PACING, min_interval_seconds=0, jitter_seconds=0,
            failures_dir=tmp_path,
        )  # fmt: skip
        listings = await facebook.search(query(limit=20))
    assert len(listings) == 20  # no login dialog: scrolled past where logged-out visitors stop
    assert site.logged_in_requests > 0
