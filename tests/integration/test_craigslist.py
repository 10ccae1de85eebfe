"""CraigslistMarketplace against a local Craigslist: sapi JSON first, the HTML page as fallback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import aiohttp
import pytest

from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import Condition, Platform, Tier
from core.errors import (
    Blocked,
    ConfigurationError,
    MarketplaceError,
    ParseError,
    RateLimited,
    Unavailable,
)
from core.models import Alert, Listing, MarketplaceState, Search
from core.ports import Marketplace, MarketplaceQuery
from core.runner import Runner
from core.scheduling import key_due, with_key_state
from core.searches import SearchDraft, SearchService
from core.tiers import TierTable
from scrapers.craigslist import (
    CraigslistMarketplace,
    craigslist_keywords,
    parse_search_api,
    parse_search_page,
    parse_site_answer,
)
from tests.fakes.clock import FakeClock
from tests.fakes.craigslist_site import FakeCraigslist, fixture_json, fixture_text

MIN_POSTED = 1714550000


def query(
    keywords: str = "road bike", site: str | None = "sfbay", **fields: object
) -> MarketplaceQuery:
    extra = (("site", site),) if site else ()
    return MarketplaceQuery(marketplace="craigslist", keywords=keywords, extra=extra, **fields)  # type: ignore[arg-type]


@pytest.fixture
def fake() -> FakeCraigslist:
    return FakeCraigslist()


@pytest.fixture
async def base(fake: FakeCraigslist) -> AsyncIterator[str]:
    async with fake.running() as url:
        yield url


def make_craigslist(
    session: aiohttp.ClientSession, base: str, **options: object
) -> CraigslistMarketplace:
    settings: dict[str, object] = {
        "site_url": base + "/{site}",
        "api_url": base,
        "reference_url": base,
        "min_interval_seconds": 0.0,
        "jitter_seconds": 0.0,
        **options,
    }
    return CraigslistMarketplace(session, **settings)  # type: ignore[arg-type]


@pytest.fixture
def craigslist(db: str, session: aiohttp.ClientSession, base: str) -> CraigslistMarketplace:
    return make_craigslist(session, base)


# --- the JSON API --------------------------------------------------------------------


async def test_is_a_marketplace_that_asks_for_a_site(craigslist: CraigslistMarketplace) -> None:
    assert isinstance(craigslist, Marketplace)
    assert [q.key for q in craigslist.questions] == ["site"]


TREK, PEUGEOT, FREE_BIKE, PEDALS, TARMAC, CANNONDALE = (
    "hh7zEDqMD3WJPkwRYdJj15",
    "Qm3RzT8yWc2Lp9Hk4Nd7Xs",
    "Zr8Tq2Lm5Pw7Kd3Bn6Hs1V",
    "Wd4Xn7Bv1Qk9Lm2Rt6Yp8C",
    "Tp6Lk3Nm8Qz1Xv5Cb7Rd2W",
    "Bc5Nv8Mx2Lk7Jh3Gf9Dq4S",
)


async def test_api_items_are_decoded(craigslist: CraigslistMarketplace, base: str) -> None:
    found = await craigslist.search(query())
    # the token is the id (newest first; the malformed item is skipped) ...
    assert [x.external_id for x in found] == [TREK, PEUGEOT, FREE_BIKE, PEDALS, TARMAC, CANNONDALE]
    # ... and the numeric id it had before is kept, so stored listings are re-keyed
    assert [x.former_ids for x in found][:2] == [("7748123456",), ("7748123390",)]
    trek = found[0]
    assert trek.title == "Trek Domane AL 2 road bike 56cm"
    # today's link form: the www host, no site, no category, no numeric id
    assert trek.url == f"{base}/www/view/d/san-francisco-trek-domane-al-road-bike/{TREK}"
    assert (trek.price, trek.currency) == (Decimal(450), "USD")
    assert trek.location == "mission district"
    assert trek.image_url == "https://images.craigslist.org/00x0x_kYd3bE8QxJa_0CI0t2_600x450.jpg"
    assert trek.posted_at == datetime.fromtimestamp(MIN_POSTED + 5400, UTC)
    assert trek.condition is Condition.ANY and trek.marketplace == "craigslist"


async def test_api_edge_cases(craigslist: CraigslistMarketplace, base: str) -> None:
    by_id = {x.external_id: x for x in await craigslist.search(query())}
    peugeot = by_id[PEUGEOT]  # price -1 and no shown price: none, no photo, a stray flag
    assert (peugeot.price, peugeot.image_url) == (None, None)
    assert peugeot.location == "oakland lake merritt / grand"
    assert by_id[FREE_BIKE].price == Decimal(0)  # -1, shown "free": free
    assert by_id[PEDALS].url == f"{base}/www/view/d/berkeley-shimano-105-road-bike-pedals/{PEDALS}"
    tarmac = by_id[TARMAC]  # a category we do not know: no matter for today's link
    assert tarmac.url == f"{base}/www/view/d/specialized-tarmac-sl6-road-bike/{TARMAC}"
    assert tarmac.location == "sfbay" and tarmac.price == Decimal(1200)
    assert by_id[CANNONDALE].title == "Cannondale CAAD8 road bike 54cm"  # title not last


def test_api_rows_without_a_token_keep_the_numeric_id_and_older_links() -> None:
    payload = fixture_json("sapi_search.json")
    items = payload["data"]["items"]
    for item in items:
        item[:] = [v for v in item if not (isinstance(v, list) and v and v[0] == 13)]
    found = parse_search_api(payload, site="sfbay", category_abbr={197: "bop"}.get)
    by_id = {x.external_id: x for x in found}
    pedals = by_id["7748123250"]
    assert pedals.former_ids == ()
    assert pedals.url == (
        "https://sfbay.craigslist.org/eby/bop/d/berkeley-shimano-105-road-bike-pedals/7748123250.html"
    )
    assert by_id["7748123100"].url == "https://sfbay.craigslist.org/search/sss?postingId=7748123100"


def test_free_means_the_shown_text_or_the_free_board_and_minus_one_is_otherwise_no_price() -> None:
    payload = fixture_json("sapi_search.json")
    free_board = parse_search_api(payload, category_abbr=lambda _: "zip")
    assert {x.external_id: x.price for x in free_board}[PEUGEOT] == Decimal(0)
    searched_there = parse_search_api(payload, free_board=True)  # a search of the free board
    assert {x.external_id: x.price for x in searched_there}[PEUGEOT] == Decimal(0)
    elsewhere = parse_search_api(payload, category_abbr=lambda _: "bik")
    by_id = {x.external_id: x.price for x in elsewhere}
    assert by_id[PEUGEOT] is None  # -1, nothing shown, not the free board: no price
    assert by_id[FREE_BIKE] == Decimal(0)  # -1 with the shown text "free"


async def test_api_request_carries_the_search(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist, base: str
) -> None:
    await craigslist.search(
        query(
            'road OR gravel "drop bar"',
            location="94110",
            radius_miles=15,
            min_price=Decimal("100"),
            max_price=Decimal("800"),
            currency="USD",  # sfbay's: bounds in the site's currency go upstream
            condition=Condition.USED,
            category="bicycles",
        )
    )
    [request] = fake.api.requests
    params = request.query
    assert params["batch"] == "1-0-360-0-0"
    assert (params["cc"], params["lang"], params["searchPath"]) == ("US", "en", "bia")
    assert params["query"] == '(road | gravel) "drop bar"'
    assert params["sort"] == "date"
    assert (params["min_price"], params["max_price"]) == ("100", "800")
    assert (params["postal"], params["search_distance"]) == ("94110", "15")
    assert params.getall("condition") == ["20", "30", "40", "50", "60"]


async def test_a_range_in_another_currency_is_not_sent_upstream(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist, base: str
) -> None:
    await craigslist.search(query(max_price=Decimal("800"), currency="GBP"))  # on sfbay
    [request] = fake.api.requests
    assert "max_price" not in request.query and "min_price" not in request.query
    assert request.headers["Referer"] == f"{base}/sfbay/"
    assert request.headers["User-Agent"].startswith("Mozilla/5.0")
    assert fake.page.requests == []


async def test_reference_data_is_loaded_once(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    await craigslist.search(query())
    await craigslist.search(query("bmx"))
    assert sorted(r.path for r in fake.reference.requests) == ["/Areas", "/Categories"]


async def test_the_site_can_come_from_the_place(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    found = await craigslist.search(query(site=None, location="Vancouver"))
    assert fake.api.requests[0].query["batch"] == "16-0-360-0-0"
    assert fake.api.requests[0].query["cc"] == "CA"
    assert {x.currency for x in found} == {"CAD"}


async def test_no_site_and_unknown_site_say_what_to_do(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    with pytest.raises(MarketplaceError, match="no Craigslist site: /edit"):
        await craigslist.search(query(site=None))
    with pytest.raises(MarketplaceError, match="Craigslist has no site 'atlantis'"):
        await craigslist.search(query(site="atlantis"))
    assert fake.api.requests == [] and fake.page.requests == []


async def test_no_results_is_an_empty_list(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    fake.search_json = fixture_json("sapi_empty.json")  # "decode": 0, no items
    assert await craigslist.search(query("zzqx unobtainium")) == []
    assert fake.page.requests == []


async def test_the_limit_keeps_the_newest(craigslist: CraigslistMarketplace) -> None:
    found = await craigslist.search(query(limit=2))
    assert [x.external_id for x in found] == [TREK, PEUGEOT]


# --- failures and the HTML fallback ------------------------------------------------


async def test_429_is_rate_limited_and_not_retried_elsewhere(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    fake.api.status, fake.api.headers = 429, {"Retry-After": "600"}
    with pytest.raises(RateLimited) as caught:
        await craigslist.search(query())
    assert caught.value.retry_after == 600
    assert fake.page.requests == []
    with pytest.raises(RateLimited, match="holding off"):  # the pause holds for the next search
        await craigslist.search(query())
    assert len(fake.api.requests) == 1


async def test_a_blocked_api_falls_back_to_the_search_page(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    fake.api.status = 403
    found = await craigslist.search(
        query(max_price=Decimal("500"), currency="USD", category="bicycles")
    )
    [page] = fake.page.requests
    assert page.path == "/sfbay/search/bia"
    assert (page.query["query"], page.query["sort"], page.query["max_price"]) == (
        "road bike",
        "date",
        "500",
    )
    assert page.headers["Accept"].startswith("text/html")
    by_id = {x.external_id: x for x in found}
    assert set(by_id) == {"7748123456", "7748123390", "7748123301", "7748123100"}
    trek = by_id["7748123456"]
    assert trek.url == (
        "https://sfbay.craigslist.org/sfc/bik/d/san-francisco-trek-domane-al-road-bike/7748123456.html"
    )
    assert (trek.price, trek.currency, trek.location) == (Decimal(450), "USD", "mission district")
    assert trek.image_url == "https://images.craigslist.org/00x0x_kYd3bE8QxJa_0CI0t2_600x450.jpg"
    assert by_id["7748123390"].price is None
    assert by_id["7748123301"].price == Decimal(0)
    assert by_id["7748123100"].location == "CA"  # from the JSON-LD address


@pytest.mark.parametrize(
    ("body", "status", "delay"),
    [
        ('{"data": {"items": [[1, 2, 3', 200, 0.0),  # malformed JSON
        ('{"errors": [{"message": "bad request"}]}', 200, 0.0),  # no data object
        (None, 500, 0.0),
        (None, 200, 2.0),  # too slow
    ],
)
async def test_api_failures_fall_back_to_the_page(
    db: str,
    session: aiohttp.ClientSession,
    base: str,
    fake: FakeCraigslist,
    body: str | None,
    status: int,
    delay: float,
) -> None:
    craigslist = make_craigslist(session, base, timeout_seconds=0.5)
    fake.api.body, fake.api.status, fake.api.delay = body, status, delay
    found = await craigslist.search(query())
    assert len(found) == 4 and len(fake.page.requests) == 1


async def test_both_paths_failing_is_one_clear_error(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    fake.api.status = 403
    fake.page.status = 403
    with pytest.raises(Blocked, match=r"search page.*the JSON search had failed too") as caught:
        await craigslist.search(query())
    assert caught.value.__cause__ is not None


async def test_a_changed_layout_is_a_parse_error(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    fake.search_json = {"data": {"results": []}, "errors": []}
    fake.search_page = fixture_text("search_page_changed.html")
    with pytest.raises(ParseError, match="layout changed"):
        await craigslist.search(query())


async def test_a_block_page_is_blocked(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    fake.api.status = 500
    fake.search_page = fixture_text("blocked.html")
    with pytest.raises(Blocked, match="block page"):
        await craigslist.search(query())


async def test_page_429_after_api_failure_is_rate_limited(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    fake.api.status = 503
    fake.page.status, fake.page.headers = 429, {"Retry-After": "45"}
    with pytest.raises(RateLimited) as caught:
        await craigslist.search(query())
    assert caught.value.retry_after == 45


async def test_page_without_results(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    fake.api.status = 403
    fake.search_page = fixture_text("search_page_empty.html")
    assert await craigslist.search(query("zzqx unobtainium")) == []


async def test_reference_down_still_searches_the_page(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    fake.reference.status = 503
    found = await craigslist.search(query())
    assert len(found) == 4
    assert fake.api.requests == []


async def test_timeout_everywhere_is_unavailable(
    db: str, session: aiohttp.ClientSession, base: str, fake: FakeCraigslist
) -> None:
    craigslist = make_craigslist(session, base, timeout_seconds=0.3)
    fake.api.delay = fake.page.delay = 2.0
    with pytest.raises(Unavailable, match="did not answer within") as caught:
        await craigslist.search(query())
    assert isinstance(caught.value.__cause__, Unavailable)


def test_page_parser_reads_the_rendered_cards() -> None:
    fetched = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    rendered = parse_search_page(fixture_text("search_page_rendered.html"), now=fetched)
    assert [(x.external_id, x.price, x.location, x.posted_at) for x in rendered] == [
        (
            "q7Xk2LmN9pRt4VwZ8bCd3F",
            Decimal(450),
            "Peabody",
            datetime(2026, 11, 30, 9, 48, tzinfo=UTC),
        ),
        ("Hb6Tz1Qw8Ls3Nk5Vy2Mx7P", Decimal(425), "Salem", datetime(2026, 11, 30, 5, 0, tzinfo=UTC)),
        ("7899876543", Decimal(0), "Lynn", datetime(2026, 11, 28, tzinfo=UTC)),
    ]
    # two postings with one title: each keeps its own photo (the card's, not the JSON-LD's)
    assert [x.image_url for x in rendered[:2]] == [
        "https://images.craigslist.org/00a0a_aaaaTrekOne_0CI0t2_300x300.jpg",
        "https://images.craigslist.org/00b0b_bbbbTrekTwo_0CI0t2_300x300.jpg",
    ]
    assert rendered[0].url == (
        "https://www.craigslist.org/view/d/peabody-trek-fx-road-bike/q7Xk2LmN9pRt4VwZ8bCd3F"
    )
    # a token-linked card's numeric data-pid is the id it may be stored under
    assert [x.former_ids for x in rendered] == [("7901234567",), ("7901234500",), ()]


def test_page_parser_reads_the_real_static_list_with_www_links() -> None:
    """A real capture (tests/fixtures/craigslist/SOURCES.md): 14 results linked
    ``www.craigslist.org/view/d/<slug>/<token>``, the site nowhere in the links."""
    found = parse_search_page(
        fixture_text("search_page_www.html"), base_url="https://newyork.craigslist.org/"
    )
    assert len(found) == 14
    first = found[0]
    assert (first.external_id, first.title, first.price, first.location) == (
        "vAjGnkwp5v35FdiHDf8H9X",
        "Plates Edwin Knowles",
        Decimal(30000),
        "New York",
    )
    assert first.url == (
        "https://www.craigslist.org/view/d/college-point-plates-edwin-knowles/vAjGnkwp5v35FdiHDf8H9X"
    )
    assert found[9].title == "I-Ecko Eco Friendly Speakers" and found[9].price == Decimal(15)
    assert len({x.external_id for x in found}) == 14


def test_json_ld_is_used_only_when_it_lines_up_with_the_results() -> None:
    page = fixture_text("search_page_www.html")
    titles = ["Plates Edwin Knowles", "Bumper badger Bumper Guard"]

    def with_json_ld(names: list[str]) -> str:
        items = [
            {
                "position": str(i),
                "item": {"name": n, "image": [f"https://images.craigslist.org/{i}.jpg"]},
            }
            for i, n in enumerate(names)
        ]
        block = json.dumps({"@type": "ItemList", "itemListElement": items})
        script = f'<script type="application/ld+json" id="ld_searchpage_results">{block}</script>'
        return page.replace("</head>", script + "</head>")

    # one entry short (the real page's JSON-LD skipped one of its 14 results): not used
    short = parse_search_page(with_json_ld(titles))
    assert all(x.image_url is None for x in short)
    everything = [x.title for x in parse_search_page(page)]
    aligned = parse_search_page(with_json_ld(everything))
    assert [x.image_url for x in aligned][:2] == [
        "https://images.craigslist.org/0.jpg",
        "https://images.craigslist.org/1.jpg",
    ]
    swapped = [everything[1], everything[0], *everything[2:]]
    assert all(x.image_url is None for x in parse_search_page(with_json_ld(swapped)))


def test_page_parser_reads_the_older_layout() -> None:
    base = "https://sfbay.craigslist.org/"
    legacy = parse_search_page(fixture_text("search_page_legacy.html"), base_url=base)
    assert [(x.external_id, x.title, x.price, x.location) for x in legacy] == [
        ("7748123456", "Trek Domane AL 2 road bike 56cm", Decimal(450), "mission district"),
        ("7748123301", "FREE kids road bike, needs tubes", None, "palo alto"),
    ]
    assert legacy[0].posted_at == datetime(2024, 5, 1, 11, 58, tzinfo=UTC)


def test_api_tolerates_variants_of_its_tables() -> None:
    payload = fixture_json("sapi_search.json")
    decode = payload["data"]["decode"]
    decode["locationDescriptions"] = json.dumps(decode["locationDescriptions"])
    payload["data"]["items"][0][3] = "450"  # a price that is not a number: the shown one
    found = parse_search_api(payload, site="sfbay")
    assert found[0].location == "mission district" and found[0].price == Decimal(450)


def test_page_parser_rejects_json_ld_without_links() -> None:
    html = fixture_text("search_page.html").replace('cl-static-search-result"', 'cl-x"')
    html = html.replace("cl-static-search-results", "cl-y")
    with pytest.raises(ParseError, match="4 results in JSON-LD but has no result links"):
        parse_search_page(html)


# --- settings, the wizard's answer, keywords, health, the runner ---------------------


def test_site_url_must_have_the_site_placeholder(session: aiohttp.ClientSession) -> None:
    with pytest.raises(ConfigurationError, match="CRAIGSLIST_URL"):
        CraigslistMarketplace(session, site_url="https://sfbay.craigslist.org")


def test_site_answers() -> None:
    assert parse_site_answer(" SFBay ") == "sfbay"
    assert parse_site_answer("https://newyork.craigslist.org/search/sss?query=x") == "newyork"
    assert parse_site_answer("london.craigslist.org") == "london"
    for wrong in ("https://craigslist.evil.com/", "www.craigslist.org", "two words", "x"):
        with pytest.raises(ValueError):
            parse_site_answer(wrong)


def test_keywords_in_craigslist_syntax() -> None:
    assert craigslist_keywords("road bike") == "road bike"
    assert craigslist_keywords("ps5|xbox controller") == "(ps5 | xbox) controller"
    assert craigslist_keywords("iphone-13") == '"iphone 13"'


async def test_the_scraper_leaves_health_to_the_runner(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    await craigslist.search(query())
    fake.api.status = fake.page.status = 403
    with pytest.raises(Blocked):
        await craigslist.search(query())
    assert not await MarketplaceState.filter(name="craigslist").exists()


async def _bike_search(
    craigslist: CraigslistMarketplace, clock: FakeClock, user: str
) -> tuple[Search, Runner]:
    """A business-tier user's one-minute "road bike" search on sfbay, and a runner for it."""
    account = await identify(Platform.CONSOLE, user)
    account.tier = Tier.BUSINESS
    await account.save()
    destination = await destination_for(account, Platform.CONSOLE, "console")
    markets = {"craigslist": craigslist}
    service = SearchService(TierTable.demo(fastest_seconds=60), markets, clock=clock)
    criteria = Criteria(keywords="road bike", extra={"craigslist.site": "sfbay"})
    draft = SearchDraft("bikes", criteria, ("craigslist",), interval_seconds=60)
    return await service.create(account, destination, draft), Runner(markets, clock=clock)


