"""The conversation every chat front-end shares: the wizard, commands, limits and rights."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.conversation import ChatServices, ChatSession, Reply
from core import templates
from core.accounts import destination_for, identify
from core.enums import Platform, SearchStatus, Tier
from core.models import Account, Match, Search
from core.searches import SearchService
from core.tiers import TierTable

MARKETPLACES = ("sandbox", "ebay")


async def session_for(user: str, tier: Tier = Tier.FREE) -> ChatSession:
    account = await identify(Platform.CONSOLE, user)
    account.tier = tier
    await account.save()
    destination = await destination_for(account, Platform.CONSOLE, f"chat-{user}")
    services = ChatServices(SearchService(TierTable.default(), MARKETPLACES))
    return ChatSession(services, account, destination)


async def say(session: ChatSession, *lines: str) -> list[Reply]:
    replies: list[Reply] = []
    for line in lines:
        replies = await session.handle(line)
    return replies


WIZARD = [
    "/newsearch",
    "Cheap PS5",
    "sandbox",
    "ps5 OR playstation",
    "broken, faulty",
    "100-250",
    "Leeds 10",
    "GBP",
    "used",
    str(30 * 60),
    "chat",
]


async def test_the_wizard_creates_the_search_it_summarised(db: str) -> None:
    session = await session_for("ann")
    summary = await say(session, *WIZARD)
    text = summary[0].text
    assert "Cheap PS5" in text and "£100.00 – £250.00" in text and "Leeds (within 10 miles)" in text
    assert [o.value for o in summary[0].options] == ["confirm", "edit", "cancel"]
    done = await session.handle("confirm")
    assert "is live" in done[0].text
    search = await Search.get()
    assert search.criteria["keywords"] == "ps5 OR playstation"
    assert search.criteria["exclude"] == ["broken", "faulty"]
    assert search.criteria["min_price"] == "100.00"
    assert search.interval_seconds == 1800
    assert search.marketplaces == ["sandbox"]


async def test_bad_price_is_asked_again_and_nothing_is_lost(db: str) -> None:
    session = await session_for("ann")
    replies = await say(session, *WIZARD[:5], "cheap please")
    assert replies[0].text.startswith("Price must be a number like 150 or a range like 100-250")
    assert "What price" in replies[0].text
    replies = await session.handle("200")
    assert replies[0].text.startswith("Where?")


async def test_other_bad_answers_re_ask(db: str) -> None:
    session = await session_for("ann")
    assert "Choose from" in (await say(session, "/newsearch", "x", "craigslist"))[0].text
    assert "allows 1" in (await session.handle("sandbox,ebay"))[0].text
    await say(session, "sandbox", "ps5", "none", "any", "anywhere", "GBP")
    assert "Choose any, used or new" in (await session.handle("mint"))[0].text
    await session.handle("any")
    reply = (await session.handle("60"))[0]
    assert "Choose one of: 30 min" in reply.text and "free plan" in reply.text
    assert "/upgrade" not in reply.text  # no such command yet


async def test_edit_jumps_back_to_one_step_then_to_the_summary(db: str) -> None:
    session = await session_for("ann")
    await say(session, *WIZARD)
    await say(session, "edit", "price")
    summary = await session.handle("300")
    assert "up to £300.00" in summary[0].text
    await session.handle("confirm")
    assert (await Search.get()).criteria["max_price"] == "300.00"


async def test_cancel_saves_nothing(db: str) -> None:
    session = await session_for("ann")
    await say(session, *WIZARD[:4])
    assert "Nothing was changed" in (await session.handle("/cancel"))[0].text
    await say(session, *WIZARD)
    await session.handle("cancel")
    assert await Search.all().count() == 0


async def test_search_count_limit_says_which_limit_and_what_the_plan_allows(db: str) -> None:
    session = await session_for("ann")
    for _ in range(2):
        await say(session, *WIZARD, "confirm")
    reply = (await session.handle("/newsearch"))[0].text
    assert "free plan allows 2 active searches" in reply and "/upgrade" not in reply


async def test_paid_tier_can_pick_more_marketplaces_and_faster_checks(db: str) -> None:
    session = await session_for("bob", Tier.PRO)
    # eBay has auctions: the buying format is asked after the price (issue 14).
    steps = [*WIZARD[:2], "sandbox,ebay", *WIZARD[3:6], "bin", *WIZARD[6:9], "300", "chat"]
    steps.append("confirm")
    await say(session, *steps)
    search = await Search.get()
    assert search.marketplaces == ["sandbox", "ebay"] and search.interval_seconds == 300


async def test_pause_resume_delete_with_confirmation(db: str) -> None:
    session = await session_for("ann")
    await say(session, *WIZARD, "confirm")
    search = await Search.get()
    assert "Paused" in (await session.handle(f"/pause {search.id}"))[0].text
    assert (await Search.get()).status is SearchStatus.PAUSED
    listing = (await session.handle("/searches"))[0].text
    assert "paused" in listing and "Cheap PS5" in listing
    await session.handle(f"/resume {search.id}")
    assert (await Search.get()).status is SearchStatus.ACTIVE
    confirm = await session.handle(f"/delete {search.id}")
    assert [o.value for o in confirm[0].options] == ["yes", "no"]
    await session.handle("no")
    assert await Search.all().count() == 1
    await say(session, f"/delete {search.id}", "yes")
    assert await Search.all().count() == 0


async def test_nobody_can_touch_another_users_search_or_alert(db: str) -> None:
    ann = await session_for("ann")
    await say(ann, *WIZARD, "confirm")
    search = await Search.get()
    eve = await session_for("eve")
    for command in ("/pause", "/delete", "/edit", "/resume"):
        refused = (await eve.handle(f"{command} {search.id}"))[0].text
        assert refused == f"You have no search #{search.id}."
    assert (await Search.get()).status is SearchStatus.ACTIVE
    match = await _a_match(search)
    assert (await eve.handle(f"/save {match.id}"))[0].text == f"You have no alert #{match.id}."
    assert "no search #999" in (await eve.handle("/pause 999"))[0].text


async def test_save_hide_and_saved_pages(db: str) -> None:
    session = await session_for("ann")
    await say(session, *WIZARD, "confirm")
    search = await Search.get()
    saved = [await _a_match(search, str(n)) for n in range(7)]
    for match in saved:
        await session.handle(f"/save {match.id}")
    first = (await session.handle("/saved"))[0].text
    assert "Page 1 of 2" in first and "/saved 2" in first
    second = (await session.handle("/saved 2"))[0].text
    assert "Page 2 of 2" in second
    await session.handle(f"/hide {saved[0].id}")
    assert "Nothing saved" not in (await session.handle("/saved"))[0].text


async def test_templates_create_a_search_in_one_tap(db: str) -> None:
    await templates.seed_templates()
    session = await session_for("ann")
    menu = (await session.handle("/templates"))[0]
    assert "iPhone Flips UK" in menu.text and "⭐" in menu.text
    slugs = [o.value for o in menu.options]
    reply = await session.handle(slugs[0])
    assert "is live" in reply[0].text and "/edit" in reply[0].text
    template = await templates.get_template(slugs[0])
    assert template.usage_count == 1
    assert (await Search.get()).interval_seconds >= 1800


async def test_unknown_commands_and_idle_text_point_to_help(db: str) -> None:
    session = await session_for("ann")
    assert "/help" in (await session.handle("/frobnicate"))[0].text
    assert "/newsearch" in (await session.handle("hello"))[0].text
    assert "/newsearch" in (await session.handle("/help"))[0].text
    assert (await session.handle("/pause"))[0].text.startswith("Usage: /pause N")


async def _a_match(search: Search, external_id: str = "x") -> Match:
    from datetime import UTC, datetime

    from core.models import Listing

    now = datetime.now(UTC)
    listing = await Listing.create(
        marketplace="sandbox",
        external_id=external_id,
        url="https://example.test/x",
        title=f"PS5 {external_id}",
        price=Decimal("150"),
        first_seen_at=now,
        last_seen_at=now,
    )
    return await Match.create(search=search, listing=listing)


@pytest.fixture(autouse=True)
def _accounts_are_fresh(db: str) -> None:
    assert Account is not None


async def test_the_summary_has_auction_lines_only_where_there_are_auctions(db: str) -> None:
    [summary] = await say(await session_for("ann"), *WIZARD)  # the sandbox sells no auctions
    assert "Buying format" not in summary.text and "Auctions:" not in summary.text
    pro = await session_for("bob", Tier.PRO)
    steps = [*WIZARD[:2], "sandbox,ebay", *WIZARD[3:6], "auctions", "24", *WIZARD[6:9], "300"]
    [summary] = await say(pro, *steps, "chat")
    assert "Buying format: auctions only" in summary.text
    assert "Auctions: when ending within 24 h" in summary.text
