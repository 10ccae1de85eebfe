"""What email and SMS alerts say (pure rendering): one-segment SMS, escaped HTML."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.enums import AlertKind, Channel, Platform
from core.ports import AlertMessage, AlertTarget, ListingData
from notifiers.rendering import (
    GSM_SEGMENT,
    UCS2_SEGMENT,
    Links,
    alert_email,
    alert_sms,
    code_sms,
    fits_one_segment,
    is_gsm,
    sms_length,
)

LINKS = Links("https://mm.example/")
TOKEN = "Zq3xY8bK0pW2mN5vR7tH1a"


def alert(
    title: str = "Sony PS5 Disc Edition",
    *,
    kind: AlertKind = AlertKind.NEW_LISTING,
    price: str = "210.00",
    currency: str = "GBP",
    old_price: str | None = None,
    extra: dict[str, str] | None = None,
) -> AlertMessage:
    return AlertMessage(
        alert_id=7,
        match_id=3,
        search_id=2,
        search_name="Cheap <PS5>",
        channel=Channel.SMS,
        kind=kind,
        listing=ListingData(
            marketplace="ebay",
            external_id="1",
            url="https://www.ebay.co.uk/itm/1",
            title=title,
            price=Decimal(price),
            currency=currency,
            location="Leeds",
            image_url="javascript:alert(1)",
            posted_at=datetime(2026, 1, 5, tzinfo=UTC),
        ),
        target=AlertTarget(Platform.CONSOLE, "c", 1, "+447911123456"),
        old_price=Decimal(old_price) if old_price else None,
        extra={"click_token": TOKEN} if extra is None else extra,
    )


def test_a_short_alert_is_price_title_and_tracked_link() -> None:
    assert (
        alert_sms(alert(), LINKS) == f"£210.00 Sony PS5 Disc Edition https://mm.example/r/{TOKEN}"
    )


def test_a_long_title_is_shortened_to_one_gsm_segment() -> None:
    text = alert_sms(alert("PlayStation 5 console bundle with two controllers " * 6), LINKS)
    assert is_gsm(text) and sms_length(text) <= GSM_SEGMENT
    assert "... https://mm.example/r/" in text and text.startswith("£210.00 PlayStation 5")


def test_typographic_characters_become_gsm_look_alikes() -> None:
    text = alert_sms(alert("Nintendo Switch – “OLED” model’s dock…"), LINKS)
    assert 'Nintendo Switch - "OLED" model\'s dock...' in text and is_gsm(text)


def test_a_title_the_gsm_alphabet_cannot_spell_keeps_to_one_ucs2_segment() -> None:
    text = alert_sms(
        alert("Konsola PlayStation 5 – stan idealny, żadnych rys, gwarancja " * 2), LINKS
    )
    assert fits_one_segment(text) and sms_length(text) <= GSM_SEGMENT
    assert text.endswith(f"/r/{TOKEN}")


def test_an_emoji_title_is_cut_to_the_ucs2_budget_or_dropped() -> None:
    text = alert_sms(alert("🔥🔥 PS5 🔥🔥 " * 10), LINKS)
    assert fits_one_segment(text)
    assert sms_length(text) <= (GSM_SEGMENT if is_gsm(text) else UCS2_SEGMENT)


def test_a_price_drop_says_so() -> None:
    text = alert_sms(alert(kind=AlertKind.PRICE_DROP, old_price="250.00"), LINKS)
    assert text.startswith("Price drop £210.00 (was £250.00) Sony PS5")


def test_without_a_token_the_listing_url_is_used() -> None:
    assert alert_sms(alert(extra={}), LINKS).endswith(" https://www.ebay.co.uk/itm/1")


def test_euro_counts_double_in_gsm() -> None:
    assert sms_length("€5") == 3 and is_gsm("€5")


def test_the_code_text_is_one_segment() -> None:
    assert fits_one_segment(code_sms("123456", 10)) and "123456" in code_sms("123456", 10)


@pytest.mark.parametrize("title", ['<img src=x onerror="alert(1)">', "Tom & Jerry <b>"])
def test_the_email_html_escapes_listing_text_and_refuses_odd_urls(title: str) -> None:
    email = alert_email(
        alert(title, extra={"click_token": TOKEN, "unsubscribe_token": "1.sig"}), LINKS
    )
    assert title not in email.html and html.escape(title) in email.html
    assert "javascript:" not in email.html  # the image URL was not http(s): no image at all
    assert "Cheap &lt;PS5&gt;" in email.html
    assert email.unsubscribe_url == "https://mm.example/unsubscribe/1.sig"
    assert email.unsubscribe_url in email.text and email.unsubscribe_url in email.html
    assert f"https://mm.example/r/{TOKEN}" in email.text