async def test_the_runner_backs_off_for_the_asked_delay(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    clock = FakeClock()
    search, runner = await _bike_search(craigslist, clock, "cl-tester")
    assert await runner.prime(search)  # the preview came through the real adapter
    fake.api.status, fake.api.headers = 429, {"Retry-After": "1200"}
    clock.advance(91)  # past the next check: at most 1.5 intervals after the first
    await runner.tick()
    await search.refresh_from_db()
    await with_key_state([search])
    due = await key_due(search)
    assert (due - clock.now).total_seconds() >= 1200
    assert search.last_error is not None and "429" in search.last_error


def _without_tokens(payload: dict[str, object]) -> dict[str, object]:
    """The same answer as the version before tokens read it: numeric ids only."""
    data = json.loads(json.dumps(payload))
    for item in data["data"]["items"]:
        item[:] = [v for v in item if not (isinstance(v, list) and v and v[0] == 13)]
    return data


async def test_upgrading_a_running_database_alerts_no_live_listing_again(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    clock = FakeClock()
    search, runner = await _bike_search(craigslist, clock, "cl-upgrader")
    fake.search_json = fixture_json("sapi_empty.json")
    await runner.prime(search)
    # before the upgrade: the postings arrive, stored and alerted under their numeric ids
    fake.search_json = _without_tokens(fixture_json("sapi_search.json"))
    clock.advance(91)
    await runner.tick()
    alerted = await Alert.all().count()
    assert alerted == 6
    assert await Listing.filter(external_id="7748123456").exists()
    # after it: the same postings keyed by token; the rows are re-keyed, nobody alerted again
    fake.search_json = fixture_json("sapi_search.json")
    clock.advance(91)
    await runner.tick()
    assert await Alert.all().count() == alerted
    assert await Listing.all().count() == 6
    trek = await Listing.get(external_id=TREK)
    assert trek.url.endswith(f"/www/view/d/san-francisco-trek-domane-al-road-bike/{TREK}")


async def test_a_search_of_the_free_board_makes_unpriced_postings_free(
    craigslist: CraigslistMarketplace, fake: FakeCraigslist
) -> None:
    by_id = {x.external_id: x for x in await craigslist.search(query(category="zip"))}
    assert fake.api.requests[-1].query["searchPath"] == "zip"
    assert by_id[PEUGEOT].price == Decimal(0)
