"""Text from outside is cleaned once before it is stored (core.text): both databases then
hold the same text, and one bad byte can no longer fail a fetch or a wizard."""

from __future__ import annotations

import itertools
import unicodedata
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import fields

from bot.telegram.alerts import alert_html
from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import Platform
from core.listings import clean_listing, listing_data
from core.models import Account, ChatIdentity, Destination, Listing, Search
from core.runner import RunnerOptions
from core.searches import SearchDraft
from core.text import clean_for, clean_json, clean_text, limit
from notifiers.rendering import Links, alert_email, alert_sms
from scrapers.ebay.parse import parse_search
from tests.unit.test_conversation import WIZARD, say, session_for
from tests.unit.world import World, titles

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# What must never reach a column: removed controls, lone surrogates, bidi controls.
FORBIDDEN = {chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]} | set(BIDI)
NASTY = ["\x00", "\ud800", "\udfff", "\u202e", "\u2066", "\r\n", "\r", "\t", "\x85", "e\u0301"]

# Any code point, surrogates included, with the nasty ones made common.
chars = st.one_of(st.characters(codec=None, exclude_categories=()), st.sampled_from(NASTY))
texts = st.one_of(
    st.lists(chars, max_size=40).map("".join),
    st.text(),
    # Longer than any column: the cut must hold.
    st.tuples(st.lists(chars, max_size=5).map("".join), st.integers(1, 3000)).map(
        lambda t: (t[0] or "é") * t[1]
    ),
)


def _bad(text: str, *, keep: str = "") -> bool:
    if any("\ud800" <= c <= "\udfff" for c in text):
        return True
    return bool((set(text) & FORBIDDEN) - set(keep))


# core.text ------------------------------------------------------------------------------
@given(text=texts, length=st.one_of(st.none(), st.integers(1, 600)), multiline=st.booleans())
def test_cleaned_text_is_storable_normalised_bounded_and_stable(
    text: str, length: int | None, multiline: bool
) -> None:
    clean = clean_text(text, length, multiline=multiline)
    assert not _bad(clean, keep="\t\n" if multiline else "")
    assert unicodedata.is_normalized("NFC", clean)
    assert length is None or len(clean) <= length
    assert clean_text(clean, length, multiline=multiline) == clean
    clean.encode("utf-8")  # what both database drivers do with it


def test_what_is_kept_and_what_goes() -> None:
    assert clean_text("ps5\x00 slim\u202e") == "ps5 slim"
    assert clean_text("a\tb\nc\r\nd") == "a b c  d"  # single line: words stay apart
    assert clean_text("a\tb\r\nc\rd\x0b", multiline=True) == "a\tb\nc\nd "
    assert clean_text("e\u0301\ud800") == "\u00e9"  # NFC, lone surrogate gone
    assert clean_text("£50 über", 4) == "£50 "
    assert clean_json({"k\x00": ["v\u0000", 1, None, {"x\u202e": "y\x00"}]}) == {
        "k": ["v", 1, None, {"x": "y"}]
    }


def test_column_lengths_come_from_the_models() -> None:
    # Every char column of the tables outside text reaches, checked against the model.
    for model in (Listing, Search, Account, ChatIdentity, Destination):
        for name, field in model._meta.fields_map.items():
            if isinstance(field, fields.CharField):
                assert limit(model, name) == field.max_length
                assert len(clean_for(model, name, "x" * 5000)) == field.max_length
    assert clean_for(Listing, "description", "a\x00\n" * 3000) == "a\n" * 3000
    with pytest.raises(ValueError, match="no max_length"):
        limit(Listing, "description")


# A fetch with one bad listing --------------------------------------------------------------
async def test_one_nul_titled_listing_does_not_stop_the_others(world: World) -> None:
    await world.create("ps5")
    world.market.add("1", "PS5 slim")
    world.market.add("2", "PS5\x00 disc\u202e edition", description="line 1\n\x00line 2")
    world.market.add("3", "PS5 pro", seller="bob\udc80")
    await world.cycle()
    stored = {row.external_id: row for row in await Listing.all()}
    assert set(stored) == {"1", "2", "3"}
    assert stored["2"].title == "PS5 disc edition"
    assert stored["2"].description == "line 1\nline 2"
    assert stored["3"].seller == "bob"
    assert sorted(titles(world.notifier)) == ["PS5 disc edition", "PS5 pro", "PS5 slim"]


