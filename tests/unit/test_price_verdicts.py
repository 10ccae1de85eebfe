"""Is it a deal? (issue 16): the estimator on synthetic streams, and verdicts on alerts."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from bot.conversation import ChatSession
from bot.conversation.actions import Act, Action
from bot.conversation.pressed import act
from core import prices
from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import BuyingFormat, Platform
from core.errors import Forbidden, NotFound
from core.models import Alert, Notice, PriceFeedback, PriceSample, Search
from core.ports import ListingData
from core.prices import SAMPLE_CAP, feedback_counts, sample_rows, verdict_counts
from core.templates import create_from_template, seed_templates
from core.verdict import (
    MIN_LISTINGS,
    VerdictKind,
    accessory_word,
    accessory_words,
    estimate,
    item_for,
    items_for,
    judge,
    not_comparable,
    other_model,
)
from tests.unit.world import World, titles


def _normal(n: int, mean: float, sd: float, seed: int = 7) -> list[Decimal]:
    rng = random.Random(seed)
    return [Decimal(str(round(max(1.0, rng.gauss(mean, sd)), 2))) for _ in range(n)]


# --- the estimator --------------------------------------------------------------------------
def test_a_known_distribution_recovers_its_median() -> None:
    found = estimate(_normal(200, 275, 30))
    assert found is not None
    assert abs(float(found.usual) - 275) < 275 * 0.03
    # the quartiles of a normal distribution sit 0.674 sd either side
    assert abs(float(found.high - found.low) - 2 * 0.674 * 30) < 10
    assert found.enough


def test_accessories_and_outliers_do_not_move_it() -> None:
    phones = _normal(60, 300, 25)
    clean = estimate(phones)
    # a fifth as many cases at £8 and job lots at £2,000: dropped as far off
    noisy = estimate([*phones, *[Decimal("8")] * 12, *[Decimal("2000")] * 3])
    assert clean is not None and noisy is not None
    assert abs(noisy.usual - clean.usual) <= Decimal("3")
    assert noisy.dropped == 15


def test_a_thin_sample_gives_no_verdict() -> None:
    found = estimate(_normal(MIN_LISTINGS - 1, 275, 10))
    assert found is not None and not found.enough
    assert judge(Decimal("150"), found, "GBP") is None


def test_a_too_wide_sample_gives_no_verdict() -> None:
    # "iphone": £100 SEs to £900 Pro Maxes: the middle half spans more than 60 % of the median
    mixed = [Decimal(p) for p in range(100, 900, 16)]
    found = estimate(mixed)
    assert found is not None and found.listings >= MIN_LISTINGS
    assert found.spread > 0.6 and not found.enough
    assert judge(Decimal("150"), found, "GBP") is None


def test_the_verdict_says_under_about_or_above() -> None:
    found = estimate(_normal(48, 275, 20))
    assert found is not None
    under = judge(Decimal("210"), found, "GBP")
    about = judge(found.usual + 5, found, "GBP")
    above = judge(found.usual * Decimal("1.3"), found, "GBP")
    assert under is not None and under.kind is VerdictKind.UNDER and under.percent < -15
    assert about is not None and about.kind is VerdictKind.ABOUT
    assert above is not None and above.kind is VerdictKind.ABOVE and above.percent == 30
    assert judge(found.usual * Decimal("0.2"), found, "GBP") is None  # a part, not a deal


def test_accessory_words_and_what_the_item_comes_with() -> None:
    words = ("case", "for parts", "box only")
    assert accessory_word("iPhone 13 clear case", words) == "case"
    assert accessory_word("Case for iPhone 13", words) == "case"
    assert accessory_word("iPhone 13 128GB with case and charger", words) is None
    assert accessory_word("iPhone 13 - for parts, won't turn on", words) == "for parts"
    assert accessory_word("Bookcase", words) is None  # whole words only
    assert other_model("Apple iPhone 13 Pro 256GB", "iphone 13") == "pro"
    assert other_model("Apple iPhone 13 Pro 256GB", "iphone 13 pro") is None
    assert other_model("Nintendo Switch Lite", "switch") == "lite"


def _listing(title: str, price: str | None = "300", **extra: object) -> ListingData:
    return ListingData(
        "fake",
        title,
        f"https://x.test/{title}",
        title,
        None if price is None else Decimal(price),
        **extra,  # type: ignore[arg-type]
    )


def test_auctions_free_and_accessories_are_not_samples() -> None:
    criteria = Criteria(keywords="iphone 13", accessory_words=("case",))
    words = accessory_words(criteria)  # the defaults and the search's own
    assert not_comparable(_listing("iPhone 13", buying_format=BuyingFormat.AUCTION), words)
    assert not_comparable(_listing("iPhone 13", "0"), words) == "free"
    assert not_comparable(_listing("iPhone 13", None), words) == "free"
    assert not_comparable(_listing("iPhone 13 faulty screen"), words)  # a default word
    listings = [
        (1, _listing("iPhone 13 128GB")),
        (2, _listing("iPhone 13 case", "8")),
        (3, _listing("iPhone 13 spares or repair", "90")),
        (4, _listing("iPhone 13 auction", buying_format=BuyingFormat.AUCTION)),
        (5, _listing("Samsung S22", "300")),  # does not match the keywords
    ]
    rows, items = sample_rows(
        [criteria.with_changes(max_price=Decimal("200"))], listings, _NOW, None
    )
    # the price cap is lifted for the sample: the £300 phone counts
    assert [(r.listing_id, r.price) for r in rows] == [(1, Decimal("300"))]
    assert list(items) == [item_for(criteria, "fake").digest]  # type: ignore[union-attr]


def test_an_item_is_shared_across_price_caps_but_not_sites() -> None:
    plain = item_for(Criteria(keywords="iPhone 13"), "ebay")
    capped = item_for(Criteria(keywords="iphone  13", max_price=Decimal("200")), "ebay")
    elsewhere = item_for(Criteria(keywords="iphone 13"), "gumtree")
    dollars = item_for(Criteria(keywords="iphone 13", currency="USD"), "ebay")
    assert plain is not None and capped is not None and elsewhere is not None
    assert plain.digest == capped.digest
    assert plain.digest != elsewhere.digest
    assert dollars is not None and dollars.digest != plain.digest


def test_a_search_with_alternatives_prices_each_thing_it_names() -> None:
    template = Criteria(keywords='iphone "13" OR "14" OR "15"', max_price=Decimal("450"))
    fourteen = _listing("Apple iPhone 14 128GB Midnight")
    item = item_for(template, "fake", fourteen)
    plain = item_for(Criteria(keywords="iphone 14"), "fake")
    assert item is not None and plain is not None
    assert item.keywords == "iphone 14" and item.digest == plain.digest  # shared
    assert len(items_for(template, "fake")) == 3


def test_reposts_are_one_sample() -> None:
    criteria = Criteria(keywords="road bike")
    first = _listing("Road bike 54cm", "400", seller="Sam")
    again = ListingData("fake", "other-id", "https://x.test/2", "road  BIKE 54cm", Decimal("380"),
                        seller="sam")  # fmt: skip
    rows, _ = sample_rows([criteria], [(1, first), (2, again)], _NOW, None)
    assert len({r.seen for r in rows}) == 1


# --- through the runner ------------------------------------------------------------------------
from datetime import UTC, datetime, timedelta  # noqa: E402

_NOW = datetime(2026, 11, 1, tzinfo=UTC)


async def _seed(world: World, n: int, mean: float, sd: float, prefix: str = "s") -> None:
    for i, price in enumerate(_normal(n, mean, sd, seed=3)):
        world.market.add(f"{prefix}{i}", f"Road bike {i}", price=str(price), seller=f"seller{i}")


async def test_a_planted_bargain_alerts_with_under_the_usual(world: World) -> None:
    await world.create("road bike")
    await _seed(world, 40, 400, 30)
    await world.cycle()
    world.notifier.sent.clear()
    world.market.add("bargain", "Road bike bargain", price="250", seller="lucky")
    world.market.add("case", "Road bike cover", price="20", seller="x")  # not a verdict
    await world.cycle()
    sent = {a.listing.title: a for a in world.notifier.sent}
    verdict = sent["Road bike bargain"].verdict
    assert verdict is not None and verdict.kind is VerdictKind.UNDER
    assert verdict.listings >= 40 and verdict.percent <= -30
    # "cover" is no default accessory word, but £20 for a £400 bike is not believable
    assert sent["Road bike cover"].verdict is None
    assert await PriceSample.all().count() <= SAMPLE_CAP


async def test_a_listing_is_judged_once_per_criteria_not_per_search(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three searches on one key: two with equal criteria (one shared object in the runner),
    # one with an accessory word that makes the bargain no verdict at all.
    plain = [await world.create("road bike"), await world.create("road bike")]
    picky = await world.create("road bike", accessory_words=("bargain",))
    await _seed(world, 40, 400, 30)
    await world.cycle()
    calls: list[int] = []
    judge_one = prices._verdict

    async def counted(*args: Any) -> Any:
        calls.append(1)
        return await judge_one(*args)

    monkeypatch.setattr(prices, "_verdict", counted)
    world.market.add("bargain", "Road bike bargain", price="250", seller="lucky")
    await world.cycle()
    kinds = dict(await Alert.filter(match__listing__external_id="bargain").values_list(
        "match__search_id", "verdict_kind"))  # fmt: skip
    assert kinds == {plain[0].id: "under", plain[1].id: "under", picky.id: None}
    assert len(calls) == 2  # one per distinct criteria


async def test_deals_only_skips_an_ordinary_listing(world: World) -> None:
    search = await world.create("road bike", deals_only_percent=20)
    world.market.add("first", "Road bike first", price="400", seller="a")
    await world.cycle()
    # thin: alerted as usual, and the chat is told once
    assert titles(world.notifier) == ["Road bike first"]
    notices = await Notice.filter(key=f"deals-thin:{search.id}").count()
    assert notices == 1
    await _seed(world, 40, 400, 30)
    await world.cycle()
    world.notifier.sent.clear()
    world.market.add("ordinary", "Road bike ordinary", price="395", seller="b")
    world.market.add("deal", "Road bike deal", price="280", seller="c")
    await world.cycle()
    assert titles(world.notifier) == ["Road bike deal"]
    assert await Notice.filter(key=f"deals-thin:{search.id}").count() == 1
    stored = await Alert.filter(verdict_kind="under").count()
    assert stored == 1


# --- in chat: /prices and Not a deal -----------------------------------------------------------
async def test_prices_command_sends_a_chart_with_the_figures(world: World) -> None:
    search = await world.create("road bike")
    await _seed(world, 30, 400, 30)
    await world.cycle()
    session = ChatSession(world.monitor.chat, world.account, world.destination)
    [by_number] = await session.handle(f"/prices {search.id}")
    [by_words] = await session.handle("/prices Road  Bike")
    for reply in (by_number, by_words):
        assert reply.image is not None and reply.image.content.startswith(b"\x89PNG")
        assert "Asking prices for" in reply.text and "listings counted" in reply.text
        assert "Last alert: £" in reply.text
    [unknown] = await session.handle("/prices unicycle")
    assert unknown.image is None and "no comparable asking prices" in unknown.text
    [help_text] = await session.handle("/prices")
    assert "/prices 12" in help_text.text


async def test_not_a_deal_is_recorded_once_for_who_may_see_the_alert(world: World) -> None:
    await world.create("road bike")
    await _seed(world, 40, 400, 30)
    await world.cycle()
    world.notifier.sent.clear()
    world.market.add("bargain", "Road bike bargain", price="250", seller="lucky")
    await world.cycle()
    [alert] = world.notifier.sent
    session = ChatSession(world.monitor.chat, world.account, world.destination)
    pressed = await act(session, Action(Act.NOT_A_DEAL, alert.match_id))
    assert pressed.toast is not None and "Noted" in pressed.toast
    again = await act(session, Action(Act.NOT_A_DEAL, alert.match_id))
    assert again.toast is not None and "already" in again.toast
    assert await feedback_counts() == {"under": 1}
    assert (await verdict_counts())["under"] >= 1  # the seeded batch was judged too
    # someone else, in another chat: the alert is not theirs to judge
    other = await identify(Platform.CONSOLE, "stranger")
    elsewhere = await destination_for(other, Platform.CONSOLE, "stranger-chat")
    stranger = ChatSession(world.monitor.chat, other, elsewhere)
    with pytest.raises((NotFound, Forbidden)):  # worded the same either way
        await act(stranger, Action(Act.NOT_A_DEAL, alert.match_id))
    assert await PriceFeedback.all().count() == 1
    [typed] = await session.handle(f"/notadeal {alert.match_id}")  # the console's way
    assert "already" in typed.text


async def test_edit_sets_deals_only_and_accessory_words(world: World) -> None:
    search = await world.create("road bike")
    session = ChatSession(world.monitor.chat, world.account, world.destination)
    [summary] = await session.handle(f"/edit {search.id}")
    assert "Deals only: all listings" in summary.text
    await session.handle("edit")
    [asked] = await session.handle("deals")
    assert "25 % under" in [b.label for b in asked.buttons]
    [refused] = await session.handle("150")
    assert "between 1 and 99" in refused.text
    [again] = await session.handle("30 %")
    assert "Deals only: only 30 % or more under the usual" in again.text
    await session.handle("edit")
    await session.handle("accessories")
    [words] = await session.handle("saddle, pedals only")
    assert "Accessory words: saddle, pedals only" in words.text
    await session.handle("confirm")
    stored = Criteria.from_json((await Search.get(id=search.id)).criteria)
    assert stored.deals_only_percent == 30
    assert stored.accessory_words == ("saddle", "pedals only")


async def test_a_template_search_keeps_its_threshold_and_words(world: World) -> None:
    await seed_templates()
    session = ChatSession(world.monitor.chat, world.account, world.destination)
    made = await create_from_template(
        world.searches, world.account, world.destination, "bicycle-deals", "fake"
    )
    stored = Criteria.from_json(made.criteria)
    assert stored.deals_only_percent == 20 and "saddle" in stored.accessory_words
    [summary] = await session.handle(f"/edit {made.id}")
    assert "Deals only: only 20 % or more under the usual" in summary.text
    assert "saddle" in summary.text


async def test_retention_drops_prices_older_than_the_window(world: World) -> None:
    from core.retention import delete_old_price_samples

    now = datetime.now(UTC)
    for days, n in ((31, 1), (29, 2)):
        await PriceSample.create(item="i", seen=f"l:{n}", listing_id=n, price=Decimal(10),
                                 seen_at=now - timedelta(days=days))  # fmt: skip
    assert await delete_old_price_samples(now, now, 100) == 1
    assert await PriceSample.all().values_list("listing_id", flat=True) == [2]


async def test_an_items_sample_stays_bounded(db: str) -> None:
    from core.prices import record_samples

    criteria = Criteria(keywords="road bike")
    now = datetime.now(UTC)
    listings = [
        (n, _listing(f"Road bike no {n}", str(300 + n), seller=f"s{n}")) for n in range(260)
    ]
    assert await record_samples([criteria], listings[:240], now - timedelta(hours=1), None) == 240
    assert await PriceSample.all().count() == 240  # within a quarter over the cap: no prune
    assert await record_samples([criteria], listings, now, None) == 20  # only the new ones
    assert await PriceSample.all().count() == SAMPLE_CAP  # pruned to the newest
    kept = set(await PriceSample.all().values_list("listing_id", flat=True))
    assert set(range(240, 260)) <= kept