async def test_wizard_confirm_with_nul_in_name_and_keywords_stores_clean_text(db: str) -> None:
    session = await session_for("ann")
    answers = list(WIZARD)
    answers[1] = "Cheap\x00 PS5\u202e"
    answers[3] = "ps5\x00 OR playstation"
    answers[4] = "broken\x00, faulty"
    answers[6] = "Lee\x00ds 10"
    await say(session, *answers)
    done = await session.handle("confirm")
    assert "is live" in done[0].text
    search = await Search.get()
    assert search.name == "Cheap PS5"
    assert search.criteria["keywords"] == "ps5 OR playstation"
    assert search.criteria["exclude"] == ["broken", "faulty"]
    assert search.criteria["location"] == "Leeds"


async def test_a_name_that_cleans_to_nothing_is_refused(world: World) -> None:
    draft = SearchDraft("\x00\u202e", Criteria(keywords="ps5"), ("fake",), 60)
    with pytest.raises(Exception, match="A name needs 1 to 80"):
        await world.searches.create(world.account, world.destination, draft)
    assert await Search.all().count() == 0


# Arbitrary text: scraper → storage → alert, on the test database ----------------------------
_ids = itertools.count()


def _payload(n: int, title: str, other: str) -> dict[str, Any]:
    return {
        "total": 1,
        "itemSummaries": [
            {
                "itemId": f"v1|{n}|{other}",
                "title": f"widget {title}",
                "itemWebUrl": f"https://www.ebay.co.uk/itm/{n}{other}",
                "price": {"value": "12.50", "currency": "GBP"},
                "shortDescription": other + "\n" + title,
                "itemLocation": {"city": other, "country": "GB"},
                "seller": {"username": other},
            }
        ],
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=texts, other=texts, name=texts)
async def test_any_text_goes_from_scraper_to_storage_to_alert(
    world: World, title: str, other: str, name: str
) -> None:
    n = next(_ids)
    await Search.all().delete()  # examples share the test's database: start each afresh
    draft = SearchDraft(
        name=f"n {name}"[:26],  # NFC can triple a character: stays within 80
        criteria=Criteria(keywords="widget", extra={f"fake.{other[:20]}": other}),
        marketplaces=("fake",),
        interval_seconds=60,
    )
    search = await world.searches.create(world.account, world.destination, draft)
    await world.runner.prime(search)
    world.market.listings = parse_search(_payload(n, title, other), marketplace="fake")
    await world.cycle(RunnerOptions().share_window_seconds + 2 * 60)  # surely due again

    expected = clean_listing(world.market.listings[0])
    row = await Listing.get(marketplace="fake", external_id=expected.external_id)
    assert listing_data(row) == expected  # what is stored is what was cleaned
    assert row.title == clean_text(f"widget {title}".strip(), 512)
    stored = await Search.get(id=search.id)
    assert stored.name == clean_text(draft.name).strip()
    assert stored.criteria == clean_json(draft.criteria.to_json())
    for value in (row.title, row.url, row.external_id, row.seller, row.location, stored.name):
        assert not _bad(value)
    assert not _bad(row.description, keep="\t\n")

    alerts = [a for a in world.notifier.sent if a.search_id == search.id]
    assert [a.listing.external_id for a in alerts] == [row.external_id]
    alert = alerts[0]
    assert alert.listing.title == row.title and alert.search_name == stored.name
    now = world.clock.now + timedelta(minutes=1)
    rendered = [alert_html(alert, now, 1024), alert_sms(alert, Links("https://mm.test"))]
    email = alert_email(alert, Links("https://mm.test"))
    for text in [*rendered, email.subject, email.text, email.html]:
        text.encode("utf-8")
        assert not set(text) & set(BIDI) and "\x00" not in text


async def test_chat_names_and_titles_are_cleaned_and_cut(db: str) -> None:
    account = await identify(Platform.TELEGRAM, "42", "Bob\x00\u202e" + "b" * 300)
    assert (await ChatIdentity.get(platform_user_id="42")).display_name == "Bob" + "b" * 125
    await destination_for(account, Platform.TELEGRAM, "-100", kind="group", title="Deals\x00")
    assert (await Destination.get(chat_id="-100")).title == "Deals"
